"""Images and files beside the handbook's pages (issue 17, points 1 and 2): written relative to
their markdown file, they open in every copy of the page, the handbook's, a public circle's and
a private circle's, in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

import pytest

from circlepress.private.keys import share_link

from private_support import keys_for

TIMEOUT = 15_000
STEP = "steps/find-a-starting-group/"
IMAGE = "img[src$='images/circle.png']"


@pytest.fixture()
def tab(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    yield page
    context.close()


def _opened_image(tab) -> int:
    tab.wait_for_selector(IMAGE)
    tab.wait_for_function("s => document.querySelector(s).complete", arg=IMAGE)
    return tab.eval_on_selector(IMAGE, "img => img.naturalWidth")


@pytest.mark.parametrize("page", [STEP, "start/", f"circles/imaging-and-data/{STEP}"])
def test_an_image_beside_the_markdown_opens_in_each_public_copy(served, tab, page):
    _, base = served
    tab.goto(base + page)
    assert _opened_image(tab) > 0, page


def test_an_image_opens_in_a_private_circles_copy_of_a_step(served, tab):
    _, base = served
    keys = keys_for("early-independence")
    tab.goto(share_link("", base, keys, passphrase=False))
    tab.wait_for_function("() => document.querySelector('h1') && /Circle/.test(document.querySelector('h1').textContent)")
    tab.goto(base + keys.url + STEP)  # the key is kept for the tab's session
    tab.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').textContent.trim()"
                          " === 'Find a starting group'")
    assert _opened_image(tab) > 0
