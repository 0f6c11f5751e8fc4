"""Remembering work between builds (in the dev server, and across `build` runs through the
saved build state), so a rebuild redoes only what its inputs changed. Every stamp is made from
content, never from object identity, so a memo survives being saved and loaded. A memo is an
optimisation only: a build without one does everything, and both give the same files.
Generic (it imports nothing of circlepress): the loaders take one as a parameter, the build owns
the instance and saves it with its state."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


def _file_digest(path: Path) -> bytes:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return b"absent"
    except OSError:  # unreadable: the loader that reads it reports it, with its location
        return b"unreadable"


def _stamp(paths: tuple[Path, ...], digest_of) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(str(path).encode() + b"\0" + digest_of(path) + b"\1")
    return digest.hexdigest()


def content_stamp(*paths: Path) -> str:
    """A digest of the files' names and bytes (missing files count as absent)."""
    return _stamp(paths, _file_digest)


def value_stamp(*values: object) -> str:
    """A digest of plain values (their repr: frozen dataclasses, tuples, strings)."""
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def _bucket(key: Hashable) -> int:
    return hashlib.blake2b(repr(key).encode(), digest_size=2).digest()[0] % Memo.BUCKETS


class Memo:
    """Values keyed by what made them, reused while their stamp is unchanged.

    Saved in parts (`parts`, `from_parts`): the entries fall into buckets by a hash of their
    keys, and a bucket nothing changed in keeps the bytes it was loaded from, so a rebuild that
    changed one circle pickles a sixty-fourth of the memo, not all of it."""

    SETTLED_NS = 2_000_000_000  # a file written this recently may change again without its stat changing
    BUCKETS = 64

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, object]] = {}
        self._files: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}
        self._saved: dict[int, list[bytes]] = {}  # bucket -> the parts it was loaded from, while unchanged

    def content_stamp(self, *paths: Path) -> str:
        """`content_stamp(*paths)`, reading only the files whose size, times or inode changed
        since they were last read. A file is trusted by its stat only when it had been left
        alone for a while when it was read (file times are coarser than a quick second edit)."""
        return _stamp(paths, self._file_digest)

    def _file_digest(self, path: Path) -> bytes:
        try:
            stat = os.stat(path)
        except OSError:
            return b"absent"
        # The change time as well as the modification time: a copy that keeps the old time
        # (`cp -p`) still changes it, and no one can set it back.
        key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        hit = self._files.get(str(path))
        if hit is not None and hit[0] == key:
            return hit[1]
        digest = _file_digest(path)
        self._saved.pop(_bucket(str(path)), None)
        if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > self.SETTLED_NS:
            self._files[str(path)] = (key, digest)
        else:
            self._files.pop(str(path), None)
        return digest

    def get(self, key: Hashable, stamp: Hashable, make: Callable[[], T]) -> T:
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]  # type: ignore[return-value]
        value = make()
        self._entries[key] = (stamp, value)
        self._saved.pop(_bucket(key), None)
        return value

    def parts(self) -> list[bytes]:
        """The memo pickled, a part per bucket (the bytes it was loaded from, if unchanged)."""
        buckets: dict[int, tuple[dict, dict]] = {}
        for table, index in ((self._entries, 0), (self._files, 1)):
            for key, value in table.items():
                bucket = _bucket(key)
                if bucket not in self._saved:
                    buckets.setdefault(bucket, ({}, {}))[index][key] = value
        for bucket, tables in buckets.items():  # kept as saved, until something in the bucket changes
            self._saved[bucket] = [pickle.dumps((bucket, *tables), protocol=pickle.HIGHEST_PROTOCOL)]
        return [part for saved in self._saved.values() for part in saved]

    @classmethod
    def from_parts(cls, parts: list[bytes]) -> Memo:
        """The memo saved by `parts` (of one memo, or of several that shared the work)."""
        memo = cls()
        for part in parts:
            bucket, entries, files = pickle.loads(part)
            memo._entries.update(entries)
            memo._files.update(files)
            memo._saved.setdefault(bucket, []).append(part)
        return memo


class NoMemo(Memo):
    """Makes everything afresh: what a one-off build uses."""

    def get(self, key: Hashable, stamp: Hashable, make: Callable[[], T]) -> T:
        return make()

    def content_stamp(self, *paths: Path) -> str:
        return content_stamp(*paths)
