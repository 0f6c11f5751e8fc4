"""Calendars: one iCalendar file per circle and per session (with the `icalendar` library),
and one-click links for Google Calendar and Outlook.

Each session's UID comes from the circle and the date the session was first planned for,
so it survives reordering, edits and moves. SEQUENCE and DTSTAMP are carried over from the
previous build while a session is unchanged and raised when it changes, which is what
calendar apps need to update an event instead of duplicating it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import icalendar
from icalendar.caselessdict import canonsort_keys

from .. import __version__
from ..programme.schedule import Meeting

PRODID = f"-//circlepress//circlepress {__version__}//EN"
REFRESH = timedelta(hours=12)
_FINGERPRINT = "X-CIRCLEPRESS-FINGERPRINT"
_END = b"END:VCALENDAR\r\n"
_BREAKS = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")  # control characters and line breaks


@dataclass(frozen=True)
class Published:
    """What the previous build published for one event."""

    sequence: int
    stamp: datetime
    fingerprint: str


@dataclass(frozen=True)
class CircleCalendar:
    """A circle's calendar, whole and per session (keyed by Meeting.key)."""

    whole: bytes
    sessions: dict[str, bytes]
    uids: dict[str, str]


def calendar_path(circle_url: str, meeting_key: str | None = None) -> str:
    """Where a public circle's calendar file (or one session's) is published."""
    return circle_url + (f"calendar/{meeting_key}.ics" if meeting_key else "calendar.ics")


def event_uid(seed: str, meeting: Meeting) -> str:
    return hashlib.sha256(f"{seed}|{meeting.key}".encode()).hexdigest()[:32] + "@circlepress"


def summary(name: str, meeting: Meeting) -> str:
    return f"{name}: {meeting.topic}" if meeting.topic else name


def description(meeting: Meeting) -> str:
    lines = [f"Topic: {meeting.topic or 'to be decided'}"]
    leaders = " and ".join(f.name for f in meeting.facilitators) or "to be decided"
    lines.append(f"Led by: {leaders}")
    if meeting.online:
        lines.append(f"Join online: {meeting.online}")
    return "\n".join(lines)


def location(meeting: Meeting) -> str:
    return meeting.place or meeting.online or ""


def _fingerprint(name: str, meeting: Meeting) -> str:
    fields = (summary(name, meeting), description(meeting), location(meeting), meeting.online or "",
              meeting.start.isoformat() if meeting.start else meeting.date.isoformat(),
              meeting.end.isoformat() if meeting.end else "", meeting.cancelled)
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def _event(name: str, uid: str, meeting: Meeting, previous: Published | None, now: datetime) -> dict:
    """An event's properties, each value typed as icalendar types it (without its per-property
    type lookup), except the start and end, left as dates or times for `_when_line`: the event
    is an `icalendar.Event` with each property `add`ed."""
    fingerprint = _fingerprint(name, meeting)
    if previous is None:
        sequence, stamp = 0, now
    elif previous.fingerprint == fingerprint:
        sequence, stamp = previous.sequence, previous.stamp
    else:
        sequence, stamp = previous.sequence + 1, now
    when = (meeting.start, meeting.end) if meeting.start else (meeting.date, meeting.date + timedelta(days=1))
    properties = {"UID": icalendar.vText(uid), "DTSTAMP": _typed(icalendar.vDDDTypes, stamp.astimezone(timezone.utc)),
                  "SEQUENCE": _typed(icalendar.vInt, sequence), "DTSTART": when[0],
                  "DTEND": when[1], "SUMMARY": icalendar.vText(summary(name, meeting)),
                  "DESCRIPTION": icalendar.vText(description(meeting))}
    if location(meeting):
        properties["LOCATION"] = icalendar.vText(location(meeting))
    if meeting.online:
        properties["URL"] = icalendar.vUri(_unbroken(meeting.online))
    properties["STATUS"] = _typed(icalendar.vText, "CANCELLED" if meeting.cancelled else "CONFIRMED")
    properties[_FINGERPRINT] = icalendar.vText(fingerprint)
    return properties


def _unbroken(text: str) -> str:
    """`text` with any control character or line break percent-encoded: icalendar escapes only
    CR and LF in text (and refuses them in a URI), and no raw one may ever split a property."""
    return _BREAKS.sub(lambda m: quote(m.group()), text)


@functools.lru_cache(maxsize=256)
def _typed(kind: type, raw: object):
    """A typed value most events share (the stamp, sequence, status): made once, never changed."""
    return kind(raw)


@functools.lru_cache(maxsize=1024)
def _shared_line(name: str, value) -> bytes:
    return _line(name, value)


def _line(name: str, value) -> bytes:
    """One content line: icalendar types, escapes and folds the value; only the joining of name,
    parameters and value is done here, and only lines long enough to need it are folded."""
    if isinstance(value, bytes):  # BEGIN and END
        line = f"{name}:{value.decode()}"
    else:
        text = value.to_ical()
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        text = _unbroken(text)
        params = value.params.to_ical() if getattr(value, "params", None) else b""
        line = f"{name};{params.decode('utf-8')}:{text}" if params else f"{name}:{text}"
    return _folded(line)


def _folded(line: str) -> bytes:
    data = line.encode("utf-8")
    return data if len(data) < 75 else icalendar.parser.Contentline(line).to_ical()


_SAMPLE = datetime(2000, 1, 1)


@functools.lru_cache(maxsize=1024)
def _when_around(name: str, zone: str | None) -> tuple[str, str]:
    """What icalendar writes before and after the digits of a start or end in `zone` (None: a
    whole day): its parameters (TZID, VALUE=DATE) and, for UTC, the 'Z'. Asked once per zone."""
    sample = _SAMPLE.date() if zone is None else _SAMPLE.replace(tzinfo=ZoneInfo(zone))
    line = _line(name, icalendar.vDDDTypes(sample)).decode()
    before, _, after = line.rpartition("20000101" if zone is None else "20000101T000000")
    return before, after


def _when_line(name: str, value: date | datetime) -> bytes:
    """DTSTART or DTEND, as icalendar writes it (tests hold every zone to that): icalendar
    decides the parameters once per zone, and only the digits are written here."""
    if value.year < 1000 or isinstance(value, datetime) and not isinstance(value.tzinfo, ZoneInfo):
        return _line(name, icalendar.vDDDTypes(value))
    if not isinstance(value, datetime):
        before, after = _when_around(name, None)
        return _folded(f"{before}{value:%Y%m%d}{after}")
    before, after = _when_around(name, value.tzinfo.key)
    return _folded(f"{before}{value:%Y%m%dT%H%M%S}{after}")


def _serialise(component: icalendar.cal.Component) -> bytes:
    """`component.to_ical()`, byte for byte (tests hold it to that), at a fraction of the cost."""
    return b"\r\n".join(_line(name, value) for name, value in component.property_items()) + b"\r\n"


_EVENT_ORDER = tuple(icalendar.Event.canonical_order)
_SHARED = {"DTSTAMP", "SEQUENCE", "STATUS"}  # values most events share: each line written once


def _serialise_event(properties: dict) -> bytes:
    """An `icalendar.Event` with each property added, `.to_ical()`, byte for byte, without
    building the event: the properties in icalendar's own order for an event."""
    names = canonsort_keys(properties, _EVENT_ORDER)
    lines = (_shared_line(n, properties[n]) if n in _SHARED
             else _when_line(n, properties[n]) if isinstance(properties[n], date)
             else _line(n, properties[n]) for n in names)
    return b"BEGIN:VEVENT\r\n" + b"".join(line + b"\r\n" for line in lines) + b"END:VEVENT\r\n"


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, first_year: int, last_year: int) -> bytes:
    """A zone's VTIMEZONE for whole years: only the rules those years need, not decades of them,
    and made once per zone and years for every circle in that zone."""
    return _serialise(icalendar.Timezone.from_tzid(zone, first_date=date(first_year, 1, 1),
                                                   last_date=date(last_year, 12, 31)))


def _calendar_head(name: str, zone: str, span: tuple[date, date]) -> bytes:
    """The calendar's properties and VTIMEZONE, serialised once and shared by every file of the circle."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    text = _serialise(cal)
    assert text.endswith(_END)
    return text[: -len(_END)] + _vtimezone(zone, span[0].year, span[1].year)


def make_calendar(name: str, zone: str, seed: str, meetings: tuple[Meeting, ...],
                  previous: dict[str, Published], now: datetime) -> CircleCalendar:
    """The circle's calendar file and one file per session."""
    uids = {m.key: event_uid(seed, m) for m in meetings}
    events = {m.key: _event(name, uids[m.key], m, previous.get(uids[m.key]), now) for m in meetings}
    dates = [m.date for m in meetings] or [now.date()]
    head = _calendar_head(name, zone, (min(dates) - timedelta(days=1), max(dates) + timedelta(days=1)))
    # Each event serialised once by icalendar; a file is the head, its events and the end line.
    blobs = {key: _serialise_event(event) for key, event in events.items()}
    return CircleCalendar(head + b"".join(blobs.values()) + _END,
                          {key: head + blob + _END for key, blob in blobs.items()}, uids)


def read_published(data: bytes) -> dict[str, Published]:
    """UID -> what a previously published calendar said; empty when it cannot be read."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError:
        return {}
    found = {}
    for event in cal.walk("VEVENT"):
        stamp = event.decoded("dtstamp", None)
        if "uid" in event and _FINGERPRINT in event and isinstance(stamp, datetime):
            found[str(event["uid"])] = Published(int(event.get("sequence", 0)), stamp, str(event[_FINGERPRINT]))
    return found


WHOLE_CALENDAR_ID = "whole-calendar"


def data_url(ics: bytes) -> str:
    """A calendar as a data: URL, for private circles whose files exist only inside sealed pages."""
    return "data:text/calendar;charset=utf-8;base64," + base64.b64encode(ics).decode()


def whole_calendar_in(html: str) -> bytes | None:
    """The circle's calendar, from the data: URL its (opened) calendar page carries."""
    match = re.search(rf'id="{WHOLE_CALENDAR_ID}"[^>]*href="data:text/calendar;charset=utf-8;base64,([^"]+)"', html)
    return base64.b64decode(match.group(1)) if match else None


# One-click links --------------------------------------------------------------------------


def google_link(name: str, meeting: Meeting, zone: str) -> str:
    """Google Calendar's 'add event' form, filled in (times in the circle's IANA zone)."""
    if meeting.start:
        dates = f"{meeting.start:%Y%m%dT%H%M%S}/{meeting.end:%Y%m%dT%H%M%S}"
    else:
        dates = f"{meeting.date:%Y%m%d}/{meeting.date + timedelta(days=1):%Y%m%d}"
    query = {"action": "TEMPLATE", "text": summary(name, meeting), "dates": dates, "ctz": zone,
             "details": description(meeting), "location": location(meeting)}
    return "https://calendar.google.com/calendar/render?" + _query(query)


def outlook_link(name: str, meeting: Meeting) -> str:
    """Outlook on the web's compose form, with times as exact instants (UTC offsets)."""
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": summary(name, meeting),
             "body": description(meeting), "location": location(meeting)}
    if meeting.start:
        query |= {"startdt": meeting.start.isoformat(), "enddt": meeting.end.isoformat()}
    else:
        query |= {"startdt": meeting.date.isoformat(), "enddt": (meeting.date + timedelta(days=1)).isoformat(),
                  "allday": "true"}
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + _query(query)


def _query(query: dict[str, str]) -> str:
    """`urlencode(query, quote_via=quote)`, for keys that need no quoting: most values (topics,
    places, zones, the circle's name) recur across sessions and circles, and are quoted once."""
    return "&".join(f"{key}={_quoted(value)}" for key, value in query.items())


@functools.lru_cache(maxsize=8192)
def _quoted(value: str) -> str:
    return quote(value, safe="")


def subscribe_links(feed_url: str, name: str) -> dict[str, str]:
    """Links to subscribe to a public feed at an absolute https:// URL."""
    webcal = "webcal://" + feed_url.split("://", 1)[1]
    return {"webcal": webcal,
            "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}, quote_via=quote),
            "outlook": "https://outlook.live.com/calendar/0/addfromweb?" + urlencode(
                {"url": feed_url, "name": name}, quote_via=quote)}
