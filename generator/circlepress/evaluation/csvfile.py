"""A form service's CSV export read as rows of text: its encoding and its delimiter found, each
record numbered as a spreadsheet numbers its rows (row 1 is the header)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..programme.errors import CirclepressError, Location, Problem
from ..programme.source import read_at_most

MAX_BYTES = 50_000_000  # far more than any programme's answers; a bigger file is not an export
MAX_CELL = 1_000_000   # characters in one cell: a very long answer is some pages, not a megabyte
DELIMITERS = (",", "\t", ";")  # comma first: what a tie between them means
_SAMPLE_ROWS = 50
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and the old .xls
_SEP = re.compile(r"sep=([,;\t|])\r?\n")
_SAVE_AS = "open it in Excel and save it as CSV: File > Save As, file type CSV UTF-8"


@dataclass(frozen=True)
class Table:
    """A CSV file's header and rows, with how it was written."""

    path: str      # as messages show it
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells), from row 2
    encoding: str  # "utf-8", "utf-8-sig", "utf-16" or "cp1252"
    delimiter: str


def read_table(path: Path, shown: str) -> Table:
    """The CSV file at `path` (UTF-8 with or without BOM, UTF-16 or Windows-1252; comma, tab or
    semicolon separated); raises CirclepressError with one located problem when it is none of these."""
    return parse_table(read_bytes(path, shown), shown)


def parse_table(data: bytes, shown: str) -> Table:
    """A CSV file's bytes as a table, as `read_table` reads them."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))  # the module's 131,072 is a long answer or two
    text, encoding = decode(data, shown)
    if (at := _binary_at(text)) is not None:
        raise CirclepressError([Problem(_position(shown, text, at), "the file holds control characters, so it is "
                                        "not a CSV text file", f"export the answers as CSV, or {_SAVE_AS}")])
    text = _CONTROL.sub(" ", text.removeprefix("\ufeff"))  # one pasted into an answer would break a page
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # so a cell's line breaks read alike from CRLF files
    if said := _SEP.match(text):  # Excel's own line naming the delimiter, which it hides: row 1 is the next
        delimiter, text = said.group(1), text[said.end():]
    else:
        delimiter = sniff_delimiter(text)
    records = _records(text, delimiter, shown)
    if not records or not any(cell.strip() for cell in records[0]):
        raise CirclepressError([Problem(Location(shown), "the file has no header row",
                                        "export the answers again: the first row names the columns")])
    rows = tuple((number, tuple(cells)) for number, cells in enumerate(records[1:], start=2))
    return Table(shown, tuple(records[0]), rows, encoding, delimiter)


def read_bytes(path: Path, shown: str) -> bytes:
    """The bytes of the file at `path`, held to MAX_BYTES, or one located problem."""
    too_large = CirclepressError([Problem(Location(shown), f"the file is larger than {MAX_BYTES // 1_000_000} MB, "
                                          "so it is not one form's answers", "give the CSV export of the form")])
    try:
        if path.stat().st_size > MAX_BYTES:
            raise too_large
        data = read_at_most(path, MAX_BYTES)
    except OSError as exc:
        raise CirclepressError([Problem(Location(shown), f"cannot read the file: {exc.strerror or exc}",
                                        "check the path and that it is a file you can read")]) from None
    if len(data) > MAX_BYTES:
        raise too_large
    return data


def decode(data: bytes, shown: str) -> tuple[str, str]:
    """The file's text and the encoding it was in: a BOM's, else UTF-8, else Windows-1252."""
    if data.startswith(_WORKBOOKS):
        raise CirclepressError([Problem(Location(shown), "the file is an Excel workbook, not a CSV file", _SAVE_AS)])
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _strict(data, encoding, shown), encoding
    if b"\x00" in data[:4096] and (guess := _bomless_utf16(data)):
        return _strict(data, guess, shown), guess
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _UTF8_SEQUENCE.search(data):  # UTF-8 with a bad byte: as Windows-1252 every accent would be mojibake
        raise _undecodable(shown, data, utf8_error.start, "utf-8")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise _undecodable(shown, data, utf8_error.start) from None


# A well-formed multi-byte UTF-8 character (RFC 3629): Windows-1252 text all but never holds one.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                            rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                            rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte of the start is zero (text without a BOM)."""
    head = data[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _strict(data: bytes, encoding: str, shown: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:  # utf-8-sig counts from after its BOM, utf-16 from the file's start
        at = exc.start + (len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0)
        raise _undecodable(shown, data, at, encoding) from None


def _undecodable(shown: str, data: bytes, at: int, encoding: str = "") -> CirclepressError:
    """One located problem at the first byte that the encoding tried cannot read."""
    before = data[:at].decode(encoding or "utf-8", errors="replace").removeprefix("\ufeff")
    line, column = _row_and_cell(before)
    what = "the file is UTF-8 text but is not valid UTF-8 here" if encoding.startswith("utf-8") else \
        f"the file starts as {encoding.upper()} text but is not" if encoding else \
        "the file is neither UTF-8, UTF-16 nor Windows-1252 text"
    return CirclepressError([Problem(Location(shown, line, column), what,
                                     f"export the answers again as CSV, or {_SAVE_AS}")])


def _row_and_cell(before: str) -> tuple[int, int]:
    """The row and cell, as a spreadsheet numbers them, of the character after `before` (the file's
    text up to it): line breaks in quoted cells stay in their row; the delimiter is the one the
    first line has most of."""
    first = before.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    row, cell, quoted = 1, 1, False
    for c in before:
        if c == '"':
            quoted = not quoted  # a doubled quote flips twice
        elif not quoted and c == "\n":
            row, cell = row + 1, 1
        elif not quoted and c == delimiter:
            cell += 1
    return row, cell


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Unicode's Cc, tab and line breaks aside
_HEAD = 4096


def _binary_at(text: str) -> int | None:
    """Where a binary file shows itself: a NUL, or more control characters in its start than a few
    pasted into answers would be."""
    head = text[:_HEAD]
    found = [m.start() for m in _CONTROL.finditer(head)]
    if "\x00" in head or len(found) > max(8, len(head) // 100):
        return found[0]
    return None


def _position(shown: str, text: str, at: int) -> Location:
    line = text.count("\n", 0, at) + 1
    return Location(shown, line, at - (text.rfind("\n", 0, at) + 1) + 1)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most columns while the first rows keep as
    many (a delimiter inside a quoted question text does not count)."""
    def score(delimiter: str) -> tuple[int, int]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        sample: list[list[str]] = []
        try:
            sample += (row for row, _ in zip(reader, range(_SAMPLE_ROWS)))
        except csv.Error:
            pass  # the rows before a bad one still tell (the bad one is reported once the delimiter is known)
        if not sample or len(sample[0]) < 2:
            return (0, 0)
        return (sum(len(row) == len(sample[0]) for row in sample if row), len(sample[0]))

    best = max(DELIMITERS, key=lambda d: (score(d), -DELIMITERS.index(d)))
    return best if score(best) > (0, 0) else ","


def _records(text: str, delimiter: str, shown: str) -> list[list[str]]:
    """Every record; a blank line is an empty record, so numbers stay those a spreadsheet shows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    lines = 0  # the lines read up to the end of the last good record
    try:
        for record in reader:
            records.append(record)
            lines = reader.line_num
    except csv.Error as exc:
        raise CirclepressError([_bad_record(shown, len(records) + 1, _line_start(text, lines), text, delimiter,
                                            str(exc))]) from None
    return records


def _line_start(text: str, lines: int) -> int:
    """Where line `lines` + 1 of `text` starts (its line breaks are all \\n by now)."""
    at = 0
    for _, match in zip(range(lines), _LINE_END.finditer(text)):
        at = match.end()
    return at


_LINE_END = re.compile("\n")


def _bad_record(shown: str, row: int, start: int, text: str, delimiter: str, error: str) -> Problem:
    """The problem of the record at `start` that csv could not read, at the cell where it stopped."""
    column, too_long = _stop(text, start, delimiter)
    at = Location(shown, row, column)
    if too_long:
        return Problem(at, f"cell {column} of row {row} is longer than {MAX_CELL:,} characters, so it is not an "
                       "answer", "a quote left open makes the rest of the file one cell: check the quotes here, "
                       "or export the answers again")
    what = "a quoted cell is not closed before the file ends" if "end of data" in error else \
        "a quote closes this cell but the cell goes on after it" if "expected after" in error else error
    return Problem(at, f"row {row} is not valid CSV: {what}", "a quote in a cell must be doubled and a quoted "
                   "cell closed; export the answers again")


def _stop(text: str, start: int, delimiter: str) -> tuple[int, bool]:
    """The column of the cell where csv stops reading the record at `start`, and whether for its
    length: a quote left open, a character after a closing quote, or a cell past MAX_CELL."""
    column, size, state = 1, 0, "start"  # state: start, plain, quoted or closed (after a closing quote)
    i = start
    while i < len(text) and size <= MAX_CELL:
        c = text[i]
        if state == "quoted" and c == '"' and text.startswith('"', i + 1):
            i, size = i + 1, size + 1  # a doubled quote
        elif state == "quoted":
            state, size = ("closed", size) if c == '"' else (state, size + 1)
        elif c == delimiter:
            column, size, state = column + 1, 0, "start"
        elif c in "\r\n" or state == "closed":
            break
        else:
            state, size = ("quoted" if c == '"' and state == "start" else "plain"), size + 1
        i += 1
    return column, size > MAX_CELL
