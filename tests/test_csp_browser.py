"""The pages' Content-Security-Policy (issue 13 item 4): every page carries it first in its head,
nothing the site does is refused by it in a real browser (Debian's Chromium via Playwright), and
it stops a remote image in handbook markdown from loading on a circle's opened private page."""

from __future__ import annotations

import html
import re

import pytest

from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.build.render import CSP

from browser_support import html_files, serve
from conftest import NOW, REPO
from private_support import keys_for
from test_private_browser import PRIVATE, link, wait_opened

TIMEOUT = 15_000
HEAD = re.compile(r'<head>\s*<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
PIXEL = "https://tracker.example/pixel.gif"
STEP = "steps/make-a-calendar/"
ORIGINS = ("http://127.0.0.1:", "file:", "data:")


def new_tab(browser, **options):
    """A fresh context whose console errors (where Chromium reports refused loads) are kept."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT)
    context.requests = []  # what left the page for the network (a refused load never does)

    def reached(route):
        context.requests.append(route.request.url)
        route.abort()  # never the real network

    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(ORIGINS) else reached(route))
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


def head_policy(page) -> str:
    """The policy the document's first head element gives, and that it is the only one."""
    return page.evaluate("""() => {
      const first = document.head.firstElementChild;
      const all = document.querySelectorAll('meta[http-equiv]');
      return all.length === 1 && first === all[0] && first.httpEquiv === 'Content-Security-Policy'
        ? first.content : null;
    }""")


def test_every_built_page_starts_its_head_with_the_policy(served):
    site, _ = served
    pages = html_files(site)
    assert len(pages) > 40
    for path in pages:
        match = HEAD.search(path.read_text("utf-8"))
        assert match and html.unescape(match.group(1)) == CSP, path


def test_public_and_private_pages_work_under_the_policy(served, browser):
    _, base = served
    tab = new_tab(browser)
    for path in ("", "start/", STEP, "circles/", "circles/imaging-and-data/", "circles/imaging-and-data/calendar/",
                 "404.html"):
        tab.goto(base + path)
        tab.wait_for_load_state("load")
        assert head_policy(tab) == CSP, path
        assert tab.evaluate("() => getComputedStyle(document.body).fontFamily") != "", path
    tab.goto(link(base))
    wait_opened(tab, "Early Independence Circle")
    tab.wait_for_function("() => !document.querySelector('[data-next=\"asof\"]').textContent.startsWith('As of')")
    assert head_policy(tab) == CSP  # the opened page keeps the shell's head
    tab.get_by_role("link", name="Calendar", exact=True).click()
    wait_opened(tab, "Calendar")
    assert head_policy(tab) == CSP
    with tab.expect_download() as download:  # a data: URL inside the opened page
        tab.click("#whole-calendar")
    assert download.value.path().read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert tab.console_errors == []
    tab.context.close()


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """The example programme with a remote image in step 8, built: (site folder, warnings, its line)."""
    import shutil

    root = tmp_path_factory.mktemp("tracked") / "programme"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "sites", root / "sites")
    (root / "circlepress.yaml").write_text("title: Test\n")
    step = root / "content/steps/make-a-calendar.md"
    text = step.read_text("utf-8") + f"\nA pixel: ![]({PIXEL})\n"
    step.write_text(text, "utf-8")
    result = build(load_project(root, output=root / "_site"), now=NOW)
    return root / "_site", [w.format() for w in result.warnings], len(text.splitlines())


def test_the_build_warns_about_a_remote_image(tracked):
    _, warnings, line = tracked
    assert [w for w in warnings if PIXEL in w] == [
        f"content/steps/make-a-calendar.md:{line}:14: warning: image '{PIXEL}' is on another host, and the "
        "pages' Content-Security-Policy blocks it (copy the image into content/ and give its path)"]


@pytest.mark.parametrize("policy", [True, False], ids=["with-policy", "bypassed"])
def test_a_remote_image_does_not_load_on_an_opened_private_page(tracked, browser, policy):
    """Bypassing the policy shows the test can fail: the same page then requests the pixel."""
    site, _, _ = tracked
    with serve(site) as origin:
        tab = new_tab(browser, bypass_csp=not policy)
        keys = keys_for(PRIVATE)
        tab.goto(link(origin + "/"))
        wait_opened(tab, "Early Independence Circle")
        tab.goto(origin + "/" + keys.url + STEP)
        wait_opened(tab, "Make a calendar")
        tab.wait_for_load_state("load")
        assert tab.locator(f'img[src="{PIXEL}"]').count() == 1  # the decrypted page has the image
        tab.wait_for_timeout(300)
        asked = [url for url in tab.context.requests if url.startswith("https://tracker.example/")]
        if policy:
            assert asked == []
            assert any("tracker.example" in e and "Content Security Policy" in e for e in tab.console_errors)
        else:
            assert asked == [PIXEL]
        tab.context.close()


def test_a_theme_that_leaves_the_policy_out_stops_the_build(make_site, tmp_path):
    """Every page must carry the policy: an override of base.html without it is a located error."""
    from click.testing import CliRunner

    from circlepress.cli import main

    base = (REPO / "themes/default/templates/base.html").read_text("utf-8")
    root = make_site({"circlepress.yaml": "title: T\ntheme: mine\n", "themes/mine/templates/base.html": base})
    out = tmp_path / "out"
    build_it = ["build", "--root", str(root), "--out", str(out)]
    assert CliRunner().invoke(main, build_it).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (root / "themes/mine/templates/base.html").write_text(base.replace(
        '<meta http-equiv="Content-Security-Policy" content="{{ csp }}">\n', ""), "utf-8")
    result = CliRunner().invoke(main, build_it)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "themes/mine/templates/base.html:3:1: the page 'index.html' has no Content-Security-Policy first in its " \
        '<head> (start <head> with <meta http-equiv="Content-Security-Policy" content="{{ csp }}">, as the default ' \
        "theme's templates do)" in result.output, result.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
