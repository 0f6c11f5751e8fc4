"""A wheel of the running circlepress, for a programme to commit and install without a package index.

From a source checkout the wheel is built (`pip wheel --no-deps`); from an installed wheel it is
packed again from the installed files, each checked against the install's RECORD. Either way the
files are then written in one canonical form (sorted, fixed times and modes), so the same
circlepress gives the same bytes wherever it runs, and `circlepress new` from an installed copy
vendors exactly the wheel it was installed from.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..programme.errors import CirclepressError, Location, Problem

_PACKAGE = Path(__file__).resolve().parent.parent
WHEEL_NAME = f"circlepress-{__version__}-py3-none-any.whl"
_DIST_INFO = f"circlepress-{__version__}.dist-info"
_INSTALL_ONLY = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}  # written by pip, not in the wheel
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _source_tree() -> Path | None:
    """The checkout this package runs from (generator/circlepress beside pyproject.toml), if any."""
    root = _PACKAGE.parents[1]
    return root if _PACKAGE.parent.name == "generator" and (root / "pyproject.toml").is_file() else None


def _built_files(root: Path) -> dict[str, bytes]:
    """The wheel's files, built from the checkout at `root` by pip (which fetches the build backend)."""
    with tempfile.TemporaryDirectory(prefix="circlepress-wheel-") as out:
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out,
                               str(root)], capture_output=True, text=True, env=env)
        wheel = Path(out) / WHEEL_NAME
        if done.returncode != 0 or not wheel.is_file():
            last = (done.stderr.strip().splitlines() or ["pip wrote no wheel"])[-1]
            raise CirclepressError([Problem(Location(str(root / "pyproject.toml")),
                                            f"could not build a wheel of circlepress: {last}",
                                            f"run `{Path(sys.executable).name} -m pip wheel --no-deps {root}` "
                                            "to see why; nothing was changed")])
        with zipfile.ZipFile(wheel) as archive:
            return {name: archive.read(name) for name in archive.namelist() if name != f"{_DIST_INFO}/RECORD"}


def _installed_files() -> dict[str, bytes]:
    """The wheel's files, read back from this installation and checked against its RECORD."""
    dist = metadata.distribution("circlepress")
    files: dict[str, bytes] = {}
    for entry in dist.files or ():
        name = entry.as_posix()
        if name.startswith("../") or "__pycache__" in entry.parts or (
                entry.parts[0] == _DIST_INFO and entry.name in _INSTALL_ONLY):
            continue
        data = Path(entry.locate()).read_bytes()
        if entry.hash is None or _digest(data) != f"{entry.hash.mode}={entry.hash.value}":
            raise CirclepressError([Problem(Location(str(entry.locate())),
                                            "this file differs from the circlepress wheel that was installed",
                                            "reinstall circlepress (pip install --force-reinstall) and try again")])
        files[name] = data
    return files


def canonical_wheel(files: dict[str, bytes]) -> bytes:
    """A wheel of `files` with a fresh RECORD: package files sorted, then dist-info, fixed times."""
    names = sorted(files, key=lambda n: (n.startswith(_DIST_INFO + "/"), n))
    record = "".join(f"{n},{_digest(files[n])},{len(files[n])}\n" for n in names) + f"{_DIST_INFO}/RECORD,,\n"
    path = Path(tempfile.mkstemp(suffix=".whl")[1])
    try:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in [*((n, files[n]) for n in names), (f"{_DIST_INFO}/RECORD", record.encode())]:
                info = zipfile.ZipInfo(name, _FIXED_TIME)
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
        return path.read_bytes()
    finally:
        path.unlink()


def wheel_of_self() -> bytes:
    """The bytes of `WHEEL_NAME`: this circlepress as a wheel, the same wherever it is made."""
    root = _source_tree()
    return canonical_wheel(_built_files(root) if root else _installed_files())
