"""Evaluation rounds (issue 18): a circle's evaluation moments numbered as rounds with windows,
each round's form link naming the circle's folder and the round (never a member), the circle's
home showing the open round's link, and `circlepress links --evaluation SLUG`."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from click.testing import CliRunner

from circlepress.build.load import load_site
from circlepress.build.pipeline import build
from circlepress.cli import main
from circlepress.evaluation.rounds import Round, form_link, open_round, round_links, rounds
from circlepress.programme.config import load_project
from circlepress.programme.schema import Evaluation, fill_form

from conftest import NOW, VALID_CIRCLE
from private_support import open_page, private

GOOGLE = "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111={circle}&entry.222={round}"
OWN = "https://forms.office.com/Pages/ResponsePage.aspx?id=F&r1a2b={circle}&r3c4d={round}"
PLAIN = VALID_CIRCLE.replace('links: {evaluation: "https://forms.example.org/test-circle"}\n', "")
CONFIG = f"title: Circles\nevaluation:\n  form: {GOOGLE}\n"
# VALID_CIRCLE's sessions: 14 Jan, 11 Feb, 11 Mar 2027: rounds after the middle and the last session.


def circle_of(root, slug="lab-a"):
    site = load_site(load_project(root))
    return next(c for c in site.circles if c.source == f"sites/{slug}/circle.yaml")


def test_evaluation_moments_become_numbered_rounds_with_windows(make_site):
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN})
    circle = circle_of(root)
    assert rounds(circle) == (Round("lab-a", 1, date(2027, 2, 11), date(2027, 3, 3)),
                              Round("lab-a", 2, date(2027, 3, 11), date(2027, 3, 31)))
    # open 21 days by default, and never past the day before the next round
    assert rounds(circle, 40)[0].closes == date(2027, 3, 10)
    assert open_round(rounds(circle), date(2027, 2, 20)).number == 1
    assert open_round(rounds(circle), date(2027, 3, 5)) is None  # between the rounds


def test_written_evaluation_dates_and_open_days_from_the_config(make_site):
    circle_yaml = PLAIN + "evaluations: [2027-05-01, 2027-02-01]\n"
    root = make_site({"circlepress.yaml": CONFIG + "  open_days: 7\n", "sites/lab-a/circle.yaml": circle_yaml})
    project = load_project(root)
    circle = circle_of(root)
    found = round_links(circle, project.config.evaluation)
    assert [(r.number, r.opens, r.closes) for r in found] == [
        (1, date(2027, 2, 1), date(2027, 2, 7)), (2, date(2027, 5, 1), date(2027, 5, 7))]


def test_a_round_link_names_the_circle_folder_and_the_round_percent_encoded(make_site):
    assert fill_form("https://f.example.org/?a={circle}&b={round}", {"circle": "a b&c/d", "round": "2"}) \
        == "https://f.example.org/?a=a%20b%26c%2Fd&b=2"
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN,
                      "sites/lab-b/circle.yaml": PLAIN.replace("members:", f"links: {{evaluation: \"{OWN}\"}}\nmembers:")})
    config = load_project(root).config.evaluation
    assert [r.link for r in round_links(circle_of(root), config)] == [
        "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111=lab-a&entry.222=1",
        "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111=lab-a&entry.222=2"]
    # a circle's own form overrides the programme's
    assert round_links(circle_of(root, "lab-b"), config)[0].link == \
        "https://forms.office.com/Pages/ResponsePage.aspx?id=F&r1a2b=lab-b&r3c4d=1"
    assert form_link(GOOGLE, Round("x", 3, date.min, date.min)).endswith("entry.111=x&entry.222=3")


def _home(out, slug="lab-a"):
    return (out / f"circles/{slug}/index.html").read_text("utf-8")


def _card(html: str) -> str:
    return re.search(r'<section aria-labelledby="evaluation-heading".*?</section>', html, re.S).group(0)


def test_the_home_shows_the_open_rounds_link_and_otherwise_the_next_rounds_date(make_site, tmp_path):
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN})
    link = "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&amp;entry.111=lab-a&amp;entry.222=1"
    build(load_project(root, output=tmp_path / "open"), now=NOW)  # 20 Feb: round 1 is open
    card = _card(_home(tmp_path / "open"))
    assert "Round 1 is open until <time datetime=\"2027-03-03\">Wednesday 3 March 2027</time>." in card
    assert f'<a class="button" href="{link}">Open the form for round 1</a>' in card
    calendar = (tmp_path / "open/circles/lab-a/calendar/index.html").read_text("utf-8")
    assert "Round 2: <time datetime=\"2027-03-11\">Thursday 11 March 2027</time> to " \
        "<time datetime=\"2027-03-31\">Wednesday 31 March 2027</time></li>" in calendar
    assert f'open now, <a href="{link}">the form for round 1</a>' in calendar

    build(load_project(root, output=tmp_path / "between"), now=datetime(2027, 3, 5, tzinfo=timezone.utc))
    card = _card(_home(tmp_path / "between"))
    assert "round 2 opens on <time datetime=\"2027-03-11\">Thursday 11 March 2027</time>" in card
    assert "href=" not in card, "no link outside a round: an answer would count for the wrong round"

    build(load_project(root, output=tmp_path / "after"), now=datetime(2027, 4, 1, tzinfo=timezone.utc))
    assert "This term's evaluation rounds are done." in _card(_home(tmp_path / "after"))


def test_a_private_circles_decrypted_home_has_the_open_rounds_link_and_never_its_name(make_site, tmp_path):
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-p/circle.yaml": private(PLAIN, "lab-p")})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    home = open_page(out, "lab-p")
    assert "entry.111=lab-p&amp;entry.222=1" in _card(home)
    shells = "".join(p.read_text("utf-8") for p in out.rglob("*.html"))
    assert "Test Circle" not in shells and "entry.111=lab-p" not in shells  # sealed, link and all
    link = re.search(r'class="button" href="([^"]+)"', _card(home)).group(1)
    assert "Test" not in link and "Ana" not in link  # the folder's slug and the round, nothing of the circle


def _run(*args):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, list(args))


def test_links_evaluation_prints_each_rounds_number_dates_and_link(make_site):
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN})
    result = _run("links", "--root", str(root), "--evaluation", "lab-a")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "lab-a: 2 evaluation rounds, each open 21 days or until the next round; form: circlepress.yaml's "
        "'evaluation: form:'",
        "  round 1  2027-02-11 to 2027-03-03  "
        "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111=lab-a&entry.222=1",
        "  round 2  2027-03-11 to 2027-03-31  "
        "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111=lab-a&entry.222=2"]


def test_links_evaluation_without_a_slug_or_with_an_unknown_one_says_what_to_write(make_site):
    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN})
    bare = _run("links", "--root", str(root), "--evaluation")
    assert bare.exit_code == 2 and "name the circle: `circlepress links --evaluation SLUG`, one of lab-a" in bare.stderr
    typo = _run("links", "--root", str(root), "--evaluation", "lab-b")
    assert typo.exit_code == 2 and "no circle 'lab-b' (did you mean 'lab-a'?)" in typo.stderr
    assert "Traceback" not in bare.output + typo.output


def test_links_evaluation_without_a_form_notes_how_to_set_one(make_site):
    root = make_site({"sites/lab-a/circle.yaml": PLAIN})
    result = _run("links", "--root", str(root), "--evaluation", "lab-a")
    assert result.exit_code == 0
    assert "  round 1  2027-02-11 to 2027-03-03  (no form link)" in result.stdout
    assert "set 'evaluation: form:' in circlepress.yaml" in result.stderr


def test_the_config_default_is_three_weeks():
    assert Evaluation().open_days == 21 and Evaluation().form is None


def test_the_starters_commented_evaluation_block_works_once_uncommented(tmp_path):
    """`circlepress new`: the example circle's own link is a template, and the config's commented
    `evaluation:` block, uncommented, gives every new circle a form (no 'no evaluation form' warning)."""
    root = tmp_path / "prog"
    assert _run("new", str(root)).exit_code == 0
    assert "?circle={circle}&round={round}" in (root / "sites/our-first-circle/circle.yaml").read_text("utf-8")
    assert _run("new", "circle", "lab-x", "--root", str(root)).exit_code == 0
    config = root / "circlepress.yaml"
    text = config.read_text("utf-8")
    block = text[text.index("# evaluation:"):]
    config.write_text(text.replace(block, "\n".join(line[2:] for line in block.splitlines()) + "\n"), "utf-8")
    config.write_text(config.read_text("utf-8").replace("require_sealed: true", "require_sealed: false"), "utf-8")
    result = _run("check", "--root", str(root))  # (the new circle is not sealed: no identity in a test)
    assert result.exit_code == 0, result.stderr
    assert "evaluation" not in result.stderr
    assert load_project(root).config.evaluation.open_days == 21


def test_editing_a_circle_in_a_programme_with_a_form_does_not_ask_for_one(make_site):
    """`circlepress edit` checks the saved file as `check` does: the programme's form counts."""
    from circlepress.live.edit import edit_problems

    root = make_site({"circlepress.yaml": CONFIG, "sites/lab-a/circle.yaml": PLAIN})
    path = root / "sites/lab-a/circle.yaml"
    assert not [p for p in edit_problems(load_project(root), path, path) if "evaluation form" in p.message]
    (root / "circlepress.yaml").write_text("title: Circles\n")
    assert [p.message for p in edit_problems(load_project(root), path, path) if "evaluation form" in p.message] \
        == ["this circle has no evaluation form"]
