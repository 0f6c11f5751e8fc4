"""A circle's meetings: the repeat rule expanded, sessions resolved against defaults and time zone."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .schema import ORDINALS, WEEKDAYS, CircleSpec, Member, Session


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(spec: CircleSpec) -> date:
    """The first day after the term."""
    return add_months(spec.term.start, spec.term.months)


def term_last_day(spec: CircleSpec) -> date:
    """The term's last day, as members read it: a six-month term from 4 January ends on 3 July."""
    return term_end(spec) - timedelta(days=1)


def nth_weekday(year: int, month: int, ordinal: str, weekday: str) -> date:
    """e.g. the second Thursday of March 2027; 'last' counts from the month's end."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month)
            if d.month == month and d.weekday() == WEEKDAYS.index(weekday)]
    return days[-1] if ordinal == "last" else days[ORDINALS.index(ordinal)]


def rule_dates(spec: CircleSpec) -> list[date]:
    """The dates the circle's repeat rule gives, within its bounds and the term."""
    if spec.repeat is None:
        return []
    first = max(spec.repeat.from_ or spec.term.start, spec.term.start)
    last = min(spec.repeat.until or date.max, term_last_day(spec))
    ordinal, weekday = spec.repeat.monthly_on.split()
    dates, month = [], date(first.year, first.month, 1)
    while month <= last:
        day = nth_weekday(month.year, month.month, ordinal, weekday)
        if first <= day <= last:
            dates.append(day)
        month = add_months(month, 1)
    return dates


@dataclass(frozen=True)
class Meeting:
    """One session as members see it: times in the circle's zone, facilitators by name."""

    number: int
    key: str  # stable identity: the date it was first planned for (survives edits and moves)
    date: date
    start: datetime | None
    end: datetime | None
    place: str | None
    online: str | None
    topic: str | None
    facilitators: tuple[Member, ...]
    cancelled: bool = False
    moved_from: date | None = None

    @property
    def is_complete(self) -> bool:
        """Fully specified, as step 8 asks: date, time, place, topic and who leads."""
        return bool(self.start and (self.place or self.online) and self.topic and self.facilitators)

    def is_over(self, now: datetime) -> bool:
        if self.end is not None:
            return self.end <= now
        return self.date < now.date()


def _meeting(session: Session, spec: CircleSpec, zone: ZoneInfo, members: dict[str, Member]) -> Meeting:
    defaults = spec.defaults
    start_time: time | None = session.start or defaults.start
    start = datetime.combine(session.date, start_time, zone) if start_time else None
    minutes = session.duration or defaults.duration
    return Meeting(
        number=0, key=(session.moved_from or session.date).isoformat(), date=session.date, start=start,
        end=start + timedelta(minutes=minutes) if start else None,
        place=session.place or defaults.place, online=session.online or defaults.online, topic=session.topic,
        facilitators=tuple(members[m] for m in session.facilitators if m in members),
        cancelled=session.cancelled, moved_from=session.moved_from)


def resolved_sessions(spec: CircleSpec) -> list[Session]:
    """The written sessions plus the rule's dates that no written session covers (moved or not)."""
    covered = {s.moved_from or s.date for s in spec.sessions}
    generated = [Session(date=d) for d in rule_dates(spec) if d not in covered]
    return list(spec.sessions) + generated


def meetings(spec: CircleSpec) -> tuple[Meeting, ...]:
    """Every session, the repeat rule expanded, in date order and numbered from 1 (cancelled ones too)."""
    zone = ZoneInfo(spec.timezone)
    members = {m.id: m for m in spec.members}
    resolved = [_meeting(s, spec, zone, members) for s in resolved_sessions(spec)]
    resolved.sort(key=lambda m: (m.date, m.start.time() if m.start else time(), m.key))
    return tuple(Meeting(**{**m.__dict__, "number": i}) for i, m in enumerate(resolved, start=1))


def held(all_meetings: tuple[Meeting, ...]) -> tuple[Meeting, ...]:
    return tuple(m for m in all_meetings if not m.cancelled)


def next_meeting(all_meetings: tuple[Meeting, ...], now: datetime) -> Meeting | None:
    """The first meeting, not cancelled, that is not yet over at `now`."""
    return next((m for m in held(all_meetings) if not m.is_over(now)), None)


def rotation(spec: CircleSpec, all_meetings: tuple[Meeting, ...]) -> tuple[tuple[Member, int], ...]:
    """How many (not cancelled) sessions each member leads, in member order."""
    counts = {m.id: 0 for m in spec.members}
    for meeting in held(all_meetings):
        for person in meeting.facilitators:
            counts[person.id] += 1
    return tuple((m, counts[m.id]) for m in spec.members)


def evaluation_dates(spec: CircleSpec, all_meetings: tuple[Meeting, ...]) -> tuple[date, ...]:
    """When to send the evaluation form: as written, or after the middle and the last session."""
    if spec.evaluations:
        return tuple(sorted(spec.evaluations))
    dates = [m.date for m in held(all_meetings)]
    if not dates:
        return ()
    return tuple(sorted({dates[(len(dates) - 1) // 2], dates[-1]}))
