"""From a loaded site to every output file: private circles sealed, calendars made, pages
rendered. Given a `RenderMemo` (the dev server keeps one), outputs whose inputs are unchanged
are taken from the last run instead of being rendered again; the files are the same either way."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from jinja2 import TemplateError, meta

from ..calendar.ics import CircleCalendar, Published, calendar_path, make_calendar, read_published, whole_calendar_in
from ..programme.circles import Circle
from ..programme.errors import CirclepressError, Location, Problem
from ..programme.handbook import Handbook
from ..programme.markdown import FileLink, PageLink, Shortcode
from ..programme.memo import value_stamp
from ..private.keys import PAD_FLOOR, SMALL_FLOOR, Sealer, read_sealed, unb64
from .render import Output, Renderer, make_environment
from .site import PublicCircle, Site, circle_outputs, make_view, public_circles, site_pages
from .sitemap import render_robots, render_sitemap
from .writer import Staging



@dataclass
class RenderMemo:
    """What the last run wrote, and from what inputs, for the next run to reuse.

    `deps` (output path -> digest of its inputs) is what a saved build state keeps; the bytes
    themselves are held only in memory (the dev server), otherwise the previous file on disk
    stands for them.
    """

    deps: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # circle slug -> digest of all its outputs' inputs
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template source digest -> what it uses
    held: dict[str, bytes] = field(default_factory=dict)
    hold: bool = True
    calendars: dict[str, tuple[str, CircleCalendar]] = field(default_factory=dict)
    published: dict[str, tuple[str, str, Circle]] = field(default_factory=dict)
    outputs: dict[str, tuple[Circle, Handbook, list[Output]]] = field(default_factory=dict)  # by slug

    def circle_outputs(self, circle: Circle, handbook: Handbook) -> list[Output]:
        """`circle_outputs`, made again only when the circle is another object or the handbook
        another (a handbook loaded again from unchanged pages holds the same pages: equal at once)."""
        hit = self.outputs.get(circle.slug)
        if hit is None or hit[0] is not circle or hit[1] != handbook:
            hit = self.outputs[circle.slug] = (circle, handbook, circle_outputs(circle, handbook))
        return hit[2]

    def __getstate__(self) -> dict:
        return {"deps": self.deps, "groups": self.groups, "references": self.references}  # saved: no bytes

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state, hold=False)


def make_sealer(site: Site) -> Sealer | None:
    """Keys for the private circles, each from its own `access.key` (a loaded private circle has one)."""
    private = [(c.slug, unb64(c.spec.access.key), c.spec.access.passphrase) for c in site.circles if c.is_private]
    if not private:
        return None
    return Sealer(private)


def publish_addresses(circles: tuple[Circle, ...], sealer: Sealer | None, memo: RenderMemo) -> tuple[Circle, ...]:
    """Private circles move to their secret folders, their own pages to folders named by their keys
    (the same object while the circle is unchanged)."""
    published = []
    for c in circles:
        if c.is_private and sealer:
            hit = memo.published.get(c.slug)
            if hit is None or hit[0] != c.digest or hit[1] != sealer.url(c.slug) or not c.digest:
                pages = tuple(replace(p, path=sealer.page_folder(c.slug, p.name),
                                      aliases=tuple(sealer.page_folder(c.slug, old) for old in p.aliases))
                              for p in c.pages)
                hit = memo.published[c.slug] = (c.digest, sealer.url(c.slug),
                                                replace(c, url=sealer.url(c.slug), pages=pages))
            c = hit[2]
        published.append(c)
    return tuple(published)


def load_published_calendars(out: Path, circles: tuple[Circle, ...],
                             sealer: Sealer | None) -> dict[str, dict[str, Published]]:
    """What the previous build published for each circle's sessions (for SEQUENCE and DTSTAMP)."""
    found: dict[str, dict[str, Published]] = {}
    for circle in circles:
        if circle.is_private and sealer is not None:
            shell = out / circle.url / "calendar" / "index.html"
            html = read_sealed(sealer.keys[circle.slug], "calendar/index.html", shell.read_text("utf-8")) \
                if shell.is_file() else None
            data = whole_calendar_in(html) if html else None
        else:
            feed = out / calendar_path(circle.url)
            data = feed.read_bytes() if feed.is_file() else None
        if data:
            found[circle.slug] = read_published(data)
    return found


class Calendars:
    """Each circle's calendar, made when first asked for; private circles' UIDs come from their
    secret address, not their slug. The previous build's calendar is read only for circles
    whose calendar is made again."""

    def __init__(self, circles: tuple[Circle, ...], sealer: Sealer | None, previous_out: Path | None,
                 now: datetime, memo: RenderMemo):
        self.by_slug = {c.slug: c for c in circles}
        self.sealer, self.previous_out, self.now, self.memo = sealer, previous_out, now, memo

    def seed(self, circle: Circle) -> str:
        return self.sealer.keys[circle.slug].token if circle.is_private else circle.slug

    def key(self, circle: Circle) -> str:
        """What the calendar depends on (the previous build's calendar aside, which only an edit consults)."""
        return value_stamp(circle.digest, self.now, self.seed(circle)) if circle.digest else ""

    def __getitem__(self, slug: str) -> CircleCalendar:
        circle = self.by_slug[slug]
        key = self.key(circle)
        hit = self.memo.calendars.get(slug)
        if key and hit and hit[0] == key:
            return hit[1]
        previous = load_published_calendars(self.previous_out, (circle,), self.sealer).get(slug, {}) \
            if self.previous_out else {}
        made = make_calendar(circle.spec.name, circle.spec.timezone, self.seed(circle), circle.meetings, previous,
                             self.now)
        self.memo.calendars[slug] = (key, made)
        return made


def _static_files(site: Site) -> dict[str, bytes]:
    static, problems = site.project.theme_static()
    if problems:  # a link out of its theme (load_guide reports these first)
        raise CirclepressError(problems)
    files = {rel: path.read_bytes() for rel, path in static.items()}
    for rel, path in site.handbook.assets:
        files[rel] = path.read_bytes()
    return files


def _references(env, source: str) -> tuple[str, ...]:
    """The templates a template's source extends, includes or imports."""
    try:
        return tuple(ref for ref in meta.find_referenced_templates(env.parse(source)) if ref)
    except TemplateError:  # rendering reports it, with its location
        return ()


class _Templates:
    """A digest of each template together with every template it extends or includes. What a
    template's source refers to is parsed once: `known` holds what earlier runs found, and
    `references` what this run used (for the next)."""

    def __init__(self, env, known: dict[str, tuple[str, ...]]):
        self.env, self.known = env, known
        self.references: dict[str, tuple[str, ...]] = {}
        self._closure: dict[str, frozenset[str]] = {}
        self._source: dict[str, str] = {}
        self._digest: dict[frozenset[str], str] = {}

    def source(self, name: str) -> str:
        if name not in self._source:
            try:
                self._source[name] = self.env.loader.get_source(self.env, name)[0]
            except TemplateError:
                self._source[name] = ""  # a missing template: rendering reports it
        return self._source[name]

    def closure(self, name: str) -> frozenset[str]:
        if name not in self._closure:
            self._closure[name] = frozenset()  # guards against cycles while walking
            found = {name}
            source = self.source(name)
            key = hashlib.blake2b(source.encode(), digest_size=16).hexdigest()
            if key not in self.references:
                self.references[key] = self.known[key] if key in self.known else _references(self.env, source)
            for ref in self.references[key]:
                if ref:
                    found |= self.closure(ref)
            self._closure[name] = frozenset(found)
        return self._closure[name]

    def mention(self, names: frozenset[str], word: str) -> bool:
        """Whether `word` appears in any template of `names` or what they extend or include."""
        return any(word in self.source(n) for n in set().union(*(self.closure(n) for n in names)))

    def digest(self, names: frozenset[str]) -> str:
        if names not in self._digest:
            every = sorted(set().union(*(self.closure(n) for n in names)))
            text = "\0".join(n + "\0" + self.source(n) for n in every)
            self._digest[names] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        return self._digest[names]


LISTING = "public_circles"  # what a template names to list the public circles with their details


def _site_digest(view) -> str:
    """What every page may show of the site as a whole: config, navigation, public circles' names."""
    parts = (view.title, view.description, view.language, view.base_path, view.origin, view.nav,
             tuple((c.slug, c.url, c.name, c.description) for c in view.public_circles), view.evaluation)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


STEP_LIST = "handbook.phases"  # what a template names to list the steps with their summaries and phases


def _step_list_digest(handbook: Handbook) -> str:
    """What a page listing the steps shows of them beyond the navigation: summaries and phases."""
    return value_stamp(tuple((p.url, p.meta.summary, p.meta.phase) for p in handbook.steps))


def _listing_digest(view) -> str:
    """What only a page listing the public circles shows of them (joining, contact, meetings): kept
    out of the site digest, so a public circle's new session date rebuilds that circle and the list,
    not every page of a programme of 1,000 circles."""
    return hashlib.blake2b(repr(view.public_circles).encode(), digest_size=16).hexdigest()


def _dependencies(out: Output, templates: _Templates, renderer: Renderer, site_digest: tuple[str, str],
                  sealer: Sealer | None) -> str:
    """A digest of everything an output's bytes depend on; empty when something has no digest."""
    names = {out.template} | {f"shortcodes/{s.name}.html" for s in (out.body.slots if out.body else ())
                              if isinstance(s, Shortcode)}
    if out.circle is not None and out.circle.is_private:
        names.add("private.html")
    names = frozenset(names)
    circle, page = out.circle, out.page
    if (circle is not None and not circle.digest) or (page is not None and not page.digest) \
            or not renderer.example.digest:
        return ""
    # The handbook reaches templates only as the navigation, which the site digest covers.
    site, listing = site_digest  # the list of public circles' details, for the pages that show it
    steps = renderer.once(("step-list",), lambda: _step_list_digest(renderer.handbook)) \
        if templates.mention(names, STEP_LIST) else None
    return value_stamp(templates.digest(names), site, listing if templates.mention(names, LISTING) else None,
                       steps, renderer.now, out.path, out.template, out.title,
                       _circle_part(circle, sealer, renderer) if circle else None,
                       page.digest if page else None, renderer.example.digest)


def _circle_part(circle: Circle, sealer: Sealer | None, renderer: Renderer) -> str:
    """What every output of a circle depends on: its data, address and keys (once per run)."""
    def make() -> str:
        # The keys and the circle's files (its passphrase among them) decide its wrapped key.
        keys = sealer.keys[circle.slug] if circle.is_private and sealer else None
        return value_stamp(circle.digest, circle.url, keys)

    return renderer.once(("circle-part", circle.slug), make)


def _source_of(out: Output, renderer: Renderer) -> tuple[str, dict[str, Location], tuple[str, ...]]:
    """For the output check: the source file behind a page, where each link its markdown makes
    is written (its own body's, and those of the circle's markdown that shortcodes show), and
    the files whose text may hold the links its templates make (the circle's YAML values)."""
    bodies = [body for body in (out.body,) if body is not None]
    if out.circle is not None:
        bodies += [out.circle.agreement, *(t.notes for t in out.circle.topics if t.notes is not None)]
    links: dict[str, Location] = {}
    for body in bodies:  # the page's own body first; a link written twice is shown where it is first written
        for href, where in (*body.links, *((renderer.page_href(slot, out), slot.location) for slot in body.slots
                                           if isinstance(slot, (PageLink, FileLink)))):
            links.setdefault(href, where)
    where = out.body.source if out.body is not None else out.circle.source if out.circle else f"template {out.template}"
    return where, links, tuple(dict.fromkeys((where, *((out.circle.source,) if out.circle else ()))))


PARALLEL_FROM = 300  # fewer pages than this render faster in one process than in a pool
_JOB: tuple = ()  # what forked workers render from: set just before the pool starts
MEMBERS = "\0members:"  # marks a private page's plaintext in a unit's results (`--strict` checks it, in memory)


@dataclass(frozen=True)
class _Unit:
    """Work done in one go: a circle's pages (and its calendar files), so the circle's calendar is made once."""

    outputs: tuple[int, ...]  # indices into the outputs to render
    calendar: str | None = None  # slug of a public circle whose calendar files are due


def _units(todo: list[Output], calendar_slugs: list[str]) -> list[_Unit]:
    groups: dict[str | None, list[int]] = {slug: [] for slug in calendar_slugs}
    for i, out in enumerate(todo):
        groups.setdefault(out.circle.slug if out.circle is not None else None, []).append(i)
    loose = groups.pop(None, [])
    return [_Unit(tuple(loose[i:i + 16])) for i in range(0, len(loose), 16)] + \
        [_Unit(tuple(indices), slug if slug in calendar_slugs else None) for slug, indices in groups.items()]


def calendar_files(circle: Circle, calendar: CircleCalendar) -> dict[str, bytes]:
    """A public circle's calendar: the whole feed and one file per session."""
    return {calendar_path(circle.url): calendar.whole,
            **{calendar_path(circle.url, key): data for key, data in calendar.sessions.items()}}


def _run(unit: _Unit) -> list[tuple[str, object]]:
    """Render a unit's files; with a sink (a staging folder) write them there and return their rows."""
    renderer, sealer, todo, sink, members = _JOB
    done: list[tuple[str, bytes]] = []
    plain: list[tuple[str, object]] = []
    if unit.calendar is not None:
        circle = renderer.calendars.by_slug[unit.calendar]
        done += calendar_files(circle, renderer.calendars[unit.calendar]).items()
    for i in unit.outputs:
        out = todo[i]
        html = renderer.render(out)
        if out.circle is not None and out.circle.is_private:
            epoch = renderer.once(("epoch", out.circle.slug), lambda: seal_epoch(out.circle, renderer.now))
            if members:  # what members see once it is opened; never written anywhere
                plain.append((MEMBERS + out.path, html.encode("utf-8")))
            floor = SMALL_FLOOR if out.small else PAD_FLOOR
            html = renderer.render_shell(out, sealer.seal(out.circle.slug, out.path, html, epoch, floor))
        done.append((out.path, html.encode("utf-8")))
    return plain + ([(path, sink.put(path, data)) for path, data in done] if sink is not None else done)


def seal_epoch(circle: Circle, now: datetime) -> str:
    """What goes into the nonces of a circle's sealed pages: its data (not where its files are) and
    the build's day, so that an edit, or a new day, changes all of its pages' bytes at once."""
    return value_stamp(replace(circle, url="", digest=""), now)


def _watch_parent(parent: int) -> None:
    """A render worker's first act: stop when the main process is gone (killed, say), instead of
    waiting for ever for work that will not come. Ctrl-C is the main process's to handle: a
    worker stopped by it while sending its pages would leave the pool waiting for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _render_all(renderer: Renderer, sealer: Sealer | None, todo: list[Output], calendar_slugs: list[str],
                jobs: int, progress: Callable[[int, int], None] | None,
                sink: Staging | None, meanwhile: Callable[[], None],
                members: dict[str, bytes] | None = None) -> list[tuple[str, object]]:
    """Render `todo` and the due calendar files, across `jobs` forked processes when there is
    enough to share, calling `meanwhile` while they work. Returns (path, bytes), or (path, row)
    for what went to the sink; with `members`, each private page's plaintext goes there."""
    global _JOB
    units = _units(todo, calendar_slugs)
    parallel = jobs > 1 and len(todo) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods()
    results: list[tuple[str, object]] = []
    rendered = 0
    if parallel:
        renderer.warm(todo)  # templates compiled once, before the workers fork
    _JOB = (renderer, sealer, todo, sink, members is not None)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_watch_parent,
                                 initargs=(os.getpid(),)) if parallel \
                else contextlib.nullcontext() as pool:
            try:
                # With fork, every worker has started once `map` returns, so nothing forks while
                # the main process does its own work.
                rendered_units = pool.map(_run, units, chunksize=4) if parallel else map(_run, units)
                if parallel:
                    meanwhile()
                for unit, part in zip(units, rendered_units):
                    for path, made in part:
                        if path.startswith(MEMBERS):
                            members[path[len(MEMBERS):]] = made
                        else:
                            results.append((path, made))
                    rendered += len(unit.outputs)
                    if progress:
                        progress(rendered, len(todo))
            except BaseException:
                # Stop at the first failure (or Ctrl-C) instead of rendering everything else first;
                # the workers finish the unit they are on, so none is cut off while sending it.
                if parallel:
                    pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        _JOB = ()
    if not parallel:
        meanwhile()
    return results


def render_site(site: Site, now: datetime, previous_out: Path | None = None,
                progress: Callable[[int, int], None] | None = None, memo: RenderMemo | None = None,
                sources: dict[str, str] | None = None, jobs: int = 1,
                sink: Staging | None = None, meanwhile: Callable[[], None] = lambda: None,
                public: tuple[PublicCircle, ...] | None = None, circles_only: bool = False,
                members: dict[str, bytes] | None = None) -> dict[str, bytes | None]:
    """Every output file's bytes, keyed by path relative to the output folder.

    `previous_out` is the last build's output, read for the calendars' SEQUENCE numbers;
    `sources`, when given, receives the source file behind each page (for messages), and
    `members` every private page's plaintext, as its members see it (each is rendered again for
    it, even when unchanged; it stays in memory, for `--strict` to check). With a
    `memo` that does not hold bytes, an unchanged output's value is None: the previous file stands.
    With a `sink` (a staging folder), rendered files are written there by whoever rendered them;
    their value is None too (the sink keeps their rows). `meanwhile` is called once, while the
    workers render when there are any.

    A build shared out by circle (`shares.py`) renders each share with `circles_only` (just
    those circles' files), with `public` the whole site's public circles, and the rest with a
    site of no circles.
    """
    project = site.project
    fresh = memo is None
    memo = memo or RenderMemo()
    sealer = make_sealer(site)
    circles = publish_addresses(site.circles, sealer, memo)
    calendars = Calendars(circles, sealer, previous_out, now, memo)
    view = make_view(project.config, project.base_path, project.origin, site.handbook,
                     public_circles(circles) if public is None else public)
    env = make_environment(project.theme_dirs, live=not fresh and memo.hold)
    renderer = Renderer(env, view, site.handbook, site.example, now, project.shown, calendars)
    templates, site_digest = _Templates(env, memo.references), (_site_digest(view), _listing_digest(view))
    files: dict[str, bytes | None] = {} if circles_only else dict(_static_files(site))
    deps: dict[str, str] = {}

    def reuse(path: str, digest: str) -> bool:
        """Take the last run's output when its inputs are unchanged (None: the file on disk stands)."""
        if fresh or not digest or memo.deps.get(path) != digest or (memo.hold and path not in memo.held):
            return False
        files[path] = memo.held.get(path)
        return True

    # A circle whose inputs and the site's are all unchanged keeps every output without digesting each.
    whole = "" if fresh or not all(p.digest for p in site.handbook.pages) else value_stamp(
        templates.digest(frozenset(env.list_templates())), site_digest[0], now, site.example.digest,
        site_digest[1] if any(LISTING in templates.source(n) for n in env.list_templates()
                              if not n.endswith("circles.html")) else None,  # a theme that lists them on circles' pages
        tuple(p.digest for p in site.handbook.pages))
    groups = {c.slug: value_stamp(whole, _circle_part(c, sealer, renderer)) for c in circles
              if whole and c.digest}
    calendar_due: list[str] = []
    for circle in circles:
        if not circle.is_private:  # a private circle's calendar lives only inside its sealed pages
            paths = [calendar_path(circle.url)] + [calendar_path(circle.url, m.key) for m in circle.meetings]
            if circle.slug in groups and memo.groups.get(circle.slug) == groups[circle.slug] \
                    and all(path in memo.deps for path in paths):
                stamped = {path: memo.deps[path] for path in paths}
            else:
                key = calendars.key(circle)
                stamped = {path: value_stamp(key, path) if key else "" for path in paths}
            if not all([reuse(path, digest) for path, digest in stamped.items()]):
                calendar_due.append(circle.slug)
            deps.update(stamped)
    outputs = ([] if circles_only else site_pages(site.handbook)) + \
        [out for c in circles for out in memo.circle_outputs(c, site.handbook)]
    todo: list[Output] = []
    for out in outputs:
        if out.path in files or out.path in deps:
            raise CirclepressError([Problem(Location(out.path), "two sources write this output file",
                                            "rename one of them")])
        slug = out.circle.slug if out.circle is not None else None
        if slug in groups and memo.groups.get(slug) == groups[slug] and out.path in memo.deps:
            deps[out.path] = memo.deps[out.path]
        else:
            deps[out.path] = "" if fresh else _dependencies(out, templates, renderer, site_digest, sealer)
        opened = members is not None and out.circle is not None and out.circle.is_private
        if opened or not reuse(out.path, deps[out.path]):
            todo.append(out)
        if sources is not None:
            sources[out.path] = _source_of(out, renderer)
    for path, made in _render_all(renderer, sealer, todo, calendar_due, jobs, progress, sink, meanwhile, members):
        files[path] = None if sink is not None else made
        if sink is not None:
            sink.rows[path] = made
    memo.deps, memo.groups, memo.references = deps, groups, templates.references
    if memo.hold:
        memo.held = {path: files[path] for path in deps}
    if not circles_only:
        files.update(site_files(view, deps))
    return files


def site_files(view, paths) -> dict[str, bytes]:
    """robots.txt, and the sitemap of the pages among `paths` when the base URL names the host
    (a sitemap needs absolute URLs)."""
    return {"robots.txt": render_robots(view), **({"sitemap.xml": render_sitemap(view, paths)} if view.origin else {})}
