"""Remembering work between builds (in the dev server, and across `build` runs through the
saved build state), so a rebuild redoes only what its inputs changed. Every stamp is made from
content, never from object identity, so a memo survives being saved and loaded. A memo is an
optimisation only: a build without one does everything, and both give the same files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


def content_stamp(*paths: Path) -> str:
    """A digest of the files' names and bytes (missing files count as absent)."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(str(path).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\1")
    return digest.hexdigest()


def value_stamp(*values: object) -> str:
    """A digest of plain values (their repr: frozen dataclasses, tuples, strings)."""
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


class Memo:
    """Values keyed by what made them, reused while their stamp is unchanged."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, object]] = {}

    def get(self, key: Hashable, stamp: Hashable, make: Callable[[], T]) -> T:
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]  # type: ignore[return-value]
        value = make()
        self._entries[key] = (stamp, value)
        return value


class NoMemo(Memo):
    """Makes everything afresh: what a one-off build uses."""

    def get(self, key: Hashable, stamp: Hashable, make: Callable[[], T]) -> T:
        return make()
