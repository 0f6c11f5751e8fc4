"""A circle's setup progress, keyed by the handbook's step identities (`make-a-calendar:`), so
that reordering the steps never re-labels it; a step number as the key still reads, with a warning."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import Location, Problem, Severity
from .handbook import NUMBER_PREFIX, Handbook, step_identity
from .schema import StepProgress

if TYPE_CHECKING:
    from .schema import CircleSpec
    from .source import Document

SHORT_LIST = 12  # a hint lists every step's id up to this many steps


@dataclass(frozen=True)
class StepIds:
    """What circles' progress is checked against: each published step's identity and number in
    order, and the identities of draft steps (accepted, not shown)."""

    steps: tuple[tuple[str, int], ...]
    drafts: tuple[str, ...] = ()
    former: tuple[tuple[str, str], ...] = ()  # (an old identity whose address is an alias; the step's identity)
    near: tuple[tuple[str, str, str], ...] = ()  # (an old identity, its step's, the alias to add): hints only
    moved: tuple[tuple[str, Location], ...] = ()  # every step's aliases (written in each circle's site too)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(identity for identity, _ in self.steps)

    def meaning(self, key: str) -> tuple[str | None, str]:
        """The step a `progress:` key names now (None: none), and how it names it: 'id', 'number'
        (a step number), 'former' (an old identity, from the step's aliases) or 'unknown'."""
        if key.isascii() and key.isdigit():
            return next((identity for identity, n in self.steps if n == int(key)), None), "number"
        if key in self.ids or key in self.drafts:
            return key, "id"
        renamed = dict(self.former).get(key)
        return renamed, "former" if renamed else "unknown"


def step_ids(handbook: Handbook) -> StepIds:
    """The handbook's steps as a circle's progress names them."""
    steps = tuple((step_identity(p), p.meta.step) for p in handbook.steps)
    ids = {identity for identity, _ in steps}
    # An old identity counts only when `steps/<old>/` itself is an alias: then its redirect exists.
    former = {old: step_identity(p) for p in handbook.steps for folder, _ in p.aliases
              if (old := _old_id(p, folder)) and old not in ids}
    near = {old: (step_identity(p), _parent(p) + old + "/") for p in handbook.steps for folder, _ in p.aliases
            if folder.endswith("/") and (old := NUMBER_PREFIX.sub("", folder.rstrip("/").rsplit("/", 1)[-1]))
            and old not in ids
            and old not in former}
    return StepIds(steps, handbook.draft_steps, tuple(sorted(former.items())),
                   tuple((old, new, alias) for old, (new, alias) in sorted(near.items())),
                   tuple(alias for p in handbook.steps for alias in p.aliases))


def _parent(page) -> str:
    """The folder a step's address is in: `steps/` for `steps/make-a-calendar/`."""
    return page.url.rstrip("/").rpartition("/")[0] + "/" if "/" in page.url.rstrip("/") else ""


def _old_id(page, folder: str) -> str | None:
    """The identity an alias gave its step, when it is a step's address: `steps/08-x/` -> `08-x`."""
    parent, _, last = folder.rstrip("/").rpartition("/")
    return last if folder.endswith("/") and (parent + "/" if parent else "") == _parent(page) else None


def _listing(steps: StepIds) -> str:
    """The steps' ids, when there are few enough to read in a message."""
    return ", ".join(steps.ids) if 0 < len(steps.steps) <= SHORT_LIST else ""


BY_ID = "the last part of its address, steps/<id>/"


def progress_problems(spec: "CircleSpec", doc: "Document", steps: StepIds | None) -> list[Problem]:
    """Each `progress:` key that names no step (an error, with the closest id), a step number or an
    old identity (a warning naming the step it means now), or a step given twice."""
    if steps is None:  # the handbook failed to load (or is not needed): nothing to check against
        return []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, Location]] = {}  # a step's identity -> its first key, and where
    for key in spec.progress:
        where = doc.locate(("progress", key), key=True)
        identity, how = steps.meaning(key)
        if identity is None:
            problems.append(Problem(where, f"there is no step {int(key) if how == 'number' else repr(key)} in the handbook",
                                    _unknown_hint(key, how, steps)))
            continue
        if how == "number":
            problems.append(Problem(where, f"progress key '{key}' is a step number, which reordering the steps "
                                    f"re-labels: it means step {int(key)}, '{identity}', now",
                                    f"write '{identity}:' instead of '{key}:'", Severity.WARNING))
        elif how == "former":
            problems.append(Problem(where, f"the step '{key}' is now '{identity}' (its old address is among the "
                                    "step's aliases)", f"write '{identity}:' instead of '{key}:'", Severity.WARNING))
        if identity in seen:
            first, at = seen[identity]
            named = f"the step '{identity}'" if identity not in (key, first) else "that step"
            problems.append(Problem(where, f"progress key '{key}' names the same step as '{first}' at line {at.line}"
                                    + ("" if named == "that step" else f": {named}"), "keep one of them"))
        seen.setdefault(identity, (key, where))
    return problems


def _unknown_hint(key: str, how: str, steps: StepIds) -> str:
    """The closest step id, and every id when there are few."""
    ids = _listing(steps)
    if how == "number":
        return f"name the step by its id instead: {ids}" if ids else f"name the step by its id instead, {BY_ID}"
    renamed = next(((new, alias) for old, new, alias in steps.near if old == key), None)
    if renamed:  # an alias names its old address with a number, or elsewhere: not this id's
        return (f"did you mean '{renamed[0]}'? To keep '{key}' as its old name, add '{renamed[1]}' to that step's "
                "aliases (its old address then redirects)")
    folded = {identity.casefold(): identity for identity in steps.ids}  # `MAKE-A-CALENDAR`: ids are lowercase
    close = difflib.get_close_matches(key.casefold(), list(folded), n=1, cutoff=0.6)
    mean = f"did you mean '{folded[close[0]]}'?" if close else ""
    if mean:
        return f"{mean} The steps: {ids}" if ids else mean
    return f"the steps: {ids}" if ids else f"name the step by its id, {BY_ID}"


def resolved(spec: "CircleSpec", steps: StepIds | None) -> tuple[tuple[str, StepProgress], ...]:
    """The circle's progress by step identity, number keys and old identities read as the step
    they name now (without the handbook, the keys as written)."""
    found: dict[str, StepProgress] = {}
    for key, value in spec.progress.items():
        identity = steps.meaning(key)[0] if steps is not None else key
        if identity is not None:
            found.setdefault(identity, value)
    return tuple(found.items())
