"""A full build shared out by circle: one process per core loads, checks and renders its own
share of the circles, writing their files into the staging folder, while the main process
renders the handbook and the site's own pages.

No circle crosses between processes: pickling one costs about as much as loading it, and
loading is a sixth of a full build at 1,000 circles. Only what other pages show of a circle (a
`PublicCircle`), the problems found, and what the next build's state keeps (pickled by the
process that made it) come back. The files are the same as a build in one process (tested).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import signal
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable

from .assemble import RenderMemo, render_site, site_files
from ..programme.circles import (Circle, circle_folders, duplicate_keys, duplicate_slugs, folder_collisions, handbook_facts,
                      load_circle_folder)
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem
from .load import Guide, circle_page_problems, finish
from ..programme.memo import Memo
from .site import PublicCircle, Site, make_view, public_card
from .writer import Staging

SHARED_FROM = 20  # circles; fewer build faster in one process


def worthwhile(project: Project, jobs: int) -> bool:
    return jobs > 1 and "fork" in multiprocessing.get_all_start_methods() \
        and len(circle_folders(project.sites_dir)) >= SHARED_FROM


@dataclass(frozen=True)
class _Found:
    """One circle folder as a share loaded it."""

    index: int  # in folder order
    problems: list[Problem]
    slug: str | None = None  # None: the circle has errors
    source: str = ""
    slug_at: Location | None = None
    key_id: str | None = None
    key_at: Location | None = None
    card: PublicCircle | None = None


@dataclass
class Shared:
    """What a shared build made, for the build to commit and remember."""

    files: dict[str, bytes | None]
    site: Site  # with no circles: they stayed in the workers
    circles: int
    render: RenderMemo
    memo: list[bytes] = field(default_factory=list)  # the parts of every process's memo (Memo.parts)


def _work(conn: Connection, theirs: list[Connection], share: list[tuple[int, Path]], project: Project,
          guide: Guide, now: datetime, previous_out: Path, sink: Staging) -> None:
    """A worker: load the share and report it; then, told the public circles,
    render it into the sink and report the files' rows, the outputs' digests and the memo.
    `theirs`: the main process's ends of the pipes, which a worker closes so that its own
    pipe ends when the main process does (it then stops instead of waiting for ever)."""
    for end in theirs:
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's: it stops the workers
    try:
        memo = Memo()
        circles: list[Circle] = []
        found = []
        facts = handbook_facts(guide.steps, guide.agreement)
        for index, folder in share:
            circle, problems = load_circle_folder(folder, project.shown, guide.steps, guide.agreement, memo, facts,
                                                  require_sealed=project.config.require_sealed)
            if circle is None:
                found.append(_Found(index, problems))
                continue
            circles.append(circle)
            found.append(_Found(index, problems, circle.slug, circle.source, circle.slug_at, circle.key_id,
                                circle.key_at, public_card(circle)))
        shortcodes = circle_page_problems(project, tuple(circles)) if guide.handbook is not None else []
        conn.send((found, shortcodes))
        go = conn.recv()
        if go is None:  # the build stops: something somewhere has errors
            return
        public = go
        site = Site(project, guide.handbook, guide.example, tuple(sorted(circles, key=lambda c: c.slug)), ())
        render = RenderMemo(hold=False)
        files = render_site(site, now, previous_out, lambda done, total: conn.send(("progress", done, total)),
                            memo=render, sink=sink, public=public, circles_only=True)
        conn.send(({path: sink.rows[path] for path in files}, render.deps, render.groups, memo.parts()))
    except (EOFError, BrokenPipeError):  # the main process is gone: nobody to report to
        pass
    except (CirclepressError, OSError) as exc:  # OSError: the disk (full, say), reported as such
        _report(conn, exc)
    except BaseException:  # noqa: BLE001 - reported by the main process, which raises it
        _report(conn, RuntimeError("a build worker failed:\n" + traceback.format_exc()))
    finally:
        conn.close()


def _report(conn: Connection, failure: BaseException) -> None:
    try:
        conn.send(failure)
    except OSError:  # the main process is gone (or stopping the workers after Ctrl-C)
        pass


def deal(folders: list[Path], shares: int) -> list[list[tuple[int, Path]]]:
    """`folders` (with their index) dealt into `shares` by a hash of their names: what a circle
    costs (private ones are sealed, public ones get calendar files) is unknown until it is
    loaded, and dealing in folder order would follow any pattern in the names."""
    order = sorted(enumerate(folders), key=lambda item: hashlib.blake2b(item[1].name.encode()).digest())
    return [sorted(order[i::shares]) for i in range(shares)]


class _Workers:
    """The worker processes, each with its end of a pipe; stopped however the build ends."""

    def __init__(self, where: str, shares: list[list[tuple[int, Path]]], *args: object):
        self.where = where  # what the workers work on, for a message if one is killed
        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.processes = []
        try:
            for share in shares:
                mine, theirs = context.Pipe()
                self.conns.append(mine)
                process = context.Process(target=_work, args=(theirs, list(self.conns), share, *args), daemon=True)
                process.start()
                self.processes.append(process)
                theirs.close()
        except BaseException:
            self.stop()
            raise

    def _killed(self) -> CirclepressError:
        return CirclepressError([Problem(Location(self.where), "a build worker stopped before it finished (was "
                                         "it killed, or memory short?)", "nothing was written; run the build again")])

    def gather(self, progress: Callable[[int, int], None] | None = None) -> list:
        """Each worker's next report (progress reports go to `progress` on the way). Waits for
        every worker, so that when several fail, the problems raised are the same every run:
        each failed worker's, in order, once each."""
        reports: dict[Connection, object] = {}
        counts = {conn: (0, 0) for conn in self.conns}
        while len(reports) < len(self.conns):
            for conn in wait([c for c in self.conns if c not in reports]):
                try:
                    message = conn.recv()
                except EOFError:  # killed: by the system when memory runs out, or by hand
                    raise self._killed() from None
                if isinstance(message, tuple) and message[:1] == ("progress",):
                    counts[conn] = message[1:]
                    if progress and all(total for _, total in counts.values()):  # every share's size known
                        progress(sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values()))
                    continue
                reports[conn] = message
        failures = [reports[c] for c in self.conns if isinstance(reports[c], BaseException)]  # in worker order
        for failure in failures:
            if not isinstance(failure, CirclepressError):
                raise failure
        if failures:
            raise CirclepressError(list(dict.fromkeys(p for f in failures for p in f.problems)))
        return [reports[conn] for conn in self.conns]

    def tell(self, message: object) -> None:
        for conn in self.conns:
            try:
                conn.send(message)
            except OSError:  # its pipe is closed: the worker was killed
                raise self._killed() from None

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for conn in self.conns:
            conn.close()


def build_shared(project: Project, guide: Guide, now: datetime, staging: Staging, jobs: int,
                 progress: Callable[[int, int], None] | None, memo: Memo) -> Shared:
    """Load, check and render the site with the circles shared out over `jobs` processes.

    Raises once with every problem found, as `load_site` does; `memo` holds the guide's work."""
    folders = circle_folders(project.sites_dir)
    workers = _Workers(project.shown(project.sites_dir), deal(folders, min(jobs, len(folders))), project, guide,
                       now, project.output_dir, staging)
    try:
        loaded = workers.gather()
        found = sorted((f for share, _ in loaded for f in share), key=lambda f: f.index)
        problems = list(guide.problems) + [p for f in found for p in f.problems]
        problems += duplicate_slugs([(f.slug, f.source, f.slug_at) for f in found if f.slug is not None])
        problems += duplicate_keys([(f.key_id, f.slug, f.source, f.key_at) for f in found if f.slug is not None])
        problems += folder_collisions(folders, project.shown)
        problems += [p for _, shortcodes in loaded for p in shortcodes]
        try:
            site = finish(project, guide, (), problems)  # its circles stay in the workers
        except CirclepressError:
            try:
                workers.tell(None)
            except CirclepressError:
                pass  # a worker gone too: the problems found are what to report
            raise
        public = tuple(sorted((f.card for f in found if f.card is not None), key=lambda c: c.slug))
        workers.tell(public)
        render = RenderMemo(hold=False)
        files = render_site(site, now, project.output_dir, memo=render, sink=staging, public=public)
        done = workers.gather(progress)
    finally:
        workers.stop()
    shared = Shared(files, site, sum(1 for f in found if f.slug is not None), render, memo.parts())
    for rows, deps, groups, parts in done:
        staging.rows.update(rows)
        files.update(dict.fromkeys(rows))
        render.deps.update(deps)
        render.groups.update(groups)
        shared.memo += parts
    view = make_view(project.config, project.base_path, project.origin, guide.handbook, public)
    files.update(site_files(view, render.deps))
    return shared
