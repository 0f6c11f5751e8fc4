"""Issue 16 (slice M1): a circle's own pages speak to its members, on a phone first.
The example site built at conftest.NOW (20 Feb 2027), read in Debian's Chromium with the
browser's clock set to the same moment, so the page's script agrees with the build."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urljoin

import pytest

from private_support import keys_for
from circlepress.private.keys import share_link

from conftest import NOW
from test_browser import PHONE

HOME = "circles/imaging-and-data/"
CALENDAR = HOME + "calendar/"
SITE_TITLE = "Peer-mentoring circles"
MIN_TAP = 44  # px: WCAG 2.5.5's target size


@pytest.fixture()
def phone(browser):
    context = browser.new_context(**PHONE, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.clock.install(time=NOW)
    yield page
    context.close()


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(selector, """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.innerText.trim(), href: e.href, height: r.height, width: r.width};
    })""")


def test_next_session_card_offers_add_to_calendar_and_all_sessions(served, phone):
    _, base = served
    phone.goto(base + CALENDAR)
    # Session 3 (11 March) is next on 20 February: the calendar page's own links for it.
    row = boxes(phone, "table.sessions tr.next .add-cal a")
    assert [b["text"].split("\n")[0] for b in row] == ["Calendar file", "Google", "Outlook"]
    phone.goto(base + HOME)
    actions = boxes(phone, "[data-next-session] [data-next='add'] a")
    assert [a["text"] for a in actions] == ["Calendar file (.ics)", "Google Calendar", "Outlook"]
    assert [a["href"] for a in actions] == [b["href"] for b in row]
    everything = boxes(phone, "[data-next-session] .all-sessions a")
    assert [a["text"] for a in everything] == ["All sessions"]
    assert everything[0]["href"] == urljoin(base, CALENDAR + "index.html")  # links work from file:// too
    for box in actions + everything:
        assert box["height"] >= MIN_TAP, box
        assert box["width"] >= MIN_TAP, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_card_drops_stale_calendar_links_when_the_reader_is_past_the_build(served, browser):
    _, base = served
    context = browser.new_context(**PHONE, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.clock.install(time=datetime(2027, 4, 9, 9, 0, tzinfo=timezone.utc))  # session 5 is next
    page.goto(base + HOME)
    assert page.is_hidden("[data-next-session] [data-next='add']")
    assert page.is_visible("[data-next-session] .all-sessions a")
    page.goto(base + CALENDAR)
    assert page.inner_text("table.sessions tr.next [role=heading]") == "Session 5 · Thu 13 May"
    context.close()


def test_session_cards_on_a_phone_have_headings_a_next_mark_and_tap_targets(served, phone):
    _, base = served
    phone.goto(base + CALENDAR)
    headings = phone.locator("table.sessions [role=heading][aria-level='3']").all_inner_texts()
    assert headings == ["Session 1 · Thu 14 Jan", "Session 2 · Thu 11 Feb", "Session 3 · Thu 11 Mar",
                        "Session 4 · Thu 8 Apr", "Session 5 · Thu 13 May", "Session 6 · Thu 10 Jun"]
    text = phone.inner_text("table.sessions tbody")
    for label in ("#:", "Date:", "Time:", "Topic:", "Where:", "Add:"):
        assert label not in text
    nexts = phone.locator("table.sessions tr.next")
    assert nexts.count() == 1
    assert nexts.locator("[role=heading]").inner_text() == "Session 3 · Thu 11 Mar"
    assert nexts.locator(".next-tag").is_visible()
    assert nexts.locator(".next-tag").inner_text() == "next session"  # read out too, not only a colour
    border = phone.eval_on_selector("table.sessions tr.next", "e => getComputedStyle(e).borderTopWidth")
    assert border == "2px"
    links = boxes(phone, "table.sessions tbody a")
    assert len(links) >= 18
    for box in links:
        assert box["height"] >= MIN_TAP, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


# --- the private shell -----------------------------------------------------------------------

# What the page says the moment private.js marks it as opening (before the key has opened it): a
# snapshot taken then, not at DOMContentLoaded, which a fast decryption can already have passed.
STATE_AT_LOAD = """new MutationObserver((changes, observer) => {
  const main = document.getElementById('main');
  if (main && main.classList.contains('opening')) { window.__shown = main.innerText; observer.disconnect(); }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['class']});"""


def test_a_link_with_a_key_says_opening_while_the_page_opens(served, browser):
    _, base = served
    context = browser.new_context(**PHONE)
    context.add_init_script(STATE_AT_LOAD)
    page = context.new_page()
    page.goto(share_link("", base, keys_for("early-independence"), passphrase=False))
    page.wait_for_function("() => document.querySelector('h1').textContent.trim() === 'Early Independence Circle'")
    shown = page.evaluate("window.__shown")
    assert "Opening your circle’s page" in shown
    assert "private" not in shown and "Open it with the link" not in shown
    context.close()


@pytest.mark.parametrize("scripts", [True, False])
def test_the_locked_page_names_the_site_and_points_to_the_organiser(served, browser, scripts):
    site, base = served
    shell = next(p for p in (site / "p").glob("*/index.html"))
    context = browser.new_context(**PHONE, java_script_enabled=scripts)
    page = context.new_page()
    page.goto(base + shell.relative_to(site).parent.as_posix() + "/")
    if scripts:
        page.wait_for_selector("#unlock:not([hidden])")
    shown = page.inner_text("main")
    assert SITE_TITLE in shown
    assert "ask your circle’s organiser for it" in shown
    assert "Opening your circle" not in shown
    assert SITE_TITLE in page.title()
    context.close()


# --- member pages speak to members (no browser needed) ------------------------------------------

def test_member_pages_carry_no_organiser_instructions(served):
    site, _ = served
    agreement = (site / HOME / "agreement" / "index.html").read_text("utf-8")
    assert "Agreed by all 6 members on 14 January 2027." in agreement
    assert agreement.count("14 Jan") == 1  # the date said once, in full
    assert "Writing your own" not in agreement and "your organiser records" not in agreement
    assert "Writing your own" in (site / "agreement" / "index.html").read_text("utf-8")  # the handbook keeps it
    calendar = (site / CALENDAR / "index.html").read_text("utf-8")
    assert "send the evaluation form" not in calendar and ">the form<" not in calendar
    assert "each of us fills in the round's evaluation form" in calendar  # linked while a round is open (issue 18)


@pytest.mark.parametrize("agreed, said", [
    ("[{member: ana, date: 2027-01-14}, {member: bo, date: 2027-01-14}, {member: cy, date: 2027-01-14}]",
     "Agreed by all 3 members on 14 January 2027."),
    ("[{member: ana, date: 2027-01-14}, {member: bo, date: 2027-01-14}]",
     "Agreed by Ana and Bo on 14 January 2027."),
    ("[{member: ana, date: 2027-01-14}, {member: bo, date: 2027-02-11}, {member: cy, date: 2027-02-11}]",
     "Agreed by Ana (14 January 2027), Bo (11 February 2027) and Cy (11 February 2027)."),
])
def test_agreed_by_says_each_date_once(make_site, tmp_path, agreed, said):
    from circlepress.build.pipeline import build
    from circlepress.programme.config import load_project
    from conftest import VALID_CIRCLE

    circle = VALID_CIRCLE.replace("  - {id: bo, name: Bo}\n", "  - {id: bo, name: Bo}\n  - {id: cy, name: Cy}\n")
    root = make_site({"sites/t/circle.yaml": circle + f"agreement:\n  agreed: {agreed}\n"})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    page = (tmp_path / "out" / "circles/t/agreement/index.html").read_text("utf-8")
    assert f'<p class="signatures">{said}</p>' in page
