"""`circlepress edit SLUG [PAGE]`: a circle's file opened in the user's editor by way of a private
temporary copy (removed on every exit path), checked on save, and written back in its own form."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..programme.agefiles import plain_name, read_source, write_source
from ..programme.circles import circle_path
from ..programme.circles import PAGE_SUFFIX, circle_files, load_circle
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem
from ..programme.localfiles import create_private


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi (notepad on Windows), split as a shell would."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if os.name == "nt" else "vi")
    return shlex.split(chosen, posix=os.name != "nt")


def source_path(project: Project, slug: str, page: str | None) -> Path:
    """The file to edit: the circle's circle.yaml, or its page PAGE (`reading` or `reading.md`), plain or sealed."""
    path = circle_path(project, slug)
    if page is None:
        return path
    name = plain_name(page).removesuffix(PAGE_SUFFIX) + PAGE_SUFFIX
    files = circle_files(path.parent, project.shown)[0]
    for found in files:
        if plain_name(found.name) == name:
            return found
    pages = ", ".join(plain_name(p.name).removesuffix(PAGE_SUFFIX) for p in files[1:]) or "none yet"
    raise CirclepressError([Problem(Location(project.shown(path.parent / name)), f"circle '{slug}' has no page "
                                    f"'{name.removesuffix(PAGE_SUFFIX)}'", f"its pages: {pages}; "
                                    "write a new page with your editor, then `circlepress seal`")])


class Interrupted(Exception):
    """SIGTERM (or SIGHUP) arrived while editing: unwound like Ctrl-C, so the copy is removed."""


@contextmanager
def private_copy(text: str, name: str) -> Iterator[Path]:
    """A 0600 file holding `text` in a fresh 0700 folder, both removed however the block ends
    (SIGTERM and SIGHUP are turned into an exception for the while)."""
    def stop(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    caught = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, stop) for s in caught}
    folder = Path(tempfile.mkdtemp(prefix="circlepress-edit-"))  # 0700
    path = folder / name  # `lab/circle.yaml`: the circle's folder name is its slug when it sets none
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with create_private(path) as handle:
            handle.write(text.encode("utf-8"))
        yield path
    finally:
        path.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)  # and an editor's swap or backup files
        for s, handler in previous.items():
            signal.signal(s, handler)


def edit_problems(project: Project, path: Path, edited: Path) -> list[Problem]:
    """The circle's own checks (as `check` makes them) with `edited` in place of `path`, located at `path`."""
    from ..build.load import in_programme, load_guide

    guide = load_guide(project)
    shown = project.shown(path)
    files = circle_files(path.parent, project.shown)[0]
    files = [edited if f == path else f for f in files]
    where = lambda p: shown if p == edited else project.shown(p)  # noqa: E731
    _, problems = load_circle(files[0], where, guide.steps, guide.agreement, pages=files[1:])
    return in_programme(project, problems)


@dataclass(frozen=True)
class Edited:
    path: str
    changed: bool  # False: the file was left as it was (no change, or discarded)


def run_editor(argv: list[str]) -> int:
    """Run the editor and wait; Ctrl-C meanwhile is the editor's (vi uses it), not ours, as git does."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)  # reset to default in the editor
    try:
        return subprocess.call(argv)
    finally:
        signal.signal(signal.SIGINT, previous)


def edit(project: Project, slug: str, page: str | None, ask: Callable[[list[Problem]], bool],
         run: Callable[[list[str]], int] = run_editor) -> Edited:
    """Open SLUG's file in the editor until it validates (or `ask(problems)` says to discard it);
    write it back in its own form (sealed to the recipients as they are now) only if it changed."""
    path = source_path(project, slug, page)
    shown = project.shown(path)
    original = read_source(path, shown)
    with private_copy(original, f"{path.parent.name}/{plain_name(path.name)}") as copy:
        while True:
            try:
                status = run(editor_command() + [str(copy)])
            except OSError as exc:
                raise CirclepressError([editor_missing(exc)]) from None
            if status != 0:
                raise CirclepressError([Problem(Location(shown), f"the editor exited with status {status}; "
                                                "nothing was written", "save and quit the editor normally (:wq in vi)")])
            text = read_source(copy, shown)
            if text == original:
                return Edited(shown, False)
            problems = edit_problems(project, path, copy)
            if not any(p.is_error for p in problems):
                write_source(path, text, project.root, project.shown)
                return Edited(shown, True)
            if not ask(problems):
                return Edited(shown, False)


def editor_missing(exc: OSError) -> Problem:
    """A located message for an editor that cannot be started."""
    name = editor_command()[0]
    return Problem(Location("VISUAL" if os.environ.get("VISUAL") else "EDITOR"),
                   f"cannot start the editor '{name}': {exc.strerror or exc}",
                   "set VISUAL or EDITOR to an editor that waits until you close the file (e.g. 'code --wait')")

