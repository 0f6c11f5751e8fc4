"""`circlepress build --watch`: the site built again after every burst of saves, each build
starting from what the last good one kept in memory (its state and the output's files).

The builds run in a process of their own, forked before the watcher's threads start: forking
beside threads is unsafe, and a process without them may fork its render workers, so a template
edit at 1,000 circles is rendered on every core, as a first build is. Where there is no fork
(Windows), the builds run in the watching process, after the first one in one process."""

from __future__ import annotations

import gc
import multiprocessing
import threading
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Union

from ..build.pipeline import BuildResult, Kept, build
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem

# What one build came to: its result, its problems, or the disk error that stopped it writing;
# with the project it loaded (None when loading it failed).
Outcome = tuple[Union[BuildResult, CirclepressError, OSError], Union[Project, None]]


class _Builds:
    """Builds one after another, each from what the last good one kept."""

    def __init__(self, load: Callable[[], Project], strict: bool, progress: Callable[[int, int], None] | None,
                 waiting: Callable[[], None] | None):
        self.load, self.strict, self.progress, self.waiting = load, strict, progress, waiting
        self.kept: Kept | None = None
        self.count = 0

    def next(self, jobs: int | None) -> Outcome:
        self.count += 1
        project = None
        try:
            project = self.load()
            result = build(project, strict=self.strict, kept=self.kept, keep=True, jobs=jobs,
                           progress=self.progress, waiting=self.waiting)
        except (CirclepressError, OSError) as exc:  # OSError: the disk, not the sources
            self.kept = None  # the memory may now be ahead of the output: the state on disk is not
            return exc, project
        except Exception as exc:  # noqa: BLE001 - a bug: shown, and watching goes on
            traceback.print_exc()
            self.kept = None
            return CirclepressError([Problem(Location(str(project.root) if project else "."),
                                             f"circlepress failed: {exc!r}",
                                             "this is a bug in circlepress: please report it with the traceback above")
                                     ]), project
        finally:
            if self.count == 1:
                # What the first build made lives as long as the watch: frozen, the garbage
                # collector's full passes no longer walk it (as in `circlepress serve`).
                gc.freeze()
        self.kept = result.kept
        return replace(result, kept=None), project


def _build_on_request(conn: Connection, theirs: Connection, builds: _Builds) -> None:
    """The builder process: a build for each request, until the watcher closes its end (or Ctrl-C)."""
    theirs.close()
    try:
        while conn.recv():
            conn.send(builds.next(jobs=None))
    except (EOFError, OSError, KeyboardInterrupt):  # the watcher stopped, or Ctrl-C stopped the build
        pass
    finally:
        conn.close()


class _Builder:
    """The builds in a process of their own."""

    def __init__(self, builds: _Builds):
        context = multiprocessing.get_context("fork")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=_build_on_request, args=(theirs, self.conn, builds),
                                       name="circlepress-builder")
        self.process.start()
        theirs.close()

    def next(self) -> Outcome | None:
        """The next build's outcome; None when the builder stopped for Ctrl-C. Raises when it
        died (killed, or by the system when memory ran short)."""
        try:
            self.conn.send(True)
            return self.conn.recv()
        except (EOFError, OSError):
            self.process.join(timeout=10)
            if self.process.exitcode == 0:
                return None
            raise CirclepressError([Problem(Location(f"pid {self.process.pid}"), "the build process stopped before "
                                            "it finished (was it killed, or memory short?)",
                                            "start `circlepress build --watch` again")]) from None

    def stop(self) -> None:
        """Let a build under way finish, then end the builder."""
        self.conn.close()
        self.process.join()


class _InProcess:
    """The builds in the watching process (no fork): the first on every core, later ones in one."""

    def __init__(self, builds: _Builds):
        self.builds = builds

    def next(self) -> Outcome:
        return self.builds.next(jobs=None if self.builds.count == 0 else 1)

    def stop(self) -> None:
        pass


def watch_builds(root: Path, load: Callable[[], Project], report: Callable[..., None], *, strict: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 waiting: Callable[[], None] | None = None) -> None:
    """Build, then build again after each burst of saves, until Ctrl-C (or SIGTERM); report each
    build's outcome (`report(what, project)`), watching on whatever the sources hold. Ctrl-C stops
    a build under way, as it stops `circlepress build`; SIGTERM to the watching process lets it
    finish. Raises when the builder process died (nothing is left to build with)."""
    from .watcher import stop_on_sigterm, watch

    builds = _Builds(load, strict, progress, waiting)
    builder = _Builder(builds) if "fork" in multiprocessing.get_all_start_methods() else _InProcess(builds)
    lock = threading.Lock()  # one build at a time, reported in order
    ended = threading.Event()
    died: list[CirclepressError] = []

    def once() -> None:
        with lock:
            if ended.is_set():
                return
            try:
                outcome = builder.next()
            except CirclepressError as exc:  # the builder died: watching ends
                died.append(exc)
                ended.set()
                return
            if outcome is not None:
                report(*outcome)

    stop_on_sigterm()  # after the fork: the builder keeps the default, and ends with its build
    observer = None
    try:
        once()
        if not ended.is_set():
            observer = watch(root, once)
            once()  # whatever was saved during the first build
        ended.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if observer is not None:
            observer.stop()
        with lock:  # a report under way is finished
            ended.set()
        builder.stop()
    if died:
        raise died[0]
