"""The `plan` use case: read one circle, plan it, and optionally write the plan back."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from .circles import CIRCLE_FILE, load_circle
from .config import Project
from .errors import CirclepressError, Location, Problem
from .localfiles import write_private
from .planner import Plan, plan
from .roundtrip import with_facilitators
from .source import load_yaml, read_text
from .validation import suggest


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    names: dict[str, str]
    path: str


def plan_circle(project: Project, slug: str, *, per_session: int | None = None, write: bool = False) -> PlanResult:
    """Plan the circle in sites/SLUG; with `write`, save it only if the edited file still validates."""
    folder = project.sites_dir / slug
    path = folder / CIRCLE_FILE
    if not path.is_file():
        known = sorted(p.name for p in project.sites_dir.iterdir() if (p / CIRCLE_FILE).is_file()) \
            if project.sites_dir.is_dir() else []
        raise CirclepressError([Problem(Location(project.shown(path)), f"there is no circle '{slug}'",
                                        suggest(slug, known) if known else "create one with `circlepress new circle`")])
    circle, problems = load_circle(path, project.shown, None, None, with_pages=False)
    if circle is None:
        raise CirclepressError(problems)
    text = read_text(path, project.shown(path))
    result = plan(circle.spec, load_yaml(text, project.shown(path)), per_session)
    if write and result.assignments:
        def readable(tmp: Path) -> None:  # never leave a circle.yaml the tool cannot read back
            checked, problems = load_circle(tmp, lambda p: project.shown(path), None, None, with_pages=False)
            if checked is None:
                raise CirclepressError(problems)

        # The copy holds a private circle's data: only its owner may read it; the file keeps its mode.
        write_private(path, with_facilitators(text, result.assignments), mode=stat.S_IMODE(path.stat().st_mode),
                      check=readable)
    return PlanResult(result, {m.id: m.name for m in circle.spec.members}, project.shown(path))
