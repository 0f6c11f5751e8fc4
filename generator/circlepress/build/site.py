"""What a site is made of, and which pages it publishes where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import __version__
from ..programme.circles import Circle
from ..programme.config import Project
from ..programme.errors import Problem
from ..programme.handbook import Handbook, alias_output
from ..programme.schedule import held
from ..programme.schema import Evaluation
from .render import Output


@dataclass(frozen=True)
class Site:
    """Everything loaded and validated: the input to rendering."""

    project: Project
    handbook: Handbook
    example: Circle
    circles: tuple[Circle, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class NavItem:
    title: str
    url: str  # site-relative folder
    step: int | None  # a step's number as shown: its place among the published steps
    draft: bool = False


@dataclass(frozen=True)
class PublicCircle:
    """What every page may show of a public circle (the circles list): a page never depends on
    anything else of another circle, so a circle's edit re-renders only its own pages and the
    pages of a build can be shared out by circle."""

    slug: str
    url: str
    name: str
    description: str
    open: bool | None = None  # taking new members (None: the circle does not say)
    how: str = ""  # how to join
    contact: str = ""  # a mailto: or web link
    timezone: str = ""
    meetings: tuple[tuple[date, str], ...] = ()  # (date, 'HH:MM' or '') of every session held
    moved: tuple[str, ...] = ()  # its own pages' old folders (`aliases:`): redirects, not in the sitemap


def public_card(circle: Circle) -> PublicCircle | None:
    """What other pages may show of `circle`: None for a private circle."""
    if circle.is_private:
        return None
    joining = circle.spec.joining
    meetings = tuple((m.date, f"{m.start:%H:%M}" if m.start else "") for m in held(circle.meetings))
    return PublicCircle(circle.slug, circle.url, circle.spec.name, circle.spec.description, joining.open,
                        joining.how or "", joining.contact or "", circle.spec.timezone, meetings,
                        tuple(f"{old}/" for p in circle.pages for old in p.aliases))


def public_circles(circles: tuple[Circle, ...]) -> tuple[PublicCircle, ...]:
    return tuple(card for card in map(public_card, circles) if card is not None)


@dataclass(frozen=True)
class SiteView:
    """Site-wide values every template may read."""

    title: str
    description: str
    language: str
    base_path: str
    origin: str
    nav: tuple[NavItem, ...]
    public_circles: tuple[PublicCircle, ...]
    generator: str = f"circlepress {__version__}"
    evaluation: Evaluation = Evaluation()  # the programme's form link and round length (issue 18)
    moved: tuple[str, ...] = ()  # handbook pages' old addresses (`aliases:`): redirects, not in the sitemap


def make_view(config, base_path: str, origin: str, handbook: Handbook, public: tuple[PublicCircle, ...]) -> SiteView:
    nav = tuple(NavItem(p.meta.title, p.url, p.number, p.meta.draft) for p in handbook.pages)
    moved = tuple(folder for p in handbook.pages for folder, _ in p.aliases)
    return SiteView(config.title, config.description, config.language, base_path, origin, nav, public,
                    evaluation=config.evaluation, moved=moved)


def handbook_outputs(handbook: Handbook) -> list[Output]:
    """The public handbook: every page once, shortcodes showing the example circle."""
    return [Output(p.url + "index.html", "page.html", page=p, body=p.body, title=p.meta.title)
            for p in handbook.pages] + redirect_outputs("", handbook.pages, None)


def redirect_outputs(base: str, pages, circle: Circle | None) -> list[Output]:
    """A redirect page at each old address (`aliases:`) of `pages`, under `base`."""
    return [Output(base + alias_output(folder), "redirect.html", circle=circle, page=p, title=p.meta.title,
                   extra=(("target", base + p.url),), small=True) for p in pages for folder, _ in p.aliases]


def circle_outputs(circle: Circle, handbook: Handbook) -> list[Output]:
    """A circle's own small site: home, calendar, topics, agreement, tailored steps, extra pages."""
    base = circle.url
    outputs = [
        Output(base + "index.html", "circle/home.html", circle=circle, title=circle.spec.name),
        Output(base + "calendar/index.html", "circle/calendar.html", circle=circle, title="Calendar"),
        Output(base + "topics/index.html", "circle/topics.html", circle=circle, title="Topics"),
        Output(base + "agreement/index.html", "circle/agreement.html", circle=circle,
               body=circle.agreement, title="Confidentiality agreement"),
    ]
    outputs += [Output(base + p.url + "index.html", "circle/step.html", circle=circle, page=p, body=p.body,
                       title=p.meta.title) for p in handbook.steps]
    # A private circle's redirects are sealed like its other pages: a shell that names nothing and
    # that, opened, forwards to the step's address (private.js keeps the key of the link).
    outputs += redirect_outputs(base, handbook.steps, circle)
    outputs += [Output(f"{base}{p.path}/index.html", "circle/page.html", circle=circle, body=p.body,
                       title=p.meta.title) for p in circle.pages]
    outputs += [Output(f"{base}{old}/index.html", "redirect.html", circle=circle, title=p.meta.title,
                       extra=(("target", f"{base}{p.path}/"),)) for p in circle.pages for old in p.aliases]
    return outputs


def site_pages(handbook: Handbook) -> list[Output]:
    """The site's own pages: the handbook, the circles list and the 404 page."""
    return handbook_outputs(handbook) + [Output("circles/index.html", "circles.html", title="Circles"),
                                         Output("404.html", "404.html", title="Page not found", absolute=True)]
