"""Building the example site: golden output, reproducibility, privacy of listings, links."""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

from circlepress.build.pipeline import build
from circlepress.programme.config import load_project

from conftest import NOW, REPO, VALID_CIRCLE
from private_support import keys_for, open_page

GOLDEN = REPO / "tests" / "golden" / "example-site"
PRIVATE = "early-independence"


def build_example(out: Path, base_url: str = "/repo/") -> Path:
    build(load_project(REPO, base_url=base_url, output=out), now=NOW)
    return out


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_example_site_matches_golden(tmp_path):
    """The whole example site, byte for byte; UPDATE_GOLDEN=1 regenerates it."""
    built = tree(build_example(tmp_path / "site"))
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in built.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    golden = tree(GOLDEN)
    assert sorted(built) == sorted(golden)
    diffs = []
    for name in built:
        if built[name] != golden[name]:
            diffs += difflib.unified_diff(golden[name].decode().splitlines(), built[name].decode().splitlines(),
                                          f"golden/{name}", f"built/{name}", lineterm="")
    assert not diffs, "\n".join(diffs[:200])


def test_two_builds_are_identical(tmp_path):
    assert tree(build_example(tmp_path / "a")) == tree(build_example(tmp_path / "b"))


def test_private_circle_is_listed_nowhere_public(tmp_path):
    site = build_example(tmp_path / "site", base_url="https://circles.example.org/repo/")
    names = [PRIVATE, "Early Independence", "Lucía"]
    for path in site.rglob("*"):
        rel = path.relative_to(site).as_posix()
        if path.is_dir():
            continue
        text = path.read_text("utf-8", errors="replace")
        for name in names:
            assert name not in text, f"{rel} mentions the private circle ({name})"
    sitemap = (site / "sitemap.xml").read_text()
    assert "https://circles.example.org/repo/circles/imaging-and-data/" in sitemap
    assert PRIVATE not in sitemap
    listing = (site / "circles" / "index.html").read_text()
    assert "Imaging and Data Circle" in listing
    private_home = (site / keys_for(PRIVATE).url / "index.html").read_text()
    assert '<meta name="robots" content="noindex,nofollow">' in private_home


def _local_links(html: str) -> list[str]:
    return [u for u in re.findall(r'(?:href|src)="([^"]+)"', html)
            if not urlsplit(u).scheme and not u.startswith("#")]


@pytest.mark.parametrize("base_url", ["/", "/repo/", "https://user.github.io/repo/"])
def test_every_internal_link_resolves_to_a_written_file(tmp_path, base_url):
    """Links are relative and name files, so they work at a root, under /repo/ and from file://."""
    site = build_example(tmp_path / "site", base_url=base_url)
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        for link in _local_links(page.read_text("utf-8")):
            path = urlsplit(link).path
            assert not path.startswith("/"), f"{page}: absolute link {link}"
            target = (page.parent / path).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert not broken, "\n".join(broken)


def test_404_links_are_base_prefixed(tmp_path):
    site = build_example(tmp_path / "site", base_url="/repo/")
    links = re.findall(r'(?:href|src)="([^"]+)"', (site / "404.html").read_text())
    links = [link for link in links if not link.startswith("#")]
    assert links and all(link.startswith("/repo/") for link in links), links
    for link in links:
        assert (site / PurePosixPath(link).relative_to("/repo/")).exists() or link.endswith("/")


def test_step_pages_show_the_circles_own_data(tmp_path):
    site = build_example(tmp_path / "site")
    steps = site / "circles" / "imaging-and-data" / "steps"
    calendar = (steps / "make-a-calendar" / "index.html").read_text()
    assert "Supervising your first student" in calendar and "Tomás Herrera" in calendar
    assert "Sessions fixed for the whole term." in calendar  # its progress note
    assert "The form for round 1 opens on" in (steps / "evaluate-your-impact" / "index.html").read_text()
    agreement = open_page(site, PRIVATE, "steps/define-goals-and-expectations/index.html")
    assert "We keep what is said in this circle within the circle." in agreement
    public = (site / "steps" / "make-a-calendar" / "index.html").read_text()
    assert "Example circle" in public and "Tomás" not in public


def test_home_shows_the_next_session_as_of_the_build(tmp_path):
    home = (build_example(tmp_path / "site") / "circles" / "imaging-and-data" / "index.html").read_text()
    next_block = home.split('id="next-heading"')[1].split("</section>")[0]
    assert "Thursday 11 March 2027" in next_block  # NOW is 20 Feb 2027: February's session is over
    assert "As of 20 Feb 2027" in next_block


def test_values_from_yaml_are_escaped_everywhere(make_site, tmp_path):
    evil = "<script>alert(1)</script>"
    circle = VALID_CIRCLE.replace("name: Test Circle", f"name: '{evil}\"'").replace(
        "{id: ana, name: Ana}", "{id: ana, name: '\"><img src=x onerror=alert(2)>'}")
    circle += "topics:\n  - title: T\n    notes: '<b>raw</b> html'\n"
    root = make_site({"sites/evil/circle.yaml": circle})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    for page in (tmp_path / "out" / "circles" / "evil").rglob("*.html"):
        html = page.read_text()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>raw</b>" not in html
    home = (tmp_path / "out" / "circles" / "evil" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in home


def test_user_theme_overrides_one_template_and_extends_the_default(make_site, tmp_path):
    root = make_site({
        "circlepress.yaml": "theme: mine\n",
        "themes/mine/templates/base.html": """\
            {% extends "default/base.html" %}
            {% block footer %}<p>Run by the Postdoc Office</p>{{ super() }}{% endblock %}
            """,
        "themes/mine/static/extra.css": "body { color: red }\n",
    })
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    home = (tmp_path / "out" / "index.html").read_text()
    assert "Run by the Postdoc Office" in home and "built with circlepress" in home
    assert (tmp_path / "out" / "assets" / "extra.css").is_file()
    assert (tmp_path / "out" / "assets" / "style.css").is_file()  # inherited from the default theme


def test_tailoring_the_handbook_needs_no_code(make_site, tmp_path):
    shutil.copytree(REPO / "content", tmp_path / "project" / "content")
    root = make_site({
        "content/faq.md": "---\ntitle: Questions\norder: 15\n---\nAsk us.\n",
        "content/secret-plans.md": "---\ntitle: Not yet\ndraft: true\n---\nHidden.\n",
    })
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    home = (tmp_path / "out" / "index.html").read_text()
    nav = re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+)</a></li>', home.split("nav-guide")[1].split("</ul>")[0])
    assert nav.index("Start a circle") < nav.index("Questions") < nav.index("The default circle agreement")
    assert not (tmp_path / "out" / "secret-plans").exists() and "Not yet" not in home


@pytest.mark.parametrize("template, message", [
    ("{{ sitee.title }}", "template error: 'sitee' is undefined"),
    ("{% if %}", "template error: Expected an expression"),
])
def test_template_mistakes_are_located_in_the_override(make_site, tmp_path, template, message):
    from circlepress.programme.errors import CirclepressError

    root = make_site({"circlepress.yaml": "theme: mine\n",
                      "themes/mine/templates/404.html": "{% extends 'default/404.html' %}\n"
                                                        "{% block content %}\n" + template + "\n{% endblock %}\n"})
    with pytest.raises(CirclepressError) as info:
        build(load_project(root, output=tmp_path / "out"), now=NOW)
    text = str(info.value)
    assert text.startswith("themes/mine/templates/404.html:3:1: " + message), text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("template, message", [
    ("{{ site.title + 1 }}", 'template error: TypeError: can only concatenate str (not "int") to str'),
    ("{{ 1 // 0 }}", "template error: ZeroDivisionError: integer division or modulo by zero"),
    ("{{ site.title | longdate }}", "template error: ValueError: Invalid format specifier"),
])
@pytest.mark.parametrize("jobs", [1, 2])
def test_any_exception_from_a_template_is_located_with_its_page(make_site, tmp_path, monkeypatch, template, message,
                                                                jobs):
    """Not only Jinja's own errors: whatever a template raises, in this process or a render worker."""
    import circlepress.build.assemble as assemble
    from circlepress.programme.errors import CirclepressError

    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    root = make_site({"circlepress.yaml": "theme: mine\n", "sites/lab-a/circle.yaml": VALID_CIRCLE,
                      "themes/mine/templates/circle/.keep": ""})
    build(load_project(root, output=tmp_path / "out"), now=NOW, jobs=jobs)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    (root / "themes/mine/templates/circle/home.html").write_text(
        "{% extends 'default/circle/home.html' %}\n{% block content %}\n" + template + "\n{% endblock %}\n")
    for strict in (False, True):  # a full build renders into the staging folder; --strict before writing
        with pytest.raises(CirclepressError) as info:
            build(load_project(root, output=tmp_path / "out"), now=NOW, jobs=jobs, strict=strict)
        text = str(info.value)
        assert text.startswith("themes/mine/templates/circle/home.html:3:1: " + message), text
        assert ", rendering circles/lab-a/index.html (fix the template" in text
        assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if "circlepress-tmp" in p.name] == []


@pytest.mark.parametrize("template, message", [
    ("{{ circle.nmae }}", "template error: "),
    ("{% if %}", "template error: Expected an expression"),
])
def test_shortcode_template_mistakes_are_located_too(make_site, tmp_path, template, message):
    from circlepress.programme.errors import CirclepressError

    root = make_site({"circlepress.yaml": "theme: mine\n", "themes/mine/templates/shortcodes/members.html": template})
    with pytest.raises(CirclepressError) as info:
        build(load_project(root, output=tmp_path / "out"), now=NOW)
    text = str(info.value)
    assert text.startswith("themes/mine/templates/shortcodes/members.html:1:1: " + message), text
    assert not (tmp_path / "out").exists()


def test_a_folder_named_like_a_page_is_no_page(make_site):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE, "sites/a/notes.md/draft.txt": "not a page",
                      "sites/a/reading.md": "---\ntitle: Reading list\n---\nPapers.\n"})
    build(load_project(root), now=NOW)
    assert (root / "_site/circles/a/reading/index.html").is_file()
    assert not (root / "_site/circles/a/notes").exists()


def test_a_source_that_cannot_be_read_is_located_not_a_traceback(tmp_path):
    from circlepress.programme.errors import CirclepressError
    from circlepress.programme.source import read_text

    (tmp_path / "circle.yaml").mkdir()  # as when an editor's save has moved the file for a moment
    with pytest.raises(CirclepressError) as caught:
        read_text(tmp_path / "circle.yaml", "sites/a/circle.yaml")
    assert [p.format() for p in caught.value.problems] == [
        "sites/a/circle.yaml:1:1: cannot read the file: Is a directory (check that it is a file you can read, "
        "then build again)"]


def test_a_circles_home_shows_its_evaluation_form_and_next_date(tmp_path, make_site):
    """Issue 16 point 8, as issue 18 made it: the next round's date while no round is open (its
    form's link only while it is: tests/test_rounds.py), or "not set yet"."""
    home = (build_example(tmp_path / "site") / "circles" / "imaging-and-data" / "index.html").read_text()
    block = home.split('<section aria-labelledby="evaluation-heading"', 1)[1].split("</section>", 1)[0]
    assert 'Next evaluation: round 1 opens on <time datetime="2027-03-11">Thursday 11 March 2027</time>; ' \
        "its form's link appears here then." in block and "<a " not in block
    no_form = "".join(line for line in VALID_CIRCLE.splitlines(keepends=True) if not line.startswith("links:"))
    project = make_site({"sites/lab-a/circle.yaml": no_form})
    build(load_project(project, output=tmp_path / "bare"), now=NOW)
    bare = (tmp_path / "bare" / "circles" / "lab-a" / "index.html").read_text()
    block = bare.split('<section aria-labelledby="evaluation-heading"', 1)[1].split("</section>", 1)[0]
    assert "The evaluation form is not set yet." in block and "<a " not in block
    assert 'Round 1 is open until <time datetime="2027-03-03">Wednesday 3 March 2027</time>.' in block  # from 11 Feb


def test_the_circles_list_says_who_takes_members_how_to_join_and_when_it_next_meets(tmp_path, make_site):
    """Issue 16 point 12: `joining:` and the next session on the public Circles page; nothing of a
    private circle, whose `joining:` is as private as the rest of its file."""
    page = (build_example(tmp_path / "site") / "circles" / "index.html").read_text()
    entry = page.split('<ul class="circle-list">', 1)[1].split("</ul>", 1)[0]
    text = " ".join(re.sub(r"</?time[^>]*>", "", re.sub(r"<(?!/?time)[^>]+>", " ", entry)).split())
    assert text == ("Imaging and Data Circle Postdocs and staff scientists working with microscopy and large data "
                    "sets. New members Open to new members How to join Write to Amara and come to one session "
                    "before you decide. Contact amara.okafor@example.org Next meets Thursday 11 March 2027, "
                    "16:00 (Europe/London)")
    assert '<a href="mailto:amara.okafor@example.org">' in entry
    for secret in ("Lucía", "lucia.fernandez", "next term", "Early Independence"):
        assert secret not in page
    full = VALID_CIRCLE + "joining: {open: false, contact: \"https://example.org/join\"}\n"
    project = make_site({"sites/lab-a/circle.yaml": full, "sites/lab-b/circle.yaml": VALID_CIRCLE.replace(
        "Test Circle", "Quiet Circle").replace("2027-03-11", "2027-02-12")})
    build(load_project(project, output=tmp_path / "two"), now=NOW)
    page = (tmp_path / "two" / "circles" / "index.html").read_text()
    text = " ".join(re.sub(r"</?time[^>]*>", "", re.sub(r"<(?!/?time)[^>]+>", " ", page)).split())
    assert "Test Circle New members Not taking new members this term Contact Write to the circle Next meets " \
        "Thursday 11 March 2027, 16:00 (Europe/London)" in text
    assert "Quiet Circle New members Ask the circle Next meets No session is scheduled yet" in text
