"""`circlepress plan`: who leads which session.

The rules: every open session gets 1-2 facilitators (as configured), every member leads at
least once in the term's first 12 months, the load is as even as the sessions allow
(max - min <= 1 where possible), unavailable dates are respected, wishes to co-facilitate are
granted where they can be, and sessions that already have facilitators are left alone. The
search is exact (OR-Tools CP-SAT, one worker, fixed seed), so the same input gives the same
plan; when no plan meets the rules, the problem names the rule and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..programme.errors import CirclepressError, Problem
from ..programme.schedule import Meeting, add_months, held, meetings
from ..programme.schema import CircleSpec, Member
from ..programme.source import Document


PLAN_EXTRA = 'pip install "circlepress[plan]"'


def _cp_model(doc: Document):
    """OR-Tools' CP-SAT module (an extra), or a problem at the circle naming the command that installs it."""
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise CirclepressError([Problem(doc.locate(()), "`circlepress plan` needs OR-Tools, which is not installed",
                                        f"install it with: {PLAN_EXTRA}")]) from None
    return cp_model


@dataclass(frozen=True)
class Assignment:
    """Facilitators for one session that had none."""

    key: str  # Meeting.key: the date the session was first planned for
    date: date
    topic: str | None
    facilitators: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    assignments: tuple[Assignment, ...]
    loads: tuple[tuple[str, int], ...]  # (member id, sessions led) in member order

    @property
    def spread(self) -> int:
        counts = [n for _, n in self.loads]
        return max(counts) - min(counts) if counts else 0


def is_unavailable(member: Member, day: date) -> bool:
    return any(day == entry if isinstance(entry, date) else entry.from_ <= day <= entry.to
               for entry in member.unavailable)


def _explain(message: str, hint: str, doc: Document, loc: tuple = ()) -> CirclepressError:
    return CirclepressError([Problem(doc.locate(loc, key=bool(loc)), f"no plan: {message}", hint)])


def _session_loc(spec: CircleSpec, meeting: Meeting) -> tuple:
    index = next((i for i, s in enumerate(spec.sessions) if (s.moved_from or s.date).isoformat() == meeting.key), None)
    return ("sessions", index) if index is not None else ("repeat",)


def _precheck(spec: CircleSpec, doc: Document, open_: list[Meeting], fixed_year: dict[str, int],
              per_session: int, year_end: date) -> None:
    """Name the rule that cannot be met, when a simple count shows it."""
    for meeting in open_:
        free = [m.id for m in spec.members if not is_unavailable(m, meeting.date)]
        if len(free) < per_session:
            raise _explain(f"the session on {meeting.date} needs {per_session} facilitators but only "
                           f"{len(free)} member{' is' if len(free) == 1 else 's are'} available", "change someone's unavailable dates, or "
                           "set planning.facilitators_per_session: 1", doc, _session_loc(spec, meeting))
    in_year = [m for m in open_ if m.date < year_end]
    waiting = [m for m in spec.members if fixed_year[m.id] == 0]
    for i, member in enumerate(spec.members):
        if fixed_year[member.id] == 0 and all(is_unavailable(member, m.date) for m in in_year):
            raise _explain(f"{member.name} must lead once in the first year but is unavailable for every "
                           "open session in it", "free one of their dates, or assign them a session by hand",
                           doc, ("members", i, "unavailable") if member.unavailable else ("members", i))
    places = len(in_year) * per_session
    if len(waiting) > places:
        raise _explain(f"{len(waiting)} member{' still needs' if len(waiting) == 1 else 's still need'} to lead a session in the first year, but the open "
                       f"sessions have only {places} facilitator place{'' if places == 1 else 's'}", "add sessions, or set "
                       "planning.facilitators_per_session: 2", doc, ("sessions",))


def plan(spec: CircleSpec, doc: Document, per_session: int | None = None) -> Plan:
    """Fill in facilitators for every open session; raise a located problem when no plan exists."""
    cp_model = _cp_model(doc)
    per_session = per_session or spec.planning.facilitators_per_session
    schedule = held(meetings(spec))
    open_ = [m for m in schedule if not m.facilitators]
    year_end = add_months(spec.term.start, 12)
    ids = [m.id for m in spec.members]
    fixed = {i: sum(i in {f.id for f in m.facilitators} for m in schedule) for i in ids}
    fixed_year = {i: sum(i in {f.id for f in m.facilitators} for m in schedule if m.date < year_end) for i in ids}
    if not ids:
        raise _explain("the circle has no members", "add members first", doc, ("members",))
    _precheck(spec, doc, open_, fixed_year, per_session, year_end)

    model = cp_model.CpModel()
    x = {(s, m.id): model.new_bool_var(f"x{s}_{m.id}") for s, meeting in enumerate(open_)
         for m in spec.members if not is_unavailable(m, meeting.date)}
    for s in range(len(open_)):
        model.add(sum(v for (t, _), v in x.items() if t == s) == per_session)
    loads = {i: fixed[i] + sum(v for (_, m), v in x.items() if m == i) for i in ids}
    for i in ids:  # everyone leads at least once in the first 12 months
        model.add(fixed_year[i] + sum(v for (s, m), v in x.items() if m == i and open_[s].date < year_end) >= 1)
    high, low = model.new_int_var(0, len(schedule) * 2, "high"), model.new_int_var(0, len(schedule) * 2, "low")
    for i in ids:
        model.add(loads[i] <= high)
        model.add(loads[i] >= low)
    pairs = []
    if per_session == 2:
        wishes = {tuple(sorted((m.id, o))) for m in spec.members for o in m.co_facilitate_with
                  if o in ids and o != m.id}
        for s in range(len(open_)):
            for a, b in sorted(wishes):
                if (s, a) in x and (s, b) in x:
                    together = model.new_bool_var(f"p{s}_{a}_{b}")
                    model.add_implication(together, x[s, a])
                    model.add_implication(together, x[s, b])
                    pairs.append(together)
    # Consecutive sessions led by the same person are allowed but avoided: it spreads the turns.
    repeats = []
    for s in range(len(open_) - 1):
        for i in ids:
            if (s, i) in x and (s + 1, i) in x:
                twice = model.new_bool_var(f"r{s}_{i}")
                model.add(x[s, i] + x[s + 1, i] - 1 <= twice)
                repeats.append(twice)
    model.minimize(1000 * (high - low) - 10 * sum(pairs) + sum(repeats))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 20.0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise _explain("the rules cannot all be met together: with these unavailable dates, not every member "
                       "can lead once in the first year", "free some dates or add sessions", doc, ("members",))
    assignments = tuple(Assignment(meeting.key, meeting.date, meeting.topic,
                                   tuple(i for i in ids if (s, i) in x and solver.value(x[s, i])))
                        for s, meeting in enumerate(open_))
    return Plan(assignments, tuple((i, solver.value(loads[i]) if not isinstance(loads[i], int) else loads[i])
                                   for i in ids))
