"""The `plan` use case: read one circle, plan it, and optionally write the plan back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..programme.agefiles import read_source, write_source
from ..programme.circles import circle_path
from ..programme.circles import load_circle
from ..programme.config import Project
from ..programme.errors import CirclepressError
from .rota import Plan, plan
from ..programme.roundtrip import with_facilitators
from ..programme.source import load_yaml


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    names: dict[str, str]
    path: str
    remembered: int | None = None  # the --per-session value written into planning.facilitators_per_session


def plan_circle(project: Project, slug: str, *, per_session: int | None = None, write: bool = False) -> PlanResult:
    """Plan the circle in sites/SLUG; with `write`, save it only if the edited file still validates."""
    path = circle_path(project, slug)
    circle, problems = load_circle(path, project.shown, None, None, with_pages=False)
    if circle is None:
        raise CirclepressError(problems)
    text = read_source(path, project.shown(path))
    result = plan(circle.spec, load_yaml(text, project.shown(path)), per_session)
    remembered = None
    if write and per_session is not None and per_session != circle.spec.planning.facilitators_per_session:
        remembered = per_session
    if write and (result.assignments or remembered is not None):
        def readable(tmp: Path) -> None:  # never leave a circle.yaml the tool cannot read back
            checked, problems = load_circle(tmp, lambda p: project.shown(path), None, None, with_pages=False)
            if checked is None:
                raise CirclepressError(problems)

        # Written back sealed if it was; a plain copy is private (0600) until it replaces the file.
        write_source(path, with_facilitators(text, result.assignments, remembered), project.root, project.shown, readable)
    return PlanResult(result, {m.id: m.name for m in circle.spec.members}, project.shown(path), remembered)
