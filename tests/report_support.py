"""A questionnaire and members' answers made for the report's tests (test_report*.py), built as
the reader hands them on: Response objects, never a member's name."""

from __future__ import annotations

import random
from pathlib import Path

from circlepress.build.load import load_site
from circlepress.build.report import render_report
from circlepress.evaluation.aggregate import circle_labels, summarise
from circlepress.evaluation.questionnaire import Kind, Question, Questionnaire
from circlepress.evaluation.responses import Response
from circlepress.programme.config import load_project

ATTENDANCE = ("All of them", "Most of them", "Half or fewer")
QUESTIONNAIRE = Questionnaire((
    Question("goals-set", "I set myself goals since the last round", Kind.YES_NO),
    Question("goals-met", "I met the goals I set since the last round", Kind.SCALE),
    Question("confidence", "I feel confident about my next career step", Kind.SCALE),
    Question("belonging", "I feel I belong in my circle", Kind.SCALE),
    Question("attendance", "How many sessions did you attend since the last round?", Kind.CHOICE, ATTENDANCE),
    Question("recommend", "I would recommend this circle to a colleague", Kind.SCALE),
    Question("comment", "What would make the circle better for you?", Kind.TEXT),
), "(tests)")
COMMENTS = ("More time for each person's question, please.", "The session on funding changed my plans.",
            "Meeting after work is hard with childcare.", "")


def answers(rng: random.Random, round_: int) -> tuple:
    """One member's plausible answers, a little better in later rounds."""
    lift = min(round_ - 1, 2)
    return (("goals-set", rng.random() < 0.75), ("goals-met", rng.randint(1 + lift, 5)),
            ("confidence", rng.randint(1 + lift, 5)), ("belonging", rng.randint(3, 5)),
            ("attendance", rng.choice(ATTENDANCE)), ("recommend", rng.randint(3, 5)),
            ("comment", rng.choice(COMMENTS)))


def make_responses(plan: dict[str, dict[int, int]], seed: int = 1) -> list[Response]:
    """`plan`: {circle folder: {round: how many responses}} -> that many members' responses."""
    rng = random.Random(seed)
    return [Response(circle, round_, answers(rng, round_))
            for circle, rounds in plan.items() for round_, size in rounds.items() for _ in range(size)]


# The example programme's two circles (early-independence is private) and a third, public one.
EXAMPLE_PLAN = {"imaging-and-data": {1: 8, 2: 7, 3: 6}, "early-independence": {1: 6, 2: 4, 3: 5},
                "stem-cell-circle": {1: 5, 2: 6, 3: 4}}


def example_labels(root: Path) -> dict[str, str]:
    return {**circle_labels(load_site(load_project(root)).circles), "stem-cell-circle": "Stem Cell Circle"}


def example_report(root: Path, comments: bool = True, seed: int = 1) -> str:
    """The report of the example programme's circles, as `circlepress report` writes it."""
    project = load_project(root)
    report = summarise(QUESTIONNAIRE, make_responses(EXAMPLE_PLAN, seed), example_labels(root), comments=comments)
    return render_report(project, report)


def screenshot(png: Path, html_file: Path) -> None:
    """The README's picture: the example report's first screen, 1000 px wide, in Chromium."""
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(html_file.resolve().as_uri())
        page.screenshot(path=str(png))
        browser.close()


def example_answers(seed: int = 5) -> str:
    """A plain CSV of made-up answers to the default questionnaire from the example programme's
    circles, 7 to 9 members each round, a little better in the later round."""
    from circlepress.evaluation.questionnaire import default_questionnaire

    rng, questionnaire = random.Random(seed), default_questionnaire()
    rows = [",".join(questionnaire.columns)]
    for circle in ("early-independence", "imaging-and-data"):
        for round_ in (1, 2):
            for _ in range(rng.randint(7, 9)):
                cells = []
                for q in questionnaire.questions:
                    if q.kind is Kind.SCALE:
                        cells.append(str(rng.randint(2 + round_ - 1, 5)))
                    elif q.kind is Kind.YES_NO:
                        cells.append(rng.choice(("Yes", "Yes", "Yes", "No")))
                    elif q.kind is Kind.CHOICE:
                        cells.append(rng.choice(q.choices))
                    else:
                        cells.append("")
                rows.append(f"{circle},{round_}," + ",".join(f'"{c}"' for c in cells))
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # PYTHONPATH=generator:tests python tests/report_support.py docs/report.png
    # The README's picture: `circlepress report` of made-up answers from the example programme.
    import sys
    import tempfile

    from circlepress.build.report import make_report
    from conftest import REPO

    with tempfile.TemporaryDirectory() as folder:
        answers, page = Path(folder, "answers.csv"), Path(folder, "report.html")
        answers.write_text(example_answers(), "utf-8")
        make_report(REPO, (answers,), page)
        screenshot(Path(sys.argv[1]), page)
