"""'Next session' is worked out in the reader's browser, in the reader's time zone, so it
never goes stale (Playwright driving Debian's Chromium, with a controlled clock)."""

from __future__ import annotations

from datetime import datetime, timezone

from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.private.keys import b64

from conftest import NOW
from private_support import keys_for

UTC = timezone.utc
NEW_YORK = """\
name: Transatlantic Circle
visibility: public
timezone: America/New_York
term: {start: 2027-03-01, months: 6}
defaults: {start: "16:00", duration: 90, place: Room 1}
members: [{id: ana, name: Ana}, {id: bo, name: Bo}]
sessions:
  - {date: 2027-03-18, topic: Between the two clock changes, facilitators: [ana]}
  - {date: 2027-04-15, topic: Both on summer time, facilitators: [bo]}
"""


def open_tab(browser, when: datetime, zone: str = "Europe/London", locale: str = "en-GB"):
    context = browser.new_context(timezone_id=zone, locale=locale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.clock.install(time=when)
    return context, page


def next_topic(page) -> str:
    return page.inner_text('[data-next-session] [data-next="topic"]')


def test_next_session_follows_the_readers_clock_not_the_build_date(served, browser):
    _, base = served
    # Built on 20 Feb 2027: the page says 11 March. Read on 9 April, it must say 13 May.
    context, page = open_tab(browser, datetime(2027, 4, 9, 9, 0, tzinfo=UTC))
    page.goto(base + "circles/imaging-and-data/")
    assert next_topic(page) == "Careers outside the lab"
    assert page.inner_text('[data-next="date"]') == "Thu, 13 May 2027"  # en-GB, in the browser
    assert page.inner_text('[data-next="asof"]') == "Times are shown in your time zone."
    context.close()


def test_next_session_moves_on_when_the_clock_passes_a_meeting(served, browser):
    _, base = served
    context, page = open_tab(browser, datetime(2027, 3, 11, 17, 0, tzinfo=UTC))  # during session 3
    page.goto(base + "circles/imaging-and-data/calendar/")
    page.goto(base + "circles/imaging-and-data/")
    assert next_topic(page) == "Supervising your first student"
    page.clock.run_for("01:00:00")  # the meeting ends at 17:30 London time
    page.wait_for_function("() => document.querySelector('[data-next-session] [data-next=\"topic\"]')"
                           ".textContent === 'Funding for early independence'")
    page.goto(base + "circles/imaging-and-data/calendar/")
    past = page.eval_on_selector_all("tr.past th[scope=row]", "cells => cells.map(c => c.textContent)")
    assert past == ["Session 1 · Thu 14 Jan", "Session 2 · Thu 11 Feb", "Session 3 · Thu 11 Mar"]
    context.close()


def test_a_new_york_circle_read_in_madrid(make_site, browser, tmp_path):
    root = make_site({"sites/ny/circle.yaml": NEW_YORK, "circlepress.yaml": "language: en-GB\n"})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    context, page = open_tab(browser, datetime(2027, 3, 1, 12, 0, tzinfo=UTC), zone="Europe/Madrid")
    page.goto((tmp_path / "out" / "circles/ny/index.html").as_uri())
    # 16:00 in New York on 18 March is 21:00 in Madrid: the US is on summer time, Spain not yet.
    assert page.inner_text('[data-next="time"]') == ", 21:00–22:30 your time (Central European Time; 16:00 in New York)"
    page.clock.set_fixed_time(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    page.reload()
    # On 15 April both are on summer time again: six hours apart, 22:00 in Madrid.
    assert page.inner_text('[data-next="time"]') == ", 22:00–23:30 your time (Central European Time; 16:00 in New York)"
    context.close()


def test_a_private_circle_shows_its_next_session_once_opened(served, browser):
    _, base = served
    keys = keys_for("early-independence")
    context, page = open_tab(browser, datetime(2027, 3, 5, 12, 0, tzinfo=UTC), zone="Europe/Madrid")
    page.goto(f"{base}{keys.url}#{b64(keys.link_key)}")
    page.wait_for_function("() => document.querySelector('h1').textContent.includes('Early Independence')")
    assert next_topic(page) == "Negotiating a start-up package"  # the build (20 Feb) said 4 March's
    assert page.inner_text('[data-next="time"]') == ", 17:30–18:45"
    context.close()



def when(page) -> str:
    text = page.inner_text('[data-next="date"]') + page.inner_text('[data-next="time"]')
    return text.replace("\u202f", " ").replace("\u2009", " ")  # ICU's narrow space before PM, or not


def test_dates_follow_the_pages_language_not_the_browsers(served, browser):
    """Issue 16 point 6: an en-GB page read by an en-US browser in Madrid reads as British English,
    on the 24-hour clock, and names the reader's zone and the circle's place in words."""
    _, base = served
    context, page = open_tab(browser, datetime(2027, 1, 10, 12, 0, tzinfo=UTC), zone="Europe/Madrid", locale="en-US")
    page.goto(base + "circles/imaging-and-data/")
    assert when(page) == "Thu, 14 Jan 2027, 17:00–18:30 your time (Central European Time; 16:00 in London)"
    assert "Europe/" not in page.inner_text("[data-next-session]")
    context.close()


def test_a_page_in_us_english_reads_the_us_way(make_site, browser, tmp_path):
    root = make_site({"sites/ny/circle.yaml": NEW_YORK, "circlepress.yaml": "language: en-US\n"})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    context, page = open_tab(browser, datetime(2027, 3, 1, 12, 0, tzinfo=UTC), zone="America/New_York")
    page.goto((tmp_path / "out" / "circles/ny/index.html").as_uri())
    assert when(page) == "Thu, Mar 18, 2027, 4:00 PM–5:30 PM"  # the reader is in the circle's zone
    context.close()
