"""A circle's meetings: sessions resolved against defaults, time zone and term."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .schema import CircleSpec, Member, Session


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Meeting:
    """One session as members see it: times in the circle's zone, facilitators by name."""

    number: int
    date: date
    start: datetime | None
    end: datetime | None
    place: str | None
    online: str | None
    topic: str | None
    facilitators: tuple[Member, ...]

    @property
    def is_complete(self) -> bool:
        """Fully specified, as step 8 asks: date, time, place, topic and who leads."""
        return bool(self.start and (self.place or self.online) and self.topic and self.facilitators)

    def is_over(self, now: datetime) -> bool:
        if self.end is not None:
            return self.end <= now
        return self.date < now.date()


def _meeting(number: int, session: Session, spec: CircleSpec, zone: ZoneInfo, members: dict[str, Member]) -> Meeting:
    defaults = spec.defaults
    start_time: time | None = session.start or defaults.start
    start = datetime.combine(session.date, start_time, zone) if start_time else None
    minutes = session.duration or defaults.duration
    end = start + timedelta(minutes=minutes) if start else None
    return Meeting(
        number=number, date=session.date, start=start, end=end,
        place=session.place or defaults.place, online=session.online or defaults.online,
        topic=session.topic,
        facilitators=tuple(members[m] for m in session.facilitators if m in members))


def meetings(spec: CircleSpec) -> tuple[Meeting, ...]:
    """Every session in date order, numbered from 1."""
    zone = ZoneInfo(spec.timezone)
    members = {m.id: m for m in spec.members}
    ordered = sorted(spec.sessions, key=lambda s: (s.date, s.start or spec.defaults.start or time()))
    return tuple(_meeting(i, s, spec, zone, members) for i, s in enumerate(ordered, start=1))


def next_meeting(all_meetings: tuple[Meeting, ...], now: datetime) -> Meeting | None:
    """The first meeting not yet over at `now`."""
    return next((m for m in all_meetings if not m.is_over(now)), None)


def rotation(spec: CircleSpec, all_meetings: tuple[Meeting, ...]) -> tuple[tuple[Member, int], ...]:
    """How many sessions each member leads, in member order."""
    counts = {m.id: 0 for m in spec.members}
    for meeting in all_meetings:
        for person in meeting.facilitators:
            counts[person.id] += 1
    return tuple((m, counts[m.id]) for m in spec.members)
