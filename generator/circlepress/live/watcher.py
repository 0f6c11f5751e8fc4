"""Watching a project's sources: one call after each burst of saves, on a thread of its own.
`circlepress serve` and `circlepress build --watch` both rebuild this way."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent, FileCreatedEvent,
                             FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from ..programme.config import CONFIG_NAME, load_project
from ..programme.errors import CirclepressError
from ..programme.resources import packaged

DEBOUNCE = 0.08  # seconds of quiet that end a burst of file events
MAX_WAIT = 1.0  # ...but never wait longer than this after the first event
_IGNORED = (".swp", ".swx", "~", ".tmp", "4913", ".circlepress-tmp")
_SOURCES = ("content", "sites", "themes")


def watched_paths(root: Path) -> list[tuple[Path, bool]]:
    """(folder, recursive) pairs: the project's sources and its config file's folder (with a
    config that has mistakes, the usual folders: the builds report the mistakes)."""
    root = root.resolve()
    try:
        project = load_project(root)
        sources = (project.content_dir, project.sites_dir)
    except CirclepressError:
        sources = (root / "content", root / "sites")
    stock = packaged("content").resolve()  # never watched in site-packages, but in this checkout it is the handbook
    shipped = stock if root not in stock.parents else None
    folders = [(d.resolve(), True) for d in (*sources, root / "themes") if d.is_dir() and d.resolve() != shipped]
    return folders + [(root, False)]


_WRITES = {"created", "modified", "deleted", "moved", "closed"}  # not "opened": rebuilds read files too
# Asked of the operating system, so the files and folders each rebuild reads raise no events at all.
_EVENT_FILTER = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
                 DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class _Changes(FileSystemEventHandler):
    """Collects file events into one `due` event; ignores reads, editors' scratch files and the output."""

    def __init__(self, root: Path, due: threading.Event, stamp: list[float], new_folder: Callable[[Path], None]):
        self.root, self.due, self.stamp, self.new_folder = root, due, stamp, new_folder

    def on_any_event(self, event) -> None:
        if event.event_type not in _WRITES or (event.is_directory and event.event_type == "modified"):
            return
        path = Path(str(getattr(event, "dest_path", "") or event.src_path))
        if path.name.endswith(_IGNORED) or path.name.startswith(".#") or ".circlepress" in path.parts:
            return
        if path.parent == self.root:
            if event.is_directory and path.name in _SOURCES:  # e.g. a themes/ folder made while running
                self.new_folder(path)
            elif path.name != CONFIG_NAME:
                return
        self.stamp[0] = time.monotonic()
        self.due.set()


def watch(root: Path, rebuild: Callable[[], None]) -> Observer:
    """Call `rebuild()` after each burst of changes to the sources under `root`, on a thread of
    its own; returns the started observer (stop it to stop watching)."""
    due, stamp = threading.Event(), [0.0]
    observer = Observer()
    new_folders: list[Path] = []  # watched from the rebuild thread: scheduling inside a handler can stall it
    handler = _Changes(root.resolve(), due, stamp, new_folders.append)
    for folder, recursive in watched_paths(root):
        observer.schedule(handler, str(folder), recursive=recursive, event_filter=_EVENT_FILTER)

    def loop() -> None:
        while True:
            due.wait()
            first = time.monotonic()
            while time.monotonic() - stamp[0] < DEBOUNCE and time.monotonic() - first < MAX_WAIT:
                time.sleep(DEBOUNCE / 4)
            due.clear()
            while new_folders:
                observer.schedule(handler, str(new_folders.pop()), recursive=True, event_filter=_EVENT_FILTER)
            rebuild()

    threading.Thread(target=loop, name="rebuild", daemon=True).start()
    observer.start()
    return observer


def stop_on_sigterm() -> None:
    """A terminated watcher stops as cleanly as after Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
