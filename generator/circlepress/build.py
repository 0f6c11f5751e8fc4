"""Runs the stages: load and validate, render every page, write once."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .circles import Circle, load_circle, load_circles
from .config import Project
from .errors import CirclepressError, Location, Problem
from .handbook import EXAMPLE_CIRCLE, Handbook, load_handbook
from .calendars import CircleCalendar, Published, make_calendar, read_published, whole_calendar_in
from .privacy import SECRET_ENV, Sealer, load_secret, read_sealed
from .render import Renderer, check_shortcodes, make_environment
from .resources import packaged
from .site import make_view, site_outputs
from .sitemap import render_robots, render_sitemap
from .writer import check_output_dir, write_site


@dataclass(frozen=True)
class Site:
    """Everything loaded and validated: the input to rendering."""

    project: Project
    handbook: Handbook
    example: Circle
    circles: tuple[Circle, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class BuildResult:
    pages: int
    files: int
    circles: int
    warnings: tuple[Problem, ...]
    seconds: float
    out: Path


def build_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so a build can be reproduced exactly."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def _load_example(project: Project, handbook: Handbook, steps: frozenset[int] | None) -> Circle:
    own = project.content_dir / EXAMPLE_CIRCLE
    path = own if own.is_file() else packaged("content") / EXAMPLE_CIRCLE
    example, problems = load_circle(path, project.shown, steps, handbook.agreement, with_pages=False)
    if example is None:
        raise CirclepressError(problems)
    return example


def load_site(project: Project, *, strict: bool = False) -> Site:
    """Load and validate every source; raise once with every problem found.

    Warnings become errors under `strict`.
    """
    problems: list[Problem] = []
    handbook = example = None
    circles: tuple[Circle, ...] = ()
    warnings: tuple[Problem, ...] = ()
    try:
        handbook = load_handbook(project.content_dir, project.shown)
    except CirclepressError as exc:
        problems += exc.problems
    steps = frozenset(p.meta.step for p in handbook.steps) if handbook else None
    agreement = handbook.agreement if handbook else None
    try:
        circles, warnings = load_circles(project.sites_dir, project.shown, steps, agreement)
        if handbook is not None:
            example = _load_example(project, handbook, steps)
    except CirclepressError as exc:
        problems += exc.problems
    if handbook is not None:
        env = make_environment(project.theme_dirs)
        problems += check_shortcodes(env, [p.body for p in handbook.pages] + [p.body for c in circles for p in c.pages])
    if strict:
        problems += [w.as_error() for w in warnings]
        warnings = ()
    if problems:
        raise CirclepressError(problems)
    return Site(project, handbook, example, circles, warnings)


def _static_files(site: Site) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for theme in reversed(site.project.theme_dirs):  # most specific theme wins
        static = theme / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                files["assets/" + path.relative_to(static).as_posix()] = path.read_bytes()
    for rel, path in site.handbook.assets:
        files[rel] = path.read_bytes()
    return files


def make_sealer(site: Site, secret: bytes | None) -> Sealer | None:
    """Keys for the private circles; refuses to go on without a secret rather than publish plaintext."""
    private = [(c.slug, c.spec.access.version, c.spec.access.passphrase) for c in site.circles if c.is_private]
    if not private:
        return None
    if secret is None:
        raise CirclepressError([Problem(Location(f"${SECRET_ENV}"), "private circles need the site secret",
                                        "set CIRCLEPRESS_SECRET or build from the project folder")])
    return Sealer(secret, private)


def publish_addresses(circles: tuple[Circle, ...], sealer: Sealer | None) -> tuple[Circle, ...]:
    """Private circles move to their secret folders."""
    return tuple(replace(c, url=sealer.url(c.slug)) if c.is_private and sealer else c for c in circles)


def make_calendars(circles: tuple[Circle, ...], sealer: Sealer | None,
                   previous: dict[str, dict[str, Published]], now: datetime) -> dict[str, CircleCalendar]:
    """Each circle's calendar; private circles' UIDs come from their secret address, not their slug."""
    return {c.slug: make_calendar(c.spec.name, c.spec.timezone, sealer.keys[c.slug].token if c.is_private else c.slug,
                                  c.meetings, previous.get(c.slug, {}), now) for c in circles}


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
            feed = out / circle.url / "calendar.ics"
            data = feed.read_bytes() if feed.is_file() else None
        if data:
            found[circle.slug] = read_published(data)
    return found


def render_site(site: Site, now: datetime, secret: bytes | None = None, previous_out: Path | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, bytes]:
    """Every output file's bytes, keyed by path relative to the output folder.

    `previous_out` is the last build's output, read for the calendars' SEQUENCE numbers.
    """
    project = site.project
    sealer = make_sealer(site, secret)
    circles = publish_addresses(site.circles, sealer)
    previous = load_published_calendars(previous_out, circles, sealer) if previous_out else {}
    calendars = make_calendars(circles, sealer, previous, now)
    view = make_view(project.config, project.base_path, project.origin, site.handbook, circles)
    renderer = Renderer(make_environment(project.theme_dirs), view, site.handbook, site.example, now,
                        project.shown, calendars)
    files = _static_files(site)
    for circle in circles:
        if not circle.is_private:  # a private circle's calendar lives only inside its sealed pages
            files[circle.url + "calendar.ics"] = calendars[circle.slug].whole
            files.update({f"{circle.url}calendar/{key}.ics": data
                          for key, data in calendars[circle.slug].sessions.items()})
    outputs = site_outputs(site.handbook, circles)
    for done, out in enumerate(outputs, start=1):
        if out.path in files:
            raise CirclepressError([Problem(Location(out.path), "two sources write this output file",
                                            "rename one of them")])
        html = renderer.render(out)
        if out.circle is not None and out.circle.is_private:
            html = renderer.render_shell(out, sealer.seal(out.circle.slug, out.path, html))
        files[out.path] = html.encode("utf-8")
        if progress:
            progress(done, len(outputs))
    if view.origin:  # a sitemap needs absolute URLs: only with a base URL that names the host
        files["sitemap.xml"] = render_sitemap(view, outputs)
    files["robots.txt"] = render_robots(view)
    return files


def build(project: Project, *, strict: bool = False, now: datetime | None = None,
          progress: Callable[[int, int], None] | None = None) -> BuildResult:
    """Validate, render and write the site; the previous output survives any failure."""
    started = time.perf_counter()
    check_output_dir(project.output_dir, project)
    site = load_site(project, strict=strict)
    secret = load_secret(project.root) if any(c.is_private for c in site.circles) else None
    files = render_site(site, now or build_time(), secret, project.output_dir, progress)
    write_site(files, project.output_dir, project)
    pages = sum(1 for name in files if name.endswith(".html"))
    return BuildResult(pages, len(files), len(site.circles), site.warnings,
                       time.perf_counter() - started, project.output_dir)
