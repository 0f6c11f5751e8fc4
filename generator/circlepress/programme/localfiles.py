"""Files only their owner may open, whatever the umask: everything under `.circlepress/` (the
last build's state, which holds every circle's plaintext, key and passphrase) and the temporary
copy of a circle's YAML that `plan --write` and `rotate` check before it replaces the file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Callable

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def ensure_private_dir(folder: Path) -> Path:
    """Make `folder` (0700), or tighten it and everything in it."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return tighten(folder)


def tighten(folder: Path) -> Path:
    """Make `folder` and everything in it private, as older versions left them 0755/0644 (links
    are left alone: what they point to is not ours to change)."""
    for parent, _, files in os.walk(folder):
        for path, mode in [(parent, FOLDER_MODE), *((os.path.join(parent, name), FILE_MODE) for name in files)]:
            try:
                found = os.lstat(path)
                if not stat.S_ISLNK(found.st_mode) and stat.S_IMODE(found.st_mode) & ~mode:
                    os.chmod(path, mode)
            except FileNotFoundError:  # replaced meanwhile, by a writer that made it private
                pass
    return folder


def create_private(path: Path) -> BinaryIO:
    """A new file at `path` that only its owner can open (FileExistsError if there is one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # the umask may have taken the owner's own bits away
    return os.fdopen(fd, "wb")


def write_private(path: Path, data: bytes | str, *, mode: int = FILE_MODE,
                  check: Callable[[Path], None] | None = None, tmp_suffix: str = "") -> None:
    """Replace `path` with `data` by way of a private temporary file beside it, so no one else
    ever reads it and no reader sees half of it; `check(tmp)` may refuse the new file by raising
    (it is removed). The file ends with `mode`; the temporary name ends with `tmp_suffix`."""
    tmp = path.with_name(f".{path.name}.circlepress-tmp{tmp_suffix}")
    tmp.unlink(missing_ok=True)  # left by a process that was killed
    try:
        with create_private(tmp) as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        if check is not None:
            check(tmp)
        if mode != FILE_MODE:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
