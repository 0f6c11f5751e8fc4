"""The one writer: atomic swaps, dangerous output folders refused before anything is touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError
from circlepress.build.writer import write_site

from conftest import NOW, VALID_CIRCLE


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_failed_build_leaves_previous_output_byte_for_byte(make_site):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    before = snapshot(root / "_site")
    (root / "sites/a/circle.yaml").write_text(VALID_CIRCLE.replace("timezone: Europe/London", "timezone: Mars/Base"))
    with pytest.raises(CirclepressError):
        build(load_project(root), now=NOW)
    assert snapshot(root / "_site") == before


def test_interrupted_write_leaves_previous_output(make_site, monkeypatch):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    project = load_project(root)
    build(project, now=NOW)
    before = snapshot(root / "_site")

    class Boom(Exception):
        pass

    files = {"index.html": b"new", "later/page.html": b"x"}
    original = Path.write_bytes

    def write_then_fail(self, data):
        if self.name == "page.html":
            raise Boom()
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_then_fail)
    with pytest.raises(Boom):
        write_site(files, project.output_dir, project)
    monkeypatch.undo()
    assert snapshot(root / "_site") == before
    assert [p.name for p in root.iterdir() if "circlepress-tmp" in p.name] == []


def test_rebuild_replaces_only_its_own_files(make_site):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    (root / "sites" / "a").rename(root / "sites" / "b")
    build(load_project(root), now=NOW)
    assert (root / "_site/circles/b/index.html").is_file()
    assert not (root / "_site/circles/a").exists()


def test_an_empty_output_folder_made_by_someone_else_is_built_into(make_site, tmp_path):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    (root / "_site").mkdir()  # e.g. `mkdir _site` before the first build
    build(load_project(root), now=NOW)
    (tmp_path / "elsewhere").mkdir()
    build(load_project(root, output=tmp_path / "elsewhere"), now=NOW)
    assert (root / "_site/circles/a/index.html").is_file() and (tmp_path / "elsewhere/index.html").is_file()


def test_foreign_file_in_output_is_reported_not_deleted(make_site):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    (root / "_site" / "CNAME").write_text("circles.example.org")
    with pytest.raises(CirclepressError, match="file not written by circlepress"):
        build(load_project(root), now=NOW)
    assert (root / "_site" / "CNAME").read_text() == "circles.example.org"


@pytest.mark.parametrize("where", ["/", "~", ".", "content", "sites", "sites/a", "..", "not-ours"])
def test_dangerous_output_folders_are_refused_before_anything_is_touched(make_site, where, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE, "content/keep.md": "---\ntitle: Keep\n---\nx\n",
                      "not-ours/notes.txt": "mine"})
    out = {"~": tmp_path / "home", ".": root, "..": root.parent}.get(where, root / where)
    if where == "/":
        out = Path("/")
    before = snapshot(root)
    with pytest.raises(CirclepressError, match="refusing to write the site here"):
        build(load_project(root, output=out), now=NOW)
    assert snapshot(root) == before
    assert not any("circlepress" in p.name for p in out.iterdir()) if out.is_dir() and out != Path("/") else True


def build_command(root: Path, *args: str):
    """`circlepress build --root ROOT` as a user runs it, with stderr kept apart."""
    from click.testing import CliRunner

    from circlepress.cli import main

    try:
        runner = CliRunner(mix_stderr=False)  # Click 8.1
    except TypeError:
        runner = CliRunner()  # Click 8.2+ keeps stderr apart already
    return runner.invoke(main, ["build", "--root", str(root), *args])


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if "circlepress-tmp" in p.name or "circlepress-old" in p.name)


def test_a_full_disk_is_a_located_error_and_leaves_the_previous_output(make_site, monkeypatch):
    """A rebuild in place writes every file before replacing any: a disk that fills up on the
    way leaves the previous output as it was, and no temporary file."""
    import errno
    import os

    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    before = snapshot(root / "_site")
    (root / "sites/a/circle.yaml").write_text(VALID_CIRCLE.replace("Room 1", "Room 2"))
    replace = os.replace

    def full(src, dst):
        if "circlepress-tmp" in str(src):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src), None, str(dst))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    result = build_command(root)
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.exception
    first = result.stderr.splitlines()[0]
    assert first.startswith("_site/") and ": the build stopped: No space left on device (" in first, first
    assert snapshot(root / "_site") == before
    assert leftovers(root) == []


def test_a_failed_swap_puts_the_previous_output_back(make_site, monkeypatch):
    import os

    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    before = snapshot(root / "_site")
    (root / ".circlepress/build-state").unlink()  # a full build, staged beside the output
    rename = os.rename

    def fail_the_swap(src, dst):
        if "circlepress-tmp" in str(src):
            raise OSError(13, "Permission denied", str(src), None, str(dst))
        rename(src, dst)

    monkeypatch.setattr(os, "rename", fail_the_swap)
    result = build_command(root)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert ": the build stopped: Permission denied (" in result.stderr
    assert snapshot(root / "_site") == before
    assert leftovers(root) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("folder, in_place", [("_site", True), ("_site/circles/a", True), (".circlepress", True),
                                              ("_site/assets", False)])  # a rebuild in place writes nothing there
def test_a_read_only_folder_is_refused_before_anything_is_written(make_site, folder, in_place):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    before = snapshot(root / "_site")
    (root / "sites/a/circle.yaml").write_text(VALID_CIRCLE.replace("Room 1", "Room 2"))
    (root / folder).chmod(0o555)
    try:
        for options in ([], ["--strict"])[not in_place:]:  # a rebuild in place, then a full build (new options)
            result = build_command(root, *options)
            assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
            assert f"{folder}:1:1: cannot write the site: this folder is read-only" in result.stderr, result.stderr
            assert snapshot(root / "_site") == before
            assert leftovers(root) == []
    finally:
        (root / folder).chmod(0o755)


@pytest.mark.parametrize("kind", ["file", "folder", "broken", "own-file", "own-folder"])
def test_a_symbolic_link_in_the_output_is_refused_and_nothing_is_removed(make_site, tmp_path, kind):
    """circlepress never makes a link: one found in the output, under any name, is someone
    else's, and neither it nor what it points to is touched (a full build used to remove it)."""
    import shutil

    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    name = {"file": "notes.txt", "folder": "shared", "broken": "gone", "own-file": "index.html",
            "own-folder": "assets"}[kind]
    link = root / "_site" / name
    if kind == "own-file":
        link.unlink()
    elif kind == "own-folder":
        shutil.rmtree(link)
    link.symlink_to({"file": outside / "keep.txt", "own-file": outside / "keep.txt",
                     "broken": tmp_path / "nowhere"}.get(kind, outside))
    before = snapshot(root / "_site")
    for options in ([], ["--strict"]):  # the next build, and a full one
        result = build_command(root, *options)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
        assert result.stderr.splitlines()[0] == (
            f"_site/{name}:1:1: symbolic link not made by circlepress (it never makes one) (remove the link or "
            "move it out of the output folder; nothing it points to is touched)"), result.stderr
        assert link.is_symlink() and snapshot(root / "_site") == before
        assert snapshot(outside) == {"keep.txt": b"mine"}
    link.unlink()
    if kind == "own-folder":
        link.mkdir()
    build(load_project(root), now=NOW)  # its own files are replaced as ever
    assert (root / "_site/index.html").is_file() and (root / "_site/assets").is_dir()


def test_a_rebuild_in_place_never_writes_through_a_link(make_site, tmp_path):
    """`build --watch` trusts the output as its last build left it: a folder swapped for a link
    meanwhile is refused, not written through."""
    import shutil

    from circlepress.build.writer import update_site

    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    project = load_project(root)
    build(project, now=NOW)
    (tmp_path / "outside").mkdir()
    shutil.rmtree(root / "_site/circles/a")
    (root / "_site/circles/a").symlink_to(tmp_path / "outside")
    with pytest.raises(CirclepressError, match="symbolic link not made by circlepress") as info:
        update_site({"circles/a/index.html": b"new"}, project.output_dir, project)
    assert str(info.value).startswith("_site/circles/a:1:1: ")
    assert list((tmp_path / "outside").iterdir()) == []


@pytest.mark.parametrize("workers", ["render pool", "shared build"])
def test_a_full_disk_in_a_worker_is_a_located_error(make_site, monkeypatch, workers):
    """A full build writes pages from worker processes: the disk filling up there is reported
    like anywhere else (it was a worker's traceback), named by the output file."""
    import errno

    import circlepress.build.assemble as assemble
    import circlepress.build.workers as shares

    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE, "sites/b/circle.yaml": VALID_CIRCLE})
    build(load_project(root), now=NOW)
    before = snapshot(root / "_site")
    (root / ".circlepress/build-state").unlink()  # a full build, staged beside the output
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    monkeypatch.setattr(shares, "SHARED_FROM", 1 if workers == "shared build" else 10**6)
    write_bytes = Path.write_bytes

    def full(self, data):
        if "circlepress-tmp" in str(self) and "/circles/a/" in str(self):  # a page only a worker writes
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    result = build_command(root)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    first = result.stderr.splitlines()[0]
    assert first.startswith("_site/circles/a/") and ": the build stopped: No space left on device (" in first, first
    assert snapshot(root / "_site") == before
    assert leftovers(root) == []
