"""What a user sees when the input is wrong: every rule's exact message, file, line and column.

Each folder under `tests/invalid/` is a small project with one kind of mistake (plus
one with many) and an `expected.txt` holding the lines `circlepress check` prints on
stderr, without the final "N errors." line. A case may hold a
`command.txt` with the command to run instead: `check --strict` for a mistake that is a warning
without it, `build --strict` for one only a build finds (a template's, the output folder's). Run with
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

from circlepress.build.pipeline import build
from circlepress.build.load import load_site
from circlepress.cli import main
from circlepress.programme.config import load_project

INVALID = Path(__file__).resolve().parent / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# "N errors." after `check` (it never writes), "...; nothing was written." after a command that writes
SUMMARY = re.compile(r"^(\d+) errors?(?:, \d+ warnings?)?(?:; nothing was written)?\.$")
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

NO_FORM = "".join(line for line in VALID_CIRCLE.splitlines(keepends=True) if not line.startswith("links:"))

WARNINGS = {
    "member-leads-nothing": (LEADS_NOTHING, "sites/lab-a/circle.yaml:14:10: warning: member 'cy' leads no session "
                             "in the first year (everyone leads at least once a year; add them as a facilitator)"),
    "too-few-complete-sessions": (TOO_FEW_COMPLETE, "sites/lab-a/circle.yaml:13:1: warning: only 2 fully specified "
                                  "sessions (step 8: fix date, time, place, topic and facilitators for at least "
                                  "3 sessions)"),
    "session-without-facilitators": (NO_FACILITATORS, "sites/lab-a/circle.yaml:18:5: warning: session on "
                                     "2027-04-08 has no facilitators yet (name one or two member ids, or let "
                                     "`circlepress plan` fill them in)"),
    "remote-image": (VALID_CIRCLE + "topics:\n  - title: Grants\n"
                     "    notes: See ![the form](https://forms.example/p.png)\n",
                     "sites/lab-a/circle.yaml:20:28: warning: image 'https://forms.example/p.png' is on another "
                     "host, and the pages' Content-Security-Policy blocks it (copy the image into content/ and give "
                     "its path)"),
    # Issue 16 point 8: the circle's home shows the form, so `check` asks for one.
    "no-evaluation-form": (NO_FORM, "sites/lab-a/circle.yaml:1:1: warning: this circle has no evaluation form "
                           "(add 'links: evaluation: https://...' with the form's address, or give every circle's "
                           "in circlepress.yaml's 'evaluation: form:' (step 12); the circle's home shows it)"),
    "no-evaluation-form-in-links": (NO_FORM.replace("members:", "links: {chat: \"https://chat.example.org/a\"}\nmembers:"),
                                    "sites/lab-a/circle.yaml:10:1: warning: this circle has no evaluation form "
                                    "(add 'links: evaluation: https://...' with the form's address, or give every "
                                    "circle's in circlepress.yaml's 'evaluation: form:' (step 12); the circle's home "
                                    "shows it)"),
    "session-without-topic": (NO_TOPIC, "sites/lab-a/circle.yaml:18:5: warning: session on 2027-04-08 has no topic "
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
    assert result.stderr.splitlines()[-1] == "1 error."  # check never writes, so never says it wrote nothing


def test_warnings_are_printed_beside_errors(make_site) -> None:
    files = {"sites/lab-a/circle.yaml": NO_TOPIC,
             "sites/lab-b/circle.yaml": VALID_CIRCLE.replace("months: 6", "months: six")}
    lines = failure_lines(check(make_site(files)))
    assert lines == [
        "sites/lab-a/circle.yaml:18:5: warning: session on 2027-04-08 has no topic (add 'topic:')",
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


AGREEMENT = "---\ntitle: Agreement\n---\nKept here.\n"


# Issue 13 item 12: a URL is checked whole, so no line break reaches a calendar (icalendar raised a ValueError).

def run(root: Path, *args: str) -> Result:
    """`circlepress ARGS --root ROOT`, with stderr kept apart."""
    try:
        runner = CliRunner(mix_stderr=False)  # Click 8.1
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, [*args, "--root", str(root)])



def assert_check_and_build_refuse(root: Path, tmp_path: Path, expected: list[str]) -> None:
    """`check` and `build` print exactly `expected`, exit 1, and the build writes nothing."""
    assert failure_lines(check(root)) == expected
    out = tmp_path / "out"
    assert failure_lines(run(root, "build", "--out", str(out))) == expected
    assert not out.exists()


def test_a_line_break_in_a_url_is_a_located_error_in_check_and_build(make_site, tmp_path: Path) -> None:
    circle = VALID_CIRCLE.replace("  place: Room 1\n", '  place: Room 1\n  online: "https://meet.example.org/x'
                                  '\\r\\nATTACH:https://evil.example/p"\n')
    root = make_site({"sites/lab-a/circle.yaml": circle})
    expected = ["sites/lab-a/circle.yaml:10:11: 'online' holds \\r (a control character) at character 27 (delete it: "
                "invisible and direction-changing characters make text show other than it reads)"]
    assert_check_and_build_refuse(root, tmp_path, expected)


@pytest.mark.parametrize("url", ["https://meet.example.org/\u200bx", "https://meet.example.org/\u2066x",
                                 "https://meet.example.org/x\ty", "https://meet.example.org/x\u00a0y",
                                 "https://meet.example.org/x\u2028y", "https://", "http://:80/x", "https://[::1/x",
                                 "https:meet.example.org", "data:text/html,x"])
def test_every_url_field_refuses_a_url_that_is_not_whole(url: str, make_site) -> None:
    """The same check for each URL in circle.yaml and each link in markdown."""
    quoted = url.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    circle = VALID_CIRCLE.replace("{id: bo, name: Bo}", f'{{id: bo, name: Bo, profile: "{quoted}"}}')
    page = {"content/index.md": f"---\ntitle: Welcome\n---\nSee [it](<{url}>).\n", "content/agreement.md": AGREEMENT}
    for name, files in (("yaml", {"sites/lab-a/circle.yaml": circle}), ("markdown", page)):
        lines = failure_lines(check(make_site(files, name=name)))
        assert len(lines) == 1 and ("link" in lines[0] or " holds " in lines[0]), lines
        assert all(c.isprintable() for c in lines[0]), lines


# Issue 13 item 15: names are matched whole; a line break in one is refused, a trailing one never kept.

NAME_FIELDS = {
    "member id": ("sites/lab-a/circle.yaml", VALID_CIRCLE.replace("{id: bo, name: Bo}", '{id: "{}", name: Bo}')),
    "page slug": ("content/about.md", '---\ntitle: About\nslug: "{}"\n---\nHello.\n'),
    "theme": ("circlepress.yaml", 'theme: "{}"\n'),
    "base URL": ("circlepress.yaml", 'base_url: "{}"\n'),
}


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("value", ["bo\\nx", "bo\\n\\nx", "/bo\\u202e/"])
def test_a_name_with_a_line_break_or_invisible_character_is_refused(field: str, value: str, make_site) -> None:
    name, text = NAME_FIELDS[field]
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "content/agreement.md": AGREEMENT,
                      name: text.replace("{}", value)})
    lines = failure_lines(check(root))
    assert len(lines) == 1 and lines[0].startswith(name), lines


def test_a_trailing_line_break_in_a_name_is_never_kept(make_site) -> None:
    """Surrounding spaces and line breaks are stripped (Model's str_strip_whitespace) before the
    pattern, which pydantic matches whole: `$` there is the end of the text, not of a line."""
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE.replace("{id: bo, name: Bo}", '{id: "bo\\n", name: Bo}'),
                      "content/about.md": '---\ntitle: About\nslug: "about-us\\n"\n---\nHello.\n',
                      "content/agreement.md": AGREEMENT})
    site = load_site(load_project(root))
    assert [m.id for m in site.circles[0].spec.members] == ["ana", "bo"]
    assert "about-us/" in [p.url for p in site.handbook.pages]


# Issue 13 item 16: names Windows cannot store. Made at run time, not kept under tests/invalid/:
# a repository holding them cannot be checked out on Windows either.

PAGE = "---\ntitle: {}\n---\nHello.\n"
WINDOWS_NAMES = {
    "content/index.md": PAGE.format("Welcome"), "content/agreement.md": PAGE.format("Agreement"),
    "content/Aux.md": PAGE.format("Aux"), "content/guides/COM1/tips.md": PAGE.format("Tips"),
    "content/about.md": '---\ntitle: About\nslug: prn\n---\nHello.\n', "content/files/nul.png": "x",
    "content/files/lpt\u00b9.tar.gz": "x", "content/files/Con .txt": "x", "content/files/report?.pdf": "x",
    "content/files/notes.": "x", "content/files/a<b>.csv": "x", "content/files/trailing .txt ": "x",
    "content/files/photo\u202egnp.svg": "x", "content/guide\u200b.md": PAGE.format("Guide"),
    "sites/con/circle.yaml": VALID_CIRCLE, "sites/lab-a/circle.yaml": VALID_CIRCLE + "slug: lpt9\n",
    "sites/lab-b/circle.yaml": VALID_CIRCLE, "sites/lab-b/nul.md": PAGE.format("Nul"),
    "sites/lab-c/circle.yaml": VALID_CIRCLE, "sites/lab-c/com0.md": PAGE.format("Com"),
}


def test_names_windows_cannot_store_are_located_errors(make_site) -> None:
    hint = "(choose another name: sites are also copied to Windows file servers, and a name must show as it is"
    reserved = "which Windows reserves in any case and with any extension"
    assert failure_lines(check(make_site(WINDOWS_NAMES))) == [line.replace("(HINT", hint).replace("WINDOWS", reserved)
                                                               for line in [
        "content/Aux.md:1:1: the page would be published at 'Aux/': 'Aux' uses the device name 'AUX', WINDOWS (HINT)",
        "content/about.md:3:7: the page would be published at 'prn/': 'prn' uses the device name 'PRN', "
        "WINDOWS (HINT)",
        "content/files/Con .txt:1:1: the file would be published as is: 'Con .txt' uses the device name "
        "'CON', WINDOWS (HINT)",
        "content/files/a<b>.csv:1:1: the file would be published as is: 'a<b>.csv' holds '<', which Windows "
        "does not allow in a file name (HINT)",
        "content/files/lpt¹.tar.gz:1:1: the file would be published as is: 'lpt¹.tar.gz' uses the device "
        "name 'LPT¹', WINDOWS (HINT)",
        "content/files/notes.:1:1: the file would be published as is: 'notes.' ends in '.', which Windows "
        "drops from a file name (HINT)",
        "content/files/nul.png:1:1: the file would be published as is: 'nul.png' uses the device name 'NUL', "
        "WINDOWS (HINT)",
        "content/files/photo\\u202egnp.svg:1:1: the file would be published as is: 'photo\\u202egnp.svg' holds the "
        "invisible character \\u202e (HINT)",
        "content/files/report?.pdf:1:1: the file would be published as is: 'report?.pdf' holds '?', which "
        "Windows does not allow in a file name (HINT)",
        "content/files/trailing .txt :1:1: the file would be published as is: 'trailing .txt ' ends in ' ', "
        "which Windows drops from a file name (HINT)",
        "content/guides/COM1/tips.md:1:1: the page would be published at 'guides/COM1/tips/': 'COM1' uses "
        "the device name 'COM1', WINDOWS (HINT)",
        "content/guide\\u200b.md:1:1: the page would be published at 'guide\\u200b/': 'guide\\u200b' holds the invisible "
        "character \\u200b (HINT)",
        "sites/con/circle.yaml:1:1: circle slug 'con' uses the device name 'CON', WINDOWS (HINT; rename the "
        "folder or set 'slug:')",
        "sites/lab-a/circle.yaml:18:7: circle slug 'lpt9' uses the device name 'LPT9', WINDOWS (HINT; rename "
        "the folder or set 'slug:')",
        "sites/lab-b/nul.md:1:1: page name 'nul' uses the device name 'NUL', WINDOWS (HINT)",
        "sites/lab-c/com0.md:1:1: page name 'com0' uses the device name 'COM0', WINDOWS (HINT)",
    ]]


# Issue 13 item 22: bidirectional controls and other invisible characters are refused in every YAML value
# (circle.yaml, front matter, circlepress.yaml), and a message never carries one raw.

def test_a_message_shows_invisible_characters_escaped() -> None:
    from circlepress.programme.errors import Location, Problem

    line = Problem(Location("sites/a\u202e/circle.yaml"), "name 'Amara \u202eOkafor\r\n'", "delete \u200b").format()
    assert line == "sites/a\\u202e/circle.yaml:1:1: name 'Amara \\u202eOkafor\\r\\n' (delete \\u200b)"


def test_joiners_and_right_to_left_names_are_kept(make_site) -> None:
    """Emoji sequences (ZWJ), Persian (ZWNJ), a soft hyphen and Arabic or Hebrew names are text, not tricks."""
    names = ["\U0001f469\u200d\U0001f52c Ana", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
             "Bo\u00adris", "\u05d3\u05e0\u05d4 \u05dc\u05d5\u05d9"]
    circle = VALID_CIRCLE.replace("{id: ana, name: Ana}", f"{{id: ana, name: {names[0]}}}").replace(
        "{id: bo, name: Bo}", f"{{id: bo, name: {names[1]}, role: {names[2]}, department: {names[3]}}}")
    spec = load_site(load_project(make_site({"sites/lab-a/circle.yaml": circle}))).circles[0].spec
    assert [spec.members[0].name, spec.members[1].name, spec.members[1].role, spec.members[1].department] == names


# Issue 13 item 23: limits on source files (1 MB) and on single values (10,000 characters; 200 for a
# name, a title, a place or a topic), located, with the limit.

def test_a_20_mb_description_is_a_located_error_and_nothing_is_written(make_site, tmp_path: Path) -> None:
    circle = VALID_CIRCLE.replace("name: Test Circle\n", "name: Test Circle\ndescription: " + "x" * 20_000_000 + "\n")
    root = make_site({"sites/lab-a/circle.yaml": circle})
    expected = ["sites/lab-a/circle.yaml:2:1: the file is larger than 1 MB, the most a source file may hold; this "
                "line is past it (split it, or shorten long values)"]
    assert_check_and_build_refuse(root, tmp_path, expected)


def test_a_config_linked_to_a_device_with_no_end_is_read_only_to_the_limit(make_site) -> None:
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "content/agreement.md": AGREEMENT})
    (root / "circlepress.yaml").unlink(missing_ok=True)
    (root / "circlepress.yaml").symlink_to("/dev/zero")  # read to its end, it fills the memory
    lines = failure_lines(check(root))
    assert lines and lines[0].startswith("circlepress.yaml:1:1: the file is larger than 1 MB"), lines


@pytest.mark.parametrize("name", ["circlepress.yaml", "content/index.md", "sites/lab-a/extra.md"])
def test_every_source_file_has_the_size_limit(name: str, make_site) -> None:
    files = {"sites/lab-a/circle.yaml": VALID_CIRCLE, "content/agreement.md": AGREEMENT,
             "content/index.md": "---\ntitle: Welcome\n---\nHello.\n"}
    files[name] = "# a filler\n" * 150_000  # 11 bytes a line: the 1,000,001st byte is on line 90,910
    lines = failure_lines(check(make_site(files)))
    assert lines == [f"{name}:90910:1: the file is larger than 1 MB, the most a source file may "
                     "hold; this line is past it (split it, or shorten long values)"]


def test_aliases_cannot_expand_a_small_file_into_a_huge_one(make_site) -> None:
    """40,000 topics repeating one 10,000-character note would publish 400 MB from a 1 MB file."""
    circle = VALID_CIRCLE + "notes: &n " + "n" * 10_000 + "\ntopics:\n" + "  - {title: T, notes: *n}\n" * 30_000
    lines = failure_lines(check(make_site({"sites/lab-a/circle.yaml": circle})))
    assert lines == ["sites/lab-a/circle.yaml:1:1: the file expands to more than 2,000,000 characters "
                     "(use fewer '*' aliases)"]


# Issue 17 point 3: one run reports every problem it can find, without follow-ons of the schema's.

def test_the_checks_across_fields_run_on_what_did_validate(make_site) -> None:
    """A session that fails the schema is left out of the later checks; the others are checked
    (a facilitator who is no member, two sessions on one day), numbered as in the file."""
    circle = VALID_CIRCLE.replace("{date: 2027-01-14, topic: One, facilitators: [ana]}",
                                  "{date: 2027-01-14, topic: One, facilitators: [ana], duratoin: 90}").replace(
        "{date: 2027-03-11, topic: Three, facilitators: [ana, bo]}",
        "{date: 2027-02-11, topic: Three, facilitators: [ana, cy]}")
    lines = failure_lines(check(make_site({"sites/lab-a/circle.yaml": circle, "content/agreement.md": AGREEMENT})))
    assert [line.split(": ", 1)[1] for line in lines] == [
        "unknown key 'duratoin' (did you mean 'duration'?)",
        "session 2 is also planned for 2027-02-11 (one session per day; for a moved session, write 'moved_from:' once)",
        "facilitator 'cy' is not a member of this circle (allowed: ana, bo)"]


def test_a_member_who_fails_the_schema_is_still_a_member(make_site) -> None:
    """Bo's profile link is refused; the sessions Bo leads are not reported as led by a stranger."""
    circle = VALID_CIRCLE.replace("{id: bo, name: Bo}", '{id: bo, name: Bo, profile: "javascript:alert(1)"}')
    lines = failure_lines(check(make_site({"sites/lab-a/circle.yaml": circle, "content/agreement.md": AGREEMENT})))
    assert len(lines) == 1 and "javascript:" in lines[0], lines  # the profile, nothing else


# Issue 17 point 4: the README accepts a time quoted or not; an hour of one digit is no doubt.

def test_a_time_with_a_one_digit_hour_is_accepted(make_site) -> None:
    circle = VALID_CIRCLE.replace('start: "16:00"', "start: 9:30").replace(
        "{date: 2027-02-11, topic: Two, facilitators: [bo]}", '{date: 2027-02-11, start: "7:05", topic: Two, facilitators: [bo]}')
    site = load_site(load_project(make_site({"sites/lab-a/circle.yaml": circle, "content/agreement.md": AGREEMENT})))
    spec = site.circles[0].spec
    assert str(spec.defaults.start) == "09:30:00" and str(spec.sessions[1].start) == "07:05:00"
    assert [m.start.strftime("%H:%M") for m in site.circles[0].meetings] == ["09:30", "07:05", "09:30"]


def test_a_broken_link_s_suggestion_is_written_as_the_page_would_link_it(make_site) -> None:
    """A step page's link to a renamed sibling: the suggestion is the sibling's name from the
    page's own folder, so writing it fixes the link (it was 'steps/...', which the page would read
    as steps/steps/...)."""
    files = {"sites/lab-a/circle.yaml": VALID_CIRCLE, "content/agreement.md": AGREEMENT,
             "content/index.md": "---\ntitle: Welcome\n---\nHello.\n",
             "content/steps/solving-problems.md": "---\ntitle: Solve\nstep: 1\n---\nSee [the next](focus-on-problem.md).\n",
             "content/steps/focus-on-problems.md": "---\ntitle: Focus\nstep: 2\n---\nBack to [one](solving-problems.md).\n"}
    lines = failure_lines(check(make_site(files)))
    assert any("link to 'steps/focus-on-problem.md', which is not a published page "
               "(did you mean 'focus-on-problems.md'?)" in line for line in lines), lines
