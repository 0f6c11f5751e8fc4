"""The shape of `circle.yaml`: pydantic models, exported as JSON Schema for editors.

These models check one file on its own (types, allowed values, formats). Rules that
relate values to each other (a facilitator must be a member, a session inside the
term) live in `circles.py`, where every value's location is at hand.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from .urls import link_problem

MAX_MEMBERS = 10
MAX_SESSIONS = 12  # a six-month term met every other week; private pages are padded to hold this many
SESSIONS_HINT = "a term holds up to 12, one every other week for six months; plan the rest for the next term"


class Model(BaseModel):
    """Frozen, strict about unknown keys, and tolerant of surrounding spaces."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_url(value: str) -> str:
    if problem := link_problem(value):
        raise PydanticCustomError("unsafe_url", "{message}", {"message": problem[0], "hint": problem[1]})
    return value


def _check_id(value: str) -> str:
    if not value or not all(c.isascii() and (c.isalnum() and not c.isupper() or c in "-_") for c in value) \
            or not value[0].isalnum():
        raise PydanticCustomError(
            "bad_id", "'{value}' is not a valid member id",
            {"value": value, "hint": "use lowercase letters, digits and '-', e.g. 'ana-r'"})
    return value


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# An abbreviation names no zone (CEST is kept by a dozen countries): the zones it usually means.
ABBREVIATIONS = {
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"), "CEST": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid"),
    "WET": ("Europe/Lisbon",), "WEST": ("Europe/Lisbon",),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest"),
    "EEST": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest"),
    "BST": ("Europe/London",), "GMT": ("Europe/London",), "IST": ("Asia/Kolkata", "Europe/Dublin"),
    "MSK": ("Europe/Moscow",), "EST": ("America/New_York", "America/Toronto"),
    "EDT": ("America/New_York", "America/Toronto"), "CST": ("America/Chicago", "America/Mexico_City"),
    "CDT": ("America/Chicago",), "MST": ("America/Denver", "America/Phoenix"), "MDT": ("America/Denver",),
    "PST": ("America/Los_Angeles", "America/Vancouver"), "PDT": ("America/Los_Angeles", "America/Vancouver"),
    "AKST": ("America/Anchorage",), "HST": ("Pacific/Honolulu",), "JST": ("Asia/Tokyo",), "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",), "HKT": ("Asia/Hong_Kong",), "AEST": ("Australia/Sydney", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney", "Australia/Melbourne"), "ACST": ("Australia/Adelaide",), "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",), "NZDT": ("Pacific/Auckland",), "SAST": ("Africa/Johannesburg",),
}
# A city for a whole-hour offset from UTC, to suggest beside the fixed Etc/GMT zone.
OFFSET_CITIES = {0: "Europe/London", 1: "Europe/Berlin", 2: "Europe/Athens", 3: "Europe/Moscow", 4: "Asia/Dubai",
                 5: "Asia/Karachi", 7: "Asia/Bangkok", 8: "Asia/Singapore", 9: "Asia/Tokyo", 10: "Australia/Brisbane",
                 -3: "America/Sao_Paulo", -5: "America/New_York", -6: "America/Chicago", -7: "America/Denver",
                 -8: "America/Los_Angeles", -10: "Pacific/Honolulu"}
# Cities that have no zone of their own: the zone of their country (or region), as the tz database
# names a zone after one city per region. Kept by hand: tzdata lists zones, not the cities they cover.
CITY_ZONES = {
    "Munich": "Europe/Berlin", "Hamburg": "Europe/Berlin", "Frankfurt": "Europe/Berlin",
    "Cologne": "Europe/Berlin", "Stuttgart": "Europe/Berlin", "Dusseldorf": "Europe/Berlin",
    "Leipzig": "Europe/Berlin", "Dresden": "Europe/Berlin", "Heidelberg": "Europe/Berlin", "Bonn": "Europe/Berlin",
    "Lyon": "Europe/Paris", "Marseille": "Europe/Paris", "Toulouse": "Europe/Paris", "Grenoble": "Europe/Paris",
    "Barcelona": "Europe/Madrid", "Valencia": "Europe/Madrid", "Seville": "Europe/Madrid",
    "Milan": "Europe/Rome", "Turin": "Europe/Rome", "Florence": "Europe/Rome", "Naples": "Europe/Rome",
    "Bologna": "Europe/Rome", "Geneva": "Europe/Zurich", "Basel": "Europe/Zurich", "Bern": "Europe/Zurich",
    "Lausanne": "Europe/Zurich", "Salzburg": "Europe/Vienna", "Graz": "Europe/Vienna", "Innsbruck": "Europe/Vienna",
    "Rotterdam": "Europe/Amsterdam", "Utrecht": "Europe/Amsterdam", "Leiden": "Europe/Amsterdam",
    "Delft": "Europe/Amsterdam", "Antwerp": "Europe/Brussels", "Ghent": "Europe/Brussels",
    "Leuven": "Europe/Brussels", "Gothenburg": "Europe/Stockholm", "Uppsala": "Europe/Stockholm",
    "Lund": "Europe/Stockholm", "Aarhus": "Europe/Copenhagen", "Bergen": "Europe/Oslo", "Porto": "Europe/Lisbon",
    "Krakow": "Europe/Warsaw", "Wroclaw": "Europe/Warsaw", "Brno": "Europe/Prague", "Cork": "Europe/Dublin",
    "Manchester": "Europe/London", "Edinburgh": "Europe/London", "Glasgow": "Europe/London",
    "Birmingham": "Europe/London", "Oxford": "Europe/London", "Cambridge": "Europe/London",
    "Bristol": "Europe/London", "Leeds": "Europe/London", "Cardiff": "Europe/London", "Belfast": "Europe/London",
    "Saint_Petersburg": "Europe/Moscow", "St_Petersburg": "Europe/Moscow",
    "Boston": "America/New_York", "Washington": "America/New_York", "Philadelphia": "America/New_York",
    "Atlanta": "America/New_York", "Miami": "America/New_York", "Montreal": "America/Toronto",
    "Ottawa": "America/Toronto", "Houston": "America/Chicago", "Dallas": "America/Chicago",
    "Austin": "America/Chicago", "San_Francisco": "America/Los_Angeles", "Seattle": "America/Los_Angeles",
    "San_Diego": "America/Los_Angeles", "Portland": "America/Los_Angeles",
    "Mumbai": "Asia/Kolkata", "Delhi": "Asia/Kolkata", "New_Delhi": "Asia/Kolkata", "Bangalore": "Asia/Kolkata",
    "Bengaluru": "Asia/Kolkata", "Chennai": "Asia/Kolkata", "Beijing": "Asia/Shanghai",
    "Shenzhen": "Asia/Shanghai", "Osaka": "Asia/Tokyo", "Kyoto": "Asia/Tokyo", "Canberra": "Australia/Sydney",
    "Cape_Town": "Africa/Johannesburg", "Rio_de_Janeiro": "America/Sao_Paulo",
}
_OFFSET = re.compile(r"(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def zone_hint(value: str) -> str:
    """What to write instead of `value`, which names no IANA zone."""
    word = value.strip()
    if word.upper() in ABBREVIATIONS:
        zones = ABBREVIATIONS[word.upper()]
        return f"'{word}' is an abbreviation, not a zone; use the zone of the place, e.g. " \
            + ", ".join(f"'{z}'" for z in zones)
    if (offset := _OFFSET.fullmatch(word)) and (word[:1] in "+-" or word[:1].isalpha()):
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        signed = -hours if sign == "-" else hours
        city = OFFSET_CITIES.get(signed) if not minutes else None
        fixed = f"Etc/GMT{'-' if signed > 0 else '+'}{hours}" if not minutes and hours and hours <= 14 else None
        if fixed and city:
            return f"use '{fixed}', a fixed offset whose sign is written reversed, or a city zone such as " \
                f"'{city}', which follows summer time"
        if fixed:
            return f"use '{fixed}', a fixed offset whose sign is written reversed, or the zone of the place"
        return "use the zone of the place, e.g. 'Asia/Kolkata' for +05:30" if (hours, minutes) == (5, 30) \
            else "use the zone of the place, e.g. 'Europe/London'"
    city = word.rsplit("/", 1)[-1].replace(" ", "_")
    known = {c.lower(): zone for c, zone in CITY_ZONES.items()}
    if city.lower() in known:
        return f"'{city}' has no zone of its own; use the zone it lies in, '{known[city.lower()]}'"
    by_name = {z.lower(): z for z in time_zones()}
    if word.lower() in by_name:
        return f"did you mean '{by_name[word.lower()]}'?"
    by_city = {z.rsplit("/", 1)[-1].lower(): z for z in time_zones() if "/" in z}
    if city.lower() in by_city:
        return f"did you mean '{by_city[city.lower()]}'?"
    close = difflib.get_close_matches(value, time_zones(), n=1)
    return f"did you mean '{close[0]}'?" if close else "use an IANA name such as 'Europe/London'"


def _check_zone(value: str) -> str:
    if value not in time_zones():
        raise PydanticCustomError("bad_zone", "unknown time zone '{value}'", {"value": value, "hint": zone_hint(value)})
    return value


def _pad_hour(value: Any) -> Any:
    """'9:30' is 09:30: the README accepts a time quoted or not, and an hour of one digit is no doubt."""
    if isinstance(value, str) and re.fullmatch(r"\d:\d{2}(:\d{2})?", value.strip()):
        return "0" + value.strip()
    return value


# JSON Schema's "time" format is RFC 3339's (with seconds and an offset): editors would flag '16:00'.
CLOCK_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
Clock = Annotated[time, BeforeValidator(_pad_hour), WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN})]


KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
CircleKey = Annotated[str, Field(json_schema_extra={"pattern": "^[A-Za-z0-9_-]{43}$"})]  # checked in `circles.access_problems`
Url = Annotated[str, AfterValidator(_check_url), Field(max_length=2000, json_schema_extra={"format": "uri"})]
MemberId = Annotated[str, AfterValidator(_check_id), Field(max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
MAX_LINE = 200  # a name, title, place or topic: one line of text
Text = Annotated[str, Field(min_length=1, max_length=MAX_LINE)]
Line = Annotated[str, Field(max_length=MAX_LINE)]
TimeZone = Annotated[str, AfterValidator(_check_zone), Field(description="IANA time zone, e.g. Europe/London")]
Minutes = Annotated[int, Field(ge=15, le=600, description="length in minutes")]
Status = Literal["todo", "in-progress", "done"]


class DateRange(Model):
    """A stretch of days, both ends included."""

    from_: date = Field(alias="from", description="the first day", examples=["2027-03-01"])
    to: date = Field(description="the last day", examples=["2027-03-14"])


class Member(Model):
    """A peer in the circle; each member is both mentor and mentee."""

    id: MemberId = Field(description="short id used to name facilitators, e.g. 'ana'", examples=["ana-r"])
    name: Text = Field(description="the member's name as the circle's pages show it", examples=["Ana Ruiz"])
    role: Line = Field("", description="career stage or role, e.g. 'Postdoc, year 3'", examples=["Postdoc, year 3"])
    department: Line = Field("", description="department, lab or institute", examples=["Neuroscience"])
    email: Line | None = Field(None, description="an address the other members can write to",
                               examples=["ana.ruiz@example.org"])
    profile: Url | None = Field(None, description="link to a profile page", examples=["https://example.org/people/ana"])
    unavailable: list[date | DateRange] = Field(default_factory=list, description="dates (or from/to ranges) "
                                                "the member cannot lead a session; the planner respects them",
                                                examples=[["2027-02-11", {"from": "2027-04-01", "to": "2027-04-14"}]])
    co_facilitate_with: list[MemberId] = Field(default_factory=list, description="members they would like "
                                               "to lead sessions with; the planner pairs them where it can",
                                               examples=[["bo"]])


class Term(Model):
    """The period the circle commits to."""

    start: date = Field(description="the first day of the term", examples=["2027-01-01"])
    months: int = Field(6, ge=1, le=24, description="how many months the term lasts", examples=[6])


class Defaults(Model):
    """Values a session takes when it does not give its own."""

    start: Clock | None = Field(None, description="24-hour start time, e.g. '16:00' (or '9:30')", examples=["16:00"])
    duration: Minutes = Field(90, description="how long a session lasts, in minutes", examples=[90])
    place: Line | None = Field(None, description="where sessions meet", examples=["Library, room 2.14"])
    online: Url | None = Field(None, description="video-call link", examples=["https://meet.example.org/our-circle"])


class Session(Model):
    """One meeting, led by one or two members."""

    date: Annotated[date, Field(description="the day it meets", examples=["2027-01-14"])]
    start: Clock | None = Field(None, description="24-hour start time, if not defaults.start", examples=["17:30"])
    duration: Minutes | None = Field(None, description="length in minutes, if not defaults.duration", examples=[60])
    place: Line | None = Field(None, description="where it meets, if not defaults.place", examples=["Café on level 1"])
    online: Url | None = Field(None, description="video-call link, if not defaults.online",
                               examples=["https://meet.example.org/our-circle"])
    topic: Line | None = Field(None, description="what the session is about", examples=["Writing a first grant"])
    facilitators: list[MemberId] = Field(default_factory=list, description="one or two member ids: who leads it",
                                         examples=[["ana-r", "bo"]])
    moved_from: date | None = Field(None, description="the date this session was planned for before it moved "
                                    "(keeps calendar entries in members' calendars the same event)",
                                    examples=["2027-01-07"])
    cancelled: bool = Field(False, description="true: the session does not take place (it stays listed, marked "
                            "cancelled, and leaves members' calendars)", examples=[True])


ORDINALS = ("first", "second", "third", "fourth", "last")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _check_monthly(value: str) -> str:
    words = value.lower().split()
    if len(words) != 2 or words[0] not in ORDINALS or words[1] not in WEEKDAYS:
        raise PydanticCustomError("bad_rule", "'{value}' is not a monthly rule",
                                  {"value": value, "hint": "write an ordinal and a weekday, e.g. 'second thursday' "
                                   "or 'last friday'"})
    return " ".join(words)


class Repeat(Model):
    """A recurring schedule, expanded into sessions at build time."""

    monthly_on: Annotated[str, AfterValidator(_check_monthly)] = Field(
        description="e.g. 'second thursday': one session a month on that day, at defaults.start",
        examples=["second thursday"])
    from_: date | None = Field(None, alias="from", description="first possible date (default: term start)",
                               examples=["2027-02-01"])
    until: date | None = Field(None, description="last possible date (default: end of the term)",
                               examples=["2027-06-30"])


class Planning(Model):
    """What `circlepress plan` aims for."""

    facilitators_per_session: int = Field(1, ge=1, le=2, description="how many members `circlepress plan` "
                                          "puts in charge of each session", examples=[2])


class Topic(Model):
    """A subject the circle wants to discuss."""

    title: Text = Field(description="the topic in a few words", examples=["Negotiating a first contract"])
    notes: str | None = Field(None, description="markdown: questions, reading, anything to prepare",
                              examples=["Bring one offer letter, names removed."])
    proposed_by: MemberId | None = Field(None, description="the id of the member who suggested it", examples=["bo"])


class Signature(Model):
    """One member's agreement to the confidentiality agreement."""

    member: MemberId = Field(description="the member's id", examples=["ana-r"])
    date: Annotated[date, Field(description="the day they agreed", examples=["2027-01-14"])]


class Agreement(Model):
    """The confidentiality agreement; without `text`, the programme's default applies."""

    text: str | None = Field(None, description="markdown; leave out to adopt the programme's default",
                             examples=["What is said in the circle stays in the circle."])
    agreed: list[Signature] = Field(default_factory=list, description="who has agreed, and when",
                                    examples=[[{"member": "ana-r", "date": "2027-01-14"}]])


class StepProgress(Model):
    """How far the circle is with one step of the guide."""

    status: Status = Field("todo", description="todo, in-progress or done", examples=["done"])
    note: str | None = Field(None, description="a short note on the step, shown with its progress",
                             examples=["Agreed at the first meeting"])


class NamedLink(Model):
    """A link with a title."""

    title: Text = Field(description="what the link is, as shown", examples=["Shared reading list"])
    url: Url = Field(description="where it goes", examples=["https://example.org/reading"])


# A form link's placeholders (issue 18): a round's link names the circle and the round, never the member.
FORM_PLACEHOLDERS = ("circle", "round")
MEMBER_PLACEHOLDERS = ("member", "id", "name", "email", "person", "user", "respondent", "member_id", "member_name")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FORM_HINT = "put {circle} and {round} where the form's prefilled link holds those two answers, e.g. " \
    "'&entry.111={circle}&entry.222={round}' (Google Forms) or '&r1a2b={circle}&r3c4d={round}' (Microsoft Forms)"


def form_placeholders(template: str) -> list[str]:
    """The names between braces in a form link, in order ('{circle}' -> 'circle')."""
    return _PLACEHOLDER.findall(template)


def fill_form(template: str, values: dict[str, str]) -> str:
    """The form link with each placeholder replaced by its value, percent-encoded."""
    from urllib.parse import quote

    return _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), template)


# Services whose links can carry prefilled answers: a plain link to one of them is a template left unfilled.
PREFILL_HOSTS = ("docs.google.com", "forms.office.com", "forms.microsoft.com")


def form_unmatched(template: str) -> str | None:
    """The warning for a form link whose answers cannot be told apart by circle and round, or None:
    a template with one placeholder of the two, or a Google or Microsoft form's link with neither
    (another service's plain link may ask members for the circle and round itself)."""
    from urllib.parse import urlsplit

    used = form_placeholders(template)
    missing = [f"{{{name}}}" for name in FORM_PLACEHOLDERS if name not in used]
    try:
        host = (urlsplit(template).hostname or "").lower()
    except ValueError:
        host = ""
    if not missing or (len(missing) == 2 and host not in PREFILL_HOSTS):
        return None
    return f"the evaluation form link has no {' or '.join(missing)}, so its answers cannot be matched to a " \
        f"{'circle and round' if len(missing) == 2 else missing[0].strip('{}')}"


def _check_form(value: str) -> str:
    """A form link template: only {circle} and {round}; never a placeholder that names the member."""
    for name in form_placeholders(value):
        if name.strip().lower() in MEMBER_PLACEHOLDERS:
            raise PydanticCustomError(
                "member_placeholder", "the evaluation form link names the member with '{{name}}'",
                {"name": name, "hint": "a round's link identifies the circle and the round, never who answers; "
                 "remove it and keep {circle} and {round}"})
        if name not in FORM_PLACEHOLDERS:
            close = difflib.get_close_matches(name, FORM_PLACEHOLDERS, n=1)
            raise PydanticCustomError(
                "unknown_placeholder", "unknown placeholder '{{name}}' in the evaluation form link",
                {"name": name, "hint": (f"did you mean '{{{close[0]}}}'? " if close else "")
                 + "the placeholders are {circle} (the circle's folder name) and {round} (1, 2, ...)"})
    if value.count("{") != value.count("}"):
        raise PydanticCustomError("unbalanced_brace", "the evaluation form link has an unmatched brace",
                                  {"hint": "write placeholders as {circle} and {round}, or %7B and %7D for a "
                                   "brace the form itself needs"})
    return _check_url(value)


FormUrl = Annotated[str, AfterValidator(_check_form), Field(max_length=2000, json_schema_extra={"format": "uri"})]


def _check_open_days(value: int) -> int:
    if not 1 <= value <= 366:
        raise PydanticCustomError("bad_open_days", "a round cannot stay open {value} days",
                                  {"value": value, "hint": "write a number of days from 1 to 366, e.g. 21 for "
                                   "three weeks; a round also closes the day before the next one opens"})
    return value


class Evaluation(Model):
    """The programme's evaluation rounds (`evaluation:` in circlepress.yaml)."""

    form: FormUrl | None = Field(None, description="every circle's form link; {circle} and {round} are filled "
                                 "in per round (a circle's own 'links: evaluation:' overrides it)",
                                 examples=["https://docs.google.com/forms/d/e/ID/viewform?usp=pp_url"
                                           "&entry.111={circle}&entry.222={round}"])
    open_days: Annotated[int, AfterValidator(_check_open_days)] = Field(
        21, description="how many days a round stays open, from its date (it closes earlier, the day before "
        "the next round opens)", examples=[14])


class Links(Model):
    """Where the circle meets online, its evaluation form and any other links."""

    chat: Url | None = Field(None, description="the circle's online space: chat group or mailing list",
                             examples=["https://chat.example.org/our-circle"])
    evaluation: FormUrl | None = Field(None, description="the evaluation form (step 12); {circle} and {round} "
                                       "are filled in per round, and it overrides the programme's form",
                                       examples=["https://forms.example.org/our-circle?circle={circle}&round={round}"])
    other: list[NamedLink] = Field(default_factory=list, description="any other links, each with a title",
                                   examples=[[{"title": "Shared reading list", "url": "https://example.org/reading"}]])


class Joining(Model):
    """For people looking for a circle: shown on the public circles list (never for a private circle)."""

    open: bool | None = Field(None, description="true: the circle takes new members now; false: it is full "
                              "for this term; leave out to say neither", examples=[True])
    how: Line | None = Field(None, description="one line on how to join, e.g. 'Write to the organiser and come "
                             "to a session'", examples=["Write to the organiser and come to a session"])
    contact: Url | None = Field(None, description="whom to ask: a mailto: address or a web page",
                                examples=["mailto:circles@example.org"])


class Access(Model):
    """How members open a private circle's pages."""

    key: CircleKey | None = Field(None, repr=False, description="the circle's random key (written by `circlepress new "
                                  "circle` and `circlepress rotate`): its folder and keys derive from it",
                                  examples=["EXAMPLEkeyEXAMPLEkeyEXAMPLEkeyEXAMPLEkey123"])
    passphrase: str | None = Field(None, min_length=12, description="optional: members type this "
                                   "memorable phrase instead of using a key in the link",
                                   examples=["quiet river seven lanterns"])
    version: SkipJsonSchema[Any] = Field(None, exclude=True)  # removed: reported by `circles.access_problems`


class CircleSpec(Model):
    """Everything a circle's organiser keeps in `sites/<slug>/circle.yaml`."""

    model_config = ConfigDict(title="circlepress circle.yaml", json_schema_extra={
        "$schema": "https://json-schema.org/draft/2020-12/schema"})

    name: Text = Field(description="the circle's name", examples=["Early Independence Circle"])
    slug: Line | None = Field(None, description="URL name; defaults to the folder name", examples=["early-independence"])
    description: str = Field("", description="one sentence on who the circle is for",
                             examples=["Postdocs preparing to lead their own group."])
    visibility: Literal["public", "private"] = Field(
        "private", description="private: encrypted, opened only with the circle's link; public: listed on the site",
        examples=["public"])
    timezone: TimeZone = Field(description="IANA time zone of the sessions' times, e.g. Europe/London",
                               examples=["Europe/London"])
    term: Term = Field(description="the period the circle commits to", examples=[{"start": "2027-01-01", "months": 6}])
    defaults: Defaults = Field(Defaults(), description="values a session takes when it does not give its own",
                               examples=[{"start": "16:00", "duration": 90, "place": "Library, room 2.14"}])
    members: list[Member] = Field(default_factory=list, max_length=MAX_MEMBERS,
                                  description="the circle's peers, each both mentor and mentee",
                                  examples=[[{"id": "ana-r", "name": "Ana Ruiz", "role": "Postdoc, year 3"}]])
    repeat: Repeat | None = Field(None, description="a monthly rule instead of listing every date",
                                  examples=[{"monthly_on": "second thursday"}])
    sessions: list[Session] = Field(default_factory=list, max_length=MAX_SESSIONS,
                                    description="the meetings of the term (with `repeat`, only those that add "
                                    "something: a topic, facilitators, a move, a cancellation)",
                                    examples=[[{"date": "2027-01-14", "topic": "Goals for the term",
                                                "facilitators": ["ana-r"]}]])
    planning: Planning = Field(Planning(), description="what `circlepress plan` aims for",
                               examples=[{"facilitators_per_session": 2}])
    evaluations: list[date] = Field(default_factory=list, description="when to send the evaluation form "
                                    "(step 12); default: after the middle and the last session",
                                    examples=[["2027-03-25", "2027-06-24"]])
    topics: list[Topic] = Field(default_factory=list, description="subjects the circle wants to discuss",
                                examples=[[{"title": "Negotiating a first contract", "proposed_by": "bo"}]])
    agreement: Agreement = Field(Agreement(), description="the confidentiality agreement (step 6) and who agreed",
                                 examples=[{"agreed": [{"member": "ana-r", "date": "2027-01-14"}]}])
    progress: dict[str, StepProgress] = Field(
        default_factory=dict, description="setup progress per step, keyed by the step's id: the last part "
        "of its address (make-a-calendar for steps/make-a-calendar/, its file name without a number in front); "
        "a step number still reads, with a warning, as reordering the steps would re-label it",
        examples=[{"define-goals-and-expectations": {"status": "done"},
                   "make-a-calendar": {"status": "in-progress", "note": "Two dates left"}}])
    links: Links = Field(Links(), description="the circle's online space, evaluation form and other links",
                         examples=[{"chat": "https://chat.example.org/our-circle"}])
    joining: Joining = Field(Joining(), description="for people looking for a circle: shown on the public "
                             "circles list (never for a private circle)",
                             examples=[{"open": True, "contact": "mailto:circles@example.org"}])
    access: Access = Field(Access(), description="private circles: the circle's key and optional passphrase",
                           examples=[{"key": "EXAMPLEkeyEXAMPLEkeyEXAMPLEkeyEXAMPLEkey123"}])


def circle_json_schema() -> str:
    """The JSON Schema of circle.yaml, as committed in schema/circle.schema.json."""
    import json

    return json.dumps(CircleSpec.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
