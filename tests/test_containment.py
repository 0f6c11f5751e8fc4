"""Nothing outside the programme is published: links in content/ and in circle folders."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from conftest import VALID_CIRCLE

from circlepress.cli import main

PRIVATE_CIRCLE = VALID_CIRCLE.replace("visibility: public", "visibility: private").replace("Test Circle", "Secret Roster")


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--root", str(root)])


def _project(make_site) -> Path:
    root = make_site({"content/index.md": "---\ntitle: Home\n---\nHello\n",
                      "content/agreement.md": "---\ntitle: Agreement\n---\nWhat is said here stays here.\n",
                      "sites/lab-a/circle.yaml": PRIVATE_CIRCLE,
                      "outside/notes.md": "---\ntitle: Leaked\n---\nOutside the project\n"})
    (root / ".gitignore").write_text("/.circlepress/\n")
    return root


def test_links_out_of_content_are_located_errors_and_nothing_is_published(make_site):
    root = _project(make_site)
    os.symlink("/proc/self/environ", root / "content/env.txt")
    os.symlink("../sites/lab-a/circle.yaml", root / "content/roster.yaml")
    os.symlink(root / "outside", root / "content/linked-folder")
    for command in ("check", "build"):
        result = _run(root, command)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        for name in ("content/env.txt", "content/roster.yaml"):
            line = next((l for l in result.output.splitlines() if l.startswith(f"{name}:1:1: is a link to ")), None)
            assert line and "outside content/" in line and line.endswith("instead of linking to it)"), result.output
    assert not (root / "_site").exists()
    (root / "content/env.txt").unlink()
    (root / "content/roster.yaml").unlink()
    assert _run(root, "build").exit_code == 0
    published = b"".join(p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file())
    assert b"Outside the project" not in published and b"Secret Roster" not in published


def test_a_circle_page_linking_out_of_its_folder_is_an_error(make_site):
    root = _project(make_site)
    os.symlink(root / "outside/notes.md", root / "sites/lab-a/notes.md")
    result = _run(root, "build")
    assert result.exit_code == 1
    assert "sites/lab-a/notes.md:1:1: is a link to " in result.output and "outside lab-a/" in result.output
    assert not (root / "_site").exists()


def test_a_linked_circle_folder_and_links_inside_it_still_work(make_site, tmp_path):
    root = _project(make_site)
    target = tmp_path / "kept-elsewhere"
    (root / "sites/lab-a").rename(target)
    os.symlink(target, root / "sites/lab-a")
    (target / "notes.md").write_text("---\ntitle: Notes\n---\nReading list\n")
    os.symlink("notes.md", target / "more.md")
    result = _run(root, "build")
    assert result.exit_code == 0, result.output


def test_a_name_ending_in_a_newline_is_refused(make_site):
    """Names are checked whole: a `$` with `match` let a trailing newline through."""
    root = make_site({"content/agreement.md": "---\ntitle: Agreement\n---\nKept here.\n",
                      "sites/lab-a/circle.yaml": VALID_CIRCLE})
    (root / "sites/lab-a").rename(root / "sites/lab-a\n")
    result = _run(root, "check")
    assert result.exit_code == 1 and "is not a safe URL segment" in result.output, result.output
