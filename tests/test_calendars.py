"""Calendars: ICS files read back by two independent parsers, clock changes, stable UIDs,
SEQUENCE across builds, recurring schedules, and one-click links."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import available_timezones

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from circlepress.build.pipeline import build
from circlepress.build.load import load_site
from circlepress.programme.config import load_project
from circlepress.programme.schedule import meetings

from conftest import NOW, REPO, VALID_CIRCLE, require_tool
from private_support import keys_for, open_page

ICAL_JS = REPO / "node_modules" / "ical.js"
DUMP = REPO / "tests" / "ical_dump.mjs"

LONDON = """\
name: Clock Circle
visibility: public
timezone: {zone}
term: {{start: 2027-03-01, months: 10}}
defaults: {{start: "16:00", duration: 90, place: Room 1}}
members:
  - {{id: ana, name: Ana}}
  - {{id: bo, name: Bo}}
sessions:
  - {{date: 2027-03-25, topic: Before spring change, facilitators: [ana]}}
  - {{date: 2027-04-01, topic: After spring change, facilitators: [bo]}}
  - {{date: 2027-10-28, topic: Before autumn change, facilitators: [ana]}}
  - {{date: 2027-11-04, topic: After autumn change, facilitators: [bo]}}
  - {{date: 2027-12-02, topic: Called off, facilitators: [ana], cancelled: true}}
"""


def site_with(make_site, tmp_path, circle: str, slug: str = "clock") -> Path:
    root = make_site({f"sites/{slug}/circle.yaml": circle})
    build(load_project(root, output=tmp_path / "out", base_url="https://circles.example.org/repo/"), now=NOW)
    return tmp_path / "out"


def python_events(ics: bytes) -> list[dict]:
    cal = icalendar.Calendar.from_ical(ics)
    return [{"uid": str(e["uid"]), "summary": str(e["summary"]), "status": str(e["status"]),
             "sequence": int(e["sequence"]), "tzid": e["dtstart"].params.get("TZID"),
             "start": e.decoded("dtstart").astimezone(timezone.utc), "end": e.decoded("dtend").astimezone(timezone.utc)}
            for e in cal.walk("VEVENT")]


def js_events(path: Path) -> list[dict]:
    require_tool(shutil.which("node") is not None, "node (for the ical.js parser)")
    require_tool(ICAL_JS.is_dir(), "ical.js (npm ci --ignore-scripts)")
    done = subprocess.run(["node", str(DUMP), str(path)], capture_output=True, text=True, check=True, cwd=REPO)
    events = json.loads(done.stdout)["events"]
    for event in events:
        for key in ("start", "end"):
            event[key] = datetime.fromisoformat(event[key].replace("Z", "+00:00"))
    return events


def check_rfc5545(ics: bytes) -> None:
    """What RFC 5545 requires and parsers let slide: UID, DTSTAMP, DTSTART, a VTIMEZONE per TZID."""
    cal = icalendar.Calendar.from_ical(ics)
    assert cal.get("prodid") and str(cal.get("version")) == "2.0"
    zones = {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")}
    used = set()
    for event in cal.walk("VEVENT"):
        for prop in ("uid", "dtstamp", "dtstart"):
            assert prop in event, f"VEVENT without {prop.upper()}"
        assert event.decoded("dtstamp").tzinfo is not None  # DTSTAMP must be UTC
        for prop in ("dtstart", "dtend"):
            if "TZID" in event[prop].params:
                used.add(event[prop].params["TZID"])
    assert used <= zones, f"TZIDs without VTIMEZONE: {used - zones}"
    assert re.search(rb"^REFRESH-INTERVAL;VALUE=DURATION:PT12H\r$", ics, re.M)
    assert re.search(rb"^NAME:", ics, re.M)


def test_the_calendar_round_trips_through_two_parsers(make_site, tmp_path):
    out = site_with(make_site, tmp_path, LONDON.format(zone="Europe/London"))
    feed = out / "circles/clock/calendar.ics"
    ics = feed.read_bytes()
    check_rfc5545(ics)
    ours, theirs = python_events(ics), js_events(feed)
    assert len(ours) == 5 and len({e["uid"] for e in ours}) == 5
    for mine, other in zip(ours, theirs):
        assert (mine["uid"], mine["summary"], mine["status"], mine["tzid"], mine["start"], mine["end"]) == (
            other["uid"], other["summary"], other["status"], other["tzid"], other["start"], other["end"])
    assert [e["status"] for e in ours].count("CANCELLED") == 1


def test_london_sessions_stay_at_16_00_local_across_both_clock_changes(make_site, tmp_path):
    out = site_with(make_site, tmp_path, LONDON.format(zone="Europe/London"))
    starts = {e["summary"].split(": ")[1]: e["start"] for e in js_events(out / "circles/clock/calendar.ics")}
    utc = timezone.utc
    assert starts["Before spring change"] == datetime(2027, 3, 25, 16, 0, tzinfo=utc)  # GMT
    assert starts["After spring change"] == datetime(2027, 4, 1, 15, 0, tzinfo=utc)  # BST
    assert starts["Before autumn change"] == datetime(2027, 10, 28, 15, 0, tzinfo=utc)  # BST
    assert starts["After autumn change"] == datetime(2027, 11, 4, 16, 0, tzinfo=utc)  # GMT


def test_each_session_has_its_own_file_with_the_same_uid(make_site, tmp_path):
    out = site_with(make_site, tmp_path, LONDON.format(zone="Europe/London"))
    whole = {e["uid"] for e in python_events((out / "circles/clock/calendar.ics").read_bytes())}
    singles = sorted((out / "circles/clock/calendar").glob("*.ics"))
    assert [p.name for p in singles][:2] == ["2027-03-25.ics", "2027-04-01.ics"]
    for single in singles:
        check_rfc5545(single.read_bytes())
        (event,) = python_events(single.read_bytes())
        assert event["uid"] in whole


def test_uids_survive_reordering_and_moves_and_sequence_rises_on_change(make_site, tmp_path):
    circle = LONDON.format(zone="Europe/London")
    root = make_site({"sites/clock/circle.yaml": circle})
    project = load_project(root)
    build(project, now=NOW)
    first = {e["summary"].split(": ")[1]: e for e in python_events((root / "_site/circles/clock/calendar.ics").read_bytes())}
    lines = circle.splitlines(keepends=True)
    sessions = lines[9:14]
    edited = "".join(lines[:9] + [sessions[1], sessions[0].replace("Before spring change", "Spring renamed"),
                                  sessions[3], sessions[2].replace("2027-10-28,", "2027-10-29, moved_from: 2027-10-28,"),
                                  sessions[4]])
    (root / "sites/clock/circle.yaml").write_text(edited)
    later = datetime(2027, 3, 1, tzinfo=timezone.utc)
    build(load_project(root), now=later)
    second = {e["uid"]: e for e in python_events((root / "_site/circles/clock/calendar.ics").read_bytes())}
    assert set(second) == {e["uid"] for e in first.values()}  # same events, whatever the order or move
    assert second[first["Before spring change"]["uid"]]["sequence"] == 1
    assert second[first["Before autumn change"]["uid"]]["sequence"] == 1  # moved a day
    assert second[first["After spring change"]["uid"]]["sequence"] == 0
    unchanged = icalendar.Calendar.from_ical((root / "_site/circles/clock/calendar.ics").read_bytes())
    stamps = {str(e["uid"]): e.decoded("dtstamp") for e in unchanged.walk("VEVENT")}
    assert stamps[first["After spring change"]["uid"]] == NOW  # carried over while unchanged
    assert stamps[first["Before spring change"]["uid"]] == later


def test_new_york_circle_times(make_site, tmp_path):
    out = site_with(make_site, tmp_path, LONDON.format(zone="America/New_York"))
    starts = [e["start"] for e in js_events(out / "circles/clock/calendar.ics")]
    assert starts[0] == datetime(2027, 3, 25, 20, 0, tzinfo=timezone.utc)  # EDT since 14 March
    assert starts[3] == datetime(2027, 11, 4, 20, 0, tzinfo=timezone.utc)  # still EDT until 7 November
    assert starts[4] == datetime(2027, 12, 2, 21, 0, tzinfo=timezone.utc)  # EST


def test_a_monthly_rule_is_expanded_with_moves_extras_and_cancellations(make_site):
    circle = """\
        name: Rule Circle
        timezone: Europe/London
        term: {start: 2027-01-01, months: 6}
        defaults: {start: "16:00", place: Room 1}
        repeat: {monthly_on: second thursday}
        members: [{id: ana, name: Ana}]
        sessions:
          - {date: 2027-02-11, topic: Named, facilitators: [ana]}
          - {date: 2027-03-18, moved_from: 2027-03-11, topic: Moved a week, facilitators: [ana]}
          - {date: 2027-04-08, cancelled: true}
          - {date: 2027-04-22, topic: An extra session, facilitators: [ana]}
        visibility: public
        """
    site = load_site(load_project(make_site({"sites/rule/circle.yaml": circle})))
    got = [(m.date, m.key, m.topic, m.cancelled) for m in meetings(site.circles[0].spec)]
    assert got == [
        (date(2027, 1, 14), "2027-01-14", None, False),
        (date(2027, 2, 11), "2027-02-11", "Named", False),
        (date(2027, 3, 18), "2027-03-11", "Moved a week", False),
        (date(2027, 4, 8), "2027-04-08", None, True),
        (date(2027, 4, 22), "2027-04-22", "An extra session", False),
        (date(2027, 5, 13), "2027-05-13", None, False),
        (date(2027, 6, 10), "2027-06-10", None, False),
    ]
    assert any("sessions from the repeat rule have no topic" in w.message for w in site.warnings)


def test_one_click_links_use_iana_zones_and_exact_times(make_site, tmp_path):
    out = site_with(make_site, tmp_path, LONDON.format(zone="Europe/London"))
    html = (out / "circles/clock/calendar/index.html").read_text()
    google = next(h.replace("&amp;", "&") for h in re.findall(r'href="(https://calendar.google.com/[^"]+)"', html)
                  if "action=TEMPLATE" in h)
    query = parse_qs(urlsplit(google).query)
    assert query["ctz"] == ["Europe/London"] and query["dates"] == ["20270325T160000/20270325T173000"]
    outlook = next(h.replace("&amp;", "&") for h in re.findall(r'href="(https://outlook.live.com/[^"]+)"', html)
                   if "compose" in h)
    assert parse_qs(urlsplit(outlook).query)["startdt"] == ["2027-03-25T16:00:00+00:00"]
    assert "webcal://circles.example.org/repo/circles/clock/calendar.ics" in html
    assert "cid=webcal%3A%2F%2Fcircles.example.org%2Frepo%2Fcircles%2Fclock%2Fcalendar.ics" in html


def test_private_calendars_exist_only_inside_sealed_pages(tmp_path):
    out = tmp_path / "site"
    build(load_project(REPO, output=out), now=NOW)
    keys = keys_for("early-independence")
    assert not list((out / keys.url).rglob("*.ics"))
    html = open_page(out, "early-independence", "calendar/index.html")
    data = re.search(r'id="whole-calendar" href="data:text/calendar;charset=utf-8;base64,([^"]+)"', html).group(1)
    ics = base64.b64decode(data)
    check_rfc5545(ics)
    events = python_events(ics)
    assert events[0]["summary"] == "Early Independence Circle: What we want from this circle"
    assert events[0]["tzid"] == "Europe/Madrid"
    assert "early-independence" not in "".join(e["uid"] for e in events)


def _event_with(summary: str, description: str, where: str, start: datetime | date) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", "x@circlepress")
    event.add("dtstamp", datetime(2027, 1, 1, tzinfo=timezone.utc))
    event.add("dtstart", start)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", where)
    event.add("url", "https://meet.example.org/" + "a" * 80)
    return event


# Control characters other than the line breaks icalendar escapes are never written raw (icalendar would):
# the test below holds the writer to that; input validation refuses them first.
WRITTEN_AS_IS = st.characters(blacklist_categories=("Cs",), blacklist_characters=[
    c for c in map(chr, [*range(32), 127, 0x85, 0x2028, 0x2029]) if c not in "\t\r\n"])


@settings(max_examples=150, deadline=None)
@given(summary=st.text(WRITTEN_AS_IS, max_size=120), description=st.text(WRITTEN_AS_IS, max_size=300),
       where=st.text(WRITTEN_AS_IS, max_size=90), all_day=st.booleans())
def test_our_serialiser_writes_exactly_what_icalendar_writes(summary, description, where, all_day):
    """`_serialise` only joins what icalendar typed and escaped, and folds only long lines:
    the bytes must be icalendar's own, whatever the text (commas, newlines, emoji, long lines)."""
    from zoneinfo import ZoneInfo

    from circlepress.calendar.ics import _serialise, _serialise_event

    start = date(2027, 3, 25) if all_day else datetime(2027, 3, 25, 16, tzinfo=ZoneInfo("Europe/London"))
    event = _event_with(summary, description, where, start)
    assert _serialise(event) == event.to_ical()
    assert _serialise_event(dict(event)) == event.to_ical()


def _added(properties: dict) -> icalendar.Event:
    """The event icalendar makes of the properties, typing each value itself."""
    event = icalendar.Event()
    for name, value in properties.items():
        event.add(name, value)
    return event


ZONES = sorted(available_timezones())


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), start=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 1, 1)),
       all_day=st.booleans())
def test_starts_and_ends_are_written_as_icalendar_writes_them(zone, start, all_day):
    """Only the digits of DTSTART and DTEND are ours; what icalendar puts around them (TZID,
    VALUE=DATE, a 'Z' for UTC) is asked of icalendar once per zone."""
    from zoneinfo import ZoneInfo

    from circlepress.calendar.ics import _serialise_event

    when = start.date() if all_day else start.replace(tzinfo=ZoneInfo(zone))
    properties = {"UID": icalendar.vText("x@circlepress"), "DTSTART": when, "DTEND": when + timedelta(hours=1)}
    assert _serialise_event(properties) == _added(properties).to_ical()


def test_every_zone_writes_its_starts_as_icalendar_does():
    from zoneinfo import ZoneInfo

    from circlepress.calendar.ics import _serialise_event

    for zone in ZONES:
        when = datetime(2027, 3, 25, 16, tzinfo=ZoneInfo(zone))
        properties = {"DTSTART": when, "DTEND": when + timedelta(minutes=90)}
        assert _serialise_event(properties) == _added(properties).to_ical(), zone


def test_every_event_and_zone_of_the_example_site_serialises_as_icalendar_does():
    from circlepress.calendar.ics import _event, _serialise, _serialise_event

    site = load_site(load_project(REPO))
    checked = 0
    for circle in (*site.circles, site.example):
        for meeting in circle.meetings:
            properties = _event(circle.spec.name, "uid@circlepress", meeting, None, NOW)
            assert _serialise_event(properties) == _added(properties).to_ical()
            checked += 1
        zone = icalendar.Timezone.from_tzid(circle.spec.timezone, first_date=date(2027, 1, 1),
                                            last_date=date(2028, 12, 31))
        assert _serialise(zone) == zone.to_ical()
    assert checked >= 13  # every session of the example circles


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=1, max_size=60), topic=st.text(max_size=80), place=st.text(max_size=60))
def test_one_click_links_carry_any_text_exactly(name, topic, place):
    """Values are quoted once and reused across links: whatever the text (`&`, `=`, `%`, `/`,
    emoji, newlines), each link must decode to the event's own summary, details and place."""
    from circlepress.calendar.ics import description, google_link, outlook_link, summary
    from circlepress.programme.schedule import Meeting

    meeting = Meeting(1, "2027-03-25", date(2027, 3, 25), None, None, place or None, None, topic or None, ())
    for link in (google_link(name, meeting, "Europe/London"), outlook_link(name, meeting)):
        query = parse_qs(urlsplit(link).query, keep_blank_values=True)
        assert query.get("text", query.get("subject")) == [summary(name, meeting)]
        assert query["details" if "google" in link else "body"] == [description(meeting)]
        assert query["location"] == [place or ""]


def test_no_raw_line_break_or_control_character_reaches_a_calendar_line():
    """Validation refuses them; the writer still never lets one split a property (issue 13 item 12)."""
    from circlepress.calendar.ics import make_calendar
    from circlepress.programme.schedule import Meeting

    start = datetime(2027, 3, 25, 16, tzinfo=timezone.utc)
    hostile = "x\r\nATTACH:https://evil.example/p\rX-A:1\x0bX-B:2\x85X-C:3\u2028X-D:4\x00"
    meeting = Meeting(1, "2027-03-25", start.date(), start, start + timedelta(hours=1), "Room" + hostile,
                      "https://meet.example.org/" + hostile, "Topic" + hostile, ())
    ics = make_calendar("Circle" + hostile, "Europe/London", "seed", (meeting,), {}, NOW).whole
    lines = ics.split(b"\r\n")
    assert not [line for line in lines if re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line)]
    assert not [line for line in lines if line.decode().startswith(("ATTACH", "X-A:", "X-B:", "X-C:", "X-D:"))]
    assert "\u2028" not in ics.decode() and "\x85" not in ics.decode()
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["url"]).startswith("https://meet.example.org/x%0D%0AATTACH")


def test_the_calendar_shows_the_terms_last_day_not_the_day_after(make_site, tmp_path):
    """Issue 16 point 6: a six-month term from 4 January ends on 3 July (a Saturday in 2027)."""
    circle = VALID_CIRCLE.replace("start: 2027-01-01", "start: 2027-01-04")
    root = make_site({"sites/t/circle.yaml": circle})
    build(load_project(root, output=tmp_path / "out"), now=NOW)
    page = (tmp_path / "out" / "circles" / "t" / "calendar" / "index.html").read_text("utf-8")
    assert "Term: Monday 4 January 2027 to Saturday 3 July 2027 (6 months)." in page
    assert "4 July" not in page
