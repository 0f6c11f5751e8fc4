"""The evaluation questionnaire (issue 18): the default one circlepress ships, a programme's own
questionnaire.yaml with every mistake located, and how column headers are matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from circlepress.evaluation.questionnaire import (
    GOALS_MET, QUESTIONNAIRE_NAME, RECOMMEND, Kind, column_key, default_questionnaire, load_questionnaire)
from circlepress.programme.errors import CirclepressError

OWN = """\
questions:
  - id: confidence
    text: I feel confident about my next career step.
    kind: scale
  - id: format
    text: Which format suits you best?
    kind: choice
    choices: [Whole circle, Pairs, "Both, in turns"]
  - id: again
    text: Would you join a circle again?
    kind: Yes-No
  - id: anything-else
    text: Anything else?
    kind: text
"""


def problems(root) -> list[str]:
    with pytest.raises(CirclepressError) as caught:
        load_questionnaire(root)
    return [p.format() for p in caught.value.problems]


def test_the_default_asks_what_programmes_measure_in_about_five_minutes():
    q = default_questionnaire()
    assert q.source == "(default)"
    assert [(x.id, x.kind) for x in q.questions] == [
        ("goals-set", Kind.YES_NO), ("goals-met", Kind.SCALE), ("confidence", Kind.SCALE), ("leading", Kind.SCALE),
        ("advice", Kind.SCALE), ("belonging", Kind.SCALE), ("wellbeing", Kind.SCALE), ("attendance", Kind.CHOICE),
        ("recommend", Kind.SCALE), ("improve", Kind.TEXT)]
    assert q.get(GOALS_MET) and q.get(RECOMMEND).text == "I would recommend this circle to a colleague."
    assert q.get("attendance").choices == ("All of them", "Most of them", "Half or fewer")
    assert sum(x.kind is Kind.TEXT for x in q.questions) == 1
    assert q.columns[:3] == ("circle", "round", "goals-set")


def test_a_programme_without_its_own_questionnaire_asks_the_default(tmp_path):
    assert load_questionnaire(tmp_path) == default_questionnaire()


def test_a_programme_questionnaire_beside_the_config_replaces_the_default(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(OWN, "utf-8")
    q = load_questionnaire(tmp_path)
    assert q.source == "questionnaire.yaml"
    assert [(x.id, x.kind) for x in q.questions] == [
        ("confidence", Kind.SCALE), ("format", Kind.CHOICE), ("again", Kind.YES_NO), ("anything-else", Kind.TEXT)]
    assert q.get("format").choices == ("Whole circle", "Pairs", "Both, in turns")
    assert q.get("missing") is None


def test_every_mistake_in_a_questionnaire_is_located_at_once(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text("""\
questions:
  - id: Goals_Met
    text: Did you reach your goals?
    kind: rating
  - id: confidence
    text: I feel confident.
    kind: scale
    choices: [Yes, No]
  - id: confidence
    text: How many sessions did you attend?
    kind: choice
  - id: round
    text: "I feel  confident!"
    kind: text
    required: true
  - {id: attendance, text: Start time, kind: choice, choices: [All, " all"]}
""", "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:2:9: 'Goals_Met' is not a valid question id (use lowercase letters, digits and '-', "
        "starting with a letter, e.g. 'goals-met')",
        "questionnaire.yaml:4:11: 'rating' is not allowed for 'kind' (allowed: scale, yes-no, choice, text)",
        "questionnaire.yaml:8:14: only a choice question has choices, not a scale one "
        "(remove 'choices:', or set kind: choice)",
        "questionnaire.yaml:9:5: a choice question needs at least two choices (list them under 'choices:', "
        "e.g. choices: [All of them, Most of them, Half or fewer])",
        "questionnaire.yaml:9:9: the id 'confidence' is question 2's already "
        "(give each question its own id: the answers' columns are matched to questions by it)",
        "questionnaire.yaml:12:9: the question id 'round' is the name of a column the export already has "
        "(the round's link fills it in; choose another id)",
        "questionnaire.yaml:13:11: question 4 has the same text as question 2 "
        "(give each question its own text: the answers' columns are matched to questions by it)",
        "questionnaire.yaml:15:5: unknown key 'required' (allowed: id, text, kind, choices)",
        "questionnaire.yaml:16:28: the question text 'Start time' is the name of a column the export already has "
        "(form services use it for who answered or when; choose another text)",
        "questionnaire.yaml:16:69: choice 2 of question 5 is choice 1 again (keep one of them)",
    ]


def test_a_question_text_that_reads_as_another_question_s_id_is_located(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text("questions:\n  - {id: belonging, text: Belonging, kind: scale}\n"
                                               "  - {id: recommend, text: I would recommend it., kind: scale}\n"
                                               "  - {id: again, text: Recommend!, kind: scale}\n", "utf-8")
    assert problems(tmp_path) == [  # its own id and text may read alike; another question's may not
        "questionnaire.yaml:4:23: question 3's text names the same column as question 2's id "
        "(give each question its own text: the answers' columns are matched to questions by it)"]


@pytest.mark.parametrize("text, expected", [
    ("", "questionnaire.yaml:1:1: missing required key 'questions' (add 'questions:' here)"),
    ("questions: []\n", "questionnaire.yaml:1:12: 'questions' is empty "
     "(list at least one question, each with an id, a text and a kind)"),
    ("- id: a\n", "questionnaire.yaml:1:1: the file must be a mapping of keys to values, not a list "
     "(write one 'key: value' per line, starting at the left margin)"),
    ("questions: [{id: a, text: A, kind: scale}\n", "questionnaire.yaml:2:1: invalid YAML: "),
    ("questions:\n  - {id: a, text: '', kind: text}\n", "questionnaire.yaml:2:19: 'text' must not be empty "
     "(write some text between the quotes)"),
])
def test_a_questionnaire_that_is_no_list_of_questions_is_located(tmp_path, text, expected):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(text, "utf-8")
    assert problems(tmp_path)[0].startswith(expected)


def test_a_questionnaire_that_is_not_text_is_located(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_bytes("questions:\n  - id: caf\xe9\n".encode("cp1252"))
    assert problems(tmp_path) == ["questionnaire.yaml:2:12: the file is not valid UTF-8 (save it with UTF-8 encoding)"]


def test_check_reports_the_questionnaire_beside_everything_else(make_site):
    from click.testing import CliRunner
    from circlepress.cli import main

    root = make_site({QUESTIONNAIRE_NAME: "questions:\n  - {id: a, text: A, kind: yesno}\n"})
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert result.exit_code == 1
    assert "questionnaire.yaml:2:28: 'yesno' is not allowed for 'kind' (did you mean 'yes-no'?)" in result.output


@pytest.mark.parametrize("header, same", [
    ("Goals-Met", "goals met"), ("  I\u2019d  recommend\u2026 this circle!", "id recommend this circle"),
    ("\u201cBelonging\u201d", "belonging"), ("ATTENDANCE_", "attendance"), ("Caf\u00e9 or tea?", "caf\u00e9 or tea"),
])
def test_headers_match_whatever_their_case_spaces_punctuation_and_quotes(header, same):
    assert column_key(header) == same


def run_form(*args: str):
    from click.testing import CliRunner
    from circlepress.cli import main

    return CliRunner().invoke(main, ["form", *args])


def test_form_prints_each_question_to_build_and_the_columns_the_report_reads(tmp_path):
    result = run_form("--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("The evaluation form, from circlepress's default questionnaire.\n")
    assert "two short-answer questions titled Circle and Round" in text
    q = default_questionnaire()
    for number, question in enumerate(q.questions, start=1):
        assert f"{number:>2}. {question.text}\n    {question.id}, {question.kind.value}" in text
    assert "attendance, choice: All of them | Most of them | Half or fewer" in text
    assert text.endswith("A plain CSV of answers has these columns:\n" + ",".join(q.columns) + "\n")


def test_form_as_csv_gives_the_headers_an_export_is_read_by(tmp_path):
    import csv
    import io

    from circlepress.evaluation.responses import read_responses

    result = run_form("--root", str(tmp_path), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["column", "text", "kind", "answers"]
    q = default_questionnaire()
    assert [r[0] for r in rows[1:]] == list(q.columns)
    assert rows[3][1:] == [q.questions[0].text, "yes-no", "Yes | No"]
    # an export titled by the printed texts (as Google Forms writes it) is read back
    export = tmp_path / "answers.csv"
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["Timestamp", *(r[1] for r in rows[1:])],
                                 ["2027/02/14", "lab-a", "1", "Yes", *["4"] * 6, "Most of them", "5", ""]])
    (response,) = read_responses([export], q, {"lab-a"})
    assert (response.circle, response.round, response.get("attendance")) == ("lab-a", 1, "Most of them")


def test_form_prints_a_programme_s_own_questionnaire_or_its_problems(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(OWN, "utf-8")
    result = run_form("--root", str(tmp_path))
    assert result.output.startswith("The evaluation form, from questionnaire.yaml.\n")
    assert " 2. Which format suits you best?\n    format, choice: Whole circle | Pairs | Both, in turns\n" \
        in result.output
    (tmp_path / QUESTIONNAIRE_NAME).write_text(OWN.replace("kind: Yes-No", "kind: boolean"), "utf-8")
    result = run_form("--root", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == "questionnaire.yaml:11:11: 'boolean' is not allowed for 'kind' " \
        "(allowed: scale, yes-no, choice, text)\n1 error.\n"


def test_the_wheel_carries_the_default_questionnaire():
    import zipfile
    from io import BytesIO

    from circlepress.evaluation import questionnaire
    from circlepress.scaffold.selfwheel import wheel_of_self

    wheel = zipfile.ZipFile(BytesIO(wheel_of_self()))
    shipped = wheel.read("circlepress/evaluation/questionnaire.yaml").decode("utf-8")
    assert shipped == (Path(questionnaire.__file__).with_name(QUESTIONNAIRE_NAME)).read_text("utf-8")


def test_any_text_gives_a_questionnaire_or_located_problems():
    from hypothesis import given, settings, strategies as st

    from circlepress.evaluation.questionnaire import parse_questionnaire

    pieces = st.sampled_from(["questions:", "\n", "  - ", "id: ", "text: ", "kind: ", "choices: ", "[", "]", "{",
                              "}", ", ", "scale", "choice", "yes-no", "a", "A b", "circle", "Name", ":", "-", "'"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(pieces, max_size=40).map("".join))
    def check(text):
        try:
            parse_questionnaire(text, "questionnaire.yaml")
        except CirclepressError as exc:
            assert exc.problems and all(p.location.path == "questionnaire.yaml" for p in exc.problems)

    check()


def test_the_readme_shows_what_form_prints(tmp_path):
    import re

    from conftest import REPO

    readme = (REPO / "README.md").read_text("utf-8")
    shown = re.search(r"```text\n\$ circlepress form\n(.*?)```", readme, re.S).group(1)
    printed = run_form("--root", str(tmp_path)).output
    at = 0
    for part in shown.split("...\n"):  # the README leaves parts out, never changes them
        at = printed.index(part, at) + len(part)


@pytest.mark.parametrize("choices", ['["<2", ">2"]', '[":)", ":("]', '["1-2", "1–2!", "12"]'])
def test_choices_of_punctuation_are_told_apart_by_their_text(tmp_path, choices):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(f"questions:\n  - {{id: a, text: A, kind: choice, choices: {choices}}}\n",
                                               "utf-8")
    assert load_questionnaire(tmp_path).get("a").choices == tuple(__import__("json").loads(choices))


def test_a_choice_is_only_itself_again_when_its_text_is_case_and_spaces_aside(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(
        'questions:\n  - {id: a, text: A, kind: choice, choices: [":)", " :) ", "Both, in turns", "BOTH,  in turns"]}\n',
        "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:2:52: choice 2 of question 1 is choice 1 again (keep one of them)",
        "questionnaire.yaml:2:78: choice 4 of question 1 is choice 3 again (keep one of them)"]


def test_question_texts_of_punctuation_are_the_same_column_only_when_the_same_text(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text("questions:\n  - {id: a, text: '???', kind: scale}\n"
                                               "  - {id: b, text: '!!!', kind: scale}\n"
                                               "  - {id: c, text: ' ??? ', kind: scale}\n", "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:4:19: question 3 has the same text as question 1 "
        "(give each question its own text: the answers' columns are matched to questions by it)"]


@pytest.mark.parametrize("make", ["folder", "dangling", "passwd"])
def test_a_questionnaire_that_is_no_file_of_questions_says_what_was_expected_never_what_it_holds(tmp_path, make):
    path = tmp_path / QUESTIONNAIRE_NAME
    if make == "folder":
        path.mkdir()
    elif make == "dangling":
        path.symlink_to(tmp_path / "gone.yaml")
    else:  # a bare scalar, as a symlink to /etc/passwd reads: long lines of text
        secret = tmp_path / "passwd"
        secret.write_text("".join(f"user{n}:x:{n}:{n}:Someone Secret:/home/user{n}:/bin/sh\n" for n in range(30)))
        path.symlink_to(secret)
    found = problems(tmp_path)
    why = {"folder": "Is a directory", "dangling": "No such file or directory"}
    assert found == ([f"questionnaire.yaml:1:1: cannot read the file: {why[make]} (make it a file you can read, or "
                      "remove it to ask the default questionnaire)"] if make in why else
                     ["questionnaire.yaml:1:1: the file must be a mapping of keys to values, not a long text "
                      "(write one 'key: value' per line, starting at the left margin)"])
    assert not any("Secret" in line or "build" in line for line in found)


def test_a_long_value_is_never_echoed_whatever_its_key(tmp_path):
    long = "secret " * 20
    (tmp_path / QUESTIONNAIRE_NAME).write_text(f"questions:\n  - {{id: a, text: A, kind: {long}}}\n"
                                               f"  - {{id: b, text: B, kind: [{long}]}}\n", "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:2:28: a long text is not allowed for 'kind' (allowed: scale, yes-no, choice, text)",
        "questionnaire.yaml:3:28: a list is not allowed for 'kind' (allowed: scale, yes-no, choice, text)"]


def test_an_empty_text_or_choice_is_one_problem_not_also_a_repeat(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text("questions:\n  - {id: a, text: ' ', kind: scale}\n"
                                               "  - {id: b, text: '  ', kind: choice, choices: [' ', '  ', x]}\n",
                                               "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:2:19: 'text' must not be empty (write some text between the quotes)",
        "questionnaire.yaml:3:19: 'text' must not be empty (write some text between the quotes)",
        "questionnaire.yaml:3:49: 'choices' must not be empty (write some text between the quotes)",
        "questionnaire.yaml:3:54: 'choices' must not be empty (write some text between the quotes)"]


def test_a_questionnaire_linked_to_a_device_with_no_end_is_read_only_to_the_limit(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).symlink_to("/dev/zero")
    assert problems(tmp_path) == ["questionnaire.yaml:1:1: the file is larger than 1 MB, the most a source file may "
                                  "hold; this line is past it (split it, or shorten long values)"]


def test_a_choice_with_a_bar_is_refused_since_form_writes_bars_between_choices(tmp_path):
    (tmp_path / QUESTIONNAIRE_NAME).write_text(
        "questions:\n  - {id: fmt, text: Format?, kind: choice, choices: [Whole circle, Pairs | trios]}\n", "utf-8")
    assert problems(tmp_path) == [
        "questionnaire.yaml:2:68: a choice may not hold '|', which `circlepress form` writes between choices "
        "(write it with '/' or 'or' instead)"]
