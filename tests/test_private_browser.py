"""Private circles in a real browser (Debian's Chromium via Playwright): the link opens the
circle's pages, nothing else does, and nothing leaks to the console."""

from __future__ import annotations

import re
import shutil

import pytest

from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.private.keys import b64, share_link

from browser_support import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: F401 - the launch flags live there
from conftest import NOW, VALID_CIRCLE
from private_support import keys_for, open_page, private

PRIVATE = "early-independence"
NAME = "Early Independence Circle"
TIMEOUT = 15_000


@pytest.fixture()
def tab(browser):
    """A fresh browsing context (its own sessionStorage) that records console errors."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def menu_link(tab, name: str, exact: bool = True):
    """A link in the menu, which on a phone is a closed disclosure: open it first."""
    summary = tab.locator("details.menu:not([open]) > summary")
    if summary.count() and summary.is_visible():
        summary.click()
    return tab.locator("nav.site-nav").get_by_role("link", name=name, exact=exact).first


# At the anchor, or scrolled as far as the page goes (an anchor near the end of a short page).
AT_ANCHOR = ("id => { const top = document.getElementById(id).getBoundingClientRect().top;"
             " const end = scrollY > 0 && innerHeight + scrollY >= document.scrollingElement.scrollHeight - 2;"
             " return Math.abs(top) < 100 || end; }")


def link(base: str, slug: str = PRIVATE) -> str:
    return share_link("", base, keys_for(slug), passphrase=False)


def wait_opened(page, heading: str) -> None:
    page.wait_for_function("h => document.querySelector('h1') && document.querySelector('h1').textContent.trim() === h",
                           arg=heading)


def wait_locked(page) -> None:
    page.wait_for_selector("#unlock:not([hidden])")


def test_the_link_opens_the_circle_and_its_pages(served, tab):
    _, base = served
    tab.goto(link(base))
    wait_opened(tab, NAME)
    assert "Lucía Fernández" in tab.content()
    assert "#" not in tab.url, "the key must leave the address bar"
    assert tab.title().endswith(NAME)
    menu_link(tab, "Calendar").click()
    wait_opened(tab, "Calendar")
    assert "Negotiating a start-up package" in tab.content()
    menu_link(tab, "Make a calendar", exact=False).click()
    wait_opened(tab, "Make a calendar")
    assert "What we want from this circle" in tab.content()  # the circle's own sessions on step 8
    assert tab.console_errors == []


def test_in_page_anchors_still_work(served, tab):
    _, base = served
    tab.goto(link(base))
    wait_opened(tab, NAME)
    calendar = tab.url + "calendar/#rotation"
    tab.goto(calendar)
    wait_opened(tab, "Calendar")
    assert tab.evaluate("location.hash") == "#rotation"
    tab.wait_for_function(AT_ANCHOR, arg="rotation")


@pytest.mark.parametrize("fragment", ["", "#" + "A" * 43, "#k=" + "A" * 43, "#not-a-key", "#%E0%A4%A"])
def test_without_the_right_key_only_a_neutral_message_shows(served, tab, fragment):
    _, base = served
    tab.goto(base + keys_for(PRIVATE).url + fragment)
    wait_locked(tab)
    text = tab.inner_text("body")
    assert "This page is private" in text or "does not open this page" in text
    for secret in ("Early Independence", "Lucía", "start-up package", "within the circle"):
        assert secret not in tab.content()
    assert tab.console_errors == []


def test_pasting_the_link_opens_the_page(served, tab):
    _, base = served
    tab.goto(base + keys_for(PRIVATE).url + "topics/")
    wait_locked(tab)
    tab.fill("#unlock-input", "Here it is: " + link("https://circles.example.org/repo/"))
    tab.click("#unlock button")
    wait_opened(tab, "Topics")
    assert "Building a lab culture" in tab.content()


def test_a_link_pasted_into_the_address_bar_of_a_locked_page_opens_it(served, tab):
    _, base = served
    tab.goto(base + keys_for(PRIVATE).url)
    wait_locked(tab)
    tab.goto(link(base))  # only the fragment changes: the same document, no reload
    wait_opened(tab, NAME)
    assert "#" not in tab.url


def test_a_link_made_before_the_k_form_still_opens(served, tab):
    _, base = served
    keys = keys_for(PRIVATE)
    assert link(base) == f"{base}{keys.url}#k={b64(keys.link_key)}"
    tab.goto(f"{base}{keys.url}#{b64(keys.link_key)}")
    wait_opened(tab, NAME)
    assert "#" not in tab.url
    assert tab.console_errors == []


def test_pages_open_from_file_urls(served, tab):
    site, _ = served
    keys = keys_for(PRIVATE)
    tab.goto((site / keys.url / "index.html").as_uri() + "#" + b64(keys.link_key))
    wait_opened(tab, NAME)
    menu_link(tab, "Agreement").click()
    wait_opened(tab, "Confidentiality agreement")
    assert "within the circle" in tab.content()
    assert tab.console_errors == []


def test_a_page_moved_to_another_path_does_not_open(served, tab, tmp_path):
    """The path is bound into the ciphertext: a host that swaps two pages shows neither."""
    site, _ = served
    copy = tmp_path / "repo"
    shutil.copytree(site, copy)
    keys = keys_for(PRIVATE)
    shutil.copy(copy / keys.url / "calendar" / "index.html", copy / keys.url / "topics" / "index.html")
    tab.goto((copy / keys.url / "index.html").as_uri() + "#" + b64(keys.link_key))
    wait_opened(tab, NAME)  # the key is now in this tab's sessionStorage
    tab.goto((copy / keys.url / "topics" / "index.html").as_uri())
    wait_locked(tab)
    assert "start-up package" not in tab.content()


def test_a_passphrase_opens_a_circle_that_chose_one(make_site, tab, tmp_path):
    circle = private(VALID_CIRCLE, "lab-p", "quiet river seven lanterns")
    root = make_site({"sites/lab-p/circle.yaml": circle})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    keys = keys_for("lab-p", "quiet river seven lanterns")
    tab.goto((out / keys.url / "index.html").as_uri())
    wait_locked(tab)
    tab.fill("#unlock-input", "wrong words entirely here")
    tab.click("#unlock button")
    tab.wait_for_function("() => document.getElementById('locked-message').textContent.includes('does not open')")
    tab.fill("#unlock-input", "quiet river seven lanterns")
    tab.click("#unlock button")
    wait_opened(tab, "Test Circle")
    menu_link(tab, "Topics").click()
    wait_opened(tab, "Topics")  # the next page opens without asking again
    assert tab.console_errors == []



HEADING = "Questions we keep coming back to each month"


def opened_page(site, slug: str, title: str) -> tuple[str, str]:
    """(folder under `site`, decrypted HTML) of the private circle's page titled `title`."""
    folder = site / keys_for(slug).url
    for shell in sorted(folder.rglob("index.html")):
        page = shell.relative_to(folder).as_posix()
        html = open_page(site, slug, page)
        if f"<h1>{title}</h1>" in html:
            return shell.parent.relative_to(site).as_posix() + "/", html
    raise AssertionError(f"no page titled {title}")


def test_an_anchor_shaped_like_a_key_scrolls_and_keeps_the_page_open(make_site, tab, tmp_path):
    """A heading's id can be 43 letters, digits and '-', as a bare key is: opening a page at that
    anchor, or following it inside an open page, shows the page and scrolls; the key stays kept."""
    circle = private(VALID_CIRCLE, "lab-p")
    filler = "\n\n".join(f"Paragraph {i} of what the circle wrote down." for i in range(80))
    notes = f"---\ntitle: Notes\n---\n[Jump to the questions](#ID)\n\n{filler}\n\n## {HEADING}\n\nThe end.\n"
    root = make_site({"sites/lab-p/circle.yaml": circle, "sites/lab-p/notes.md": notes})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    _, html = opened_page(out, "lab-p", "Notes")
    anchor = re.search(f'<h2 id="([^"]+)"[^>]*>{HEADING}', html).group(1)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", anchor), anchor  # the shape of a bare key
    (root / "sites/lab-p/notes.md").write_text(notes.replace("#ID", "#" + anchor))
    build(load_project(root, output=out), now=NOW)
    folder, _ = opened_page(out, "lab-p", "Notes")
    scrolled = AT_ANCHOR
    with serve(out) as origin:
        tab.goto(share_link(origin, "/", keys_for("lab-p"), passphrase=False))
        wait_opened(tab, "Test Circle")
        tab.goto(f"{origin}/{folder}#{anchor}")  # a new document: the key comes from this tab's store
        wait_opened(tab, "Notes")
        tab.wait_for_function(scrolled, arg=anchor)
        assert tab.evaluate("location.hash") == "#" + anchor
        tab.evaluate("window.scrollTo(0, 0)")
        tab.get_by_role("link", name="Jump to the questions").click()  # inside the open page
        tab.wait_for_function(scrolled, arg=anchor)
        assert tab.locator("h1").inner_text() == "Notes"
        menu_link(tab, "Topics").click()
        wait_opened(tab, "Topics")  # the kept key still opens the circle's other pages
def test_a_circles_own_page_opens_from_its_menu_at_an_address_of_its_keys(make_site, tab, tmp_path):
    root = make_site({"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab"),
                      "sites/lab/leaving-smith-lab.md": "---\ntitle: Leaving the lab\n---\nWhat we know so far.\n"})
    out = tmp_path / "out"
    build(load_project(root, output=out), now=NOW)
    keys = keys_for("lab")
    tab.goto((out / keys.url / "index.html").as_uri() + f"#{b64(keys.link_key)}")
    wait_opened(tab, "Test Circle")
    menu_link(tab, "Leaving the lab").click()
    wait_opened(tab, "Leaving the lab")
    assert "What we know so far." in tab.content() and "leaving" not in tab.url
    assert tab.console_errors == []


# --- remember on this device (issue 16 point 2) --------------------------------------------------

def _profile(browser, folder):
    """A browser with a profile kept on disk, as a member's own browser keeps one between visits."""
    context = browser.browser_type.launch_persistent_context(
        str(folder), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT)
    return context, context.pages[0] if context.pages else context.new_page()


def test_remember_on_this_device_survives_a_restart_and_forget_locks_it(served, browser, tmp_path):
    _, base = served
    folder = base + keys_for(PRIVATE).url  # the plain address, no fragment: a bookmark, an icon
    profile = tmp_path / "profile"
    context, page = _profile(browser, profile)
    page.goto(link(base))
    wait_opened(page, NAME)
    remember = page.get_by_label("Remember on this device")
    assert not remember.is_checked(), "off until the member ticks it"
    remember.check()
    assert page.get_by_role("button", name="Forget on this device").is_visible()
    other = context.new_page()  # a new tab opens it too
    other.goto(folder)
    wait_opened(other, NAME)
    context.close()

    context, page = _profile(browser, profile)  # next week: the same browser, restarted
    page.goto(folder + "calendar/")
    wait_opened(page, "Calendar")
    assert page.get_by_label("Remember on this device").is_checked()
    page.get_by_role("button", name="Forget on this device").click()  # from another page of the circle
    wait_locked(page)
    page.goto(folder)
    wait_locked(page)
    assert NAME not in page.content()
    context.close()

    context, page = _profile(browser, profile)
    page.goto(folder)
    wait_locked(page)
    assert NAME not in page.content()
    context.close()


def test_a_tab_that_does_not_remember_is_forgotten_on_restart(served, browser, tmp_path):
    _, base = served
    profile = tmp_path / "profile"
    context, page = _profile(browser, profile)
    page.goto(link(base))
    wait_opened(page, NAME)
    context.close()
    context, page = _profile(browser, profile)
    page.goto(base + keys_for(PRIVATE).url)
    wait_locked(page)
    context.close()
