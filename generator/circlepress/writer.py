"""The one writer: refuses dangerous output folders, builds beside the target, then swaps.

circlepress records what it wrote in `.circlepress/outputs.json` under the project root,
so it only ever replaces a folder it wrote itself, and never deletes a file it did not create.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .config import STATE_DIR, Project
from .errors import CirclepressError, Location, Problem
from .localfiles import ensure_private_dir, write_private

_TMP = ".circlepress-tmp-"
_OLD = ".circlepress-old-"


def _manifest_path(project: Project) -> Path:
    return project.root / STATE_DIR / "outputs.json"


def _read_manifest(project: Project) -> dict[str, list[str]]:
    try:
        return json.loads(_manifest_path(project).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _save_manifest(project: Project, manifest: dict[str, list[str]]) -> None:
    path = _manifest_path(project)
    ensure_private_dir(path.parent)
    write_private(path, json.dumps(manifest, indent=1, sort_keys=True))


def _existing_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_dir(out: Path, project: Project) -> None:
    """Refuse, before touching anything, an output folder that could hold other work."""
    out = out.resolve()
    shown = str(out)
    home = Path.home().resolve()
    reason = ""
    if out == Path(out.anchor):
        reason = "is the file-system root"
    elif out == home:
        reason = "is your home folder"
    elif out == project.root:
        reason = "is the project root"
    elif any(_is_within(d.resolve(), out) for d in (project.root, *project.source_dirs)):
        reason = "contains the project or its sources"
    elif any(_is_within(out, d.resolve()) for d in project.source_dirs):
        reason = "is inside a source folder"
    elif out.exists() and not out.is_dir():
        reason = "is a file"
    elif out.is_dir() and any(out.iterdir()) and str(out) not in _read_manifest(project):
        reason = "is not empty and was not written by circlepress"
    if reason:
        raise CirclepressError([Problem(Location(shown), f"refusing to write the site here: the folder {reason}",
                                        "choose another folder with --out, e.g. --out _site")])
    if out.is_dir():
        _refuse_foreign(out, sorted(_existing_files(out) - set(_read_manifest(project)[str(out)])))


def _refuse_foreign(out: Path, names: list[str]) -> None:
    """Stop before touching files someone else put in the output folder."""
    if names:
        raise CirclepressError([Problem(Location(str(out / name)), "file not written by circlepress",
                                        "move it out of the output folder (static files go in the theme's "
                                        "static/ folder or in content/)") for name in names[:20]])


Row = tuple[int, int]  # a written file's size and modification time, for the build state


class Staging:
    """A fresh folder beside the output that files are put into, from any process (render
    workers write their own pages), and that `commit` swaps in whole. Until then the previous
    output is untouched; `abandon` removes the folder."""

    def __init__(self, out: Path, project: Project):
        self.out, self.project = out.resolve(), project
        check_output_dir(self.out, project)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.out.parent.glob(f".{self.out.name}{_TMP}*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.folder = self.out.parent / f".{self.out.name}{_TMP}{os.getpid()}"
        self.folder.mkdir()
        self._made: set[Path] = {self.folder}
        self.rows: dict[str, Row] = {}  # files put so far (by any process), recorded by the caller

    def put(self, rel: str, data: bytes) -> Row:
        target = self.folder / rel
        if target.parent not in self._made:  # one mkdir per folder, not per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        target.write_bytes(data)
        stat = os.stat(target)
        return stat.st_size, stat.st_mtime_ns

    def commit(self, files: dict[str, bytes | None]) -> dict[str, Row]:
        """Put the files not yet put (None: put already, its row in `rows`), then swap the folder
        in. Returns every file's row."""
        try:
            rows = {**self.rows, **{rel: self.put(rel, data) for rel, data in files.items() if data is not None}}
            if self.out.exists():
                old = self.out.parent / f".{self.out.name}{_OLD}{os.getpid()}"
                os.rename(self.out, old)
                os.rename(self.folder, self.out)
                shutil.rmtree(old)
            else:
                os.rename(self.folder, self.out)
        finally:
            self.abandon()
        manifest = _read_manifest(self.project)
        manifest[str(self.out)] = sorted(files)
        _save_manifest(self.project, manifest)
        return rows

    def abandon(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)


def write_site(files: dict[str, bytes], out: Path, project: Project) -> dict[str, Row]:
    """Write every file into a fresh folder beside `out`, then swap it in.

    A failure or interruption before the swap leaves the previous output byte for byte.
    """
    return Staging(out, project).commit(files)


def update_site(files: dict[str, bytes | None], out: Path, project: Project) -> list[str]:
    """Bring an output folder this tool wrote up to date in place: write only the files whose
    bytes changed (None: unchanged, left alone), remove the ones no longer built. Each file is
    replaced atomically; the caller has checked that the folder is as the last build left it,
    and a new file is never written over one that someone else put there. Returns the files
    written or removed."""
    out = out.resolve()
    manifest = _read_manifest(project)
    before, after = set(manifest.get(str(out), [])), set(files)
    new = after - before
    _refuse_foreign(out, sorted(rel for rel in new if os.path.lexists(out / rel)))
    recorded = before
    if new:  # recorded before they are written: a build stopped half way leaves no file unaccounted for
        recorded = before | after
        manifest[str(out)] = sorted(recorded)
        _save_manifest(project, manifest)
    touched: list[str] = []
    for rel, data in files.items():
        if data is None:
            continue
        target = out / rel
        try:
            if target.read_bytes() == data:
                continue
        except OSError:
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}{_TMP}{os.getpid()}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except BaseException:  # a disk error, or Ctrl-C: no half-written file is left behind
            tmp.unlink(missing_ok=True)
            raise
        touched.append(rel)
    for rel in sorted(before - after, reverse=True):
        path = out / rel
        path.unlink(missing_ok=True)
        touched.append(rel)
        for parent in path.parents:
            if parent == out or any(parent.iterdir()):
                break
            parent.rmdir()
    if recorded != after:
        manifest[str(out)] = sorted(after)
        _save_manifest(project, manifest)
    return touched
