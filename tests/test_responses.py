"""Reading members' answers (issue 18): the CSV exports of Google Forms and Microsoft Forms and a
plain CSV, in every encoding and delimiter they come in, matched to the questionnaire by id or
text; every bad input reported at file:row:column, all at once, never quoting a free-text answer.

The exports in tests/evaluation/ are made as the services write them: google-forms.csv (UTF-8, no
BOM, every cell quoted, a Timestamp column, questions titled by their text), microsoft-forms.csv
(Excel's "Unicode Text": UTF-16 LE with a BOM, tab separated, ID/Start time/Completion time/Email/
Name, Likert labels, a typographic apostrophe in a question), microsoft-forms-utf8.csv (Excel's
"CSV UTF-8": a BOM, '4 - Agree' answers), plain.csv (ids as headers, true/false) and
excel-cp1252.csv (Excel in a European locale: Windows-1252, semicolons, an accented answer).
tests/evaluation/bad/ holds one file per kind of mistake (utf8-one-bad-byte.csv: a Windows-1252
byte in a UTF-8 file; header-again.csv: two exports pasted into one file)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from circlepress.evaluation.csvfile import read_table
from circlepress.evaluation.questionnaire import default_questionnaire, parse_questionnaire
from circlepress.evaluation.responses import Response, read_all, read_answer, read_responses
from circlepress.programme.errors import CirclepressError

HERE = Path(__file__).resolve().parent / "evaluation"
BAD = HERE / "bad"
CIRCLES = {"lab-a", "lab-b", "imaging-and-data"}
Q = default_questionnaire()
IDS = [q.id for q in Q.questions]


def read(*names: str, questionnaire=Q, circles=CIRCLES) -> tuple[Response, ...]:
    return read_responses([HERE / name for name in names], questionnaire, circles)


def problems(paths, questionnaire=Q) -> list[str]:
    with pytest.raises(CirclepressError) as caught:
        read_responses(paths, questionnaire, CIRCLES)
    return [p.format() for p in caught.value.problems]


def answers(response: Response) -> list:
    return [a for _, a in response.answers]


def test_a_google_forms_export_is_matched_by_question_text():
    found = read("google-forms.csv")
    assert [(r.circle, r.round) for r in found] == [("lab-a", 1), ("lab-a", 1), ("imaging-and-data", 1), ("lab-a", 2)]
    assert answers(found[0]) == [True, 4, 3, 4, 5, 4, 4, "All of them", 5,
                                 "More time for pair work, please.\nAnd a room with a window."]
    assert answers(found[1])[:2] == [False, None]  # an empty cell: not answered
    assert found[2].get("improve") == 'Keep the "what went well" round, it works.'
    assert [q for q, _ in found[0].answers] == IDS  # in the questionnaire's order


def test_a_microsoft_forms_export_in_utf16_with_tabs_keeps_no_one_s_name_or_email():
    table = read_table(HERE / "microsoft-forms.csv", "microsoft-forms.csv")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    found = read("microsoft-forms.csv")
    assert [(r.circle, r.round) for r in found] == [("imaging-and-data", 2), ("imaging-and-data", 2), ("lab-b", 1)]
    # Likert labels, and the question with a typographic apostrophe (circle’s) matched to 'attendance'
    assert answers(found[0]) == [True, 4, 5, 3, 4, 4, 4, "All of them", 5, "Shorter check-ins at the start."]
    assert found[1].get("attendance") == "Most of them"
    kept = repr(found)
    for who in ("Ana", "R\u00edos", "ana.r@example.org", "Bo Kim", "bo.k@example.org", "anonymous", "3/11/27"):
        assert who not in kept


def test_excel_s_csv_utf8_with_a_bom_and_numbered_labels():
    table = read_table(HERE / "microsoft-forms-utf8.csv", "x")
    assert (table.encoding, table.delimiter, table.header[0]) == ("utf-8-sig", ",", "ID")
    (found,) = read("microsoft-forms-utf8.csv")
    assert answers(found) == [True, 4, 5, 3, 4, 4, 2, "Most of them", 5, None]  # 'yes', '4 - Agree', 'most of them'


def test_a_plain_csv_names_its_columns_by_question_id():
    found = read("plain.csv")
    assert [(r.circle, r.round) for r in found] == [("lab-b", 2), ("lab-b", 2)]
    assert answers(found[0])[:3] == [True, 4, 4] and answers(found[1])[:3] == [False, None, 3]
    assert found[1].get("improve") == "Fewer sessions in August."


def test_excel_s_windows_code_page_with_semicolons_keeps_accents():
    table = read_table(HERE / "excel-cp1252.csv", "x")
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    (found,) = read("excel-cp1252.csv")
    assert found.get("improve") == "Les s\u00e9ances m\u2019aident beaucoup \u2013 merci\u00a0!"


def test_every_export_at_once_in_file_and_row_order():
    names = ["google-forms.csv", "microsoft-forms.csv", "microsoft-forms-utf8.csv", "plain.csv", "excel-cp1252.csv"]
    found = read(*names)
    assert len(found) == 4 + 3 + 1 + 2 + 1
    assert found == sum((read(name) for name in names), ())


ROWS = "circle;round;Recommend\r\nlab-a;1;5 \u2013 Strongly agree\r\nlab-b;2;Neither agree nor disagree\r\n"


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""), ("utf-16-be", b""), ("cp1252", b""),
])
def test_every_encoding_a_form_service_or_excel_writes(tmp_path, encoding, bom):
    path = tmp_path / "answers.csv"
    path.write_bytes(bom + ROWS.encode(encoding))
    found = read_responses([path], Q, CIRCLES)
    assert [(r.circle, r.round, r.get("recommend")) for r in found] == [("lab-a", 1, 5), ("lab-b", 2, 3)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_found_even_when_a_quoted_header_holds_commas(tmp_path, delimiter):
    header = delimiter.join(["Circle", "Round", f'"{Q.get("goals-met").text}"'])  # "I have reached, or ..."
    path = tmp_path / "answers.csv"
    path.write_text(f"{header}\nlab-a{delimiter}1{delimiter}2\nlab-b{delimiter}3{delimiter}\n", "utf-8")
    assert read_table(path, "x").delimiter == delimiter
    found = read_responses([path], Q, CIRCLES)
    assert [(r.circle, r.round, r.get("goals-met")) for r in found] == [("lab-a", 1, 2), ("lab-b", 3, None)]


def test_excel_s_sep_line_names_the_delimiter_and_is_no_row(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("sep=;\r\ncircle;round;recommend\r\nlab-a;1;4,5\r\n", "utf-8")
    assert read_table(path, "x").header == ("circle", "round", "recommend")
    assert problems([path]) == [f"{path}:2:3: '4,5' is not on the 1-5 scale of 'recommend' (write a whole number "
                                "from 1 to 5, or a label from 'Strongly disagree' to 'Strongly agree'; leave it "
                                "empty for no answer)"]


def test_a_control_character_pasted_into_an_answer_is_a_space_but_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("circle,round,improve\nlab-a,1,one\x0btwo\x1b\n", "utf-8")
    (found,) = read_responses([path], Q, CIRCLES)
    assert found.get("improve") == "one two"
    path.write_bytes(b"circle,round\nlab-a,1\x00\x00\n")
    assert problems([path]) == [f"{path}:2:8: the file holds control characters, so it is not a CSV text file "
                                "(export the answers as CSV, or open it in Excel and save it as CSV: File > Save As, "
                                "file type CSV UTF-8)"]


def test_a_question_left_out_of_the_form_is_unanswered(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("Round,CIRCLE,recommend\n1,lab-a,4\n\n2,lab-a,\n", "utf-8")  # a blank row is no response
    found = read_responses([path], Q, CIRCLES)
    assert [(r.round, r.get("recommend"), r.get("goals-met")) for r in found] == [(1, 4, None), (2, None, None)]


def test_a_round_past_a_circle_s_last_is_located_when_the_rounds_are_known(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("circle,round,recommend\nlab-a,3,4\nlab-a,2,5\nlab-b,9,4\n", "utf-8")
    rounds = {"lab-a": 2, "lab-b": 0, "imaging-and-data": 3}  # lab-b: rounds unknown, not checked
    with pytest.raises(CirclepressError) as caught:
        read_responses([path], Q, rounds)
    assert [p.format() for p in caught.value.problems] == [
        f"{path}:2:2: round 3 is not a round of 'lab-a': it has 2 (see `circlepress links --evaluation lab-a` "
        "for its rounds, and check the form link the members were sent)"]
    assert [(r.circle, r.round) for r in read_responses([path], Q, CIRCLES)] == [
        ("lab-a", 3), ("lab-a", 2), ("lab-b", 9)]  # a plain set of circles checks no round


def test_a_microsoft_quiz_s_points_and_feedback_columns_are_not_read(tmp_path):
    text = Q.get("recommend").text
    path = tmp_path / "answers.csv"
    path.write_text(f'ID,Total points,Quiz feedback,circle,round,"{text}","Points - {text}","Feedback - {text}"\n'
                    "1,0,Well done,lab-a,1,5,0,Good\n", "utf-8")
    (found,) = read_responses([path], Q, CIRCLES)
    assert found.get("recommend") == 5 and "Good" not in repr(found)


def test_columns_match_a_programme_s_own_questions(tmp_path):
    own = parse_questionnaire("questions:\n  - {id: format, text: Which format suits you?, kind: choice, "
                              "choices: [Whole circle, Pairs]}\n  - {id: again, text: Again?, kind: yes-no}\n", "q")
    path = tmp_path / "answers.csv"
    path.write_text("Timestamp,circle,round,which format suits you,AGAIN\nt,lab-a,1,pairs,FALSE\n", "utf-8")
    (found,) = read_responses([path], own, CIRCLES)
    assert found.answers == (("format", "Pairs"), ("again", False))


BAD_MESSAGES = {
    "unknown-columns.csv": [
        "1:6: unknown column 'I feel confident about my next career step.' (did you mean 'confidence'? Title the "
        "column with its question's id or text)",
        "1:14: unknown column 'Dietary needs for the social' (no question of the default questionnaire has this id "
        "or text; `circlepress form` lists the columns it reads)",
        "1:15: unknown column 'recomend' (did you mean 'recommend'? Title the column with its question's id or text)",
    ],
    "bad-values.csv": [
        "2:3: 'Maybe' is not yes or no, as 'goals-set' asks (write Yes or No, or true or false; leave it empty for "
        "no answer)",
        *(f"2:{column}: '{value}' is not on the 1-5 scale of '{qid}' (write a whole number from 1 to 5, or "
          "a label from 'Strongly disagree' to 'Strongly agree'; leave it empty for no answer)"
          for column, value, qid in ((4, "6", "goals-met"), (5, "0", "confidence"), (6, "4 - Disagree", "leading"),
                                     (7, "Very much", "advice"))),
        "3:10: the answer is not one of the choices of 'attendance' (the choices: 'All of them', 'Most of them', "
        "'Half or fewer')",
        "3:11: '5.5' is not on the 1-5 scale of 'recommend' (write a whole number from 1 to 5, or a label "
        "from 'Strongly disagree' to 'Strongly agree'; leave it empty for no answer)",
    ],
    "bad-circles-and-rounds.csv": [
        "2:1: 'lab-c' is not a circle of the programme (did you mean 'lab-b'? the circle is its folder's name under "
        "sites/, as the round's form link fills it in)",
        "3:1: the circle this row names is not a circle of the programme (the circle is its folder's name under "
        "sites/, as the round's form link fills it in)",
        "3:2: round 'two' is not a round's number (1 to 9999) (the round's form link fills in its number: 1, 2, ...)",
        "4:2: round '0' is not a round's number (1 to 9999) (the round's form link fills in its number: 1, 2, ...)",
        "5:1: this response names no circle (the round's form link fills it in: check with `circlepress links "
        "--evaluation SLUG` that the link prefills the form's 'circle')",
        "5:2: this response names no round (the round's form link fills it in: check with `circlepress links "
        "--evaluation SLUG` that the link prefills the form's 'round')",
    ],
    "no-circle-or-round.csv": [
        f"1:1: there is no '{name}' column (add to the form a short-answer question titled {name.capitalize()}, "
        f"which the round's form link fills in, as `circlepress form` says; a plain CSV needs a '{name}' column)"
        for name in ("circle", "round")
    ],
    "bad-shape.csv": [
        "1:13: column 13 is 'recommend' again, as column 11 is (keep one of the two columns)",
        "1:14: column 14 has no header but holds answers (title it with its question's id or text, or delete the "
        "column)",
        "3:15: row 3 has 15 cells but the header names 14 columns (a cell with the delimiter in it must be quoted; "
        "export the answers again)",
    ],
    "workbook.csv": ["1:1: the file is an Excel workbook, not a CSV file (open it in Excel and save it as CSV: "
                     "File > Save As, file type CSV UTF-8)"],
    "not-text.csv": ["3:3: the file is neither UTF-8, UTF-16 nor Windows-1252 text (export the answers again as "
                     "CSV, or open it in Excel and save it as CSV: File > Save As, file type CSV UTF-8)"],
    "utf16-cut.csv": ["2:2: the file starts as UTF-16 text but is not (export the answers again as CSV, or open it "
                      "in Excel and save it as CSV: File > Save As, file type CSV UTF-8)"],
    "unclosed-quote.csv": ["2:3: row 2 is not valid CSV: a quoted cell is not closed before the file ends (a quote "
                           "in a cell must be doubled and a quoted cell closed; export the answers again)"],
    "empty.csv": ["1:1: the file has no header row (export the answers again: the first row names the columns)"],
    "utf8-one-bad-byte.csv": ["3:3: the file is UTF-8 text but is not valid UTF-8 here (export the answers again "
                              "as CSV, or open it in Excel and save it as CSV: File > Save As, file type CSV UTF-8)"],
    "text-after-quote.csv": ["3:3: row 3 is not valid CSV: a quote closes this cell but the cell goes on after it "
                             "(a quote in a cell must be doubled and a quoted cell closed; export the answers again)"],
    "header-again.csv": ["3:1: row 3 is the header row again: two exports pasted into one file? (give each export as "
                         "a file of its own, or delete the row: a later export of a form holds its earlier answers "
                         "too)"],
}


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
def test_each_bad_input_is_located_with_a_fix(name):
    path = BAD / name
    assert problems([path]) == [f"{path}:{line}" for line in BAD_MESSAGES[name]]


def test_every_bad_file_has_its_messages():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_MESSAGES)


def test_every_problem_of_every_file_in_one_run():
    paths = [HERE / "google-forms.csv", *sorted(BAD.iterdir()), HERE / "plain.csv"]
    assert len(problems(paths)) == sum(len(lines) for lines in BAD_MESSAGES.values())


def test_a_missing_file_is_located(tmp_path):
    assert problems([tmp_path / "gone.csv"]) == [
        f"{tmp_path / 'gone.csv'}:1:1: cannot read the file: No such file or directory "
        "(check the path and that it is a file you can read)"]


def test_messages_never_quote_free_text_a_choice_typed_in_or_who_answered(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("Email,Name,circle,round,goals-met,attendance,improve\n"
                    "ana@example.org,Ana,lab-x,0,I reached both of my goals,Other: Ana missed two,Ana told us\n",
                    "utf-8")
    found = problems([path])
    assert len(found) == 4  # circle, round, goals-met, attendance; the free text is never wrong
    for secret in ("ana@example.org", "Ana", "reached", "missed", "told"):
        assert not any(secret in line for line in found), secret
    assert f"{path}:2:5: the answer is not on the 1-5 scale of 'goals-met' (write a whole number from 1 to 5, or " \
        "a label from 'Strongly disagree' to 'Strongly agree'; leave it empty for no answer)" in found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(alphabet="ab,;\t\"\r\n\u00e9\u2019 15circleroundyes", max_size=200).map(
    lambda t: t.encode("utf-8")))
def test_any_bytes_give_responses_or_located_problems(tmp_path, data):
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    try:
        read_responses([path], Q, CIRCLES)
    except CirclepressError as exc:
        assert exc.problems and all(p.location.path == str(path) and p.location.line >= 1 for p in exc.problems)


def test_a_line_break_in_a_cell_reads_alike_from_crlf_lf_and_cr_files(tmp_path):
    rows = ["circle,round,improve", 'lab-a,1,"More pair work.{0}And a window."', 'lab-b,2,"one{0}{0}two"']
    found = []
    for name, newline in (("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r")):
        path = tmp_path / f"{name}.csv"
        path.write_bytes((newline.join(rows).format(newline) + newline).encode("utf-8"))
        found.append(read_responses([path], Q, CIRCLES))
    assert found[0] == found[1] == found[2]
    assert [r.get("improve") for r in found[0]] == ["More pair work.\nAnd a window.", "one\n\ntwo"]


def test_choices_and_question_texts_of_punctuation_are_matched_by_their_text(tmp_path):
    own = parse_questionnaire("questions:\n  - {id: years, text: Years?, kind: choice, choices: ['<2', '>2']}\n"
                              "  - {id: mood, text: ':-|', kind: choice, choices: [':)', ':(']}\n"
                              "  - {id: rate, text: '???', kind: scale}\n", "q")
    path = tmp_path / "answers.csv"
    path.write_text("circle,round,Years?,:-|,???\nlab-a,1,>2,:(,4\nlab-b,1,<2, :) ,\n", "utf-8")
    found = read_responses([path], own, CIRCLES)
    assert [r.answers for r in found] == [(("years", ">2"), ("mood", ":("), ("rate", 4)),
                                          (("years", "<2"), ("mood", ":)"), ("rate", None))]
    assert read_answer(own.get("years"), "< 2").hint == "did you mean '<2'?"
    path.write_text("circle,round,,!!!\nlab-a,1,4,5\n", "utf-8")  # '???' is no untitled column, nor '!!!'
    assert problems([path], own) == [
        f"{path}:1:3: column 3 has no header but holds answers (title it with its question's id or text, or "
        "delete the column)",
        f"{path}:1:4: column 4 has no header but holds answers (title it with its question's id or text, or "
        "delete the column)"]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
@pytest.mark.parametrize("bad", [b"\xe9", b"\x80", b"\xc3", b"\xed\xa0\x80"])  # cp1252 é, a lone byte, cut, surrogate
def test_utf8_with_one_bad_byte_is_located_not_read_as_windows_1252(tmp_path, bom, bad):
    path = tmp_path / "answers.csv"
    path.write_bytes(bom + "circle,round,improve\nlab-a,1,Caf\u00e9 talks\nlab-b,2,".encode("utf-8") + b"Gr" + bad
                     + b"ce\n")
    assert problems([path]) == [f"{path}:3:3: the file is UTF-8 text but is not valid UTF-8 here (export the "
                                "answers again as CSV, or open it in Excel and save it as CSV: File > Save As, "
                                "file type CSV UTF-8)"]


def test_a_bad_byte_is_located_at_its_cell_even_after_a_line_break_in_a_quoted_cell(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes('circle;round;improve;recommend\nlab-a;1;"Caf\u00e9\ntalks";4\nlab-b;2;4;'.encode("utf-8")
                     + b"\xe9\n")
    assert problems([path])[0].startswith(f"{path}:3:4: the file is UTF-8 text but is not valid UTF-8 here")


def test_windows_1252_is_read_only_when_no_character_reads_as_utf8(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes("circle,round,improve\nlab-a,1,Caf\u00e9 \u2013 th\u00e9\n".encode("cp1252"))
    (found,) = read_responses([path], Q, CIRCLES)
    assert found.get("improve") == "Caf\u00e9 \u2013 th\u00e9"


GOOGLE_HEADER = "Timestamp,Circle,Round,Email address,recommend,improve\n"
ROUND_1 = ("2027/02/14 10:11:12 AM GMT+1,lab-a,1,a@example.org,4,\n"
           "2027/02/14 10:15:40 AM GMT+1,lab-a,1,b@example.org,5,Good\n")
ROUND_2 = "2027/05/14 09:00:00 AM GMT+1,lab-a,2,a@example.org,3,\n2027/05/14 09:00:00 AM GMT+1,lab-a,2,b@example.org,3,\n"


def test_a_cumulative_google_export_counts_each_earlier_response_once(tmp_path):
    first, second = tmp_path / "round-1.csv", tmp_path / "round-2.csv"
    first.write_text(GOOGLE_HEADER + ROUND_1, "utf-8")
    second.write_text(GOOGLE_HEADER + ROUND_1 + ROUND_2, "utf-8")  # round 2's export holds round 1's rows too
    found, duplicates = read_all([first, second], Q, CIRCLES)
    assert ([(r.round, r.get("recommend")) for r in found], duplicates) == ([(1, 4), (1, 5), (2, 3), (2, 3)], 2)
    assert read_responses([first, second], Q, CIRCLES) == found
    assert "2027" not in repr(found)  # the identity is never part of a response
    # the same identity with other answers (an edited response) is another response
    second.write_text(GOOGLE_HEADER + ROUND_1.replace(",4,", ",2,"), "utf-8")
    found, duplicates = read_all([first, second], Q, CIRCLES)
    assert ([r.get("recommend") for r in found], duplicates) == ([4, 5, 2], 1)
    second.write_text(GOOGLE_HEADER + ROUND_1 + ROUND_1, "utf-8")  # rows of one file are never merged
    assert [r.get("recommend") for r in read_all([second], Q, CIRCLES)[0]] == [4, 5, 4, 5]


def test_a_cumulative_microsoft_export_in_another_encoding_counts_each_response_once(tmp_path):
    header = "ID\tStart time\tCompletion time\tEmail\tName\tcircle\tround\trecommend\n"
    rows = ["1\t3/11/27 10:01:02\t3/11/27 10:04:00\tanonymous\t\tlab-b\t1\t4\n",
            "2\t3/11/27 10:01:02\t3/11/27 10:05:00\tanonymous\t\tlab-b\t1\t4\n"]  # two members, same answers
    first, second = tmp_path / "round-1.csv", tmp_path / "round-2.csv"
    first.write_bytes(codecs.BOM_UTF16_LE + (header + rows[0] + rows[1]).encode("utf-16-le"))
    second.write_bytes((header + rows[0] + rows[1] + rows[1].replace("2\t", "3\t", 1)).replace("\t", ",")
                       .encode("utf-8-sig"))  # the next export, saved as CSV UTF-8
    found, duplicates = read_all([first, second], Q, CIRCLES)
    assert (len(found), duplicates) == (3, 2)


def test_rows_of_a_plain_csv_are_never_merged(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("circle,round,recommend\nlab-a,1,4\n", "utf-8")
    second.write_text("circle,round,recommend,improve\nlab-a,1,4,\n", "utf-8")  # the same answer by another member
    assert read_all([first, second], Q, CIRCLES) == (read_responses([first], Q, CIRCLES) * 2, 0)


def test_a_file_given_twice_or_a_copy_of_it_is_located_once_on_the_second(tmp_path):
    first, copy = tmp_path / "round-1.csv", tmp_path / "copy.csv"
    first.write_text(GOOGLE_HEADER + ROUND_1, "utf-8")
    copy.write_bytes(first.read_bytes())
    assert problems([first, first, copy]) == [  # (sorted by file)
        f"{copy}:1:1: this file is the same export as {first} (give each export once)",
        f"{first}:1:1: this file is given twice (give each export once)"]
    bad = BAD / "bad-values.csv"  # a bad file given twice: its problems once, and that it is given twice
    assert problems([bad, bad]) == [f"{bad}:1:1: this file is given twice (give each export once)"] + [
        f"{bad}:{line}" for line in BAD_MESSAGES["bad-values.csv"]]


QUOTES = "(a quote in a cell must be doubled and a quoted cell closed; export the answers again)"


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_csv_error_is_located_at_its_row_and_cell_and_stops_its_file(tmp_path, delimiter):
    path = tmp_path / "answers.csv"
    rows = ["circle,round,recommend,improve", 'lab-a,1,4,"two\r\nlines"', "", 'lab-b,1,"4"x,fine', 'lab-b,2,5,"late']
    path.write_text("\r\n".join(rows).replace(",", delimiter) + "\r\n", "utf-8")
    assert problems([path]) == [f"{path}:4:3: row 4 is not valid CSV: a quote closes this cell but the cell goes on "
                                f"after it {QUOTES}"]


def test_a_long_answer_is_read_and_a_cell_past_a_megabyte_has_its_own_message(tmp_path):
    path = tmp_path / "answers.csv"
    long = "word " * 40_000  # 200,000 characters: past the csv module's own limit
    path.write_text(f'circle;round;improve\nlab-a;1;"{long}"\n', "utf-8")
    (found,) = read_responses([path], Q, CIRCLES)
    assert found.get("improve") == long.strip()
    path.write_text(f'circle;round;improve\nlab-a;1;ok\nlab-a;2;"{long * 6}\n', "utf-8")  # and a quote left open
    assert problems([path]) == [f"{path}:3:3: cell 3 of row 3 is longer than 1,000,000 characters, so it is not an "
                                "answer (a quote left open makes the rest of the file one cell: check the quotes "
                                "here, or export the answers again)"]


def test_the_header_row_again_is_one_message_not_one_per_cell(tmp_path):
    path = tmp_path / "answers.csv"
    header = ",".join(f'"{h}"' for h in ("Timestamp", "Circle", "Round", Q.get("recommend").text, "goals-set"))
    later = ",".join(f'"{h}"' for h in ("Timestamp", "Circle", "Round", Q.get("recommend").text, "improve"))
    path.write_text(f"{header}\nt1,lab-a,1,4,yes\n{header}\nt1,lab-a,1,4,yes\n{later}\nt2,lab-a,2,5,\n", "utf-8")
    assert problems([path]) == [
        f"{path}:{row}:1: row {row} is the header row again: two exports pasted into one file? (give each export as a "
        "file of its own, or delete the row: a later export of a form holds its earlier answers too)"
        for row in (3, 5)]
    path.write_text("circle,round,improve\nlab-a,1,Circle\nlab-a,2,round\n", "utf-8")  # answers, not a header
    assert [r.get("improve") for r in read_responses([path], Q, CIRCLES)] == ["Circle", "round"]


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-8", codecs.BOM_UTF8 * 2),  # saved twice by a tool that adds one each time
])
def test_each_file_strips_its_own_bom_whichever_file_it_is(tmp_path, encoding, bom):
    paths = []
    for n, (enc, mark) in enumerate((("utf-8", b""), (encoding, bom), ("cp1252", b""), (encoding, bom))):
        paths.append(tmp_path / f"{n}.csv")
        text = f"circle;round;Recommend;improve\r\nlab-a;1;5;file {n}\r\nlab-b;2;3;file {n}\r\n"  # its own bytes
        paths[-1].write_bytes(mark + text.encode(enc))
    found = read_responses(paths, Q, CIRCLES)
    assert [(r.circle, r.round, r.get("recommend")) for r in found] == [("lab-a", 1, 5), ("lab-b", 2, 3)] * 4
    assert [r.get("improve") for r in found] == [f"file {n}" for n in range(4) for _ in (1, 2)]


def test_the_same_answers_saved_again_in_another_encoding_are_the_same_export(tmp_path):
    first, again = tmp_path / "answers.csv", tmp_path / "answers (saved from Excel).csv"
    first.write_text("circle,round,recommend\nlab-a,1,4\n\nlab-a,1,5\n", "utf-8")
    again.write_bytes(codecs.BOM_UTF16_LE + "circle\tround\trecommend\r\nlab-a\t1\t4\r\nlab-a\t1\t5\r\n".encode("utf-16-le"))
    assert problems([first, again]) == [f"{again}:1:1: this file is the same export as {first} (give each export once)"]


def test_a_device_with_no_end_is_read_only_to_the_limit():
    assert problems([Path("/dev/zero")]) == ["/dev/zero:1:1: the file is larger than 50 MB, so it is not one form's "
                                             "answers (give the CSV export of the form)"]


def test_a_microsoft_response_edited_between_exports_is_one_response_as_the_newer_export_has_it(tmp_path):
    """Microsoft Forms keeps a response's ID and times when the member edits it: the two exports'
    rows are one response (counted twice, a circle of 4 looked like 5), with the newer answers."""
    from circlepress.evaluation.responses import read_all

    head = "ID\tStart time\tCompletion time\tcircle\tround\tgoals-set\n"
    rows = [f"{i}\t3/1/27 10:0{i}:00\t3/1/27 10:1{i}:00\tlab-a\t1\t{{}}\n" for i in range(1, 5)]
    march = head + "".join(r.format("Yes") for r in rows)
    april = head + "".join(r.format("No" if i == 3 else "Yes") for i, r in enumerate(rows)) + "".join(
        f"{i}\t4/1/27 10:0{i}:00\t4/1/27 10:1{i}:00\tlab-b\t1\tNo\n" for i in range(5, 10))
    (tmp_path / "march.csv").write_text(march, "utf-16")
    (tmp_path / "april.csv").write_text(april, "utf-16")
    for order in (("march.csv", "april.csv"), ("april.csv", "march.csv")):
        found, repeated = read_all([tmp_path / name for name in order], Q, CIRCLES)
        assert repeated == 4 and len(found) == 9
        assert sorted(r.get("goals-set") for r in found if r.circle == "lab-a") == [False, True, True, True]
