"""What a user sees when the input is wrong: every rule's exact message, file, line and column.

Each folder under `tests/invalid/` is a small project with one kind of mistake (plus
one with many) and an `expected.txt` holding the lines `circlepress check` prints on
stderr, without the final "N errors; nothing was written." line. A mistake only a build
finds (a template's, the output folder's) has a `command.txt` with the command to run
instead, e.g. `build --strict`. Run with
`UPDATE_GOLDEN=1` to rewrite the expected files, then read the diff before committing.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import NOW, VALID_CIRCLE

from circlepress.build import build
from circlepress.load import load_site
from circlepress.cli import main
from circlepress.config import load_project

INVALID = Path(__file__).resolve().parent / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SUMMARY = re.compile(r"^(\d+) errors?; nothing was written\.$")
# path:line:column: message, with the path relative to the project root
LOCATED = re.compile(r"^[^/\s:][^\s:]*:\d+:\d+: \S")


def check(root: Path, *args: str, command: str = "check") -> Result:
    """`circlepress check --root ROOT` (or another command) as a user runs it, with stderr kept apart."""
    try:
        runner = CliRunner(mix_stderr=False)  # Click 8.1
    except TypeError:
        runner = CliRunner()  # Click 8.2+ keeps stderr apart already
    return runner.invoke(main, [command, "--root", str(root), *args])


def assert_no_crash(result: Result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("circlepress crashed instead of reporting a problem") from result.exception


def failure_lines(result: Result) -> list[str]:
    """The problem lines of a failed run, after checking the summary line that ends them."""
    assert_no_crash(result)
    assert result.exit_code == 1, f"expected exit code 1, got {result.exit_code}\n{result.stderr}"
    assert isinstance(result.exception, SystemExit)
    assert "OK:" not in result.stdout
    *lines, summary = result.stderr.splitlines()
    match = SUMMARY.match(summary)
    assert match, f"the last line is not the summary: {summary!r}"
    errors = [line for line in lines if ": warning: " not in line]
    assert int(match.group(1)) == len(errors), "the summary miscounts the errors printed above it"
    return lines


@pytest.mark.parametrize("case", CASES)
def test_invalid_input_is_reported(case: str, tmp_path: Path) -> None:
    source = INVALID / case
    root = tmp_path / "project"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("expected.txt", "command.txt"))
    command = (source / "command.txt").read_text("utf-8").split() if (source / "command.txt").is_file() else ["check"]
    lines = failure_lines(check(root, *command[1:], command=command[0]))
    golden = source / "expected.txt"
    if UPDATE:
        golden.write_text("\n".join(lines) + "\n", "utf-8")
    assert golden.is_file(), f"{golden} is missing; run with UPDATE_GOLDEN=1 to create it, then read it"
    expected = golden.read_text("utf-8").splitlines()
    diff = "\n".join(difflib.unified_diff(expected, lines, "expected.txt", "stderr", lineterm=""))
    assert lines == expected, f"messages for {case} changed (UPDATE_GOLDEN=1 rewrites them):\n{diff}"
    for line in lines:
        assert LOCATED.match(line), f"not located relative to the project: {line}"
        assert line.endswith(")"), f"no fix hint: {line}"


def test_every_case_has_its_expected_messages() -> None:
    assert len(CASES) >= 30
    missing = [case for case in CASES if not (INVALID / case / "expected.txt").is_file()]
    assert not missing, f"cases without expected.txt: {missing}"


# Warnings: `check` passes and prints them; `check --strict` turns them into errors.

LEADS_NOTHING = VALID_CIRCLE.replace("  - {id: bo, name: Bo}\n", "  - {id: bo, name: Bo}\n  - {id: cy, name: Cy}\n")
TOO_FEW_COMPLETE = VALID_CIRCLE.replace('  start: "16:00"\n', "").replace(
    "topic: One,", 'topic: One, start: "16:00",').replace("topic: Two,", 'topic: Two, start: "16:00",')
NO_TOPIC = VALID_CIRCLE + "  - {date: 2027-04-08, facilitators: [ana]}\n"
# Sessions may wait for `circlepress plan` to fill in who leads them (issue 4): a warning, not an error.
NO_FACILITATORS = VALID_CIRCLE + "  - {date: 2027-04-08, topic: Four}\n"

WARNINGS = {
    "member-leads-nothing": (LEADS_NOTHING, "sites/lab-a/circle.yaml:13:10: warning: member 'cy' leads no session "
                             "in the first year (everyone leads at least once a year; add them as a facilitator)"),
    "too-few-complete-sessions": (TOO_FEW_COMPLETE, "sites/lab-a/circle.yaml:12:1: warning: only 2 fully specified "
                                  "sessions (step 8: fix date, time, place, topic and facilitators for at least "
                                  "3 sessions)"),
    "session-without-facilitators": (NO_FACILITATORS, "sites/lab-a/circle.yaml:17:5: warning: session on "
                                     "2027-04-08 has no facilitators yet (name one or two member ids, or let "
                                     "`circlepress plan` fill them in)"),
    "session-without-topic": (NO_TOPIC, "sites/lab-a/circle.yaml:17:5: warning: session on 2027-04-08 has no topic "
                              "(add 'topic:')"),
}


def test_the_valid_circle_has_no_warnings(make_site) -> None:
    result = check(make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE}))
    assert_no_crash(result)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("OK:") and "0 warnings" in result.stdout


@pytest.mark.parametrize("name", WARNINGS)
def test_warnings_do_not_fail_check(name: str, make_site) -> None:
    circle, warning = WARNINGS[name]
    result = check(make_site({"sites/lab-a/circle.yaml": circle}))
    assert_no_crash(result)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [warning]
    assert result.stdout.startswith("OK:") and "1 warning" in result.stdout


@pytest.mark.parametrize("name", WARNINGS)
def test_strict_turns_warnings_into_errors(name: str, make_site) -> None:
    circle, warning = WARNINGS[name]
    result = check(make_site({"sites/lab-a/circle.yaml": circle}), "--strict")
    assert failure_lines(result) == [warning.replace(": warning: ", ": ", 1)]
    assert result.stderr.splitlines()[-1] == "1 error; nothing was written."


def test_warnings_are_printed_beside_errors(make_site) -> None:
    files = {"sites/lab-a/circle.yaml": NO_TOPIC,
             "sites/lab-b/circle.yaml": VALID_CIRCLE.replace("months: 6", "months: six")}
    lines = failure_lines(check(make_site(files)))
    assert lines == [
        "sites/lab-a/circle.yaml:17:5: warning: session on 2027-04-08 has no topic (add 'topic:')",
        "sites/lab-b/circle.yaml:6:11: 'months' must be a whole number, not 'six' "
        "(write it in digits, without words or units)",
    ]


# YAML typing: what a user writes is the text they see, never a boolean, a number or a date.

TRICKY = VALID_CIRCLE.replace("{id: ana, name: Ana}", "{id: ana, name: no, role: on}").replace(
    "place: Room 1", "place: 10:00").replace("topic: Three", "topic: 2027-01-01")


class _Cells(HTMLParser):
    """The text of every list item, table cell and description, whitespace collapsed."""

    TAGS = {"li", "td", "dd"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[list[str]] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.TAGS:
            self.open.append([])

    def handle_endtag(self, tag) -> None:
        if tag in self.TAGS and self.open:
            self.cells.append(" ".join("".join(self.open.pop()).split()))

    def handle_data(self, data) -> None:
        for parts in self.open:
            parts.append(data)


def cells(html: str) -> list[str]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


def test_yaml_values_keep_their_text(make_site) -> None:
    site = load_site(load_project(make_site({"sites/lab-a/circle.yaml": TRICKY})))
    spec = site.circles[0].spec
    ana = spec.members[0]
    assert (ana.name, ana.role) == ("no", "on")
    assert spec.defaults.place == "10:00"
    assert spec.sessions[2].topic == "2027-01-01"


def test_yaml_values_keep_their_text_in_the_built_pages(make_site, tmp_path: Path) -> None:
    root = make_site({"sites/lab-a/circle.yaml": TRICKY})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    circle = tmp_path / "out" / "circles" / "lab-a"
    home = cells((circle / "index.html").read_text("utf-8"))
    assert "no · on" in home  # the member list: name, then role
    assert "2027-01-01" in home and "10:00" in home  # the next session (11 March) at NOW
    assert "no and Bo" in home  # who leads it
    rows = cells((circle / "calendar" / "index.html").read_text("utf-8"))
    assert rows.count("10:00") == 3  # the place of every session
    assert "2027-01-01" in rows and "no, Bo" in rows
    for page in (home, rows):
        assert not {"False", "True", "600", "1 Jan 2027", "None"} & set(page)


# A project with its own handbook and no agreement page still checks: the example circle brings its own text.

def test_own_handbook_without_agreement_page_checks(make_site) -> None:
    root = make_site({"content/index.md": "---\ntitle: Welcome\n---\nHello.\n"})
    result = check(root)
    assert_no_crash(result)
    assert result.exit_code == 0, result.stderr


def test_yaml_merge_keys_repeat_a_session(make_site) -> None:
    circle = VALID_CIRCLE.replace("sessions:\n", "sessions:\n  - &usual {date: 2027-01-07, topic: Zero, place: Lab, "
                                  "facilitators: [ana]}\n  - <<: *usual\n    date: 2027-01-21\n    topic: Again\n")
    site = load_site(load_project(make_site({"sites/lab-a/circle.yaml": circle})))
    usual, repeat = site.circles[0].spec.sessions[:2]
    assert (usual.place, usual.topic) == ("Lab", "Zero")
    assert (repeat.place, repeat.facilitators) == ("Lab", ["ana"])
    assert (str(repeat.date), repeat.topic) == ("2027-01-21", "Again")


@pytest.mark.parametrize("name", ["circles", "assets", "p"])
def test_a_handbook_page_may_not_take_a_folder_circlepress_uses(name: str, make_site) -> None:
    """`p/` holds private circles' secret folders: a page there would be taken for a private one."""
    root = make_site({"content/index.md": "---\ntitle: Welcome\n---\nHello.\n",
                      f"content/{name}.md": "---\ntitle: Taken\n---\nHello.\n"})
    result = check(root)
    assert failure_lines(result) == [f"content/{name}.md:1:1: the page would be published at '{name}/', which "
                                     "circlepress uses (rename the file or set another slug)"]
