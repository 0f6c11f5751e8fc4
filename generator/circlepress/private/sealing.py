"""Sealing circles' folders (`seal`, `reseal`), and finding private plaintext that git tracks."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

from ..programme.agefiles import (AGE_SUFFIX, RECIPIENTS_FILE, decrypt, encrypt, identities, is_sealed, read_source,
                                  recipients, write_sealed, write_source)
from .rotate_key import is_private_text, keyed_if_missing
from ..programme.circles import CIRCLE_FILE, Circle, circle_folders
from ..programme.config import Project
from ..programme.errors import CirclepressError, Location, Problem, Severity


def _folder_of(project: Project, slug: str, circles: tuple[Circle, ...]) -> Path:
    by_name = project.sites_dir / slug
    if by_name.is_dir():
        return by_name
    for circle in circles:
        if circle.slug == slug:
            return (project.root / circle.source).parent
    raise CirclepressError([Problem(Location(project.shown(project.sites_dir)), f"there is no circle '{slug}'",
                                    "see `circlepress links` for the circles' names")])


def _sealable(folder: Path) -> list[Path]:
    """Every plaintext file of a circle's folder, recipients.txt and editors' scratch files aside."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not is_sealed(p) and p.name != RECIPIENTS_FILE
                  and not p.name.startswith("."))


def _can_open(project: Project, folder: Path, to: list) -> None:
    """Refuse to seal what this run's identity could not open again (before anything is written)."""
    try:
        decrypt(encrypt(b"probe", to), project.shown(folder))
    except CirclepressError:
        found = identities()
        why = f"{found.tried} is not among the recipients" if found.keys else f"there is {found.tried}"
        raise CirclepressError([Problem(Location(project.shown(project.root / RECIPIENTS_FILE)),
                                        f"{why}, so you could not open the sealed files again; nothing was sealed",
                                        "add your public key (`circlepress keys show`) to recipients.txt, or "
                                        "run `circlepress keys new`")]) from None


def _plan(project: Project, folder: Path) -> tuple[list, list[Path]]:
    """A folder's recipients and the plaintext files to seal, or every problem that stops it."""
    to = recipients(project.root, folder, project.shown)
    plain = _sealable(folder)
    clashes = [Problem(Location(project.shown(p)), f"{p.name}{AGE_SUFFIX} is there too",
                       "keep one of them, then seal again") for p in plain if p.with_name(p.name + AGE_SUFFIX).exists()]
    if clashes:
        raise CirclepressError(clashes)
    _can_open(project, folder, to)
    return to, plain


def _seal_files(project: Project, to: list, plain: list[Path]) -> list[Path]:
    """Seal each file; its plaintext is removed only after the sealed file is written and read back."""
    written = []
    for path in plain:
        data = path.read_bytes()
        if path.name == CIRCLE_FILE and (keyed := keyed_if_missing(data)):
            data = keyed.encode("utf-8")  # a private circle's access.key, written first, sealed with it
        sealed = path.with_name(path.name + AGE_SUFFIX)
        write_sealed(sealed, data, to, project.shown(sealed))
        path.unlink()
        written.append(sealed)
    return written


def _private_folders(project: Project) -> list[Path]:
    """Every folder of a private circle with plaintext left (read as text, not loaded: a private
    circle with no access.key yet is one `seal` gives a key)."""
    found = []
    for folder in circle_folders(project.sites_dir):
        plain = folder / CIRCLE_FILE
        if plain.is_file() and is_private_text(plain.read_bytes()) or \
                (folder / (CIRCLE_FILE + AGE_SUFFIX)).is_file() and _sealable(folder):
            found.append(folder)
    return found


def seal(project: Project, slugs: list[str], every_private: bool,
         loaded: Callable[[], tuple[Circle, ...]]) -> list[Path]:
    """`circlepress seal SLUG...` or `--all` (every private circle): the sealed files written.
    Every folder's problems (recipients, files kept both ways) are found before anything is written.
    `loaded` gives the programme's circles, loaded and checked (called only to find a slug whose
    folder has another name)."""
    circles = loaded() if any(not (project.sites_dir / s).is_dir() for s in slugs) else ()
    folders = _private_folders(project) if every_private else [_folder_of(project, slug, circles) for slug in slugs]
    plans, problems = [], []
    for folder in dict.fromkeys(folders):
        try:
            plans.append(_plan(project, folder))
        except CirclepressError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise CirclepressError(problems)
    return [path for to, plain in plans for path in _seal_files(project, to, plain)]


def reseal(project: Project) -> list[Path]:
    """Re-encrypt every sealed file to its circle's recipients as they are now. (X25519 stanzas do
    not say whom they are for, so every sealed file is written again.)"""
    jobs, problems = [], []
    for folder in circle_folders(project.sites_dir):
        sealed = sorted(p for p in folder.iterdir() if p.is_file() and is_sealed(p))
        if not sealed:
            continue
        try:
            to = recipients(project.root, folder, project.shown)
            jobs += [(path, read_source(path, project.shown(path)), to) for path in sealed]
        except CirclepressError as exc:
            problems += exc.problems
    if problems:  # nothing is written unless every file can be
        raise CirclepressError(problems)
    for path, text, _ in jobs:
        write_source(path, text, project.root, project.shown)  # the one write path: sealed, read back
    return [path for path, _, _ in jobs]


def tracked_plaintext(project: Project, circles: tuple[Circle, ...]) -> list[Problem]:
    """Private circles' plaintext files that git tracks (errors under require_sealed, else warnings)."""
    folders = [(project.root / c.source).parent for c in circles if c.is_private]
    if not folders:
        return []
    try:
        listed = subprocess.run(["git", "-C", str(project.root), "ls-files", "-z", "--full-name", "--",
                                 *map(str, folders)], capture_output=True, check=True).stdout
        top = subprocess.run(["git", "-C", str(project.root), "rev-parse", "--show-toplevel"],
                             capture_output=True, check=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):  # no git, or not a repository: nothing is tracked
        return []
    severity = Severity.ERROR if project.config.require_sealed else Severity.WARNING
    inside = {f.resolve() for f in folders}
    problems = []
    for name in filter(None, listed.decode("utf-8", "replace").split("\0")):
        path = Path(top) / name
        if not is_sealed(path) and path.name != RECIPIENTS_FILE and path.parent.resolve() in inside:
            problems.append(Problem(Location(project.shown(path)), "git tracks this private circle's plaintext file",
                                    f"seal the circle, then `git rm --cached {project.shown(path)}` (old commits "
                                    "still hold it: rotate the circle's keys too)", severity))
    return problems
