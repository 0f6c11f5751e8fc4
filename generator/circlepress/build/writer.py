"""The one writer: refuses dangerous output folders, builds beside the target, then swaps.

circlepress records what it wrote in `.circlepress/outputs.json` under the project root,
so it only ever replaces a folder it wrote itself, and never deletes a file it did not create.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from ..programme.config import STATE_DIR, Project
from ..programme.errors import CirclepressError, Location, Problem
from ..programme.localfiles import ensure_private_dir, write_private

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


def _walk(folder: Path) -> tuple[set[str], list[Path], list[str]]:
    """A folder's files, its folders (itself first) and its symbolic links, no link followed."""
    files: set[str] = set()
    folders: list[Path] = []
    links: list[str] = []
    stack = [("", folder)]
    while stack:
        prefix, here = stack.pop()
        folders.append(here)
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.is_symlink():
                    links.append(prefix + entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((prefix + entry.name + "/", Path(entry.path)))
                else:
                    files.add(prefix + entry.name)
    return files, folders, sorted(links)


def check_writable(folders: list[Path], project: Project) -> None:
    """Refuse, before anything is written, a build that could not finish: a folder it writes in
    (or the nearest one that exists, to make it in) is read-only, or is a file."""
    problems = []
    for folder in folders:
        near = next(p for p in (folder, *folder.parents) if os.path.lexists(p))
        if not near.is_dir():
            problems.append(Problem(Location(project.shown(near)), "cannot write the site: this is a file, where "
                                    "circlepress needs a folder", "move the file, or choose another folder with --out"))
        elif not os.access(near, os.W_OK | os.X_OK):
            problems.append(Problem(Location(project.shown(near)), "cannot write the site: this folder is read-only",
                                    "make it writable (chmod -R u+w), or choose another folder with --out"))
    if problems:
        raise CirclepressError(list(dict.fromkeys(problems))[:20])


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or inside it."""
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
    elif any(is_within(d.resolve(), out) for d in (project.root, *project.source_dirs)):
        reason = "contains the project or its sources"
    elif any(is_within(out, d.resolve()) for d in project.source_dirs):
        reason = "is inside a source folder"
    elif out.exists() and not out.is_dir():
        reason = "is a file"
    if not reason:
        files, folders, links = _walk(out) if out.is_dir() else (set(), [], [])
        check_writable([out.parent, project.root / STATE_DIR, *folders], project)
        if (files or links or folders[1:]) and str(out) not in _read_manifest(project):
            reason = "is not empty and was not written by circlepress"
    if reason:
        raise CirclepressError([Problem(Location(shown), f"refusing to write the site here: the folder {reason}",
                                        "choose another folder with --out, e.g. --out _site")])
    if out.is_dir():
        _refuse_foreign(out, sorted(files - set(_read_manifest(project).get(str(out), ()))), links, project)


def _refuse_foreign(out: Path, names: list[str], links: list[str], project: Project) -> None:
    """Stop before touching files (or symbolic links, which circlepress never makes) that someone
    else put in the output folder."""
    problems = [Problem(Location(project.shown(out / name)), "file not written by circlepress",
                        "move it out of the output folder (static files go in the theme's "
                        "static/ folder or in content/)") for name in names]
    problems += [Problem(Location(project.shown(out / name)),
                         "symbolic link not made by circlepress (it never makes one)",
                         "remove the link or move it out of the output folder; nothing it points to is touched")
                 for name in links]
    if problems:
        raise CirclepressError(problems[:20])


Row = tuple[int, int]  # a written file's size and modification time, for the build state


class Staging:
    """A fresh folder beside the output that files are put into, from any process (render
    workers write their own pages), and that `commit` swaps in whole. Until then the previous
    output is untouched; `abandon` removes the folder."""

    def __init__(self, out: Path, project: Project):
        self.out, self.project = out.resolve(), project
        check_output_dir(self.out, project)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        for left in (_TMP, _OLD):  # by a build that was stopped
            for stale in self.out.parent.glob(f".{self.out.name}{left}*"):
                shutil.rmtree(stale, ignore_errors=True)
        self.folder = self.out.parent / f".{self.out.name}{_TMP}{os.getpid()}"
        self.folder.mkdir()
        self._made: set[Path] = {self.folder}
        self.rows: dict[str, Row] = {}  # files put so far (by any process), recorded by the caller

    def put(self, rel: str, data: bytes) -> Row:
        target = self.folder / rel
        try:
            if target.parent not in self._made:  # one mkdir per folder, not per file
                target.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(target.parent)
            target.write_bytes(data)
        except OSError as exc:  # named as the output file it was for, not the staging folder's
            raise OSError(exc.errno, exc.strerror, str(self.out / rel)) from None
        stat = os.stat(target)
        return stat.st_size, stat.st_mtime_ns

    def commit(self, files: dict[str, bytes | None]) -> dict[str, Row]:
        """Put the files not yet put (None: put already, its row in `rows`), then swap the folder
        in. Returns every file's row."""
        try:
            rows = {**self.rows, **{rel: self.put(rel, data) for rel, data in files.items() if data is not None}}
            # Recorded before the swap, with the old files: a build stopped half way (the disk
            # full, say) leaves no file unaccounted for, whichever output is in place.
            manifest = _read_manifest(self.project)
            manifest[str(self.out)] = sorted({*manifest.get(str(self.out), []), *files})
            _save_manifest(self.project, manifest)
            if self.out.exists():
                old = self.out.parent / f".{self.out.name}{_OLD}{os.getpid()}"
                os.rename(self.out, old)
                try:
                    os.rename(self.folder, self.out)
                except BaseException:
                    os.rename(old, self.out)
                    raise
                shutil.rmtree(old, ignore_errors=True)  # writable (checked); a leftover goes with the next build
            else:
                os.rename(self.folder, self.out)
        finally:
            self.abandon()
        manifest[str(self.out)] = sorted(files)
        _save_manifest(self.project, manifest)
        return rows

    def abandon(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _prune(path: Path, out: Path) -> None:
    """Remove the folders above a removed file that it left empty, up to the output folder."""
    for parent in path.parents:
        if parent == out or (parent.is_dir() and any(parent.iterdir())):
            break
        if parent.is_dir():
            parent.rmdir()


def _linked(out: Path, paths: list[str]) -> list[str]:
    """The symbolic links (which circlepress never makes) at or above `paths` in the output."""
    seen: dict[str, bool] = {}
    for rel in paths:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            part = "/".join(parts[:depth])
            if part not in seen:
                seen[part] = (out / part).is_symlink()
            if seen[part]:
                break
    return sorted(part for part, link in seen.items() if link)


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
    linked = _linked(out, [rel for rel, data in files.items() if data is not None] + sorted(before - after))
    foreign = sorted(rel for rel in new if os.path.lexists(out / rel) and rel not in linked)
    _refuse_foreign(out, foreign, linked, project)
    touched = [rel for rel, data in files.items() if data is not None and not _holds(out / rel, data)]
    check_writable(sorted({(out / rel).parent for rel in (*touched, *(before - after))}), project)
    recorded = before
    if new:  # recorded before they are written: a build stopped half way leaves no file unaccounted for
        recorded = before | after
        manifest[str(out)] = sorted(recorded)
        _save_manifest(project, manifest)
    staged: list[Path] = []
    try:
        for rel in touched:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.append(target.with_name(f".{target.name}{_TMP}{os.getpid()}"))
            staged[-1].write_bytes(files[rel])
        for tmp, rel in zip(staged, touched):  # every file is written before any replaces its old one
            os.replace(tmp, out / rel)
    except BaseException:  # a disk error, or Ctrl-C: no half-written file is left behind
        with contextlib.suppress(OSError):  # what it can: the error that stopped the build is the one to report
            for tmp in staged:
                tmp.unlink(missing_ok=True)
                _prune(tmp, out)
        raise
    for rel in sorted(before - after, reverse=True):
        path = out / rel
        path.unlink(missing_ok=True)
        touched.append(rel)
        _prune(path, out)
    if recorded != after:
        manifest[str(out)] = sorted(after)
        _save_manifest(project, manifest)
    return touched
