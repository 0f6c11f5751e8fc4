"""What the last build knew, kept between runs in `.circlepress/build-state`, so a rebuild
skips what did not change: nothing at all when no input changed, otherwise only the pages
whose inputs changed. The state is signed with a key kept outside the project (a state file
from elsewhere is ignored, never loaded), and it is only trusted while the output folder is
exactly as the last build left it."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..programme.localfiles import create_private, ensure_private_dir, tighten, write_private
from ..programme.memo import Memo, NoMemo, value_stamp

if TYPE_CHECKING:  # unpickling a state imports it; a rebuild with nothing to do never does
    from .assemble import RenderMemo

STATE_FILE = ".circlepress/build-state"
SUMMARY_FILE = ".circlepress/build-summary.json"  # read first: a no-op rebuild needs nothing else


@dataclass
class BuildState:
    options: str  # digest of the tool version and everything the command line chose
    inputs: str  # digest of every source file and the build time
    output: str  # signature of the output folder as written
    counts: tuple[int, int, int]  # pages, files, circles
    warnings: tuple
    memo: Memo
    render: RenderMemo




@functools.cache
def code_digest() -> str:
    """The tool's own code: a state saved by other code (even at the same version) is not reused."""
    package = Path(__file__).resolve().parent.parent
    return value_stamp(*(p.read_bytes() for p in sorted(package.rglob("*.py"))))


def _key() -> bytes:
    """A per-user signing key, outside any project."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "circlepress"
    path = home / "state-key"
    try:
        return path.read_bytes()
    except OSError:
        ensure_private_dir(home)  # no one else may swap the key that vouches for pickled state
        key = secrets.token_bytes(32)
        try:
            with create_private(path) as handle:
                handle.write(key)
        except FileExistsError:
            return path.read_bytes()
        return key


def input_digest(folders: list[Path], files: list[Path], *extra: object, memo: Memo | None = None) -> str:
    """Every source file's path and bytes, plus `extra` (options, build time). With a `memo`,
    a settled file whose stat is unchanged is not read again (the digest is the same)."""
    paths = sorted({p for folder in folders for p in _files_under(folder)} | {str(p) for p in files if p.is_file()})
    return value_stamp(__version__, *extra, (memo or NoMemo()).content_stamp(*map(Path, paths)))


def _files_under(folder: Path) -> list[str]:
    """The files below `folder`, linked folders followed (the loaders read a linked circle
    folder too), each folder once."""
    found, stack, seen = [], [str(folder)], set()
    while stack:
        path = stack.pop()
        try:
            where = os.stat(path)
            if (where.st_dev, where.st_ino) in seen:
                continue
            seen.add((where.st_dev, where.st_ino))
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                stack.append(entry.path)
            elif entry.is_file():
                found.append(entry.path)
    return found


def output_files(out: Path) -> dict[str, tuple[int, int]]:
    """Every file of the output folder with its size and modification time."""
    rows = {}
    stack = [("", str(out))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((prefix + entry.name + "/", entry.path))
                else:
                    stat = entry.stat(follow_symlinks=False)
                    rows[prefix + entry.name] = (stat.st_size, stat.st_mtime_ns)
    return rows


def restat(rows: dict[str, tuple[int, int]], out: Path, paths: list[str]) -> dict[str, tuple[int, int]]:
    """`rows` after the files at `paths` were written or removed (no need to walk the folder again)."""
    rows = dict(rows)
    for path in paths:
        try:
            stat = os.stat(out / path)
            rows[path] = (stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            rows.pop(path, None)
    return rows


def output_signature(rows: dict[str, tuple[int, int]]) -> str:
    """The output folder as the last build left it: any file edited, added or removed by hand
    makes the next build a full one."""
    return value_stamp(sorted(rows.items()))


def load_state(root: Path, options: str) -> BuildState | None:
    """The last build's state, when it is ours, for these options; None otherwise."""
    try:
        data = (root / STATE_FILE).read_bytes()
    except OSError:
        return None
    mac, payload = data[:32], data[32:]
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()):
        return None
    try:
        state, memos = pickle.loads(payload)
        if not isinstance(state, BuildState) or state.options != options:
            return None
        state.memo = Memo.from_parts(memos)
    except Exception:  # a state from another version: rebuild everything
        return None
    return state


def save_state(root: Path, state: BuildState, memos: list[bytes] | None = None) -> None:
    """Save `state`; `memos` is its memo's parts (`Memo.parts`), when they were made early
    (while workers render) or by several processes."""
    memos = state.memo.parts() if memos is None else memos
    payload = pickle.dumps((replace(state, memo=None), memos), protocol=pickle.HIGHEST_PROTOCOL)
    path = root / STATE_FILE
    ensure_private_dir(path.parent)
    write_private(path, hmac.new(_key(), payload, hashlib.sha256).digest() + payload)


def forget_state(root: Path) -> None:
    (root / STATE_FILE).unlink(missing_ok=True)
    (root / SUMMARY_FILE).unlink(missing_ok=True)


def load_summary(root: Path) -> dict:
    """The last build's options, inputs and output signature, without unpickling its memo."""
    import json

    try:
        tighten((root / SUMMARY_FILE).parent)  # read by every build, even one with nothing to do
        return json.loads((root / SUMMARY_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def save_summary(root: Path, state: BuildState) -> None:
    import json

    path = root / SUMMARY_FILE
    ensure_private_dir(path.parent)
    write_private(path, json.dumps({
        "options": state.options, "inputs": state.inputs, "output": state.output, "counts": state.counts,
        "warnings": [[[w.location.path, w.location.line, w.location.column], w.message, w.hint]
                     for w in state.warnings]}))
