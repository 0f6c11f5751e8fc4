"""Issue 17 point 5: steps keep their addresses when reordered; old addresses redirect."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from click.testing import CliRunner

from circlepress.build.pipeline import build
from circlepress.cli import main
from circlepress.private.keys import b64, page_folder
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError
from circlepress.programme.handbook import load_handbook, step_identity

from conftest import NOW, VALID_CIRCLE
from private_support import keys_for, open_page, private

ROOT = Path(__file__).resolve().parents[1]


def _handbook(content: Path):
    return load_handbook(content, str)


def test_swapping_step_numbers_reorders_but_keeps_addresses(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    before = {p.source: p.url for p in _handbook(content).steps}
    order = [p.source for p in _handbook(content).steps]
    a, b = content / "steps/ask-for-commitment.md", content / "steps/make-a-calendar.md"
    a.write_text(a.read_text().replace("step: 7\n", "step: 8\n"))
    b.write_text(b.read_text().replace("step: 8\n", "step: 7\n"))
    steps = _handbook(content).steps
    assert {p.source: p.url for p in steps} == before
    assert [p.source for p in steps].index("steps/make-a-calendar.md") == order.index("steps/ask-for-commitment.md")
    assert step_identity(next(p for p in steps if p.meta.step == 7)) == "make-a-calendar"
    assert before["steps/foster-community.md"] == "steps/foster-community/"


def test_a_numbered_file_is_served_under_its_identity(tmp_path):
    (tmp_path / "steps").mkdir(parents=True)
    (tmp_path / "steps/10-foster-community.md").write_text("---\ntitle: Foster\nstep: 9\n---\nHi\n")
    (page,) = _handbook(tmp_path).steps
    assert page.url == "steps/foster-community/" and page.meta.step == 9


@pytest.mark.parametrize("alias, message", [
    ("steps/two/", "the alias 'steps/two/' is the address of steps/two.md"),
    ("../outside/", "the alias '../outside/' is not an address inside the site"),
    ("/abs/", "the alias '/abs/' is not an address inside the site"),
    ("steps/one/", "the alias 'steps/one/' is the address of that page itself"),
])
def test_a_bad_alias_is_a_located_error(tmp_path, alias, message):
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps/one.md").write_text(f"---\ntitle: One\nstep: 1\naliases:\n  - {alias}\n---\nHi\n")
    (tmp_path / "steps/two.md").write_text("---\ntitle: Two\nstep: 2\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        _handbook(tmp_path)
    shown = [p.format() for p in caught.value.problems]
    assert any(f"one.md:5:5: {message}" in s for s in shown), shown


def test_two_pages_claiming_one_alias(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A\naliases: [old/]\n---\nHi\n")
    (tmp_path / "b.md").write_text("---\ntitle: B\naliases: [old/]\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        _handbook(tmp_path)
    assert any("the alias 'old/' is the address of an alias in a.md" in p.format() for p in caught.value.problems)


@pytest.mark.parametrize("old, new", [
    ("steps/10-foster-community/", "steps/foster-community/"),
    ("circles/imaging-and-data/steps/08-make-a-calendar/", "circles/imaging-and-data/steps/make-a-calendar/"),
])
def test_an_old_address_redirects_in_chromium(served, browser, old, new):
    _, base = served
    page = browser.new_page()
    try:
        page.goto(base + old)
        page.wait_for_url(re.compile(re.escape(new)), timeout=5000)
        assert page.locator("h1").first.is_visible()
    finally:
        page.close()


def test_redirects_are_not_in_the_sitemap(served):
    site, _ = served
    sitemap = (site / "sitemap.xml").read_text() if (site / "sitemap.xml").is_file() else ""
    redirect = (site / "steps/10-foster-community/index.html").read_text()
    assert 'content="noindex"' in redirect and '<link rel="canonical"' in redirect
    assert 'url=../../steps/foster-community/' in redirect and '<a href="../../steps/foster-community/' in redirect
    if sitemap:
        assert "steps/foster-community/" in sitemap and "10-foster-community" not in sitemap


def test_render_sitemap_leaves_out_old_addresses():
    from types import SimpleNamespace

    from circlepress.build.sitemap import render_sitemap

    view = SimpleNamespace(base_path="/", origin="https://example.org", moved=("steps/10-x/",),
                           public_circles=(SimpleNamespace(url="circles/a/"),))
    xml = render_sitemap(view, ["steps/x/index.html", "steps/10-x/index.html", "circles/a/steps/10-x/index.html",
                                "circles/a/steps/x/index.html"]).decode()
    assert "steps/x/" in xml and "10-x" not in xml


# --- a private circle's copies: the redirect is a sealed page like the others ----------------------

PRIVATE = "early-independence"


def _without_payload(shell: str) -> str:
    return re.sub(r'(<script type="application/json" id="circlepress-sealed">).*?(</script>)', r"\1\2", shell,
                  flags=re.S)


def test_a_private_redirect_is_a_shell_like_every_other_and_named_like_the_public_one(served):
    """Its name is the handbook's public old address under the circle's folder, the same in every
    private circle; its file is a sealed page's shell, its size one small class for every redirect
    (its text holds nothing of the circle: test_privacy's size test covers it), so it tells a
    stranger nothing a sealed page's name does not."""
    site, _ = served
    folder = site / keys_for(PRIVATE).url
    old, new = (folder / "steps/08-make-a-calendar/index.html").read_text(), \
        (folder / "steps/make-a-calendar/index.html").read_text()
    assert _without_payload(old) == _without_payload(new)
    redirects = [p / "index.html" for p in (folder / "steps").iterdir() if (site / "steps" / p.name / "index.html")
                 .read_text().count('http-equiv="refresh"')]
    assert len(redirects) == 12 and len({p.stat().st_size for p in redirects}) == 1
    assert redirects[0].stat().st_size < len(new) / 5  # not padded like a page that shows the circle's data
    assert "make-a-calendar" not in old and "Moved" not in old
    private_moved = {p.name for p in (folder / "steps").iterdir()} - {p.name for p in (site / "steps").iterdir()
                                                                      if "refresh" not in (p / "index.html").read_text()}
    public_moved = {p.name for p in (site / "steps").iterdir() if "refresh" in (p / "index.html").read_text()}
    assert private_moved == public_moved and "08-make-a-calendar" in public_moved
    opened = open_page(site, PRIVATE, "steps/08-make-a-calendar/index.html")
    assert re.search(r'<a href="(?:\.\./)+p/[^"]+/steps/make-a-calendar/index.html" data-moved>', opened)


def test_a_members_old_address_opens_the_new_page_with_the_key_in_chromium(served, browser):
    _, base = served
    keys = keys_for(PRIVATE)
    context = browser.new_context()
    page = context.new_page()
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    try:
        page.goto(f"{base}{keys.url}steps/08-make-a-calendar/#k={b64(keys.link_key)}")
        page.wait_for_url(re.compile(re.escape(keys.url + "steps/make-a-calendar/")), timeout=10000)
        page.wait_for_function("() => document.querySelector('h1') && "
                               "document.querySelector('h1').textContent.trim() === 'Make a calendar'", timeout=10000)
        assert "What we want from this circle" in page.content()  # the circle's own sessions: decrypted
        assert f"steps/make-a-calendar/index.html#k={b64(keys.link_key)}" in " ".join(visited), visited
        assert "#" not in page.url  # the new page takes the key out of the address bar, as every page does
    finally:
        context.close()


def test_without_the_key_the_old_address_shows_only_the_locked_page_in_chromium(served, browser):
    _, base = served
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}{keys_for(PRIVATE).url}steps/08-make-a-calendar/")
        page.wait_for_selector("#unlock:not([hidden])", timeout=10000)
        assert "08-make-a-calendar" in page.url and "make-a-calendar/" not in page.url.replace("08-make-a-calendar/", "")
        assert "This page is private" in page.content()
    finally:
        context.close()


def test_a_steps_alias_at_an_address_of_every_circles_site_is_a_located_error(tmp_path):
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps/one.md").write_text("---\ntitle: One\nstep: 1\naliases: [calendar/, topics/old/]\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        load_handbook(tmp_path, lambda p: p.relative_to(tmp_path).as_posix())
    assert [p.format() for p in caught.value.problems] == [
        "steps/one.md:4:11: the alias 'calendar/' would redirect at each circle's 'calendar/' too, which the "
        "circle's site uses (remove the alias, or give it another address)",
        "steps/one.md:4:22: the alias 'topics/old/' would redirect at each circle's 'topics/' too, which the "
        "circle's site uses (remove the alias, or give it another address)"]


def test_a_passphrase_circles_old_address_opens_the_new_page_from_a_file_in_chromium(make_site, browser, tmp_path):
    """From file:// too; the passphrase never goes into an address, the tab's key opens the new page."""
    phrase = "quiet river seven lanterns"
    root = make_site({"sites/lab-p/circle.yaml": private(VALID_CIRCLE, "lab-p", phrase)})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    folder = out / keys_for("lab-p", phrase).url
    context = browser.new_context()
    page = context.new_page()
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    try:
        page.goto((folder / "steps/08-make-a-calendar/index.html").as_uri())
        page.wait_for_selector("#unlock:not([hidden])", timeout=10000)
        page.fill("#unlock-input", phrase)
        page.click("#unlock button")
        page.wait_for_url(re.compile(re.escape("/steps/make-a-calendar/index.html")), timeout=10000)
        page.wait_for_function("() => document.querySelector('h1') && "
                               "document.querySelector('h1').textContent.trim() === 'Make a calendar'", timeout=10000)
        assert "Our progress:" in page.content()  # the circle's copy, decrypted
        assert not [url for url in visited if "#" in url or "quiet" in url], visited
    finally:
        context.close()


# --- a circle's own pages: their old names ------------------------------------------------------

READING = "---\ntitle: Reading list\naliases: [reading, old-books/]\n---\nBooks we liked.\n"


def test_a_circles_renamed_page_redirects_from_its_old_name(make_site, tmp_path):
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "sites/lab-a/reading-list.md": READING,
                      "sites/lab-p/circle.yaml": private(VALID_CIRCLE, "lab-p"), "sites/lab-p/reading-list.md": READING,
                      "circlepress.yaml": "title: Ours\nbase_url: https://circles.example.org/\n"})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    old = (out / "circles/lab-a/reading/index.html").read_text()
    assert 'url=../../../circles/lab-a/reading-list/index.html' in old and 'content="noindex"' in old
    assert (out / "circles/lab-a/old-books/index.html").is_file()
    sitemap = (out / "sitemap.xml").read_text()
    assert "circles/lab-a/reading-list/" in sitemap and "circles/lab-a/reading/" not in sitemap
    # in a private circle, the old name's folder is keyed as the page's is: no path names it
    keys = keys_for("lab-p")
    paths = [p.relative_to(out).as_posix() for p in (out / keys.url).rglob("*")]
    assert not [p for p in paths if "reading" in p or "books" in p]
    moved = open_page(out, "lab-p", f"{page_folder(keys, 'reading')}/index.html")
    assert f'/{page_folder(keys, "reading-list")}/index.html" data-moved>Reading list</a>' in moved


@pytest.mark.parametrize("aliases, message", [
    ("[reading-list]", "the alias 'reading-list' is this page's own name (remove the alias: a redirect there "
                       "would replace the page)"),
    ("[calendar]", "the alias 'calendar' is not a name a page of the circle's site can have (write the page's "
                   "old name, its file name without .md, e.g. reading-list)"),
    ("[../x]", "the alias '../x' is not a name a page of the circle's site can have"),
    ("[notes]", "the alias 'notes' is the name of the page notes.md"),
])
def test_a_bad_alias_of_a_circles_page_is_a_located_error(make_site, aliases, message):
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "sites/lab-a/notes.md": "---\ntitle: Notes\n---\nHi\n",
                      "sites/lab-a/reading-list.md": f"---\ntitle: Reading list\naliases: {aliases}\n---\nHi\n"})
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert result.exit_code == 1 and f"sites/lab-a/reading-list.md:3:11: {message}" in result.output, result.output


def test_two_pages_of_a_circle_claiming_one_old_name(make_site):
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE,
                      "sites/lab-a/a.md": "---\ntitle: A\naliases: [old]\n---\nHi\n",
                      "sites/lab-a/b.md": "---\ntitle: B\naliases: [old]\n---\nHi\n"})
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert result.exit_code == 1 and "sites/lab-a/b.md:3:11: the alias 'old' is also an alias of a.md (keep it on " \
        "one page)" in result.output, result.output


# --- issue 17.5 (hostile tester): aliases against every output the build writes -----------------

def _with_alias(root: Path, alias: str, step: str = "foster-community") -> Path:
    """The shipped handbook with `alias` added to a step's aliases, and a circle."""
    shutil.copytree(ROOT / "content", root / "content")
    (root / "circlepress.yaml").write_text("title: Ours\n")
    (root / "sites/lab-a").mkdir(parents=True)
    (root / "sites/lab-a/circle.yaml").write_text(VALID_CIRCLE)
    page = root / f"content/steps/{step}.md"
    text = page.read_text()
    page.write_text(text.replace("aliases: [", f"aliases: [{alias}, ", 1) if "aliases: [" in text
                    else text.replace("---\n", f"---\naliases: [{alias}]\n", 1))
    return root


def _alias_errors(root: Path) -> list[str]:
    """What `check` says, and that `build` says the same and writes nothing."""
    checked = CliRunner().invoke(main, ["check", "--root", str(root)])
    built = CliRunner().invoke(main, ["build", "--root", str(root)])
    assert checked.exit_code == built.exit_code == 1, checked.output + built.output
    assert "Traceback" not in built.output and "check the disk" not in built.output, built.output
    assert not (root / "_site").exists()
    errors = [line for line in checked.output.splitlines() if ": warning:" not in line and line.startswith(("content/", "sites/"))]
    assert errors and all(line in built.output for line in errors), built.output
    return errors


@pytest.mark.parametrize("alias, message", [
    ("index.html", "the alias 'index.html' is the address of index.md"),
    ("images/circle.png", "the alias 'images/circle.png/' would write its redirect inside 'images/circle.png', "
                          "which is a file: the file content/images/circle.png"),
    ("start/index.html", "the alias 'start/index.html' is the address of start.md"),
    ("steps/make-a-calendar/index.html", "the alias 'steps/make-a-calendar/index.html' is the address of "
                                         "steps/make-a-calendar.md"),
    ("Start/", "the alias 'Start/' is the address of start.md ('start/index.html' but for case, which "
               "case-insensitive disks take for one name)"),
    ("steps/Make-A-Calendar/", "the alias 'steps/Make-A-Calendar/' is the address of steps/make-a-calendar.md "
                               "('steps/make-a-calendar/index.html' but for case"),
])
def test_an_alias_on_an_output_the_build_writes_is_located_in_check_and_build(tmp_path, alias, message):
    root = _with_alias(tmp_path / "p", alias)
    errors = _alias_errors(root)
    assert any(e.startswith("content/steps/foster-community.md:11:11: ") and message in e for e in errors), errors


@pytest.mark.parametrize("alias, message", [
    ("404.html", "the alias '404.html' is the address of the page shown for an unknown address, which "
                 "circlepress writes (remove the alias, or give it another address)"),
    ("sitemap.xml/", "the alias 'sitemap.xml/' is the address of the sitemap, which circlepress writes"),
    ("Circles/old/", "the alias 'Circles/old/' would write a redirect in 'circles/', where circlepress writes "
                     "the list of circles and the circles' sites"),
    ("index.html", None),  # with no home page, a step's index.html alias is still each circle's home
])
def test_an_alias_where_circlepress_writes_its_own_files(tmp_path, alias, message):
    root = _with_alias(tmp_path / "p", alias)
    if message is None:
        (root / "content/index.md").unlink()
        message = "the alias 'index.html' would redirect at each circle's 'index.html' too"
    (error,) = _alias_errors(root)
    assert error.startswith("content/steps/foster-community.md:11:11: ") and message in error, error


@pytest.mark.parametrize("circle_file, text, message", [
    ("old-foster.md", "---\ntitle: Old\n---\nHi\n",
     "the alias 'old-foster/' would redirect at 'old-foster/' in each circle's site, which is the address of the "
     "circle's page sites/lab-a/old-foster.md"),
    ("reading.md", "---\ntitle: Reading\naliases: [old-foster]\n---\nHi\n",
     "the alias 'old-foster/' would redirect at 'old-foster/' in each circle's site, which is an old name of the "
     "circle's page sites/lab-a/reading.md (sites/lab-a/reading.md:3:11)"),
])
def test_a_steps_alias_at_a_circles_own_page_is_located_at_the_alias(tmp_path, circle_file, text, message):
    root = _with_alias(tmp_path / "p", "old-foster/")
    (root / "sites/lab-a" / circle_file).write_text(text)
    (error,) = _alias_errors(root)
    assert error == f"content/steps/foster-community.md:11:11: {message} (give the alias another address, or " \
        "rename the circle's page)", error


def test_an_html_alias_is_written_as_that_file_and_redirects_in_chromium(tmp_path, browser):
    """Hugo's way: `old-eval.html` is the file /old-eval.html (not old-eval.html/index.html), at the
    site's root and in each circle's site."""
    from browser_support import serve

    root = _with_alias(tmp_path / "p", "old-eval.html", "evaluate-your-impact")
    build(load_project(root), now=NOW)
    site = root / "_site"
    assert (site / "old-eval.html").is_file() and (site / "circles/lab-a/old-eval.html").is_file()
    assert 'url=steps/evaluate-your-impact/' in (site / "old-eval.html").read_text()
    assert "old-eval" not in (site / "sitemap.xml").read_text() if (site / "sitemap.xml").is_file() else True
    with serve(site) as origin:
        page = browser.new_page()
        try:
            for old, new in (("old-eval.html", "/steps/evaluate-your-impact/"),
                             ("circles/lab-a/old-eval.html", "/circles/lab-a/steps/evaluate-your-impact/")):
                page.goto(f"{origin}/{old}")
                page.wait_for_url(re.compile(re.escape(new)), timeout=5000)
                assert page.locator("h1").first.inner_text().strip() == "Evaluate your impact"
        finally:
            page.close()


@pytest.mark.parametrize("alias, message", [
    ("old%20eval2/", "the alias 'old%20eval2/' has a %-escape, which servers decode before looking for the file: "
                     "nothing written there is served"),
    ('"old eval/"', "the alias 'old eval/' has a space, which a link's address cannot have"),
    ('"old\\u200beval/"', "'aliases' holds \\u200b (zero width space)"),
    ("old<eval/", "the alias 'old<eval/' cannot be written: 'old<eval' holds '<', which Windows does not allow"),
    ("con/", "the alias 'con/' cannot be written: 'con' uses the device name 'CON'"),
])
def test_an_alias_a_link_cannot_reach_as_written_is_refused(tmp_path, alias, message):
    root = _with_alias(tmp_path / "p", alias, "evaluate-your-impact")
    (error,) = _alias_errors(root)
    assert message in error, error


def test_two_aliases_differing_only_in_case_are_one_folder(tmp_path):
    root = _with_alias(tmp_path / "p", "old-Eval/, old-eval/", "evaluate-your-impact")
    (error,) = _alias_errors(root)
    assert "the alias 'old-eval/' is the address of an alias in steps/evaluate-your-impact.md ('old-Eval/index.html' " \
        "but for case" in error, error
