"""Issue 17 point 5: the list of steps on `start.md` is generated (`{{< steps >}}`), grouped by each
step's `phase:`, in `step:` order, and links to the steps in every copy of the page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from circlepress.build.assemble import render_site
from circlepress.build.load import load_site
from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError
from circlepress.programme.handbook import load_handbook

from conftest import NOW, REPO, VALID_CIRCLE
from test_progress import _swap_steps


def _project(root: Path, circle: str = VALID_CIRCLE) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    (root / "circlepress.yaml").write_text("title: Ours\n")
    (root / "sites/lab-a").mkdir(parents=True)
    (root / "sites/lab-a/circle.yaml").write_text(circle)
    (root / "sites/lab-a/route.md").write_text("---\ntitle: Our route\n---\nHow we got here:\n\n{{< steps >}}\n")
    return root


def _list(html: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The generated list as (heading, [(number, link, title)]) in page order."""
    block = re.search(r'<div class="sc sc-steps">(.*?)</div>', html, re.S).group(1)
    groups = []
    for heading, items in re.findall(r'<h2 id="[^"]+">([^<]+)</h2>\s*<ol class="step-list">(.*?)</ol>', block, re.S):
        groups.append((heading, re.findall(r'<li value="(\d+)"><a href="([^"]+)">([^<]+)</a>', items)))
    return groups


def test_start_lists_the_steps_by_phase_in_step_order(tmp_path):
    root = _project(tmp_path / "p")
    build(load_project(root), now=NOW)
    groups = _list((root / "_site/start/index.html").read_text())
    assert [heading for heading, _ in groups] == ["Before the first meeting", "In the first sessions",
                                                  "While the circle runs"]
    assert [n for _, items in groups for n, _, _ in items] == [str(n) for n in range(1, 13)]
    assert groups[1][1] == [("6", "../steps/define-goals-and-expectations/index.html", "Define goals and expectations"),
                            ("7", "../steps/ask-for-commitment/index.html", "Ask for commitment"),
                            ("8", "../steps/make-a-calendar/index.html", "Make a calendar")]
    html = (root / "_site/start/index.html").read_text()
    assert "Make a calendar</a> – At the very first meeting, fix the date" in html  # the step's summary
    assert "What you keep in the circle" in html and "Tips for the organiser" in html  # the rest of start.md


def test_swapping_two_steps_numbers_reorders_the_list(tmp_path):
    root = _project(tmp_path / "p")
    _swap_steps(root / "content", "ask-for-commitment", "make-a-calendar")
    build(load_project(root), now=NOW)
    groups = _list((root / "_site/start/index.html").read_text())
    assert [(n, title) for n, _, title in groups[1][1]] == [
        ("6", "Define goals and expectations"), ("7", "Make a calendar"), ("8", "Ask for commitment")]


def test_a_step_moved_to_another_phase_is_listed_there(tmp_path):
    root = _project(tmp_path / "p")
    page = root / "content/steps/make-a-calendar.md"
    page.write_text(page.read_text().replace("phase: in-the-first-sessions", "phase: while-the-circle-runs"))
    build(load_project(root), now=NOW)
    groups = dict(_list((root / "_site/start/index.html").read_text()))
    assert [t for _, _, t in groups["In the first sessions"]] == ["Define goals and expectations", "Ask for commitment"]
    assert [t for _, _, t in groups["While the circle runs"]][0] == "Make a calendar"


def test_a_circles_copy_links_to_the_circles_own_steps(tmp_path):
    root = _project(tmp_path / "p")
    build(load_project(root), now=NOW)
    site = root / "_site"
    groups = _list((site / "circles/lab-a/route/index.html").read_text())
    links = [link for _, items in groups for _, link, _ in items]
    assert len(links) == 12 and links[7] == "../../../circles/lab-a/steps/make-a-calendar/index.html"
    page = site / "circles/lab-a/route/index.html"
    assert all((page.parent / link).resolve().is_file() for link in links)


def test_steps_without_a_phase_make_one_list(tmp_path):
    (tmp_path / "steps").mkdir()
    for number, name in enumerate(("one", "two"), 1):
        (tmp_path / f"steps/{name}.md").write_text(f"---\ntitle: {name}\nstep: {number}\n---\nHi\n")
    (tmp_path / "steps/three.md").write_text("---\ntitle: three\nstep: 5\n---\nHi\n")
    (phase,) = load_handbook(tmp_path, str).phases
    assert phase.title == "" and [p.meta.title for p in phase.steps] == ["one", "two", "three"]
    (tmp_path / "steps/three.md").write_text("---\ntitle: three\nstep: 5\nphase: in-the-first-sessions\n---\nHi\n")
    assert [(p.title, len(p.steps)) for p in load_handbook(tmp_path, str).phases] == [
        ("In the first sessions", 1), ("Other steps", 2)]


@pytest.mark.parametrize("front, message", [
    ("step: 1\nphase: in-the-first-session", "t.md:4:8: 'in-the-first-session' is not a phase (did you mean "
     "'in-the-first-sessions'? the phases are before-the-first-meeting, in-the-first-sessions, while-the-circle-runs)"),
    ("step: 1\nphase: later", "t.md:4:8: 'later' is not a phase (the phases are before-the-first-meeting, "
     "in-the-first-sessions, while-the-circle-runs)"),
    ("phase: while-the-circle-runs", "t.md:3:1: 'phase' is for step pages only (add 'step:' to make the page a "
     "step, or remove 'phase:')"),
])
def test_a_wrong_phase_is_a_located_error_with_the_phases(tmp_path, front, message):
    (tmp_path / "t.md").write_text(f"---\ntitle: T\n{front}\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        load_handbook(tmp_path, lambda path: path.relative_to(tmp_path).as_posix())
    assert [p.format() for p in caught.value.problems] == [message]


def test_a_private_circles_copy_links_to_its_own_steps_as_members_see_it(tmp_path):
    """`build --strict` checks every link of a private circle's pages as its members see them."""
    root = _project(tmp_path / "p")
    shutil.copytree(REPO / "sites/early-independence", root / "sites/early-independence")
    (root / "sites/early-independence/route.md").write_text("---\ntitle: Our route\n---\n{{< steps >}}\n")
    members: dict[str, bytes] = {}
    build(load_project(root), now=NOW, strict=True)
    site = load_site(load_project(root))
    render_site(site, NOW, members=members)
    (path,) = [p for p, html in members.items() if b"<h1>Our route</h1>" in html]  # at a keyed name
    folder = path.split("/")[1]
    links = [link for _, items in _list(members[path].decode()) for _, link, _ in items]
    assert len(links) == 12 and all(link.startswith(f"../../../p/{folder}/steps/") for link in links)


def _eyebrow(html: str) -> str:
    return re.search(r'<p class="eyebrow">([^<]+)</p>', html).group(1)


def test_a_draft_step_leaves_no_gap_in_the_numbers(tmp_path):
    """What circlepress chose: a step's number is its place among the published steps, so with step 10
    a draft the last step is "Step 11 of 11" on its page, in the list, the navigation and the pager."""
    root = _project(tmp_path / "p")
    page = root / "content/steps/foster-community.md"
    page.write_text(page.read_text().replace("---\n", "---\ndraft: true\n", 1))
    build(load_project(root), now=NOW)
    site = root / "_site"
    last = (site / "steps/evaluate-your-impact/index.html").read_text()
    assert _eyebrow(last) == "Step 11 of 11"
    assert _eyebrow((site / "circles/lab-a/steps/evaluate-your-impact/index.html").read_text()) == "Step 11 of 11"
    assert "← Step 10: Be brave and flexible" in last
    groups = _list((site / "start/index.html").read_text())
    assert [n for _, items in groups for n, _, _ in items] == [str(n) for n in range(1, 12)]
    assert '<li value="11"><a href="steps/evaluate-your-impact/' in (site / "index.html").read_text()
    assert '<li value="11"><a href="../../circles/lab-a/steps/evaluate-your-impact/' in \
        (site / "circles/lab-a/index.html").read_text()
    # a --drafts preview shows the draft in its place, and numbers it
    build(load_project(root, drafts=True), now=NOW)
    assert _eyebrow((site / "steps/evaluate-your-impact/index.html").read_text()) == "Step 12 of 12"


def test_the_list_twice_on_a_page_gives_every_id_once_and_valid_html(tmp_path):
    """Each use of `{{< steps >}}` (and a heading of the page's own with a phase's title) gets its own
    ids: before-the-first-meeting, then before-the-first-meeting-2; checked by the Nu Html Checker."""
    import subprocess

    from browser_support import VNU_JAR, have_java
    from conftest import require_tool

    root = _project(tmp_path / "p")
    (root / "sites/lab-a/route.md").write_text("---\ntitle: Our route\n---\n## Before the first meeting\n\n"
                                               "{{< steps >}}\n\nAgain:\n\n{{< steps >}}\n")
    build(load_project(root), now=NOW)
    html = (root / "_site/circles/lab-a/route/index.html").read_text()
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"before-the-first-meeting", "before-the-first-meeting-2", "before-the-first-meeting-3",
            "while-the-circle-runs-2"} <= set(ids)
    assert len(_list(html)) == 3  # the first list's groups, found as before
    require_tool(have_java(), "java (for the Nu Html Checker)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker ({VNU_JAR})")
    page = root / "_site/circles/lab-a/route/index.html"
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", str(page)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


def test_phases_going_backwards_in_step_order_are_a_located_warning(tmp_path):
    root = _project(tmp_path / "p")
    _swap_steps(root / "content", "make-a-calendar", "focus-on-problem-solving")
    site = load_site(load_project(root))
    assert [p.format() for p in site.warnings if "phase" in p.message] == [
        "content/steps/make-a-calendar.md:4:1: warning: step 9's phase 'in-the-first-sessions' comes before the phase "
        "'while-the-circle-runs' of step 8 (steps/focus-on-problem-solving.md) (swap the steps' numbers, or give one "
        "of them another phase)"]
    assert not [p for p in load_site(load_project(_project(tmp_path / "q"))).warnings if "phase" in p.message]


@pytest.mark.parametrize("front", ["step: 3\n", "phase: in-the-first-sessions\n"])
def test_a_step_key_on_a_circles_own_page_is_a_located_error(tmp_path, front):
    from click.testing import CliRunner
    from circlepress.cli import main

    root = _project(tmp_path / "p")
    (root / "sites/lab-a/route.md").write_text(f"---\ntitle: Our route\n{front}---\nHi\n")
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    key = front.split(":")[0]
    assert result.exit_code == 1 and f"sites/lab-a/route.md:3:1: '{key}' is for the handbook's step pages only " \
        f"(remove '{key}:': a circle's own page is no step (its copies of the steps come from content/steps/))" \
        in result.output, result.output
