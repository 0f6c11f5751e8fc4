"""Issue 17 point 5: a circle's `progress:` is keyed by the steps' identities, so reordering the
steps never re-labels it; a step number as the key still reads, with a warning naming the step."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from circlepress.build.load import load_site
from circlepress.build.pipeline import build
from circlepress.cli import main
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError

from conftest import NOW, REPO, VALID_CIRCLE
from private_support import private, test_key

PROGRESS = """\
progress:
  make-a-calendar: {status: done, note: Six dates fixed.}
  ask-for-commitment: {status: in-progress, note: Two members still to confirm.}
"""


def _project(root: Path, progress: str = PROGRESS) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    (root / "circlepress.yaml").write_text("title: Ours\n")
    (root / "sites/lab-a").mkdir(parents=True)
    (root / "sites/lab-a/circle.yaml").write_text(VALID_CIRCLE + progress)
    return root


def _swap_steps(content: Path, a: str, b: str) -> None:
    """Give two step pages each other's `step:` number."""
    pa, pb = content / f"steps/{a}.md", content / f"steps/{b}.md"
    na, nb = (re.search(r"^step: (\d+)$", p.read_text(), re.M).group(1) for p in (pa, pb))
    pa.write_text(pa.read_text().replace(f"\nstep: {na}\n", f"\nstep: {nb}\n"))
    pb.write_text(pb.read_text().replace(f"\nstep: {nb}\n", f"\nstep: {na}\n"))


def _progress_on(site: Path, step: str) -> str:
    html = (site / f"circles/lab-a/steps/{step}/index.html").read_text()
    card = re.search(r'<aside class="card progress[^>]*>(.*?)</aside>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


def _nav_status(site: Path, step: str) -> tuple[str, str]:
    """(the number the circle's step list shows, the status it marks) for a step."""
    html = (site / "circles/lab-a/index.html").read_text()
    item = re.search(rf'<li value="(\d+)"><a href="[^"]*steps/{step}/[^"]*"[^>]*>[^<]*</a> <span class="status '
                     r'status-([a-z-]+)"', html)
    return item.group(1), item.group(2)


def test_progress_stays_with_its_step_when_steps_are_reordered(tmp_path):
    root = _project(tmp_path / "p")
    build(load_project(root), now=NOW)
    assert _progress_on(root / "_site", "make-a-calendar") == "Our progress: done Six dates fixed."
    assert _nav_status(root / "_site", "make-a-calendar") == ("8", "done")
    _swap_steps(root / "content", "ask-for-commitment", "make-a-calendar")
    build(load_project(root), now=NOW)
    assert _progress_on(root / "_site", "make-a-calendar") == "Our progress: done Six dates fixed."
    assert _progress_on(root / "_site", "ask-for-commitment") == \
        "Our progress: in progress Two members still to confirm."
    assert _nav_status(root / "_site", "make-a-calendar") == ("7", "done")
    assert _nav_status(root / "_site", "ask-for-commitment") == ("8", "in-progress")


def test_a_number_key_reads_as_the_step_it_names_now_with_a_located_warning(tmp_path):
    root = _project(tmp_path / "p", "progress:\n  8: {status: done, note: By number.}\n")
    _swap_steps(root / "content", "ask-for-commitment", "make-a-calendar")  # step 8 is now ask-for-commitment
    site = load_site(load_project(root))
    (warning,) = [p for p in site.warnings if "progress" in p.message]
    assert warning.format() == (
        "sites/lab-a/circle.yaml:19:3: warning: progress key '8' is a step number, which reordering the steps "
        "re-labels: it means step 8, 'ask-for-commitment', now (write 'ask-for-commitment:' instead of '8:')")
    build(load_project(root), now=NOW)
    assert _progress_on(root / "_site", "ask-for-commitment") == "Our progress: done By number."
    assert _progress_on(root / "_site", "make-a-calendar") == "Our progress: to do"


@pytest.mark.parametrize("key, message", [
    ("make-a-calender", "there is no step 'make-a-calender' in the handbook (did you mean 'make-a-calendar'? "
                        "The steps: find-a-starting-group, identify-participants,"),
    ("13", "there is no step 13 in the handbook (name the step by its id instead: find-a-starting-group,"),
    ("MAKE-A-CALENDAR", "there is no step 'MAKE-A-CALENDAR' in the handbook (did you mean 'make-a-calendar'? "),
    ("Make-A-Calender", "there is no step 'Make-A-Calender' in the handbook (did you mean 'make-a-calendar'? "),
    ("steps/make-a-calendar/", "there is no step 'steps/make-a-calendar/' in the handbook (did you mean "
                               "'make-a-calendar'?"),
])
def test_an_unknown_key_is_an_error_at_its_line(tmp_path, key, message):
    root = _project(tmp_path / "p", f"progress:\n  define-the-format: {{status: done}}\n  {key}: {{}}\n")
    with pytest.raises(CirclepressError) as caught:
        load_site(load_project(root))
    (problem,) = caught.value.problems
    assert problem.format().startswith(f"sites/lab-a/circle.yaml:20:3: {message}"), problem.format()


def test_a_step_given_twice_is_an_error(tmp_path):
    root = _project(tmp_path / "p", "progress:\n  6: {status: done}\n  define-goals-and-expectations: {}\n")
    with pytest.raises(CirclepressError) as caught:
        load_site(load_project(root))
    assert [p.format() for p in caught.value.problems if p.is_error] == [
        "sites/lab-a/circle.yaml:20:3: progress key 'define-goals-and-expectations' names the same step as '6' "
        "at line 19 (keep one of them)"]


@pytest.mark.parametrize("keys, message", [
    ("1: {status: done}\n  find-a-starting-group: {}", "progress key 'find-a-starting-group' names the same step as "
                                                       "'1' at line 19 (keep one of them)"),
    ("find-a-starting-group: {}\n  1: {status: done}", "progress key '1' names the same step as "
                                                       "'find-a-starting-group' at line 19 (keep one of them)"),
    ("1: {}\n  '01': {}", "progress key '01' names the same step as '1' at line 19: the step "
                          "'find-a-starting-group' (keep one of them)"),
])
def test_a_step_given_twice_names_both_keys_as_written_and_the_first_line(tmp_path, keys, message):
    root = _project(tmp_path / "p", f"progress:\n  {keys}\n")
    with pytest.raises(CirclepressError) as caught:
        load_site(load_project(root))
    assert [p.format() for p in caught.value.problems if p.is_error] == [f"sites/lab-a/circle.yaml:20:3: {message}"]


def test_a_draft_step_may_have_progress(tmp_path):
    """A draft step is left out of a normal build, but a circle's progress on it is no error."""
    root = tmp_path / "p"
    for name, text in {"circlepress.yaml": "title: Ours\n", "content/agreement.md": "---\ntitle: Agreement\n---\nOk\n",
                       "content/steps/one.md": "---\ntitle: One\nstep: 1\n---\nHi\n",
                       "content/steps/two.md": "---\ntitle: Two\nstep: 2\ndraft: true\n---\nHi\n",
                       "sites/lab-a/circle.yaml": VALID_CIRCLE + "progress:\n  two: {status: done}\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert not [p for p in load_site(load_project(root)).warnings if "progress" in p.message]


def test_the_new_circle_template_keys_progress_by_step(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "circlepress.yaml").write_text("title: Ours\n")
    assert CliRunner().invoke(main, ["new", "circle", "lab-b", "--root", str(root)]).exit_code == 0
    assert "  find-a-starting-group: {status: in-progress" in (root / "sites/lab-b/circle.yaml").read_text()
    site = load_site(load_project(root))
    assert not [p for p in site.warnings if "progress" in p.message]
    assert site.circles[0].progress("find-a-starting-group").status == "in-progress"


def test_plan_write_keeps_progress_keyed_by_step(tmp_path):
    plannable = VALID_CIRCLE.replace("facilitators: [bo]}", "}") + PROGRESS
    root = _project(tmp_path / "p", "")
    (root / "sites/lab-a/circle.yaml").write_text(plannable)
    written = CliRunner().invoke(main, ["plan", "lab-a", "--root", str(root), "--write"])
    assert written.exit_code == 0, written.output
    text = (root / "sites/lab-a/circle.yaml").read_text()
    assert text.endswith(PROGRESS) and "2027-02-11, topic: Two, facilitators: [" in text
    checked = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert checked.exit_code == 0 and "progress" not in checked.output, checked.output


def test_a_renamed_step_with_its_old_address_as_an_alias_keeps_its_progress(tmp_path):
    root = _project(tmp_path / "p", "progress:\n  make-a-calendar: {status: done, note: Kept.}\n")
    old, new = root / "content/steps/make-a-calendar.md", root / "content/steps/plan-the-sessions.md"
    new.write_text(old.read_text().replace("aliases: [", "aliases: [steps/make-a-calendar/, ", 1))
    old.unlink()
    for page in (root / "content").rglob("*.md"):
        page.write_text(page.read_text().replace("make-a-calendar.md", "plan-the-sessions.md"))
    site = load_site(load_project(root))
    assert [p.format() for p in site.warnings if "progress" in p.message or "is now" in p.message] == [
        "sites/lab-a/circle.yaml:19:3: warning: the step 'make-a-calendar' is now 'plan-the-sessions' (its old "
        "address is among the step's aliases) (write 'plan-the-sessions:' instead of 'make-a-calendar:')"]
    build(load_project(root), now=NOW)
    assert _progress_on(root / "_site", "plan-the-sessions") == "Our progress: done Kept."


def test_rotate_keeps_progress_keyed_by_step(tmp_path):
    """The other round-trip writer (`circlepress rotate`) changes only the key."""
    root = _project(tmp_path / "p", "")
    text = private(VALID_CIRCLE, "lab-a").replace("access:", PROGRESS + "access:")
    (root / "sites/lab-a/circle.yaml").write_text(text)
    rotated = CliRunner().invoke(main, ["rotate", "lab-a", "--root", str(root)])
    assert rotated.exit_code == 0, rotated.output
    written = (root / "sites/lab-a/circle.yaml").read_text()
    assert PROGRESS in written and test_key("lab-a") not in written
    checked = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert checked.exit_code == 0 and "progress" not in checked.output, checked.output


def test_a_theme_asking_for_progress_by_number_is_a_located_template_error(tmp_path):
    """An override written when progress was kept by number gets an error at its line, not "to do" everywhere."""
    root = _project(tmp_path / "p")
    override = root / "themes/default/templates/partials/article.html"
    override.parent.mkdir(parents=True)
    override.write_text((REPO / "themes/default/templates/partials/article.html").read_text()
                        .replace("circle.progress(page)", "circle.progress(page.meta.step)"))
    result = CliRunner().invoke(main, ["build", "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert "themes/default/templates/partials/article.html:10:1: template error: TypeError: circle.progress() " \
        "takes the step's page, e.g. circle.progress(page), not its number" in result.output, result.output


def _rename_calendar_step(root: Path, new_name: str = "plan-the-sessions", front: str = "") -> None:
    """Move the calendar step to another file, keeping the shipped `aliases: [steps/08-make-a-calendar/]`."""
    old, new = root / "content/steps/make-a-calendar.md", root / f"content/steps/{new_name}.md"
    new.write_text(old.read_text().replace("---\n", "---\n" + front, 1))
    old.unlink()
    for page in (root / "content").rglob("*.md"):
        page.write_text(page.read_text().replace("make-a-calendar.md", f"{new_name}.md"))


@pytest.mark.parametrize("new_name, front, new_id", [
    ("plan-the-sessions", "", "plan-the-sessions"),
    ("make-a-calendar-renamed", "slug: calendar-step\n", "calendar-step"),
])
def test_an_old_id_whose_address_is_no_alias_is_unknown(tmp_path, new_name, front, new_id):
    """The shipped alias is `steps/08-make-a-calendar/`; nothing is written at `steps/make-a-calendar/`."""
    root = _project(tmp_path / "p", "progress:\n  make-a-calendar: {status: done}\n")
    _rename_calendar_step(root, new_name, front)
    with pytest.raises(CirclepressError) as caught:
        load_site(load_project(root))
    assert [p.format() for p in caught.value.problems if p.is_error] == [
        f"sites/lab-a/circle.yaml:19:3: there is no step 'make-a-calendar' in the handbook (did you mean "
        f"'{new_id}'? To keep 'make-a-calendar' as its old name, add 'steps/make-a-calendar/' to that step's "
        "aliases (its old address then redirects))"]


def test_an_old_id_whose_address_is_an_alias_is_accepted(tmp_path):
    """`08-make-a-calendar` was an address (`steps/08-make-a-calendar/` is the alias): it reads, with a warning."""
    root = _project(tmp_path / "p", "progress:\n  08-make-a-calendar: {status: done, note: Kept.}\n")
    _rename_calendar_step(root)
    site = load_site(load_project(root))
    assert [p.format() for p in site.warnings if "is now" in p.message] == [
        "sites/lab-a/circle.yaml:19:3: warning: the step '08-make-a-calendar' is now 'plan-the-sessions' (its old "
        "address is among the step's aliases) (write 'plan-the-sessions:' instead of '08-make-a-calendar:')"]
    build(load_project(root), now=NOW)
    assert _progress_on(root / "_site", "plan-the-sessions") == "Our progress: done Kept."
    assert (root / "_site/steps/08-make-a-calendar/index.html").is_file()


def test_a_handbook_error_hides_neither_the_circles_progress_nor_the_page(tmp_path):
    """A bad `phase:` is one error: the page stays (no 'not a published page' for links to it), and
    every circle's progress is still checked against the steps that loaded."""
    root = _project(tmp_path / "p", "progress:\n  make-a-calender: {status: done}\n  make-a-calendar: {}\n")
    page = root / "content/steps/make-a-calendar.md"
    page.write_text(page.read_text().replace("phase: in-the-first-sessions", "phase: first-sessions"))
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    errors = [line for line in result.output.splitlines() if ": warning:" not in line and ":" in line]
    assert result.exit_code == 1 and len(errors) == 2, result.output
    assert errors[0].startswith("content/steps/make-a-calendar.md:4:8: 'first-sessions' is not a phase"), errors
    assert errors[1].startswith("sites/lab-a/circle.yaml:19:3: there is no step 'make-a-calender' in the handbook "
                                "(did you mean 'make-a-calendar'?"), errors


def test_a_step_that_cannot_be_read_is_not_also_an_unknown_progress_key(tmp_path):
    root = _project(tmp_path / "p", "progress:\n  make-a-calendar: {}\n  two: {}\n")
    (root / "content/steps/make-a-calendar.md").write_text("---\ntitle: [unclosed\n---\nHi\n")
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert result.exit_code == 1 and "circle.yaml:20:3: there is no step 'two'" in result.output, result.output
    assert "'make-a-calendar' in the handbook" not in result.output, result.output
    assert "link to 'steps/make-a-calendar.md', which is not a published page" not in result.output, result.output
