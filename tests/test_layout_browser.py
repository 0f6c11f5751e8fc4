"""Issue 16, points 4, 5, 9 and 11 in Chromium: no sideways scroll, the calendar on A4 paper,
the menu as a disclosure and the Tab order, and dark mode at WCAG AA contrast."""

from __future__ import annotations

import re
from datetime import date

import pytest

from browser_support import html_files, listing
from circlepress.private.keys import b64
from circlepress.scaffold.new import circle_template
from conftest import REPO
from private_support import keys_for

AXE = REPO / "node_modules/axe-core/axe.min.js"
TIMEOUT_MS = 20_000
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
A4_PX = 794  # 210 mm at 96 px per inch
PUBLIC = {"handbook home": "", "step": "steps/make-a-calendar/", "circles list": "circles/",
          "circle home": "circles/imaging-and-data/", "calendar": "circles/imaging-and-data/calendar/",
          "topics": "circles/imaging-and-data/topics/", "agreement": "circles/imaging-and-data/agreement/",
          "circle step": "circles/imaging-and-data/steps/make-a-calendar/", "404": "no/such/page/"}
PRIVATE = {"private home": "", "private calendar": "calendar/", "private step": "steps/make-a-calendar/"}

# The page, and every scrolling box on it, as wide as it is shown (nothing behind a sideways scroll).
SIDEWAYS_JS = """() => {
  const out = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth) out.push(`page ${doc.scrollWidth}px in ${window.innerWidth}px`);
  for (const el of document.body.querySelectorAll('*')) {
    const o = getComputedStyle(el).overflowX;
    if ((o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}px in ${el.clientWidth}px`);
  }
  return out;
}"""


def _pages(page, base):
    """Every page kind, public and (opened with the member's link) private: yields (name, url)."""
    for name, path in PUBLIC.items():
        page.goto(base + path)
        yield name
    keys = keys_for("early-independence")
    page.goto(f"{base}{keys.url}#{b64(keys.link_key)}")
    page.wait_for_function("() => !document.getElementById('unlock')")  # opened: the key is kept
    for name, path in PRIVATE.items():
        page.goto(base + keys.url + path)
        page.wait_for_function("() => !document.getElementById('unlock')")
        yield name


@pytest.mark.parametrize("size", WIDTHS)
def test_no_page_scrolls_sideways(served, browser, size):
    _, base = served
    context = browser.new_context(viewport=WIDTHS[size])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    found = []
    for name in _pages(page, base):
        found += [f"{name} at {size}: {w}" for w in page.evaluate(SIDEWAYS_JS)]
    context.close()
    assert not found, listing(found)


def test_calendar_prints_as_a_table_on_a4(served, browser):
    _, base = served
    context = browser.new_context(viewport={"width": A4_PX, "height": 1123})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(base + PUBLIC["calendar"])
    page.emulate_media(media="print")
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= A4_PX, f"the printed calendar is {width}px wide, A4 is {A4_PX}px"
    table = page.locator("table.sessions")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert table.locator("thead").is_visible(), "the printed table has its column headings"
    assert table.bounding_box()["width"] <= A4_PX
    for what in ("nav", ".menu", ".add-cal", "#whole-calendar", ".pager"):
        loc = page.locator(what)
        for i in range(loc.count()):
            assert loc.nth(i).is_hidden(), f"{what} #{i} is printed but cannot be used on paper"
    written = page.evaluate("""() => [...document.querySelectorAll('main a')]
        .map(a => getComputedStyle(a, '::after').content).filter(c => c.includes('http') && c.length > 120)""")
    assert not written, f"long link addresses written out in print: {written[:2]}"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    context.close()


def test_menu_is_a_disclosure_on_a_phone_without_javascript(served, browser):
    _, base = served
    context = browser.new_context(viewport=WIDTHS["phone"], java_script_enabled=False)
    page = context.new_page()
    page.goto(base + PUBLIC["circle home"])
    summary = page.locator("details.menu > summary")
    assert summary.is_visible() and summary.inner_text().strip() == "Menu"
    calendar = page.locator("nav.site-nav").get_by_role("link", name="Calendar", exact=True)
    assert calendar.is_hidden(), "the menu starts closed on a phone"
    above = page.evaluate("() => document.querySelector('details.menu').getBoundingClientRect().top"
                          " < document.querySelector('main').getBoundingClientRect().top")
    assert above, "the menu opens in place, above the content, not at the page bottom"
    summary.click()
    assert calendar.is_visible(), "tapping Menu opens the menu"
    assert summary.bounding_box()["height"] >= 44
    context.close()


def test_desktop_tab_order_follows_the_sidebar_then_the_content(served, browser):
    _, base = served
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.goto(base + PUBLIC["circle home"])
    assert page.locator("nav.site-nav a").first.is_visible(), "the sidebar shows on a desktop"
    assert page.locator("details.menu > summary").is_hidden()
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        order.append(page.evaluate("""() => { const a = document.activeElement;
            return a.closest('nav.site-nav') ? 'nav' : a.closest('main') ? 'main'
              : a.closest('header.site-header, .skip') || a.matches('.skip') ? 'header' : 'other'; }"""))
    groups = [g for i, g in enumerate(order) if i == 0 or order[i - 1] != g]
    assert groups[:3] == ["header", "nav", "main"], f"Tab order: {order}"
    nav, main = page.locator(".menu").bounding_box(), page.locator("main").bounding_box()
    assert nav["x"] < main["x"], "the sidebar sits left of the content"
    context.close()


def test_current_item_is_marked_and_other_nav_links_are_not_underlined(served, browser):
    _, base = served
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.goto(base + PUBLIC["calendar"])
    current = page.locator('nav.site-nav [aria-current="page"]')
    assert current.count() == 1 and current.inner_text() == "Calendar"
    lines = page.evaluate("""() => [...document.querySelectorAll('nav.site-nav a')]
        .map(a => getComputedStyle(a).textDecorationLine)""")
    assert set(lines) == {"none"}, lines
    styles = current.evaluate("a => [getComputedStyle(a).fontWeight, getComputedStyle(a).borderLeftStyle]")
    assert styles == ["700", "solid"], styles
    context.close()


def test_titles_do_not_repeat(served):
    built, _ = served
    doubled = []
    for path in html_files(built):
        m = re.search(r"<title>(.*?)</title>", path.read_text("utf-8"))
        parts = m.group(1).split(" · ") if m else []
        if len(parts) != len(set(parts)):
            doubled.append(f"{path.relative_to(built)}: {m.group(1)}")
    assert not doubled, listing(doubled)


def test_a_new_circle_named_circle_is_not_named_twice():
    assert "name: Our First Circle\n" in circle_template("our-first-circle", date(2027, 1, 1))
    assert "name: Lab A Circle\n" in circle_template("lab-a", date(2027, 1, 1))


def test_dark_mode_is_dark_and_passes_axe_contrast(served, browser):
    _, base = served
    context = browser.new_context(viewport=WIDTHS["phone"], color_scheme="dark")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    found = []
    for name in _pages(page, base):
        page.emulate_media(color_scheme="dark")
        bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in re.findall(r"\d+", bg)[:3]]
        if sum(rgb) > 3 * 80:
            found.append(f"{name}: background {bg} is not dark")
        page.evaluate(AXE.read_text("utf-8"))
        result = page.evaluate("() => axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}})")
        found += [f"{name}: {n['target'][0]} {n['failureSummary'][:160]}"
                  for v in result["violations"] for n in v["nodes"][:4]]
    context.close()
    assert not found, listing(found)
