"""A private circle's key in its own file: whether a circle.yaml is private, the key `seal` writes
when there is none, and `circlepress rotate`; reading and writing a file back in the form it had
is agefiles' `read_source` / `write_source`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from ..programme.agefiles import read_source, write_source
from ..programme.circles import Circle, circle_path, load_circle
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem
from .keys import new_key
from ..programme.roundtrip import with_key
from ..programme.source import load_yaml


def _mapping(data: bytes) -> dict | None:
    try:
        found = YAML(typ="safe").load(data.decode("utf-8"))
    except Exception:  # noqa: BLE001 - the loader reports it, located
        return None
    return found if isinstance(found, dict) else None


def is_private_text(data: bytes) -> bool:
    """Whether a circle.yaml's bytes say it is private (circles are, unless they say otherwise)."""
    found = _mapping(data)
    return found is not None and found.get("visibility", "private") == "private"


def keyed_if_missing(data: bytes) -> str | None:
    """The text of `data` with a fresh random `access.key` when it is a private circle without one
    (as `seal` writes before sealing), else None; text that is not a YAML mapping is left to the loader."""
    if not is_private_text(data):
        return None
    access = _mapping(data).get("access")
    if isinstance(access, dict) and access.get("key") is not None:
        return None
    return with_key(data.decode("utf-8"), new_key())


@dataclass(frozen=True)
class Rotated:
    circle: Circle
    path: str


def rotate_circle(project: Project, slug: str) -> Rotated:
    """Give the private circle in sites/SLUG a new random `access.key` (comments kept), written only
    if the circle then validates: its folder and keys change, so the old link opens nothing published after."""
    path = circle_path(project, slug)
    shown = project.shown(path)
    text = read_source(path, shown)
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

    write_source(path, new_text, project.root, project.shown, readable)
    return Rotated(loaded[0], shown)
