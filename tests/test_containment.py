"""Nothing outside the programme is published: links in content/ and in circle folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
        assert "content/linked-folder:1:1: is a link to " in result.output, result.output
    assert not (root / "_site").exists()
    for name in ("env.txt", "roster.yaml", "linked-folder"):
        (root / "content" / name).unlink()
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


def test_a_folder_linked_into_content_is_reported_not_skipped(make_site):
    """A linked folder is never walked, even one pointing inside content/: it is reported, not silently left out."""
    root = _project(make_site)
    (root / "content/guides").mkdir()
    os.symlink("guides", root / "content/alias")
    os.symlink("missing.txt", root / "content/dangling.txt")
    result = _run(root, "check")
    assert result.exit_code == 1
    assert "content/alias:1:1: is a link to the folder 'guides', which is not followed, so nothing in it is " \
           "published (copy the folder into content/ instead of linking to it)" in result.output, result.output
    assert "content/dangling.txt:1:1: is a link to 'missing.txt', outside content/" in result.output


@pytest.mark.parametrize("setting, message", [
    ("content: sites", "circlepress.yaml:1:10: the content folder 'sites' overlaps sites/"),
    ("content: sites/lab-a", "circlepress.yaml:1:10: the content folder 'sites/lab-a' overlaps sites/"),
    ("content: .", "circlepress.yaml:1:10: the content folder '.' overlaps sites/"),
    ("content: .git", "circlepress.yaml:1:10: the content folder '.git' overlaps .git/"),
    ("content: .circlepress", "circlepress.yaml:1:10: the content folder '.circlepress' overlaps .circlepress/"),
    ("content: _site", "circlepress.yaml:1:10: the content folder '_site' overlaps the output folder _site/"),
    ("output: content/out", "circlepress.yaml:1:9: the content folder 'content' overlaps the output folder content/out/"),
    ("content: ..", "circlepress.yaml:1:10: the content folder '..' is outside the project"),
])
def test_a_content_setting_onto_what_is_never_published_is_refused(make_site, setting, message):
    root = _project(make_site)
    for folder in (".git", ".circlepress", "_site", "content/out"):
        (root / folder).mkdir(exist_ok=True)
    (root / "circlepress.yaml").write_text(setting + "\n")
    for command in ("check", "build"):
        result = _run(root, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert message in result.output, result.output


def test_a_content_or_theme_folder_linked_out_of_the_project_is_refused(make_site, tmp_path):
    root = _project(make_site)
    (tmp_path / "elsewhere/static").mkdir(parents=True)
    (root / "content").rename(tmp_path / "content-elsewhere")
    os.symlink(tmp_path / "content-elsewhere", root / "content")
    (root / "themes").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "themes/mine")
    (root / "circlepress.yaml").write_text("theme: mine\n")
    result = _run(root, "check")
    assert result.exit_code == 1
    assert "content:1:1: the content folder 'content' is outside the project" in result.output, result.output
    assert "circlepress.yaml:1:8: the theme folder 'themes/mine' is outside the project (make it a folder of its " \
           "own inside the project, not a link)" in result.output


def test_theme_static_files_linking_out_of_the_theme_are_refused(make_site):
    root = _project(make_site)
    static = root / "themes/mine/static"
    static.mkdir(parents=True)
    (static / "kept.css").write_text("body { color: black }\n")
    os.symlink("kept.css", static / "alias.css")  # inside the theme: fine
    os.symlink("/proc/self/environ", static / "env.txt")
    os.symlink("../../../sites/lab-a/circle.yaml", static / "roster.txt")
    (root / "circlepress.yaml").write_text("theme: mine\n")
    for command in ("check", "build"):
        result = _run(root, command)
        assert result.exit_code == 1, result.output
        assert "themes/mine/static/env.txt:1:1: is a link to '/proc/self/environ', outside mine/" in result.output
        assert "themes/mine/static/roster.txt:1:1: is a link to '../../../sites/lab-a/circle.yaml', outside mine/" \
               in result.output
    assert not (root / "_site").exists()
    (static / "env.txt").unlink()
    (static / "roster.txt").unlink()
    assert _run(root, "build").exit_code == 0
    assert (root / "_site/assets/alias.css").read_text() == "body { color: black }\n"
