"""A circle's evaluation rounds: its evaluation moments, numbered within the term, each open for a
window of days, and the form link of each round (the circle and the round filled in, never the member)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePosixPath

from ..programme.circles import Circle
from ..programme.schedule import evaluation_dates
from ..programme.schema import Evaluation, fill_form, form_placeholders

DEFAULT_OPEN_DAYS = Evaluation().open_days  # 21: three weeks, long enough for a reminder at a session


@dataclass(frozen=True)
class Round:
    """One evaluation round of one circle: the circle's folder slug and the round's number name it."""

    circle: str  # the circle's folder name under sites/ (public already, even for a private circle)
    number: int  # 1, 2, ... within the circle's term
    opens: date
    closes: date  # the last day it is open

    def is_open(self, day: date) -> bool:
        return self.opens <= day <= self.closes


def circle_folder(circle: Circle) -> str:
    """The folder a circle's files are in, sites/<folder>/: its slug for rounds and form links."""
    return PurePosixPath(circle.source).parent.name


def rounds(circle: Circle, open_days: int = DEFAULT_OPEN_DAYS) -> tuple[Round, ...]:
    """The circle's rounds: one per evaluation moment, open `open_days` days from its date, or
    until the day before the next round opens when that comes sooner."""
    days = evaluation_dates(circle.spec, circle.meetings)
    folder = circle_folder(circle)
    found = []
    for i, day in enumerate(days):
        closes = day + timedelta(days=open_days - 1)
        if i + 1 < len(days):
            closes = min(closes, days[i + 1] - timedelta(days=1))
        found.append(Round(folder, i + 1, day, closes))
    return tuple(found)


def open_round(all_rounds: tuple[Round, ...], day: date) -> Round | None:
    return next((r for r in all_rounds if r.is_open(day)), None)


def next_round(all_rounds: tuple[Round, ...], day: date) -> Round | None:
    return next((r for r in all_rounds if r.opens > day), None)


def form_template(circle: Circle, config: Evaluation) -> str | None:
    """The circle's own form link, or else the programme's (None when neither is set)."""
    return circle.spec.links.evaluation or config.form


def form_link(template: str, round_: Round) -> str:
    """A round's form link: {circle} and {round} filled in, percent-encoded."""
    return fill_form(template, {"circle": round_.circle, "round": str(round_.number)})


def names_round(template: str) -> bool:
    """Whether the link differs from round to round (so it belongs only to the round that is open)."""
    return "round" in form_placeholders(template)


@dataclass(frozen=True)
class RoundLink:
    """A round with its form link (None when the circle has no form), as pages and `links` show it."""

    round: Round
    link: str | None

    @property
    def number(self) -> int:
        return self.round.number

    @property
    def opens(self) -> date:
        return self.round.opens

    @property
    def closes(self) -> date:
        return self.round.closes


def round_links(circle: Circle, config: Evaluation) -> tuple[RoundLink, ...]:
    template = form_template(circle, config)
    return tuple(RoundLink(r, form_link(template, r) if template else None) for r in rounds(circle, config.open_days))
