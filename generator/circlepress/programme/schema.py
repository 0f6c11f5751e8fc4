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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
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


def _check_zone(value: str) -> str:
    if value not in time_zones():
        close = difflib.get_close_matches(value, time_zones(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "use an IANA name such as 'Europe/London'"
        raise PydanticCustomError("bad_zone", "unknown time zone '{value}'", {"value": value, "hint": hint})
    return value


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
    from_: date = Field(alias="from")
    to: date


class Member(Model):
    """A peer in the circle; each member is both mentor and mentee."""

    id: MemberId = Field(description="short id used to name facilitators, e.g. 'ana'")
    name: Text
    role: Line = Field("", description="career stage or role, e.g. 'Postdoc, year 3'")
    department: Line = ""
    email: Line | None = None
    profile: Url | None = Field(None, description="link to a profile page")
    unavailable: list[date | DateRange] = Field(default_factory=list, description="dates (or from/to ranges) "
                                                "the member cannot lead a session; the planner respects them")
    co_facilitate_with: list[MemberId] = Field(default_factory=list, description="members they would like "
                                               "to lead sessions with; the planner pairs them where it can")


class Term(Model):
    """The period the circle commits to."""

    start: date
    months: int = Field(6, ge=1, le=24)


class Defaults(Model):
    """Values a session takes when it does not give its own."""

    start: time | None = Field(None, description="24-hour start time, e.g. '16:00'")
    duration: Minutes = 90
    place: Line | None = None
    online: Url | None = Field(None, description="video-call link")


class Session(Model):
    """One meeting, led by one or two members."""

    date: date
    start: time | None = None
    duration: Minutes | None = None
    place: Line | None = None
    online: Url | None = None
    topic: Line | None = None
    facilitators: list[MemberId] = Field(default_factory=list, description="one or two member ids")
    moved_from: date | None = Field(None, description="the date this session was planned for before it moved "
                                    "(keeps calendar entries in members' calendars the same event)")
    cancelled: bool = False


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
        description="e.g. 'second thursday': one session a month on that day, at defaults.start")
    from_: date | None = Field(None, alias="from", description="first possible date (default: term start)")
    until: date | None = Field(None, description="last possible date (default: end of the term)")


class Planning(Model):
    """What `circlepress plan` aims for."""

    facilitators_per_session: int = Field(1, ge=1, le=2)


class Topic(Model):
    title: Text
    notes: str | None = Field(None, description="markdown")
    proposed_by: MemberId | None = None


class Signature(Model):
    member: MemberId
    date: date


class Agreement(Model):
    """The confidentiality agreement; without `text`, the programme's default applies."""

    text: str | None = Field(None, description="markdown; leave out to adopt the programme's default")
    agreed: list[Signature] = Field(default_factory=list)


class StepProgress(Model):
    status: Status = "todo"
    note: str | None = None


class NamedLink(Model):
    title: Text
    url: Url


class Links(Model):
    chat: Url | None = Field(None, description="the circle's online space: chat group or mailing list")
    evaluation: Url | None = Field(None, description="the evaluation form (step 12)")
    other: list[NamedLink] = Field(default_factory=list)


class Joining(Model):
    """For people looking for a circle: shown on the public circles list (never for a private circle)."""

    open: bool | None = Field(None, description="true: the circle takes new members now; false: it is full "
                              "for this term; leave out to say neither")
    how: Line | None = Field(None, description="one line on how to join, e.g. 'Write to the organiser and come "
                             "to a session'")
    contact: Url | None = Field(None, description="whom to ask: a mailto: address or a web page")


class Access(Model):
    """How members open a private circle's pages."""

    key: CircleKey | None = Field(None, repr=False, description="the circle's random key (written by `circlepress new "
                                  "circle` and `circlepress rotate`): its folder and keys derive from it")
    passphrase: str | None = Field(None, min_length=12, description="optional: members type this "
                                   "memorable phrase instead of using a key in the link")
    version: SkipJsonSchema[Any] = Field(None, exclude=True)  # removed: reported by `circles.access_problems`


class CircleSpec(Model):
    """Everything a circle's organiser keeps in `sites/<slug>/circle.yaml`."""

    model_config = ConfigDict(title="circlepress circle.yaml", json_schema_extra={
        "$schema": "https://json-schema.org/draft/2020-12/schema"})

    name: Text
    slug: Line | None = Field(None, description="URL name; defaults to the folder name")
    description: str = ""
    visibility: Literal["public", "private"] = "private"
    timezone: TimeZone
    term: Term
    defaults: Defaults = Defaults()
    members: list[Member] = Field(default_factory=list, max_length=MAX_MEMBERS)
    repeat: Repeat | None = None
    sessions: list[Session] = Field(default_factory=list, max_length=MAX_SESSIONS)
    planning: Planning = Planning()
    evaluations: list[date] = Field(default_factory=list, description="when to send the evaluation form "
                                    "(step 12); default: after the middle and the last session")
    topics: list[Topic] = Field(default_factory=list)
    agreement: Agreement = Agreement()
    progress: dict[Annotated[int, Field(ge=1, le=99)], StepProgress] = Field(
        default_factory=dict, description="setup progress per step number")
    links: Links = Links()
    joining: Joining = Joining()
    access: Access = Access()


def circle_json_schema() -> str:
    """The JSON Schema of circle.yaml, as committed in schema/circle.schema.json."""
    import json

    return json.dumps(CircleSpec.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
