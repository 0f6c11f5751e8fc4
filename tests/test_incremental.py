"""Incremental and parallel builds: a rebuild renders only what changed, never rewrites an
unchanged file, and always equals a clean build."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import circlepress.build.assemble as assemble
from circlepress.build.pipeline import build
from circlepress.programme.errors import CirclepressError
from circlepress.programme.config import load_project
from circlepress.build.state import forget_state

from conftest import NOW, left_by_a_killed_build


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder):
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def clean_build(root, tmp_path):
    """What a build without any saved state makes of the same sources and the same previous
    output (which calendars read for their SEQUENCE numbers)."""
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(root / "_site", out)
    forget_state(root)
    result = build(load_project(root), now=NOW)
    assert result.changed == len(snapshot(root / "_site"))  # a full build, written anew
    return snapshot(root / "_site")


def rebuild(root):
    return build(load_project(root), now=NOW)


def test_a_no_op_rebuild_touches_nothing(project):
    first = rebuild(project)
    before = stamps(project / "_site")
    again = rebuild(project)
    assert again.changed == 0 and again.pages == first.pages
    assert stamps(project / "_site") == before


def test_one_circle_changed_rewrites_only_its_files_and_equals_a_clean_build(project, tmp_path):
    rebuild(project)
    before = stamps(project / "_site")
    circle = project / "sites/imaging-and-data/circle.yaml"
    circle.write_text(circle.read_text().replace("Careers outside the lab", "Careers in industry"))
    result = rebuild(project)
    after = stamps(project / "_site")
    touched = {p for p in after if after[p] != before.get(p)}
    assert touched and all(p.startswith("circles/imaging-and-data/") for p in touched), touched
    assert result.changed == len(touched)
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_a_public_circles_new_session_date_renders_its_pages_and_the_circles_list_only(project, tmp_path,
                                                                                     monkeypatch):
    """The circles list shows when each public circle next meets; no other page does, so a moved
    session must not render every page of the programme again (at 1,000 circles, 22,000 of them)."""
    from circlepress.build.render import Renderer

    rebuild(project)
    rendered: list[str] = []
    render = Renderer.render
    monkeypatch.setattr(Renderer, "render", lambda self, out: rendered.append(out.path) or render(self, out))
    before = stamps(project / "_site")
    circle = project / "sites/imaging-and-data/circle.yaml"
    text = circle.read_text()
    upcoming = next(d for d in re.findall(r"date: (\d{4}-\d{2}-\d{2})", text) if d > f"{NOW:%Y-%m-%d}")
    circle.write_text(text.replace(f"date: {upcoming}", f"date: {upcoming[:-2]}{int(upcoming[-2:]) + 1:02d}", 1))
    rebuild(project)
    after = stamps(project / "_site")
    touched = {p for p in after if after[p] != before.get(p)}
    assert "circles/index.html" in touched, touched
    assert all(p.startswith("circles/imaging-and-data/") or p == "circles/index.html" for p in touched), touched
    assert "circles/index.html" in rendered, rendered
    assert all(p.startswith("circles/imaging-and-data/") or p == "circles/index.html" for p in rendered), rendered
    assert snapshot(project / "_site") == clean_build(project, tmp_path)


CHANGES = ["title", "body", "summary", "phase", "template", "remove-circle", "private-circle", "config"]


def make_change(project, change: str) -> None:
    """One kind of edit a coordinator or an organiser makes."""
    if change == "title":
        step = project / "content/steps/ask-for-commitment.md"
        step.write_text(step.read_text().replace("title: Ask for commitment", "title: Ask for a promise"))
    elif change == "body":
        step = project / "content/steps/make-a-calendar.md"
        step.write_text(step.read_text().replace("Do it quickly", "Do it fast"))
    elif change == "summary":  # shown by the list of steps ({{< steps >}}) on another page
        step = project / "content/steps/foster-community.md"
        step.write_text(step.read_text().replace("summary: Build real", "summary: Grow real"))
    elif change == "phase":
        step = project / "content/steps/make-a-calendar.md"
        step.write_text(step.read_text().replace("phase: in-the-first-sessions", "phase: while-the-circle-runs"))
    elif change == "template":
        override = project / "themes/default/templates/shortcodes/evaluation.html"
        override.parent.mkdir(parents=True)
        override.write_text("<p>Evaluate often.</p>\n")
    elif change == "remove-circle":
        shutil.rmtree(project / "sites/imaging-and-data")
    elif change == "private-circle":
        circle = project / "sites/early-independence/circle.yaml"
        circle.write_text(circle.read_text().replace("Building a lab culture", "Building a team"))
    else:
        (project / "circlepress.yaml").write_text("title: Renamed\nbase_url: https://circles.example.org/\n")


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_gives_a_clean_build(project, tmp_path, change):
    rebuild(project)
    make_change(project, change)
    result = rebuild(project)
    assert result.changed > 0
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)
    if change == "remove-circle":
        assert not (project / "_site/circles/imaging-and-data").exists()


@pytest.mark.parametrize("change", CHANGES)
def test_a_build_from_what_the_last_one_kept_gives_a_clean_build(project, tmp_path, change):
    """`build --watch`: each build starts from what the last one kept in memory, not from disk."""
    first = rebuild(project)
    second = build(load_project(project), now=NOW, kept=first.kept)  # a first build from memory: nothing to do
    assert second.changed == 0 and second.kept is first.kept
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("circlepress.build.pipeline.load_state", lambda *a: pytest.fail("the state was read from disk"))
        patch.setattr("circlepress.build.pipeline.output_files", lambda *a: pytest.fail("the output was walked"))
        make_change(project, change)
        result = build(load_project(project), now=NOW, kept=second.kept)
        assert result.changed > 0
        circle = project / "sites/early-independence/circle.yaml"  # and a second build from memory
        circle.write_text(circle.read_text().replace("Senior postdocs", "Experienced postdocs", 1))
        again = build(load_project(project), now=NOW, kept=result.kept)
        assert again.changed > 0
    incremental = snapshot(project / "_site")
    assert rebuild(project).changed == 0  # the state it saved serves the next build in a new process
    assert incremental == clean_build(project, tmp_path)


def test_a_build_from_memory_after_another_process_built_gives_a_clean_build(project, tmp_path):
    """Another build (`circlepress build --base-url ...` beside a watcher) makes what was kept stale."""
    first = rebuild(project)
    build(load_project(project, base_url="/elsewhere/"), now=NOW)
    result = build(load_project(project), now=NOW, kept=first.kept)
    assert result.changed > 0
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_builds_of_one_programme_wait_for_each_other(project):
    import fcntl

    rebuild(project)
    (project / "sites/imaging-and-data/circle.yaml").write_text(
        (project / "sites/imaging-and-data/circle.yaml").read_text().replace("Careers outside", "Careers beyond"))
    lock = os.open(project, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a build in another process holds it
    other = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "build", "--root",
                              str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))})
    try:
        waited = other.stderr.readline()
        assert waited.startswith("Waiting for another build of this programme to finish"), waited
        time.sleep(0.5)
        assert other.poll() is None  # still waiting
        assert "Careers beyond" not in (project / "_site/circles/imaging-and-data/topics/index.html").read_text()
    finally:
        os.close(lock)
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0 and out.startswith("Built"), out + err
    assert "Careers beyond" in (project / "_site/circles/imaging-and-data/topics/index.html").read_text()


def test_a_build_from_memory_never_writes_over_a_file_someone_else_put_there(project):
    first = rebuild(project)
    theirs = project / "_site/circles/imaging-and-data/extra/index.html"
    theirs.parent.mkdir()
    theirs.write_text("mine")
    (project / "sites/imaging-and-data/extra.md").write_text("---\ntitle: Extra\n---\nMore.\n")
    with pytest.raises(CirclepressError, match="file not written by circlepress"):
        build(load_project(project), now=NOW, kept=first.kept)
    assert theirs.read_text() == "mine"


def test_a_build_stopped_while_writing_in_place_leaves_the_next_build_a_clean_one(project, tmp_path):
    """A page added, then the disk fails before the build ends (the sitemap cannot be replaced):
    the files written so far are the tool's own, so the next build rebuilds rather than refuses."""
    first = rebuild(project)
    (project / "sites/imaging-and-data/extra.md").write_text("---\ntitle: Extra\n---\nMore.\n")
    sitemap = project / "_site/sitemap.xml"
    sitemap.unlink()
    sitemap.mkdir()  # a folder where the sitemap goes: replacing it fails (as a watching build meets it)
    with pytest.raises(IsADirectoryError):
        build(load_project(project), now=NOW, kept=first.kept)
    assert (project / "_site/circles/imaging-and-data/extra/index.html").is_file()  # written before the failure
    sitemap.rmdir()
    rebuild(project)
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_an_output_changed_by_hand_while_watching_is_put_right_by_the_next_build(project, tmp_path):
    """A build from memory trusts the output as it left it; the state it saves does not."""
    first = rebuild(project)
    (project / "_site/index.html").write_text("edited by hand")
    circle = project / "sites/imaging-and-data/circle.yaml"
    circle.write_text(circle.read_text().replace("Careers outside the lab", "Careers in industry"))
    build(load_project(project), now=NOW, kept=first.kept)
    assert (project / "_site/index.html").read_text() == "edited by hand"
    rebuild(project)
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_an_output_changed_by_hand_makes_the_next_build_a_full_one(project, tmp_path):
    rebuild(project)
    (project / "_site/index.html").write_text("edited by hand")
    rebuild(project)
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_parallel_rendering_gives_the_same_files(project, tmp_path, monkeypatch):
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    build(load_project(project, output=tmp_path / "two"), now=NOW, jobs=2)
    build(load_project(project, output=tmp_path / "one"), now=NOW, jobs=1)
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")
    assert os.cpu_count()


def test_the_state_a_parallel_build_saves_serves_the_next_rebuild(project, tmp_path, monkeypatch):
    """A parallel full build pickles its memo while the workers render; the next rebuild must
    load it (writing only what the edit changed) and still equal a clean build."""
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    full = build(load_project(project), now=NOW, jobs=2)
    circle = project / "sites/imaging-and-data/circle.yaml"
    circle.write_text(circle.read_text().replace("name: ", "name: Renamed ", 1))
    again = build(load_project(project), now=NOW, jobs=2)
    assert 0 < again.changed < full.files / 2
    assert snapshot(project / "_site") == clean_build(project, tmp_path)


def test_a_full_build_that_fails_in_its_workers_leaves_the_previous_output(project, tmp_path, monkeypatch):
    """Workers write pages into the staging folder as they go; a page that fails to render
    must still leave the last output byte for byte, and no staging folder behind."""
    from circlepress.programme.errors import CirclepressError

    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    build(load_project(project), now=NOW, jobs=2)
    before = snapshot(project / "_site")
    forget_state(project)  # the next build is a full one, through the staging folder
    (project / "circlepress.yaml").write_text((project / "circlepress.yaml").read_text() + "theme: broken\n")
    (project / "themes/broken/templates/circle").mkdir(parents=True)
    (project / "themes/broken/templates/circle/topics.html").write_text(
        '{% extends "default/circle/topics.html" %}{% block content %}{{ circle.nmae }}{% endblock %}')
    with pytest.raises(CirclepressError) as info:
        build(load_project(project), now=NOW, jobs=2)
    assert str(info.value).startswith("themes/broken/templates/circle/topics.html:1:1: template error")
    assert snapshot(project / "_site") == before
    assert [p.name for p in project.iterdir() if "circlepress-tmp" in p.name] == []


def test_a_memo_reads_a_settled_file_once_and_never_trusts_a_fresh_one(tmp_path, monkeypatch):
    """Unchanged files are recognised by their stat; a file written moments ago is read every
    time, so an edit that keeps its size and timestamp is still seen."""
    import time
    from pathlib import Path

    from circlepress.programme.memo import Memo, content_stamp

    monkeypatch.setattr(Memo, "SETTLED_NS", 300_000_000)  # 0.3 s instead of 2 s, to keep the test short
    reads: list[str] = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or original(self))
    settled, fresh = tmp_path / "settled.yaml", tmp_path / "fresh.yaml"
    settled.write_text("name: A\n")
    time.sleep(0.5)
    fresh.write_text("name: B\n")
    memo = Memo()
    first = memo.content_stamp(settled, fresh)
    assert first == content_stamp(settled, fresh)
    assert memo.content_stamp(settled, fresh) == first
    assert reads.count("settled.yaml") == 1 + 1  # once by the memo, once by content_stamp
    assert reads.count("fresh.yaml") == 3

    stat = os.stat(fresh)
    fresh.write_text("name: C\n")  # same size; put the old modification time back
    os.utime(fresh, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert memo.content_stamp(settled, fresh) != first
    same_size = "name: X\n"
    stat = os.stat(settled)
    settled.write_text(same_size)  # a settled file rewritten in place, its old times put back (`cp -p`)
    os.utime(settled, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert memo.content_stamp(settled, fresh) == content_stamp(settled, fresh)
    assert reads.count("settled.yaml") == 4


def test_an_edited_template_is_compiled_again(project):
    """Compiled templates are kept between runs, keyed by their source: an edit that keeps the
    template's name (and even its size) must still show."""
    override = project / "themes/default/templates/shortcodes/evaluation.html"
    override.parent.mkdir(parents=True)
    page = project / "_site/steps/evaluate-your-impact/index.html"
    for text in ("First", "Again"):
        override.write_text(f"<p>{text} evaluation.</p>\n")
        rebuild(project)
        assert f"{text} evaluation." in page.read_text()


def test_a_memo_pickles_again_only_the_buckets_that_changed():
    """A rebuild that changed one circle must not pickle the whole memo again: the buckets
    nothing changed in are saved as the very bytes they were loaded from."""
    from circlepress.programme.memo import Memo

    memo = Memo()
    for i in range(2000):
        memo.get(("circle", f"c{i}"), "stamp", lambda i=i: i)
    parts = memo.parts()
    again = Memo.from_parts(parts)
    assert [again.get(("circle", f"c{i}"), "stamp", lambda: None) for i in range(2000)] == list(range(2000))
    assert {id(part) for part in again.parts()} == {id(part) for part in parts}  # the loaded bytes, not pickled again
    again.get(("circle", "c7"), "new stamp", lambda: "changed")
    after = again.parts()
    assert len(after) == len(parts) == Memo.BUCKETS
    assert len({id(part) for part in after} - {id(part) for part in parts}) == 1
    # In a process that saves again and again (build --watch), a bucket pickled once is kept until it changes.
    assert {id(part) for part in again.parts()} == {id(part) for part in after}
    reloaded = Memo.from_parts(after)
    assert reloaded.get(("circle", "c7"), "new stamp", lambda: None) == "changed"
    assert reloaded.get(("circle", "c8"), "stamp", lambda: None) == 8


def test_a_template_cache_that_cannot_be_used_never_fails_a_build(project, tmp_path, monkeypatch):
    """Compiled templates are an optimisation: a cache folder that cannot be written (a full
    disk, a file in its place) or files cut short mean compiling, never a failed build."""
    import circlepress.build.render as render

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setattr(render, "_bytecode_cache", lambda: render._BytecodeCache(str(blocked)))
    first = rebuild(project)
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(render, "_bytecode_cache", lambda: render._BytecodeCache(str(cache)))
    forget_state(project)
    rebuild(project)
    for path in cache.iterdir():  # every compiled template cut short
        path.write_bytes(path.read_bytes()[:20])
    forget_state(project)
    again = rebuild(project)
    assert again.pages == first.pages and len(list(cache.iterdir())) > 10


def test_render_workers_stop_when_the_main_process_is_killed(project):
    """Killed while its forked workers render, a build leaves no worker behind."""
    assert left_by_a_killed_build(project, "assemble.PARALLEL_FROM, shares.SHARED_FROM = 1, 10**9\n"
                                  "memo.Memo.parts = lambda self: os.kill(os.getpid(), 9)  # while workers render") == []


def test_a_linked_circle_folder_is_watched_for_changes_too(project, tmp_path):
    """The loader reads a circle folder that is a symbolic link; the rebuild sees its edits."""
    elsewhere = tmp_path / "elsewhere"
    shutil.move(project / "sites/imaging-and-data", elsewhere)
    (project / "sites/imaging-and-data").symlink_to(elsewhere, target_is_directory=True)
    rebuild(project)
    circle = elsewhere / "circle.yaml"
    circle.write_text(circle.read_text().replace("Careers outside the lab", "Careers in industry"))
    assert rebuild(project).changed > 0
    assert "Careers in industry" in (project / "_site/circles/imaging-and-data/topics/index.html").read_text()
    incremental = snapshot(project / "_site")
    assert incremental == clean_build(project, tmp_path)


def test_a_source_that_cannot_be_read_is_reported_with_its_location(project, monkeypatch):
    from click.testing import CliRunner

    from circlepress.cli import main

    unreadable = (project / "sites/imaging-and-data/circle.yaml").resolve()
    real = type(unreadable).read_bytes

    def read_bytes(path):
        if path.resolve() == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    def read_at_most(path, limit):  # the loaders' bounded read
        if path.resolve() == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return real_at_most(path, limit)

    from circlepress.programme import source

    real_at_most = source.read_at_most
    monkeypatch.setattr(type(unreadable), "read_bytes", read_bytes)
    monkeypatch.setattr(source, "read_at_most", read_at_most)
    result = CliRunner().invoke(main, ["build", "--root", str(project)])
    assert result.exit_code == 1 and not isinstance(result.exception, PermissionError), result.output
    assert "sites/imaging-and-data/circle.yaml:1:1: cannot read the file: Permission denied" in result.output
