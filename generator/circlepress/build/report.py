"""The impact report as one self-contained HTML file: the theme's report/ templates (overridable
like pages), inline CSS under a hash in the page's policy, inline SVG charts, no script, no request.

The charts are 100% bars drawn by the templates from the geometry here, not by a charting library:
pygal gives each chart a random id, a dated comment and tooltip scripts; matplotlib is far too large
for the core install; none of them writes the role, title and CSS classes a theme needs."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup, escape

from ..evaluation.aggregate import Figure, QuestionResult, Report, circle_labels, summarise
from ..evaluation.questionnaire import load_questionnaire
from ..evaluation.responses import read_all
from ..evaluation.rounds import circle_folder, rounds
from ..evaluation.suppression import MIN_GROUP, SUPPRESSED
from ..programme.config import CONFIG_NAME, Project, load_project
from .load import load_site
from .writer import is_within
from ..programme.errors import CirclepressError, Location, Problem
from ..programme.localfiles import write_private
from .render import make_environment

GENERATOR = "circlepress report"  # the mark of a file `report` wrote, and so may write over
CHART_WIDTH = 560
BAR_HEIGHT = 24
LABEL_WIDTH = 80


@dataclass(frozen=True)
class Segment:
    option: int  # 1-based, for the option's CSS class
    x: str
    width: str


@dataclass(frozen=True)
class Bar:
    """One round's bar in a chart: its options' segments, or a note when hidden or unanswered."""

    round: int
    y: int
    segments: tuple[Segment, ...]
    note: str  # "" when the bar is drawn


def bars(result: QuestionResult, rounds: tuple[int, ...]) -> tuple[Bar, ...]:
    """A question's 100% bars, one per round: each option's width its share of the round's answers."""
    found = []
    for i, (number, figure) in enumerate(zip(rounds, result.rounds)):
        y = i * (BAR_HEIGHT + 8)
        if figure.is_hidden or not figure.n:
            found.append(Bar(number, y, (), SUPPRESSED if figure.is_hidden else "no answers"))
            continue
        found.append(Bar(number, y, _segments(figure), ""))
    return tuple(found)


def _segments(figure: Figure) -> tuple[Segment, ...]:
    """Segments from cumulative counts, so rounding never leaves a gap or runs past the end."""
    segments, before = [], 0
    for option, count in enumerate(figure.counts, start=1):
        start, before = before, before + count
        x0, x1 = (LABEL_WIDTH + CHART_WIDTH * c / figure.n for c in (start, before))
        if count:
            segments.append(Segment(option, f"{x0:.1f}", f"{x1 - x0:.1f}"))
    return tuple(segments)


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _tens(share: float) -> str:
    """A circle's share, to the nearest 10%: exact, 40% from a group of at most 9 could only be 2 of
    5, and so tell how many answered."""
    return f"{int(share * 10 + 0.5) * 10}%"


def _mean(value: float) -> str:
    return f"{value:.1f}"


def _style_hash(css: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")


def render_report(project: Project, report: Report, day: date | None = None) -> str:
    """The report's HTML: the same for the same figures, theme and day."""
    env = make_environment(project.theme_dirs)
    env.filters.update(percent=_percent, tens=_tens, mean=_mean)
    try:
        css = env.get_template("report/report.css").render()
        policy = (f"default-src 'none'; style-src '{_style_hash(css)}'; img-src 'none'; "
                  "base-uri 'none'; form-action 'none'")
        html = env.get_template("report/report.html").render(
            report=report, numbers=tuple(r.number for r in report.rounds), css=Markup(css), policy=policy,
            title=project.config.title, language=project.config.language, day=day, bars=bars,
            suppressed=SUPPRESSED, min_group=MIN_GROUP, generator=GENERATOR, chart_width=LABEL_WIDTH + CHART_WIDTH,
            bar_height=BAR_HEIGHT, label_width=LABEL_WIDTH)
    except Exception as exc:  # noqa: BLE001 - a theme's template error, located in its file
        raise CirclepressError([Problem.from_template_error(exc, "report/report.html", project.shown)]) from None
    if missing := _unguarded(html, policy):
        where = next((project.shown(d / "templates/report/report.html") for d in project.theme_dirs
                      if (d / "templates/report/report.html").is_file()), "report/report.html")
        raise CirclepressError([Problem(Location(where), f"the report's template leaves out {missing}",
                                        "start its <head> as the default theme's report.html does, or extend it")])
    return html


def _unguarded(html: str, policy: str) -> str:
    """What a report's page lacks of the policy first in its <head> and the mark of `report`, if anything."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">'
    if not re.search(r"<head\b[^>]*>\s*" + re.escape(meta), html):
        return "the Content-Security-Policy <meta> first in <head>"
    if f'<meta name="generator" content="{GENERATOR}">' not in html[:4096]:
        return f'<meta name="generator" content="{GENERATOR}"> near the top'
    return ""


def _html_name(out: Path) -> str:
    """A name to suggest for an --out that does not end in .html: its stem's first part, or report."""
    stem = out.name.split(".")[0]
    return f"{stem or 'report'}.html"


def out_problems(project: Project, out: Path, inputs: tuple[Path, ...] = ()) -> list[Problem]:
    """Why the report may not be written to `out`: not an .html name, one of the inputs, in a folder
    a build publishes or reads, or a file that `report` did not write."""
    where, target = Location(str(out)), out.resolve()
    if out.suffix.lower() not in (".html", ".htm"):
        return [Problem(where, "the report is an HTML file, so its name ends in .html",
                        f"for example --out ../{_html_name(out)}")]
    if any(target == p.resolve() for p in inputs):
        return [Problem(where, "that is one of the responses files", "give the report a name of its own")]
    published = "which is published"
    for folder, what, why in ((project.output_dir, "the site's output folder", published),
                              *((d, "a theme", "whose files are published") for d in project.theme_dirs),
                              (project.content_dir, "the handbook", published),
                              (project.sites_dir, "the circles' folder", published),
                              (project.root, "the programme's folder", "a repository that may be public")):
        if is_within(target, folder.resolve()):
            return [Problem(where, f"that is inside {what} ({project.shown(folder)}), {why}",
                            "write the report outside the programme, e.g. --out ../report.html")]
    if target.is_dir():
        return [Problem(where, "that is a folder", "name the report's file, e.g. --out report.html")]
    if not target.parent.is_dir():
        return [Problem(where, f"there is no folder {out.parent}", "make the folder first, or write elsewhere")]
    if target.exists() and not _is_report(target):
        return [Problem(where, "a file that circlepress did not write is already there",
                        "choose another name, or move that file away first")]
    return []


def _is_report(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">'.encode() in head


def write_report(out: Path, html: str) -> None:
    """Write the report beside `out`, then put it in place: a failure leaves any old report as it
    was. It ends readable by all (0644): a report is for sharing."""
    write_private(out, html, mode=0o644)


def make_report(root: Path, responses: tuple[Path, ...], out: Path, comments: bool = False,
                day: date | None = None) -> tuple[Report, int, int]:
    """`circlepress report`: check the programme, the output's place, the questionnaire and every
    export (all problems at once), then write the report to `out`; on any problem, write nothing.
    Returns the report, how many responses it read, and how many of them it found in more than
    one export (cumulative exports) and counted once."""
    if not (root / CONFIG_NAME).is_file():  # elsewhere every circle would be "not in the programme"
        raise CirclepressError([Problem(Location(str(root / CONFIG_NAME)), "there is no programme here",
                                        "run the command in the programme's folder (the one with circlepress.yaml), "
                                        "or give it with --root DIR")])
    project = load_project(root)
    problems = out_problems(project, out, responses)
    try:
        circles = load_site(project).circles
        known: set[str] | dict[str, int] = {circle_folder(c): len(rounds(c)) for c in circles}
    except CirclepressError as exc:  # the circles' mistakes, and the exports' too, in one run
        problems += exc.problems
        known = {p.name for p in project.sites_dir.iterdir() if p.is_dir()} if project.sites_dir.is_dir() else set()
        circles = ()
    try:
        questionnaire = load_questionnaire(root)
        answers, repeated = read_all(responses, questionnaire, known)
    except CirclepressError as exc:
        problems += exc.problems
    else:
        if not answers:
            problems.append(Problem(Location(str(responses[0])), "the files hold no responses",
                                    "export the form's answers once members have replied"))
    if problems:
        raise CirclepressError(problems)
    report = summarise(questionnaire, answers, circle_labels(circles), comments=comments)
    html = render_report(project, report, day)
    try:
        write_report(out, html)
    except OSError as exc:  # the disk: full, read-only, or the folder gone
        raise CirclepressError([Problem(Location(str(out)), f"the report could not be written: "
                                        f"{exc.strerror or exc}", "check the folder and the free space; any old "
                                        "report is as it was")]) from None
    return report, len(answers), repeated
