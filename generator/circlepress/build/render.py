"""The Jinja environment (theme chain, StrictUndefined) and pages -> HTML."""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from urllib.parse import quote
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import jinja2
from markupsafe import Markup

from ..programme.circles import Circle
from ..programme.errors import CirclepressError, Location, Problem
from ..programme.handbook import Handbook, HandbookPage
from ..programme.markdown import NOTES, Anchor, FileLink, Fragments, PageLink, Shortcode, Slot
from ..evaluation.rounds import RoundLink, form_template, names_round, round_links
from ..calendar.ics import calendar_path, data_url, google_link, outlook_link, subscribe_links
from ..programme.schedule import Meeting, evaluation_dates, held, next_meeting, rotation
from ..programme.urls import absolute_url, relative_url

# Every page's Content-Security-Policy, as a <meta> first in its <head> (a decrypted private page
# keeps its shell's): only the site's own scripts, styles and images; no connections, frames,
# plugins, fonts or media; no <base>, no form posts. frame-ancestors needs an HTTP header.
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
_POLICY_FIRST = re.compile(r"<head\b[^>]*>\s*" + re.escape(POLICY_META))


_ANCHOR = "\x00anchor\x00"
_PLACEHOLDER = re.compile(f"{_ANCHOR}(\\d+){_ANCHOR}")
_ID = re.compile(r"""id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")  # `data-id=` too: harmless


@dataclass(frozen=True)
class Output:
    """One page to render: where it goes, with which template, and what it shows."""

    path: str  # relative to the output root, e.g. 'circles/lab-a/calendar/index.html'
    template: str
    circle: Circle | None = None
    page: HandbookPage | None = None
    body: Fragments | None = None
    title: str = ""
    extra: tuple[tuple[str, Any], ...] = field(default=())
    absolute: bool = False  # links from base_path, for pages served at any URL (404)
    small: bool = False  # sealed in a small size class: its text holds nothing of its circle (a redirect)


def _longdate(value) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def _shortdate(value) -> str:
    return f"{value.day} {value:%b %Y}"


def _hhmm(value: datetime) -> str:
    return f"{value:%H:%M}"


def make_environment(theme_dirs: tuple[Path, ...], live: bool = False) -> jinja2.Environment:
    """Templates searched most specific theme first; `default/<name>` always reaches the stock one,
    so an override can extend the template it replaces. A build makes its own environment, so
    it sees the templates as they are now; `live` (the dev server) keeps one per theme chain,
    which re-reads a template when it is edited."""
    return _living_environment(theme_dirs, _template_files(theme_dirs)) if live else _environment(theme_dirs, False)


def _template_files(theme_dirs: tuple[Path, ...]) -> frozenset[Path]:
    """The chain's template files: when one is added or removed (an override made or dropped),
    the dev server needs a new environment, as Jinja re-reads only the file it found first."""
    return frozenset(p for d in theme_dirs for p in (d / "templates").rglob("*") if p.is_file())


@functools.lru_cache(maxsize=8)
def _living_environment(theme_dirs: tuple[Path, ...], files: frozenset[Path]) -> jinja2.Environment:
    return _environment(theme_dirs, True)


def _environment(theme_dirs: tuple[Path, ...], live: bool) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([
        _Loader([d / "templates" for d in theme_dirs]),
        jinja2.PrefixLoader({"default": _Loader(theme_dirs[-1] / "templates")}),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             auto_reload=live,  # the dev server edits templates under a living environment
                             bytecode_cache=_bytecode_cache())
    env.filters.update(longdate=_longdate, shortdate=_shortdate, hhmm=_hhmm)
    env.globals.update(csp=Markup(CSP), url=_url, fill=_fill, navigation=_navigation,
                       next_meeting=_next_meeting, rotation=_rotation, ics_href=_ics_href, google_link=_google,
                       outlook_link=_outlook, feed_links=_feed_links, evaluation_dates=_evaluations,
                       evaluation=_evaluation,
                       sessions_data=_sessions_data)
    return env


class _Loader(jinja2.FileSystemLoader):
    """Jinja's file loader, for which a template that is not UTF-8 text is a template error
    located at its file and line (not a UnicodeDecodeError from deep in a build)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            pieces = jinja2.loaders.split_template_path(template)
            path = next(p for p in (Path(d, *pieces) for d in self.searchpath) if p.is_file())
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            raise jinja2.TemplateSyntaxError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                             line, template, str(path)) from None


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, as an optimisation only: a cache that cannot be
    read or written (a full disk, a folder gone) means compiling, never a failed build."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - unreadable or cut short: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


@functools.cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (Jinja's per-user cache folder, refused by Jinja
    unless only this user can write it), keyed by each template's source: a template compiles
    once until it is edited, not once per build (0.13 s of every build with the stock theme)."""
    try:
        return _BytecodeCache()
    except (RuntimeError, OSError):  # no safe folder to keep it in: compile every time
        return None


@jinja2.pass_context
def _ics_href(ctx: jinja2.runtime.Context, circle: Circle, meeting: Meeting | None = None) -> str:
    """The calendar file of a circle (or of one session): a file, or a data: URL for a private circle."""
    calendar = ctx["renderer"].calendars[circle.slug]
    if circle.is_private:
        return data_url(calendar.sessions[meeting.key] if meeting else calendar.whole)
    return _url(ctx, calendar_path(circle.url, meeting.key if meeting else None))


@jinja2.pass_context
def _google(ctx: jinja2.runtime.Context, circle: Circle, meeting: Meeting) -> str:
    return ctx["renderer"].once(("google", id(circle), meeting.key),
                                lambda: google_link(circle.spec.name, meeting, circle.spec.timezone))


@jinja2.pass_context
def _outlook(ctx: jinja2.runtime.Context, circle: Circle, meeting: Meeting) -> str:
    return ctx["renderer"].once(("outlook", id(circle), meeting.key), lambda: outlook_link(circle.spec.name, meeting))


@jinja2.pass_context
def _feed_links(ctx: jinja2.runtime.Context, circle: Circle) -> dict[str, str] | None:
    """Subscription links for a public circle whose site has a host name; None otherwise."""
    site = ctx["site"]
    if circle.is_private or not site.origin:
        return None
    feed = absolute_url(calendar_path(circle.url), site.base_path, site.origin)
    return {"https": feed, **subscribe_links(feed, circle.spec.name)}


def _evaluations(circle: Circle):
    return evaluation_dates(circle.spec, circle.meetings)


@dataclass(frozen=True)
class _EvaluationView:
    """What a circle's pages show of its evaluation rounds at the build time `today`."""

    rounds: tuple[RoundLink, ...]
    open: RoundLink | None  # the round whose window holds today
    next: RoundLink | None  # the first round still to open
    has_form: bool
    link: str | None  # for the links and evaluation shortcodes: the open round's, or a link naming no round


@jinja2.pass_context
def _evaluation(ctx: jinja2.runtime.Context, circle: Circle) -> _EvaluationView:
    config = ctx["site"].evaluation
    today = ctx["now"].date()

    def make() -> _EvaluationView:
        all_rounds = round_links(circle, config)
        now_open = next((r for r in all_rounds if r.round.is_open(today)), None)
        coming = next((r for r in all_rounds if r.opens > today), None)
        template = form_template(circle, config)
        link = now_open.link if now_open else template if template and not names_round(template) else None
        return _EvaluationView(all_rounds, now_open, coming, bool(template), link)

    return ctx["renderer"].once(("evaluation", id(circle), today), make)


def _sessions_data(circle: Circle, now: datetime) -> dict:
    """What the page's script needs to find the next session in the reader's own time."""
    return {"zone": circle.spec.timezone, "asOf": now.isoformat(), "sessions": [
        {"number": m.number, "date": m.date.isoformat(),
         "start": m.start.isoformat() if m.start else None, "end": m.end.isoformat() if m.end else None,
         "topic": m.topic or "", "leaders": " and ".join(f.name for f in m.facilitators),
         "place": m.place or "", "online": m.online or ""}
        for m in held(circle.meetings)]}


@jinja2.pass_context
def _navigation(ctx: jinja2.runtime.Context, name: str) -> Markup:
    """A navigation partial, rendered once per circle (or handbook) and page depth, with this
    page's own link marked as current. Every page shows one; rendering it once is most of a build."""
    renderer, circle, depth = ctx["renderer"], ctx["circle"], ctx["page_path"].count("/")
    key = (name, circle.slug if circle is not None else None, depth, ctx["absolute"])
    html = renderer.navigations.get(key)
    if html is None:
        stand_in = {**ctx.get_all(), "page_path": "x/" * depth + "index.html"}
        html = renderer.navigations[key] = ctx.environment.get_template(name).render(stand_in)
    own = f'href="{_url(ctx, ctx["page_path"])}"'
    return Markup(html.replace(own, own + ' aria-current="page"', 1))


@jinja2.pass_context
def _fill(ctx: jinja2.runtime.Context, body: Fragments) -> Markup:
    """`{{ fill(circle.agreement) }}`: parsed markdown rendered for the page being rendered."""
    return ctx["renderer"].fill(body, ctx["output"])


def _next_meeting(circle: Circle, now: datetime):
    return next_meeting(circle.meetings, now)


def _rotation(circle: Circle):
    return rotation(circle.spec, circle.meetings)


@jinja2.pass_context
def _url(ctx: jinja2.runtime.Context, target: str) -> str:
    """`{{ url('circles/lab-a/') }}`: a link from the page being rendered."""
    if ctx["absolute"]:
        return absolute_url(target, ctx["site"].base_path)
    return relative_url(target, ctx["page_path"])


def shortcode_names(env: jinja2.Environment) -> list[str]:
    return sorted(n[len("shortcodes/"):-len(".html")] for n in env.list_templates()
                  if n.startswith("shortcodes/") and n.endswith(".html"))


def check_shortcodes(env: jinja2.Environment, bodies: list[Fragments]) -> list[Problem]:
    """Every shortcode used must have a template `shortcodes/<name>.html` in the theme."""
    names = shortcode_names(env)
    problems = []
    for body in bodies:
        for slot in body.slots:
            if isinstance(slot, Shortcode) and slot.name not in names:
                close = difflib.get_close_matches(slot.name, names, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "available: " + ", ".join(names)
                problems.append(Problem(slot.location, f"unknown shortcode '{slot.name}'", hint))
    return problems


class Renderer:
    """Renders outputs with one compiled environment and the site-wide values every page shares."""

    def __init__(self, env: jinja2.Environment, site: Any, handbook: Handbook, example: Circle, now: datetime,
                 shown: Callable[[Path], str] = str, calendars: Any = None):
        self.env, self.site, self.handbook, self.example, self.now = env, site, handbook, example, now
        self.shown = shown
        self.calendars = calendars if calendars is not None else {}  # slug -> CircleCalendar, on demand
        self.navigations: dict[tuple, str] = {}
        self._once: dict[tuple, Any] = {}
        self.by_source = {p.source: p for p in handbook.pages}
        self._anchors: list[str] = []  # the headings' slugs on the page being rendered, in order
        self._bodies = 0  # the markdown bodies filled into it so far (their footnotes' ids: fn-1-1, fn-2-1)

    def once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """A value computed once per run (the objects in `key` live as long as the renderer)."""
        if key not in self._once:
            self._once[key] = make()
        return self._once[key]

    @functools.cached_property
    def _shortcodes(self) -> dict[str, jinja2.Template]:
        return {n: self.env.get_template(f"shortcodes/{n}.html") for n in shortcode_names(self.env)}

    def warm(self, outputs: list[Output]) -> None:
        """Compile the templates `outputs` need (before forking workers, which then share them)."""
        for name in {out.template for out in outputs} | {"private.html"}:
            try:
                self.env.get_template(name)
            except jinja2.TemplateError:
                pass  # rendering reports it, with its location
        try:
            self._shortcodes  # noqa: B018 - compiles every shortcode template
        except jinja2.TemplateError:
            pass  # rendering reports it

    def context(self, out: Output) -> dict[str, Any]:
        return {"renderer": self, "output": out, "site": self.site, "page_path": out.path, "absolute": out.absolute,
                "circle": out.circle, "page": out.page, "title": out.title, "now": self.now, "handbook": self.handbook,
                **dict(out.extra)}

    def link_target(self, slot: PageLink, circle: Circle | None) -> str:
        page = self.by_source[slot.target]
        scope = circle.url if circle is not None and page.is_step else ""
        return scope + page.url + (f"#{slot.fragment}" if slot.fragment else "")

    def page_href(self, slot: PageLink | FileLink, out: Output) -> str:
        """A page link's URL from `out`; a file's, which every copy of a page (a circle's, a private
        circle's) reaches at its one public path."""
        if isinstance(slot, FileLink):
            target = quote(slot.target) + (f"#{slot.fragment}" if slot.fragment else "")
        else:
            target = self.link_target(slot, out.circle)
        return absolute_url(target, self.site.base_path) if out.absolute else relative_url(target, out.path)

    def fill(self, body: Fragments, out: Output) -> Markup:
        """The body's HTML with shortcodes showing `out.circle` (or the example) and links resolved."""
        ctx = self.context(out)
        self._bodies += 1
        number = str(self._bodies)

        def render_slot(slot: Slot | Anchor) -> str:
            if isinstance(slot, Anchor):  # a placeholder until the whole page is known
                return anchor(slot.slug)
            if isinstance(slot, (PageLink, FileLink)):
                return Markup.escape(self.page_href(slot, out))
            template = self._shortcodes[slot.name]
            circle = out.circle or self.example
            return template.render({**ctx, "circle": circle, "is_example": out.circle is None,
                                    "args": slot.args, "inline": not slot.block, "anchor": anchor})

        def anchor(slug: str) -> Markup:
            """An id unique on the page (slug, else slug-2...): a shortcode used twice gives no id twice."""
            self._anchors.append(slug)
            return Markup(f"{_ANCHOR}{len(self._anchors) - 1}{_ANCHOR}")

        return Markup(body.fill(render_slot).replace(NOTES, number))

    def render_shell(self, out: Output, payload: dict) -> str:
        """A private page's public shell: generic, and given nothing of the circle but its sealed payload."""
        ctx = {"site": self.site, "page_path": out.path, "absolute": False, "payload": payload,
               "passphrase": payload["wrap"]["kind"] == "passphrase"}
        with self._located(out, "private.html"):
            return self._with_policy(self.env.get_template("private.html").render(ctx), "private.html", out.path)

    def render(self, out: Output) -> str:
        ctx = self.context(out)
        with self._located(out, out.template):
            self._anchors, self._bodies = [], 0
            if out.body is not None:  # shortcode templates render here
                ctx["content"] = self.fill(out.body, out)
            html = self.env.get_template(out.template).render(ctx)
        html = self._place_anchors(html) if self._anchors else html
        return self._with_policy(html, out.template, out.path)

    def _place_anchors(self, html: str) -> str:
        """Each heading's id: its slug, or the first of slug-2, slug-3... that no other element
        of the page (the theme's own, an earlier heading's) has. The page's ids are found with a
        scan for `id=` that over-reserves at worst (20 µs a page; an HTML parser takes 4 ms)."""
        taken = {next(filter(None, found)) for found in _ID.findall(html) if any(found)}
        anchors = self._anchors

        def place(match: re.Match) -> str:
            slug = anchor = anchors[int(match.group(1))]
            n = 1
            while anchor in taken:
                n += 1
                anchor = f"{slug}-{n}"
            taken.add(anchor)
            return anchor

        return _PLACEHOLDER.sub(place, html)

    @contextlib.contextmanager
    def _located(self, out: Output, template: str) -> Iterator[None]:
        """Any error a template raises (a Jinja error, a TypeError, a filter's own) becomes a
        problem at the template's line that names the page being rendered."""
        try:
            yield
        except CirclepressError:
            raise
        except Exception as exc:  # noqa: BLE001 - templates are the user's code: whatever they raise is theirs
            raise CirclepressError([Problem.from_template_error(exc, template, self.shown, out.path)]) from None

    def _with_policy(self, html: str, template: str, path: str) -> str:
        """`html`, if its <head> starts with the policy: a theme that leaves it out stops the build."""
        if _POLICY_FIRST.search(html):
            return html
        raise CirclepressError([Problem(
            self._head_location(template), f"the page '{path}' has no Content-Security-Policy first in its <head>",
            'start <head> with <meta http-equiv="Content-Security-Policy" content="{{ csp }}">, as the default '
            "theme's templates do")])

    def _head_location(self, name: str) -> Location:
        """Where the page's <head> is written: in template `name` or one it extends."""
        seen = set()
        while True:
            source, filename, _ = self.env.loader.get_source(self.env, name)
            seen.add(name)
            parent = self.env.parse(source).find(jinja2.nodes.Extends)
            parent = parent.template.value if parent and isinstance(parent.template, jinja2.nodes.Const) else None
            if "<head" in source or parent is None or parent in seen:
                line = source.count("\n", 0, max(source.find("<head"), 0)) + 1
                return Location(self.shown(Path(filename)) if filename else name, line)
            name = parent
