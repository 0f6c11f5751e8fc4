"""Reading and writing a circle's own files, and `circlepress rotate`: the one place that knows
how a circle file is stored (plain today; sealed files plug in here)."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from .circles import CIRCLE_FILE, Circle, load_circle
from .config import Project
from .errors import CirclepressError, Location, Problem
from .localfiles import write_private
from .privacy import new_key
from .roundtrip import with_key
from .source import load_yaml, read_text
from .validation import suggest


def read_circle_text(path: Path, shown: str) -> str:
    """The text of a circle's file (`circle.yaml` or a page), as the organiser wrote it."""
    return read_text(path, shown)


def write_circle_file(path: Path, new_text: str, check=None) -> None:
    """Replace a circle's file with `new_text` in the form it had, keeping its mode; `check(tmp)`
    may refuse the new file by raising (nothing is then changed)."""
    write_private(path, new_text, mode=stat.S_IMODE(path.stat().st_mode), check=check)


def circle_path(project: Project, slug: str) -> Path:
    """sites/SLUG/circle.yaml, or a located error naming the circles there are."""
    path = project.sites_dir / slug / CIRCLE_FILE
    if not path.is_file():
        known = sorted(p.name for p in project.sites_dir.iterdir() if (p / CIRCLE_FILE).is_file()) \
            if project.sites_dir.is_dir() else []
        raise CirclepressError([Problem(Location(project.shown(path)), f"there is no circle '{slug}'",
                                        suggest(slug, known) if known else "create one with `circlepress new circle`")])
    return path


@dataclass(frozen=True)
class Rotated:
    circle: Circle
    path: str


def rotate_circle(project: Project, slug: str) -> Rotated:
    """Give the private circle in sites/SLUG a new random `access.key` (comments kept), written only
    if the circle then validates: its folder and keys change, so the old link opens nothing published after."""
    path = circle_path(project, slug)
    shown = project.shown(path)
    text = read_circle_text(path, shown)
    try:
        new_text = with_key(text, new_key())
    except Exception:  # not YAML, or not a mapping: the loader says where
        raise CirclepressError(load_circle(path, project.shown, None, None, with_pages=False)[1] or
                               [Problem(Location(shown), "the file is not a mapping of keys to values")]) from None
    loaded: list[Circle] = []

    def readable(tmp: Path) -> None:  # never leave a circle.yaml the tool cannot read back
        checked, found = load_circle(tmp, lambda p: shown, None, None, with_pages=False)
        if checked is None:
            raise CirclepressError(found)
        if not checked.is_private:
            at = load_yaml(new_text, shown).locate(("visibility",))
            raise CirclepressError([Problem(at, f"'{slug}' is a public circle: it has no private "
                                            "link to rotate", "set 'visibility: private' first if it should have one")])
        loaded.append(checked)

    write_circle_file(path, new_text, readable)
    return Rotated(loaded[0], shown)
