"""Issue 18, the report: figures per round and question, small groups suppressed (also through
subtraction), comments only on request, private circles never named, and one self-contained,
byte-identical HTML file written only where it may be."""

from __future__ import annotations

import base64
import hashlib
import html
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from circlepress.build.load import load_site
from circlepress.build.report import GENERATOR, out_problems, render_report, write_report
from circlepress.cli import main
from circlepress.evaluation.aggregate import circle_labels, summarise
from circlepress.evaluation.questionnaire import Kind, Question, Questionnaire
from circlepress.evaluation.responses import Response
from circlepress.evaluation.suppression import SUPPRESSED, hidden_groups
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError

from report_support import COMMENTS, QUESTIONNAIRE, example_labels, example_report, make_responses


def _result(report, question_id: str):
    return next(r for r in report.questions if r.question.id == question_id)


def _cells(report, question_id: str, round_index: int = 0) -> dict[str, str]:
    """{circle label: "shown" or "hidden"} in one round of a question's per-circle table (a circle's
    cell holds its share alone, never its count)."""
    return {row.label: "hidden" if row.cells[round_index] is None else "shown"
            for row in _result(report, question_id).circles}


# --- the rule, on its own ---------------------------------------------------------------------

def test_each_small_group_is_hidden_with_the_next_smallest_beside_a_total():
    assert hidden_groups({"a": 4, "b": 5, "c": 8}) == {"a", "b"}  # total - c - ... would give a
    assert hidden_groups({"a": 4, "b": 3, "c": 9}) == {"a", "b"}  # two small ones together hold 7
    assert hidden_groups({"a": 1, "b": 2, "c": 6, "d": 7}) == {"a", "b", "c"}  # 1 + 2 is still under 5
    assert hidden_groups({"a": 5, "b": 6}) == frozenset()
    assert hidden_groups({"a": 4}) == {"a"}
    assert hidden_groups({"a": 0, "b": 5, "c": 6}) == {"a", "b"}  # a answered the round, not the question
    assert hidden_groups({"a": 4, "b": 7, "c": 7}) == {"a", "b"}  # ties: by name


# --- the figures ---------------------------------------------------------------------------------

def test_responses_and_circles_per_round_a_small_round_hidden_and_then_no_total():
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 6, 3: 5}, "b": {1: 5, 3: 4}}), {})
    assert [(r.number, r.responses, r.circles) for r in report.rounds] == [(1, 11, 2), (3, 9, 2)]
    assert report.responses == 20 and report.circles == 2
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 6, 2: 3, 3: 5}, "b": {1: 5, 3: 4}}), {})
    assert [(r.number, r.responses, r.circles) for r in report.rounds] == [(1, 11, 2), (2, None, None), (3, 9, 2)]
    # (how many circles answered a small round is hidden with its count: it would tell which did)
    assert report.responses is None  # else the total minus rounds 1 and 3 gives round 2's 3


def test_a_circle_of_four_is_hidden_and_so_is_the_next_smallest_beside_the_total():
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 4}, "b": {1: 5}, "c": {1: 8}}), {})
    assert _cells(report, "confidence") == {"a": "hidden", "b": "hidden", "c": "shown"}
    programme = _result(report, "confidence").rounds[0]
    assert programme.n == 17 and sum(programme.counts) == 17
    # what the table shows cannot give a or b back: the total minus c is their 9 together
    assert _cells(report, "goals-set") == {"a": "hidden", "b": "hidden", "c": "shown"}


def test_two_circles_of_five_or_more_are_both_shown():
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}, "b": {1: 6}}), {})
    assert _cells(report, "belonging") == {"a": "shown", "b": "shown"}


def test_a_question_answered_by_four_of_six_is_hidden_for_that_circle_only():
    responses = make_responses({"a": {1: 6}, "b": {1: 7}, "c": {1: 9}})
    blank = {id(r) for r in [r for r in responses if r.circle == "a"][:2]}
    responses = [Response(r.circle, r.round, tuple((q, None if q == "belonging" and id(r) in blank else a)
                                                   for q, a in r.answers)) for r in responses]
    report = summarise(QUESTIONNAIRE, responses, {})
    assert _cells(report, "belonging") == {"a": "hidden", "b": "hidden", "c": "shown"}  # a: 4 answered; b with it
    assert _cells(report, "confidence") == {"a": "shown", "b": "shown", "c": "shown"}
    assert _result(report, "belonging").rounds[0].n == 20
    assert report.rounds[0].responses == 22


def test_a_programme_figure_of_fewer_than_five_is_hidden_with_its_counts():
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 3}}), {})
    figure = _result(report, "recommend").rounds[0]
    assert figure.is_hidden and figure.counts == () and figure.share is None and figure.mean is None


def test_a_round_of_one_circle_shows_the_programme_figure_only_at_five_or_more():
    """Decided: one circle answering a round is a group like any other, so its figure (which is
    then the programme's) shows at 5 or more, and at 4 neither shows."""
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 5, 2: 4}, "b": {1: 6}}), {})
    recommend = _result(report, "recommend")
    assert recommend.rounds[1].is_hidden and recommend.circles[0].cells[1] is None
    report = summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}}), {})
    assert _result(report, "recommend").rounds[0].n == 5 and _cells(report, "recommend") == {"a": "shown"}


def test_shares_means_and_distributions_are_counted_per_option():
    responses = [Response("a", 1, (("recommend", v), ("goals-set", v > 3), ("attendance", "Most of them")))
                 for v in (5, 5, 4, 3, 2, 1)]
    report = summarise(QUESTIONNAIRE, responses, {})
    recommend = _result(report, "recommend").rounds[0]
    assert recommend.counts == (1, 1, 1, 1, 2) and recommend.share == pytest.approx(0.5)
    assert recommend.mean == pytest.approx(20 / 6)
    assert _result(report, "goals-set").rounds[0].counts == (3, 3)
    assert _result(report, "attendance").rounds[0].counts == (0, 6, 0)
    assert _result(report, "attendance").circles == ()  # a choice: programme-wide only
    assert [h.question.id for h in report.headlines] == ["goals-met", "recommend"]


def test_a_yes_is_not_a_scales_one():
    responses = [Response("a", 1, (("recommend", True),))] * 5 + [Response("a", 1, (("goals-set", 1),))] * 5
    report = summarise(QUESTIONNAIRE, responses, {})
    assert _result(report, "recommend").rounds[0].n == 0 and _result(report, "goals-set").rounds[0].n == 0


def test_a_choice_of_many_options_keeps_every_option_and_a_colour_for_each(project):
    many = tuple(f"option {i}" for i in range(1, 11))
    questionnaire = Questionnaire((Question("pick", "Pick one", Kind.CHOICE, many),), "(tests)")
    responses = [Response("a", 1, (("pick", many[i % 10]),)) for i in range(12)]
    report = summarise(questionnaire, responses, {})
    assert report.questions[0].rounds[0].counts == (2, 2, 1, 1, 1, 1, 1, 1, 1, 1)
    text = render_report(load_project(project), report)
    classes = set(re.findall(r'class="segment (o\d+)"', text))
    assert classes == {f"o{i}" for i in range(1, 9)}  # the theme's eight colours, in turn


def test_no_headline_without_its_question():
    only = Questionnaire((Question("belonging", "I belong", Kind.SCALE),), "(tests)")
    assert summarise(only, make_responses({"a": {1: 6}}), {}).headlines == ()


# --- privacy -------------------------------------------------------------------------------------

def test_a_private_circle_is_named_by_its_folder_and_nothing_of_it_shows(project):
    site = load_site(load_project(project))
    private = next(c for c in site.circles if c.is_private)
    labels = circle_labels(site.circles)
    assert labels["early-independence"] == "early-independence"
    assert labels["imaging-and-data"] == "Imaging and Data Circle"
    page = example_report(project)
    secrets = [private.spec.name, *(m.name for m in private.spec.members), *(t.title for t in private.topics)]
    secrets += [w for name in (m.name for m in private.spec.members) for w in name.split() if len(w) > 3]
    text = html.unescape(page)
    assert [s for s in secrets if s in text] == []
    assert "early-independence" in text and "Imaging and Data Circle" in text


def test_two_public_circles_of_one_name_are_told_apart_by_their_folders(project):
    import shutil

    shutil.copytree(project / "sites" / "imaging-and-data", project / "sites" / "imaging-east")
    labels = circle_labels(load_site(load_project(project)).circles)
    assert labels["imaging-and-data"] == "Imaging and Data Circle (imaging-and-data)"
    assert labels["imaging-east"] == "Imaging and Data Circle (imaging-east)"


def test_comments_only_with_comments_every_round_and_circle_together_and_sorted():
    plan = {"a": {1: 6, 2: 3}, "b": {1: 5, 2: 1}}
    without = summarise(QUESTIONNAIRE, make_responses(plan), {})
    assert without.comments is None
    report = summarise(QUESTIONNAIRE, make_responses(plan), {}, comments=True)
    (comments,) = report.comments
    assert comments.texts == tuple(sorted(comments.texts, key=lambda t: (t.casefold(), t)))
    # round 1's, from both circles; round 2 (4 responses) shows nothing, its comments neither
    assert len(comments.texts) == sum(1 for r in make_responses(plan) if r.round == 1 and r.get("comment"))
    shuffled = make_responses(plan)
    random.Random(9).shuffle(shuffled)
    assert summarise(QUESTIONNAIRE, shuffled, {}, comments=True) == report


def _commenting(plan: dict[str, int]) -> list[Response]:
    """{circle: how many wrote a comment} in round 1, each circle with 6 responses."""
    return [Response(c, 1, (("recommend", 4), ("comment", f"note {c} {i}" if i < k else None)))
            for c, k in plan.items() for i in range(6)]


def test_comments_are_withheld_when_fewer_than_five_wrote_one_or_all_are_in_one_circle():
    def texts(plan):
        return summarise(QUESTIONNAIRE, _commenting(plan), {}, comments=True).comments[0].texts

    assert texts({"a": 1, "b": 0}) is None  # one comment in a round of 12: it would stand alone
    assert texts({"a": 4, "b": 0}) is None
    assert texts({"a": 6, "b": 0}) is None  # five or more, but every one from circle a
    assert texts({"a": 4, "b": 1}) == ("note a 0", "note a 1", "note a 2", "note a 3", "note b 0")


def test_the_page_has_comments_only_when_asked_and_never_beside_a_circle(project):
    labels = example_labels(project)
    quiet, loud = (example_report(project, comments=c) for c in (False, True))
    said = [c for c in COMMENTS if c]
    assert not any(c in html.unescape(quiet) for c in said)
    assert all(c in html.unescape(loud) for c in said)
    comments = loud[loud.index('id="comments"'):loud.index("</main>")]
    assert not any(label in html.unescape(comments) for label in labels.values())


# --- the page ------------------------------------------------------------------------------------

class _Page(HTMLParser):
    """Every tag with its attributes, the text of <style>, and every <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parsed(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_the_page_is_self_contained_no_script_no_request_and_its_style_is_hashed(project):
    text = example_report(project)
    page = _parsed(text)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and not {"link", "img", "iframe", "object", "embed", "base", "form"} & set(names)
    urls = [(tag, k, v) for tag, attrs in page.tags for k, v in attrs.items()
            if k != "xmlns" and v and re.search(r"https?:|//|url\(", v)]
    assert urls == []
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert not re.search(r"url\(|@import|https?:", "".join(page.styles))
    policy = next(a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode()).digest()).decode()
    assert policy.startswith("default-src 'none'; ") and f"style-src 'sha256-{digest}'" in policy
    assert "img-src 'none'" in policy and "script-src" not in policy
    assert names.index("meta") < names.index("style")  # the policy comes before the style it allows


def test_every_chart_is_an_image_with_a_title_and_its_numbers_in_a_table(project):
    page = _parsed(example_report(project))
    svgs = [a for t, a in page.tags if t == "svg"]
    assert len(svgs) == len(QUESTIONNAIRE.questions) - 1  # every question but the free-text one
    ids = {a.get("id") for t, a in page.tags if t == "title"}
    assert all(a["role"] == "img" and a["aria-labelledby"] in ids for a in svgs)
    tables = sum(t == "table" for t, _ in page.tags)
    assert tables >= len(svgs) + 1 and sum(t == "caption" for t, _ in page.tags) == tables
    assert all(a.get("scope") in ("col", "row") for t, a in page.tags if t == "th")


def test_hidden_figures_read_fewer_than_five_responses(project):
    text = example_report(project)
    assert SUPPRESSED in text and "Boise State University" in text and "COACHE" in text


def test_the_same_answers_in_any_order_give_the_same_bytes(project):
    project_ = load_project(project)
    responses = make_responses({"a": {1: 6, 2: 7}, "b": {1: 5, 2: 2}, "c": {2: 9}})
    first = render_report(project_, summarise(QUESTIONNAIRE, responses, {}, comments=True))
    random.Random(3).shuffle(responses)
    again = render_report(project_, summarise(QUESTIONNAIRE, responses, {}, comments=True))
    assert first == again
    assert example_report(project) == example_report(project)


def test_text_from_the_questionnaire_and_the_answers_is_escaped(project):
    hostile = Questionnaire((Question("q", "<script>alert(1)</script>", Kind.SCALE),
                             Question("t", "Say <b>it</b>", Kind.TEXT)), "(tests)")
    responses = [Response("x<i>", 1, (("q", 4), ("t", "</style><script>x()</script>")))] * 6
    text = render_report(load_project(project), summarise(hostile, responses, {}, comments=True))
    assert "<script" not in text and "<b>it" not in text and "<i>" not in text


def test_a_theme_override_restyles_the_report(project):
    theme = project / "themes" / "ours" / "templates" / "report"
    theme.mkdir(parents=True)
    (theme / "report.css").write_text("body { color: #000; }\n")
    (project / "circlepress.yaml").write_text("title: Test\ntheme: ours\n")
    page = _parsed(render_report(load_project(project), summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}}), {})))
    assert page.styles == ["body { color: #000; }\n"]


def test_an_override_can_extend_the_default_report_and_replace_its_footer(project):
    theme = project / "themes" / "ours" / "templates" / "report"
    theme.mkdir(parents=True)
    (theme / "report.html").write_text('{% extends "default/report/report.html" %}\n'
                                       "{% block footer %}<p>For the Graduate School</p>{% endblock %}\n")
    (project / "circlepress.yaml").write_text("title: Test\ntheme: ours\n")
    text = render_report(load_project(project), summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}}), {}))
    assert "<p>For the Graduate School</p>" in text and "Boise State" not in text and "<svg" in text


def test_an_override_without_the_policy_first_is_refused(project):
    theme = project / "themes" / "ours" / "templates" / "report"
    theme.mkdir(parents=True)
    (theme / "report.html").write_text("<!doctype html><html><head><title>r</title></head><body></body></html>\n")
    (project / "circlepress.yaml").write_text("title: Test\ntheme: ours\n")
    with pytest.raises(CirclepressError) as caught:
        render_report(load_project(project), summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}}), {}))
    assert caught.value.problems[0].format().startswith(
        "themes/ours/templates/report/report.html:1:1: the report's template leaves out the Content-Security-Policy")


def test_a_broken_override_is_a_located_template_error(project):
    theme = project / "themes" / "ours" / "templates" / "report"
    theme.mkdir(parents=True)
    (theme / "report.html").write_text("<html>\n{{ report.nothing_here }}\n")
    (project / "circlepress.yaml").write_text("title: Test\ntheme: ours\n")
    with pytest.raises(CirclepressError) as caught:
        render_report(load_project(project), summarise(QUESTIONNAIRE, make_responses({"a": {1: 5}}), {}))
    assert re.match(r"themes/ours/templates/report/report\.html:2:1: template error", caught.value.problems[0].format())


# --- where it is written -------------------------------------------------------------------------

def test_the_report_goes_only_where_it_may(project, tmp_path):
    proj = load_project(project)
    (tmp_path / "answers.csv").write_text("circle,round\n")
    (tmp_path / "notes.html").write_text("<p>mine</p>")
    (tmp_path / "old.html").write_text(f'<meta name="generator" content="{GENERATOR}">')

    def problem(out: Path) -> str:
        found = out_problems(proj, out, (tmp_path / "answers.csv",))
        return found[0].format() if found else ""

    assert "ends in .html" in problem(tmp_path / "answers.csv")
    assert "ends in .html" in problem(tmp_path / "report")
    assert problem(tmp_path / "x.html.csv").endswith("(for example --out ../x.html)")
    assert problem(tmp_path / ".html").endswith("(for example --out ../report.html)")
    assert "inside the site's output folder (_site)" in problem(project / "_site" / "report.html")
    assert "inside the circles' folder" in problem(project / "sites" / "report.html")
    (project / "themes" / "mine" / "static").mkdir(parents=True)
    (project / "circlepress.yaml").write_text("title: Test\ntheme: mine\n")
    themed = load_project(project)  # with the programme's own theme in front of the default
    assert any("inside a theme" in p.format() for p in out_problems(themed, project / "themes/mine/static/r.html"))
    assert any("inside a theme" in p.format() for p in out_problems(themed, themed.theme_dirs[-1] / "r.html"))
    assert "inside the programme's folder (.), a repository that may be public" in problem(project / "report.html")
    assert "did not write" in problem(tmp_path / "notes.html")
    assert "no folder" in problem(tmp_path / "nowhere" / "report.html")
    assert problem(tmp_path / "old.html") == "" and problem(tmp_path / "new.html") == ""


def test_writing_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "report.html"
    write_report(out, "<p>one</p>")
    write_report(out, "<p>two</p>")
    assert out.read_text() == "<p>two</p>" and sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert out.stat().st_mode & 0o777 == 0o644


# --- the command ----------------------------------------------------------------------------

PLAIN = "circle,round,goals-met,recommend\n" + "".join(
    f"{c},{r},{g},{v}\n" for c, r, n in (("imaging-and-data", 1, 6), ("early-independence", 1, 4)) for i in range(n)
    for g, v in [((i % 5) + 1, 5 - (i % 3))])


def test_report_writes_one_file_from_a_plain_csv(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN)
    out = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(out),
                                     "--root", str(project), "--date", "2027-02-20"])
    assert done.exit_code == 0, done.output
    assert "Wrote the report of 10 responses from 2 circles over 1 round" in done.output
    text = out.read_text("utf-8")
    assert "Saturday 20 February 2027" in text and SUPPRESSED in text
    assert "Early Independence Circle" not in text


def test_report_with_bad_input_writes_nothing_and_keeps_the_old_report(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN + "no-such-circle,1,9,5\n")
    out = tmp_path / "report.html"
    out.write_text(f'<meta name="generator" content="{GENERATOR}">old')
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(out),
                                     "--root", str(project)])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "no-such-circle" in done.output and "nothing was written" in done.output
    assert out.read_text().endswith("old")


def test_report_names_every_problem_at_once(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN + "imaging-and-data,1,9,5\n")
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out",
                                     str(project / "_site" / "report.html"), "--root", str(project)])
    assert done.exit_code == 1
    assert "_site/report.html:1:1: that is inside the site's output folder" in done.output
    assert "answers.csv:" in done.output and not (project / "_site").exists()


def test_report_refuses_a_round_past_the_circle_s_last(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN + "imaging-and-data,99,3,5\n")
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(tmp_path / "r.html"),
                                     "--root", str(project)])
    assert done.exit_code == 1 and "round 99 is not a round of 'imaging-and-data': it has" in done.output
    assert not (tmp_path / "r.html").exists()


def test_report_names_a_circle_s_mistakes_and_the_exports_in_one_run(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN + "imaging-and-data,1,9,5\n")
    yaml = project / "sites" / "imaging-and-data" / "circle.yaml"
    yaml.write_text(yaml.read_text().replace("timezone:", "timezone: Mars/Olympus\nzone_typo:", 1))
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(tmp_path / "r.html"),
                                     "--root", str(project)])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "circle.yaml:" in done.output and "answers.csv:12:3:" in done.output, done.output
    assert not (tmp_path / "r.html").exists()


def test_report_counts_a_response_in_two_cumulative_exports_once_and_says_so(project, tmp_path):
    rows = [f"2027/03/0{d} 10:0{i} GMT,imaging-and-data,{r},{v}\n"
            for d, r in ((1, 1), (2, 2)) for i, v in enumerate((5, 4, 4, 3, 5, 2))]
    header = "Timestamp,circle,round,recommend\n"
    (tmp_path / "after-round-1.csv").write_text(header + "".join(rows[:6]))
    (tmp_path / "after-round-2.csv").write_text(header + "".join(rows))  # round 1 again, then round 2
    done = CliRunner().invoke(main, ["report", str(tmp_path / "after-round-1.csv"), str(tmp_path / "after-round-2.csv"),
                                     "--out", str(tmp_path / "r.html"), "--root", str(project)])
    assert done.exit_code == 0, done.output
    assert "Wrote the report of 12 responses from 1 circle over 2 rounds" in done.output
    assert "(6 responses found in more than one export were counted once)" in done.output


def test_report_outside_a_programme_says_so_once(tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN)
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(tmp_path / "r.html"),
                                     "--root", str(tmp_path)])
    assert done.exit_code == 1 and done.output.count(":1:1:") == 1
    assert f"{tmp_path / 'circlepress.yaml'}:1:1: there is no programme here (run the command in" in done.output


def test_report_of_no_responses_is_refused(project, tmp_path):
    (tmp_path / "answers.csv").write_text("circle,round,goals-met,recommend\n")
    out = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(out), "--root", str(project)])
    assert done.exit_code == 1 and "the files hold no responses" in done.output and not out.exists()


def test_report_never_writes_over_an_export(project, tmp_path):
    (tmp_path / "answers.csv").write_text(PLAIN)
    done = CliRunner().invoke(main, ["report", str(tmp_path / "answers.csv"), "--out", str(tmp_path / "answers.csv"),
                                     "--root", str(project)])
    assert done.exit_code == 1 and "ends in .html" in done.output
    assert (tmp_path / "answers.csv").read_text() == PLAIN


def test_report_is_the_same_whatever_the_order_of_its_files(project, tmp_path):
    lines = PLAIN.splitlines(keepends=True)
    (tmp_path / "one.csv").write_text(lines[0] + "".join(lines[1:6]))
    (tmp_path / "two.csv").write_text(lines[0] + "".join(lines[6:]))
    outs = []
    for i, files in enumerate((["one.csv", "two.csv"], ["two.csv", "one.csv"])):
        out = tmp_path / f"report-{i}.html"
        done = CliRunner().invoke(main, ["report", *(str(tmp_path / f) for f in files), "--out", str(out),
                                         "--root", str(project)])
        assert done.exit_code == 0, done.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_a_circle_s_cells_show_its_share_alone_so_no_count_follows_from_another_question(project):
    """Circle Beta has 4 responses; Gamma left one question blank once. Were each circle's count
    printed beside its share, the programme's count minus Alpha's and Gamma's would give Beta's 4."""
    responses = make_responses({"alpha": {1: 6}, "beta": {1: 4}, "gamma": {1: 6}, "delta": {1: 1, 2: 6}})
    gamma = [r for r in responses if r.circle == "gamma"][0]
    responses = [Response(r.circle, r.round, tuple((q, None if r is gamma and q == "confidence" else a)
                                                   for q, a in r.answers)) for r in responses]
    page = render_report(load_project(project), summarise(QUESTIONNAIRE, responses, {}))
    rows = re.findall(r'<tr><th scope="row">(alpha|beta|gamma|delta)</th>(.*?)</tr>', page)
    assert rows and all(re.fullmatch(r"(<td>\d+%</td>|<td class=\"hidden\">fewer than 5 responses</td>)+", cells)
                        for _, cells in rows), rows
    # round 2: delta alone, 6 responses; round 1's delta (1) hidden, and with it the next smallest
    assert "no answers" not in "".join(cells for _, cells in rows)


def test_a_small_round_counts_nowhere_else_so_no_one_learns_which_circle_answered_it():
    """Round 2 has 3 responses, all from circle b: no circle row, circle count or comment may
    show that b answered it (nor how many did)."""
    responses = make_responses({"a": {1: 6}, "b": {2: 3}})
    report = summarise(QUESTIONNAIRE, responses, {}, comments=True)
    assert [(r.number, r.responses, r.circles) for r in report.rounds] == [(1, 6, 1), (2, None, None)]
    assert report.circles == 1 and report.responses is None
    assert [row.label for row in _result(report, "recommend").circles] == ["a"]
    assert _result(report, "recommend").rounds[1].is_hidden
    assert report.comments[0].texts is None  # what is left is one circle's


def test_a_circle_that_skipped_a_question_is_hidden_with_the_next_smallest():
    """b answered round 1 (4 responses) but none of them goals-set: beside the programme's 6,
    a's share of goals-set would print a's count (6), and goals-met's 10 minus it gives b's 4."""
    responses = make_responses({"a": {1: 6}, "b": {1: 4}})
    responses = [Response(r.circle, r.round, tuple((q, None if r.circle == "b" and q == "goals-set" else v)
                                                   for q, v in r.answers)) for r in responses]
    report = summarise(QUESTIONNAIRE, responses, {})
    assert _cells(report, "goals-set") == {"a": "hidden", "b": "hidden"}
    assert _result(report, "goals-set").rounds[0].n == 6  # the programme's figure still shows


def test_the_readme_s_picture_is_a_report_of_the_example_programme(project, tmp_path):
    from circlepress.build.report import make_report
    from report_support import example_answers

    (tmp_path / "answers.csv").write_text(example_answers(), "utf-8")
    report, read, repeated = make_report(project, (tmp_path / "answers.csv",), tmp_path / "report.html")
    assert read == 35 and repeated == 0 and report.circles == 2 and len(report.rounds) == 2
    assert 'class="hidden"' not in (tmp_path / "report.html").read_text("utf-8")  # every group of 5 or more


def test_the_page_says_no_answers_and_no_circles_rather_than_a_false_figure(project):
    """Only a small round: no '0 circles'; a headline question nobody answered: 'no answers', not
    'fewer than 5 responses in every round'."""
    small = [Response("a", 1, (("recommend", 4),))] * 3
    page = html.unescape(render_report(load_project(project), summarise(QUESTIONNAIRE, small, {})))
    assert "from 0 circles" not in page and "Responses over 1 round" in " ".join(page.split())
    answered = [Response("a", 1, (("recommend", 4),))] * 6  # nobody answered goals-met
    page = render_report(load_project(project), summarise(QUESTIONNAIRE, answered, {}))
    headline = page[page.index('id="headlines"'):page.index('id="responses"')]
    assert '<span class="figure">no answers</span>' in headline and "in every round" not in headline


def test_a_circle_s_share_is_shown_to_the_nearest_ten_percent_so_it_tells_no_denominator(project):
    """Exact, c's 40% from at most 9 answers could only be 2 of 5 (a review's attack); 3 of 7
    agreeing shows 40% too, and 5 of 6 shows 80%."""
    responses = [Response("a", 1, (("recommend", 5 if i < 3 else 2),)) for i in range(7)] + \
                [Response("b", 1, (("recommend", 4 if i < 5 else 1),)) for i in range(6)]
    page = render_report(load_project(project), summarise(QUESTIONNAIRE, responses, {}))
    rows = dict(re.findall(r'<tr><th scope="row">(a|b)</th><td>(\d+%)</td></tr>', page))
    assert rows == {"a": "40%", "b": "80%"}
    assert "of 13" in page  # the programme's own share is exact, with its count
