"""Members' answers to a questionnaire, read from form services' CSV exports.

`read_responses` reads the exports of Google Forms (a Timestamp column, then one column per
question titled by its text), of Microsoft Forms (ID, Start time, Completion time, Email, Name,
then the questions; saved from Excel, often as UTF-16) and plain CSV files (circle, round, then one
column per question id). Who answered (a name, an email address) and when is never read: when
only tells, across cumulative exports, a response already read (`read_all`)."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..programme.errors import CirclepressError, Location, Problem
from .csvfile import Table, parse_table, read_bytes
from .questionnaire import (DEFAULT_SOURCE, EXPORT_COLUMNS, FIXED_COLUMNS, SCALE, SCALE_LABELS, Kind, Question,
                            Questionnaire, column_key, fold)

Answer = int | bool | str | None  # a scale's 1-5, yes/no, a choice or free text; None: not answered


@dataclass(frozen=True)
class Response:
    """One member's answers in one round: never who they are, only their circle and the round."""

    circle: str  # the circle's folder slug under sites/
    round: int   # 1, 2, ... as in evaluation/rounds.py
    answers: tuple[tuple[str, Answer], ...]  # (question id, answer), in the questionnaire's order

    def get(self, question_id: str) -> Answer:
        return next((a for q, a in self.answers if q == question_id), None)


_YES, _NO = {"yes", "true"}, {"no", "false"}
_LABELS = {column_key(label): n for n, label in zip(SCALE, SCALE_LABELS)}
_NUMBERED = re.compile(r"(\d{1,3})(?:\.0+)?(?:\s*[-\u2013\u2014:.)=]?\s*(\D.*))?", re.DOTALL)
_SHOWN = 20  # a cell is quoted in a message only when it is this short (and never a choice or free text)
_SCALE_HINT = "write a whole number from 1 to 5, or a label from 'Strongly disagree' to 'Strongly agree'; " \
    "leave it empty for no answer"


def read_responses(paths: Iterable[Path], questionnaire: Questionnaire,
                   circles: Collection[str] | Mapping[str, int]) -> tuple[Response, ...]:
    """Every response in the CSV files at `paths`, as `read_all` reads them."""
    return read_all(paths, questionnaire, circles)[0]


def read_all(paths: Iterable[Path], questionnaire: Questionnaire,
             circles: Collection[str] | Mapping[str, int]) -> tuple[tuple[Response, ...], int]:
    """Every response in the CSV files at `paths`, in file and row order, each answer read as its
    question's kind says, and how many rows were left out as responses an earlier file holds;
    `circles` are the programme's circle folder names (`rounds.circle_folder` of each loaded
    circle), so private circles are matched without their names; given as a mapping, each to its
    number of rounds, a round past a circle's last is a problem too (0: not checked).

    Google's and Microsoft's exports are cumulative: a row with the identity of an earlier file's
    row is that response again, read once (see _same_response); when its answers were edited in
    between, the bigger export's (the newer) count. A file given twice, or a copy of one, is a problem.

    Reads those files and nothing else. Raises CirclepressError with every problem of every file,
    each at `file:row:column` (row 1 is the header row, columns count from 1) with a fix. A message
    never quotes a free-text or choice answer, nor any cell longer than a few words."""
    found: list[Response] = []
    problems: list[Problem] = []
    exports: dict[bytes, str] = {}  # digests of each file's bytes and of its rows -> the file first given
    earlier: dict[tuple, tuple[int, int]] = {}  # a row's key -> (its place in found, its file's row count)
    duplicates = 0
    for path in paths:
        try:
            table = _read_export(path, exports)
        except CirclepressError as exc:
            problems += exc.problems
            continue
        rows, wrong = _table_rows(table, questionnaire, circles)
        problems += wrong
        seen_here: dict[tuple, tuple[int, int]] = {}
        for identity, response in rows:
            key = _same_response(identity, response)
            if key is not None and key in earlier:
                duplicates += 1
                place, size = earlier[key]
                if len(rows) > size:  # the bigger export is the newer one: an edited answer as it is now
                    found[place] = response
                    earlier[key] = (place, len(rows))
                continue
            if key is not None:
                seen_here[key] = (len(found), len(rows))
            found.append(response)
        earlier.update(seen_here)
    if problems:
        raise CirclepressError(problems)
    return tuple(found), duplicates


def _same_response(identity: tuple[str, ...], response: Response) -> tuple | None:
    """What makes a row of a cumulative export the same response in another export: Microsoft's ID
    with its start and completion times, kept when a member edits an answer; Google's Timestamp,
    which an edit changes, together with the answers. None: a row with no identity (a plain CSV)."""
    if not identity:
        return None
    if any(part.startswith(f"{column_key('id')}\0") for part in identity):
        return identity
    return identity, response


def _read_export(path: Path, exports: dict[bytes, str]) -> Table:
    """The table at `path`, unless its bytes, or its header and rows in another encoding or
    delimiter (saved again from Excel), are an earlier file's: then a problem."""
    shown = str(path)
    data = read_bytes(path, shown)
    if (digest := hashlib.sha256(data).digest()) in exports:
        raise CirclepressError([_given_twice(shown, exports[digest])])
    exports[digest] = shown
    table = parse_table(data, shown)
    rows = [cells for _, cells in table.rows if any(map(str.strip, cells))]  # blank rows aside
    if (digest := hashlib.sha256(repr((table.header, rows)).encode("utf-8", "surrogatepass")).digest()) in exports:
        raise CirclepressError([_given_twice(shown, exports[digest])])
    exports[digest] = shown
    return table


def _given_twice(shown: str, first: str) -> Problem:
    what = "this file is given twice" if shown == first else f"this file is the same export as {first}"
    return Problem(Location(shown), what, "give each export once")


def read_table_responses(table: Table, questionnaire: Questionnaire,
                         circles: Collection[str] | Mapping[str, int]) -> tuple[list[Response], list[Problem]]:
    """The responses of one table, and every problem in it."""
    rows, problems = _table_rows(table, questionnaire, circles)
    return [response for _, response in rows], problems


# The columns that tell one response from another in Google's and Microsoft's exports: the
# identity is only compared across files, never kept in a Response.
_IDENTITY = tuple(column_key(name) for name in ("timestamp", "id", "start time", "completion time"))


def _table_rows(table: Table, questionnaire: Questionnaire, circles: Collection[str] | Mapping[str, int]
                ) -> tuple[list[tuple[tuple[str, ...], Response]], list[Problem]]:
    """Each response of one table with its identity (() when the export has none), and every problem."""
    columns, problems = match_columns(table, questionnaire)
    identity = [i for i, header in enumerate(table.header) if column_key(header) in _IDENTITY]
    headers = [column_key(header) for header in table.header]
    rows = []
    for number, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            continue  # a blank row
        if _is_header(cells, table, headers):
            problems.append(Problem(Location(table.path, number, 1), f"row {number} is the header row again: two "
                                    "exports pasted into one file?", "give each export as a file of its own, or "
                                    "delete the row: a later export of a form holds its earlier answers too"))
            continue
        if len(cells) > len(table.header):
            problems.append(Problem(Location(table.path, number, len(table.header) + 1),
                                    f"row {number} has {len(cells)} cells but the header names {len(table.header)} "
                                    "columns", "a cell with the delimiter in it must be quoted; "
                                    "export the answers again"))
            continue
        response, wrong = _row(table.path, number, cells, columns, questionnaire, circles)
        problems += wrong
        if response is not None:
            own = tuple(f"{column_key(table.header[i])}\0{cells[i].strip()}" for i in identity if i < len(cells))
            rows.append((own if any(cells[i].strip() for i in identity if i < len(cells)) else (), response))
    return rows, problems


def _is_header(cells: tuple[str, ...], table: Table, headers: list[str]) -> bool:
    """A row that names at least half of the header's columns where the header does (an export of
    the same form pasted below, perhaps with a question more or less)."""
    if len(set(cells).intersection(table.header)) < 2:
        return False  # (the same service writes the same headers: this keeps a long export's reading fast)
    same = sum(bool(key) and i < len(cells) and column_key(cells[i]) == key for i, key in enumerate(headers))
    return same >= max(2, sum(map(bool, headers)) / 2)


def match_columns(table: Table, questionnaire: Questionnaire) -> tuple[dict[str, int], list[Problem]]:
    """Each column's index by what it holds ('circle', 'round' or a question's id), matched by id
    or question text; the form services' columns of who answered and when are left out."""
    names = {column_key(name): name for name in FIXED_COLUMNS}
    for q in questionnaire.questions:
        names.setdefault(column_key(q.text) or f"\0{fold(q.text)}", q.id)  # '???' only by its own text
        names.setdefault(column_key(q.id), q.id)
    ignored = {column_key(name) for name in EXPORT_COLUMNS}
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for i, header in enumerate(table.header):
        at = Location(table.path, 1, i + 1)
        key = column_key(header) or (f"\0{fold(header)}" if f"\0{fold(header)}" in names else "")
        if key in names and names[key] in columns:
            problems.append(Problem(at, f"column {i + 1} is '{names[key]}' again, as column {columns[names[key]] + 1} "
                                    "is", "keep one of the two columns"))
        elif key in names:
            columns[names[key]] = i
        elif not key and any(i < len(cells) and cells[i].strip() for _, cells in table.rows):
            problems.append(Problem(at, f"column {i + 1} has no header but holds answers",
                                    "title it with its question's id or text, or delete the column"))
        elif key and key not in ignored and not _is_quiz_column(key, names):
            problems.append(_unknown_column(at, header, questionnaire))
    problems += [Problem(Location(table.path, 1, 1), f"there is no '{name}' column",
                         f"add to the form a short-answer question titled {name.capitalize()}, which the round's "
                         f"form link fills in, as `circlepress form` says; a plain CSV needs a '{name}' column")
                 for name in FIXED_COLUMNS if name not in columns]
    return columns, problems


def _is_quiz_column(key: str, names: dict[str, str]) -> bool:
    """Microsoft Forms' 'Points - <question>' and 'Feedback - <question>' of a form made as a quiz."""
    first, _, rest = key.partition(" ")
    return first in ("points", "feedback") and rest in names


def _unknown_column(at: Location, header: str, questionnaire: Questionnaire) -> Problem:
    """An unknown column, with the question it most likely is."""
    by_key = {column_key(q.text): q.id for q in questionnaire.questions}
    by_key.update({column_key(q.id): q.id for q in questionnaire.questions})
    by_key.update({column_key(name): name for name in FIXED_COLUMNS})
    close = difflib.get_close_matches(column_key(header), list(by_key), n=1, cutoff=0.6)
    shown = header.strip() if len(header.strip()) <= 60 else header.strip()[:57] + "..."
    source = "the default questionnaire" if questionnaire.source == DEFAULT_SOURCE else questionnaire.source
    hint = f"did you mean '{by_key[close[0]]}'? Title the column with its question's id or text" if close else \
        f"no question of {source} has this id or text; `circlepress form` lists the columns it reads"
    return Problem(at, f"unknown column '{shown}'", hint)


def _row(path: str, number: int, cells: tuple[str, ...], columns: dict[str, int], questionnaire: Questionnaire,
         circles: Collection[str] | Mapping[str, int]) -> tuple[Response | None, list[Problem]]:
    """One row's response, or None with the problems that stop it."""
    def cell(name: str) -> tuple[str, Location]:
        i = columns[name]
        return (cells[i].strip() if i < len(cells) else ""), Location(path, number, i + 1)

    problems: list[Problem] = []
    circle = _circle(*cell("circle"), circles, problems) if "circle" in columns else None
    round_ = _round(*cell("round"), problems) if "round" in columns else None
    if circle and round_ and isinstance(circles, Mapping) and 0 < circles[circle] < round_:
        problems.append(Problem(cell("round")[1], f"round {round_} is not a round of '{circle}': it has "
                                f"{circles[circle]}", f"see `circlepress links --evaluation {circle}` for its "
                                "rounds, and check the form link the members were sent"))
        round_ = None
    answers = []
    for q in questionnaire.questions:
        value, at = cell(q.id) if q.id in columns else ("", None)
        answer = read_answer(q, value)
        if isinstance(answer, _Wrong):
            problems.append(Problem(at, answer.message, answer.hint))
            answer = None
        answers.append((q.id, answer))
    if problems or circle is None or round_ is None:
        return None, problems
    return Response(circle, round_, tuple(answers)), problems


def _quoted(value: str) -> str:
    """A cell as a message may show it: short cells quoted, others only described."""
    return f"'{value}'" if len(value) <= _SHOWN and "\n" not in value else "the answer"


def _circle(value: str, at: Location, circles: Collection[str], problems: list[Problem]) -> str | None:
    if not value:
        problems.append(Problem(at, "this response names no circle", "the round's form link fills it in: check with "
                                "`circlepress links --evaluation SLUG` that the link prefills the form's 'circle'"))
        return None
    if value in circles:
        return value
    close = difflib.get_close_matches(value.casefold(), sorted(circles), n=1, cutoff=0.6)
    named = f"'{value}'" if re.fullmatch(r"[\w.-]{1,60}", value) else "the circle this row names"
    problems.append(Problem(at, f"{named} is not a circle of the programme",
                            (f"did you mean '{close[0]}'? " if close else "")
                            + "the circle is its folder's name under sites/, as the round's form link fills it in"))
    return None


def _round(value: str, at: Location, problems: list[Problem]) -> int | None:
    if not value:
        problems.append(Problem(at, "this response names no round", "the round's form link fills it in: check with "
                                "`circlepress links --evaluation SLUG` that the link prefills the form's 'round'"))
        return None
    if re.fullmatch(r"0*[1-9]\d{0,3}", value):
        return int(value)
    named = f"round '{value}'" if len(value) <= _SHOWN else "the round this row names"
    problems.append(Problem(at, f"{named} is not a round's number (1 to 9999)",
                            "the round's form link fills in its number: 1, 2, ..."))
    return None


@dataclass(frozen=True)
class _Wrong:
    message: str
    hint: str


def read_answer(question: Question, value: str) -> Answer | _Wrong:
    """One cell read as `question`'s kind says (empty: None), or what is wrong with it."""
    value = value.strip()
    if not value:
        return None
    if question.kind is Kind.TEXT:
        return value
    if question.kind is Kind.SCALE:
        return _scale(question, value)
    if question.kind is Kind.YES_NO:
        if value.casefold() in _YES | _NO:
            return value.casefold() in _YES
        return _Wrong(f"{_quoted(value)} is not yes or no, as '{question.id}' asks", "write Yes or No, or true or "
                      "false; leave it empty for no answer")
    if (choice := _choice(question.choices, value)) is not None:
        return choice
    by_text = {fold(choice): choice for choice in question.choices}  # (keys may be empty or shared: '<2', '>2')
    close = difflib.get_close_matches(fold(value), list(by_text), n=1, cutoff=0.6)
    return _Wrong(f"the answer is not one of the choices of '{question.id}'",
                  f"did you mean '{by_text[close[0]]}'?" if close else
                  "the choices: " + ", ".join(f"'{c}'" for c in question.choices))


def _choice(choices: tuple[str, ...], value: str) -> str | None:
    """The choice `value` is: by its text (case and spaces aside), else by its column key when
    only that choice has it ('<2' and '>2' share the key '2', so they are told apart by text)."""
    if value in choices:
        return value
    if (choice := next((c for c in choices if fold(c) == fold(value)), None)) is not None:
        return choice
    keyed = [c for c in choices if column_key(c) and column_key(c) == column_key(value)]
    return keyed[0] if len(keyed) == 1 else None


def _scale(question: Question, value: str) -> int | _Wrong:
    """'4', '4 - Agree', 'Agree' (the label alone) as 4."""
    if (label := _LABELS.get(column_key(value))) is not None:
        return label
    match = _NUMBERED.fullmatch(value)
    if match and int(match.group(1)) in SCALE and (
            not match.group(2) or _LABELS.get(column_key(match.group(2))) == int(match.group(1))):
        return int(match.group(1))
    return _Wrong(f"{_quoted(value)} is not on the 1-5 scale of '{question.id}'", _SCALE_HINT)
