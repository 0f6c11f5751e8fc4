"""Loading and checking every source: the handbook, the example circle and the circles, each
problem found with its location, all of them raised at once."""

from __future__ import annotations

from dataclasses import dataclass

from ..programme.circles import NO_FORM, Circle, load_circle, load_circles
from ..programme.config import Project
from ..programme.errors import CirclepressError, Problem
from ..programme.handbook import Handbook, load_handbook
from ..private.keys import leftover_secret
from ..programme.memo import Memo, NoMemo, value_stamp
from ..programme.progress import StepIds, step_ids
from .render import check_shortcodes, make_environment
from ..programme.resources import EXAMPLE_CIRCLE, packaged
from .site import Site


@dataclass(frozen=True)
class Guide:
    """What every circle is checked against and every page shows: the handbook and the example
    circle (None when they have problems, which `problems` lists)."""

    handbook: Handbook | None
    example: Circle | None
    problems: tuple[Problem, ...]
    partial: Handbook | None = None  # what loaded of a handbook with errors: circles are checked against it

    @property
    def steps(self) -> StepIds | None:
        loaded = self.handbook or self.partial
        return step_ids(loaded) if loaded else None

    @property
    def agreement(self):
        loaded = self.handbook or self.partial
        return loaded.agreement if loaded else None


def _load_example(project: Project, handbook: Handbook, steps: StepIds | None, memo: Memo) -> Circle:
    own = project.content_dir / EXAMPLE_CIRCLE
    path = own if own.is_file() else packaged("content") / EXAMPLE_CIRCLE
    stamp = value_stamp(memo.content_stamp(path), steps, handbook.agreement)
    example, problems = memo.get(("example", str(path)), stamp, lambda: load_circle(
        path, project.shown, steps, handbook.agreement, with_pages=False, digest=stamp))
    if example is None:
        raise CirclepressError(problems)
    return example


def load_guide(project: Project, memo: Memo = NoMemo()) -> Guide:
    """The handbook and the example circle, with the problems of both (shortcodes included)."""
    theme_problems = project.theme_static()[1]  # links out of a theme's static/ folder
    try:
        handbook = load_handbook(project.content_dir, project.shown, memo, drafts=project.drafts)
    except CirclepressError as exc:
        return Guide(None, None, tuple(exc.problems) + tuple(theme_problems), getattr(exc, "partial", None))
    steps = step_ids(handbook)
    problems = list(handbook.warnings) + list(theme_problems)
    problems += check_shortcodes(make_environment(project.theme_dirs), [p.body for p in handbook.pages])
    try:
        example = _load_example(project, handbook, steps, memo)
    except CirclepressError as exc:
        return Guide(handbook, None, tuple(exc.problems) + tuple(problems))
    return Guide(handbook, example, tuple(problems))


def in_programme(project: Project, problems) -> list[Problem]:
    """A circle's problems as its programme sees them: no 'no evaluation form' warning when
    circlepress.yaml gives every circle the programme's form."""
    if not project.config.evaluation.form:
        return list(problems)
    return [p for p in problems if not (p.message == NO_FORM and not p.is_error)]


def circle_page_problems(project: Project, circles: tuple[Circle, ...]) -> list[Problem]:
    """Unknown shortcodes in circles' own pages."""
    return check_shortcodes(make_environment(project.theme_dirs), [p.body for c in circles for p in c.pages])


def finish(project: Project, guide: Guide, circles: tuple[Circle, ...], problems: list[Problem],
           strict: bool = False) -> Site:
    """The loaded site with its warnings, or every problem (in the order found) raised at once
    when any is an error; warnings are errors under `strict` (not the one about a leftover site secret)."""
    if strict:
        problems = [p.as_error() for p in problems]
    if leftover := leftover_secret(project.root):  # a warning even under `strict`: it blocks nothing
        problems = problems + [leftover]
    if any(p.is_error for p in problems):
        raise CirclepressError(problems)
    return Site(project, guide.handbook, guide.example, circles, tuple(problems))


def _loaded(project: Project, memo: Memo, to_seal: bool = False) -> tuple[Guide, tuple[Circle, ...], list[Problem]]:
    guide = load_guide(project, memo)
    circles, found = load_circles(project.sites_dir, project.shown, guide.steps, guide.agreement, memo,
                                  require_sealed=project.config.require_sealed and not to_seal)
    problems = project.config_problems() + list(guide.problems) + in_programme(project, found)
    if guide.handbook is not None:
        problems += circle_page_problems(project, circles)
    return guide, circles, problems


def load_site(project: Project, *, strict: bool = False, memo: Memo = NoMemo(), to_seal: bool = False) -> Site:
    """Load and validate every source; raise once with every problem found.

    Warnings become errors under `strict`. With a `memo`, unchanged files are not read again.
    `to_seal`: loaded for `circlepress seal`, so plaintext is not an error under require_sealed.
    """
    return finish(project, *_loaded(project, memo, to_seal), strict)


def check_site(project: Project, *, strict: bool = False) -> Site:
    """What `circlepress check` reports: `load_site`'s problems, private circles' plaintext
    files that git tracks (errors under require_sealed, else warnings) and the questionnaire's."""
    from ..private.sealing import tracked_plaintext

    guide, circles, problems = _loaded(project, NoMemo())
    return finish(project, guide, circles, problems + tracked_plaintext(project, circles)
                  + questionnaire_problems(project), strict)


def questionnaire_problems(project: Project) -> list[Problem]:
    """The problems of the programme's own questionnaire.yaml (none when it keeps the default)."""
    from ..evaluation.questionnaire import load_questionnaire

    try:
        load_questionnaire(project.root)
    except CirclepressError as exc:
        return list(exc.problems)
    return []
