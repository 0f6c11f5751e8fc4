"""Sealed circle files in the age format (pyrage): recipients, identities, and reading or writing
a circle's file whether it is sealed (`*.age`) or plain."""

from __future__ import annotations

import functools
import os
import stat
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pyrage
from pyrage import ssh, x25519

from .errors import CirclepressError, Location, Problem
from .localfiles import ensure_private_dir, write_private
from .source import decode_text, read_source_bytes, read_text

AGE_SUFFIX = ".age"
RECIPIENTS_FILE = "recipients.txt"
KEY_ENV, KEY_FILE_ENV = "CIRCLEPRESS_AGE_KEY", "CIRCLEPRESS_AGE_KEY_FILE"
_MAGIC = b"age-encryption.org/v1\n"
_NO_KEY_HINT = (f"set {KEY_ENV} or {KEY_FILE_ENV}, or run `circlepress keys new` and have its public key "
                f"added to {RECIPIENTS_FILE} and the file resealed")


@dataclass(frozen=True)
class Identities:
    """The identities this run decrypts with, and where they came from (never the key)."""

    keys: tuple
    tried: str  # "the identity from CIRCLEPRESS_AGE_KEY_FILE=/path", for messages
    problem: Problem | None = None  # why there are none that can be used

    def public_keys(self) -> list[str]:
        return [str(k.to_public()) for k in self.keys if isinstance(k, x25519.Identity)]


def is_sealed(path: Path | str) -> bool:
    return str(path).endswith(AGE_SUFFIX)


def plain_name(name: str) -> str:
    """A file's name with `.age` taken off (`circle.yaml.age` -> `circle.yaml`)."""
    return name.removesuffix(AGE_SUFFIX)


def default_key_file() -> Path:
    """Where `keys new` writes this user's identity, outside any repository (as SOPS keeps sops/age/keys.txt)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "circlepress" / "age" / "keys.txt"


def parse_identities(text: str, where: str) -> tuple:
    """The identities in an age identity file's text (or one SSH private key); located problems
    name the line, never its content."""
    if text.lstrip().startswith("-----BEGIN"):
        try:
            return (ssh.Identity.from_buffer(text.encode()),)
        except Exception as exc:  # noqa: BLE001 - pyrage raises several types
            raise CirclepressError([Problem(Location(where), f"the SSH key is not one age can use ({exc})",
                                            "use an unencrypted ssh-ed25519 or ssh-rsa key, or an age identity")])
    keys, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            keys.append(x25519.Identity.from_str(entry))
        except pyrage.IdentityError:
            problems.append(Problem(Location(where, number, len(line) - len(line.lstrip()) + 1),
                                    "this line is not an age identity (AGE-SECRET-KEY-1...)",
                                    "keep the file as `circlepress keys new` or age-keygen wrote it"))
    if problems:
        raise CirclepressError(problems)
    if not keys:
        raise CirclepressError([Problem(Location(where), "the identity file holds no identity",
                                        "run `circlepress keys new --force`, or point to another file")])
    return tuple(keys)


def _open_problem(path: Path) -> Problem | None:
    """A problem when others can read the identity file (POSIX only)."""
    if os.name != "posix":
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Problem(Location(str(path)), f"the identity file can be read by others (mode {mode:04o})",
                       f"run `chmod 600 {path}`")
    return None


def _stat(path: str) -> tuple[int, ...] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mode, found.st_size, found.st_mtime_ns, found.st_ino


@functools.cache
def _identities(key_text: str | None, key_file: str | None, default: str, stat_key: object) -> Identities:
    """The identities for these settings (`stat_key`: the file's stat, so a fixed file is read again)."""
    if key_text:
        tried = f"the identity from {KEY_ENV}"
        try:
            return Identities(parse_identities(key_text, KEY_ENV), tried)
        except CirclepressError as exc:
            return Identities((), tried, exc.problems[0])
    path = Path(key_file) if key_file else Path(default)
    tried = f"the identity from {KEY_FILE_ENV}={path}" if key_file else f"the identity file {path}"
    if not path.is_file():
        if key_file:
            return Identities((), tried, Problem(Location(KEY_FILE_ENV), f"{KEY_FILE_ENV} names no file: {path}",
                                                 "point it to your age identity file"))
        return Identities((), "no identity (none set, and no identity file)", None)
    if problem := _open_problem(path):
        return Identities((), tried, problem)
    try:
        return Identities(parse_identities(read_text(path, str(path)), str(path)), tried)
    except CirclepressError as exc:
        return Identities((), tried, exc.problems[0])


def identities() -> Identities:
    """This run's identities: CIRCLEPRESS_AGE_KEY's text, else CIRCLEPRESS_AGE_KEY_FILE, else the
    default file; read once per process (build workers, forked, inherit them)."""
    key_text, key_file = os.environ.get(KEY_ENV) or None, os.environ.get(KEY_FILE_ENV) or None
    default = str(default_key_file())
    return _identities(key_text, key_file, default, None if key_text else _stat(key_file or default))


def decrypt(data: bytes, shown: str) -> bytes:
    """The plaintext of a sealed file's bytes, or a problem located at the file naming what was tried."""
    found = identities()
    if found.problem is not None:
        raise CirclepressError([found.problem])
    if not found.keys:
        raise CirclepressError([Problem(Location(shown), "the file is sealed and there is no identity to open it",
                                        _NO_KEY_HINT)])
    if not data.startswith(_MAGIC):
        raise CirclepressError([Problem(Location(shown), "the file is not in the age format (it does not start "
                                        "with 'age-encryption.org/v1')",
                                        "restore it from git, or seal the plaintext again")])
    try:
        return pyrage.decrypt(data, list(found.keys))
    except pyrage.DecryptError as exc:
        if "No matching keys" in str(exc):
            message = f"{found.tried} does not open the sealed file (or its header is damaged)"
            hint = (f"ask someone who can read it to add your public key (`circlepress keys show`) to "
                    f"{RECIPIENTS_FILE} and run `circlepress reseal`")
        else:
            message = f"the sealed file is truncated or corrupted ({exc}; tried {found.tried})"
            hint = "restore it from git"
        raise CirclepressError([Problem(Location(shown), message, hint)]) from None


def read_source(path: Path, shown: str) -> str:
    """A circle source file's text, whether plain or sealed; problems inside a sealed file are
    located at the `.age` path with the plaintext's lines and columns."""
    data = read_source_bytes(path, shown)
    return decode_text(decrypt(data, shown) if is_sealed(path) else data, shown)


def parse_recipients(text: str, where: str) -> list:
    """The recipients in `age -R` format: one per line, `#` comments and blank lines skipped."""
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        at = Location(where, number, len(line) - len(line.lstrip()) + 1)
        try:
            if entry.startswith("age1"):
                found.append(x25519.Recipient.from_str(entry))
            elif entry.startswith(("ssh-ed25519 ", "ssh-rsa ")):
                found.append(ssh.Recipient.from_str(entry))
            else:
                raise pyrage.RecipientError("unknown kind")
        except pyrage.RecipientError:
            problems.append(Problem(at, "this line is not an age recipient",
                                    "write one public key a line: age1..., ssh-ed25519 ... or ssh-rsa ...; "
                                    "'#' starts a comment"))
    if problems:
        raise CirclepressError(problems)
    return found


def recipients(root: Path, folder: Path, shown) -> list:
    """Everyone a circle's files are sealed to: recipients.txt at the programme root, plus the
    circle's own `sites/<slug>/recipients.txt`."""
    found, problems = [], []
    for path in (root / RECIPIENTS_FILE, folder / RECIPIENTS_FILE):
        if path.is_file():
            try:
                found += parse_recipients(read_text(path, shown(path)), shown(path))
            except CirclepressError as exc:
                problems += exc.problems
    if problems:
        raise CirclepressError(problems)
    if not found:
        raise CirclepressError([Problem(Location(shown(root / RECIPIENTS_FILE)), "there is no one to seal to",
                                        f"add your public key (`circlepress keys show`; no key yet: `circlepress keys new`) to "
                                        f"{RECIPIENTS_FILE}")])
    return found


def encrypt(data: bytes, to: list) -> bytes:
    return pyrage.encrypt(data, to)


def write_source(path: Path, text: str, root: Path, shown, check: Callable[[Path], None] | None = None) -> None:
    """Write a circle file back in the form it had (a new one by its name): sealed to the
    recipients as they are now, or plain; keeps its mode. `check(tmp)` (tmp named like the file,
    so read like it) may refuse it by raising."""
    data = text.encode("utf-8")
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    if not is_sealed(path):
        write_private(path, data, mode=mode, check=check)
        return
    write_sealed(path, data, recipients(root, path.parent, shown), shown(path), mode, check)


def write_sealed(path: Path, data: bytes, to: list, where: str, mode: int = 0o644,
                 check: Callable[[Path], None] | None = None) -> None:
    """Seal `data` to `to` at `path`: read back before it replaces anything, so a file that would
    not open again is never written (nor, by `seal`, its plaintext removed)."""
    def read_back(tmp: Path) -> None:
        if decrypt(tmp.read_bytes(), where) != data:
            raise CirclepressError([Problem(Location(where), "the sealed file did not read back as the text; "
                                            "nothing was changed", "try again")])
        if check is not None:
            check(tmp)

    write_private(path, encrypt(data, to), mode=mode, check=read_back, tmp_suffix=AGE_SUFFIX)


def new_identity(path: Path, force: bool = False) -> str:
    """Write a fresh X25519 identity to `path` (0600, in a 0700 folder); its public key."""
    if path.exists() and not force:
        raise CirclepressError([Problem(Location(str(path)), "an identity file is already there",
                                        "`circlepress keys show` prints its public key; --force replaces it "
                                        "(files sealed only to the old key can then no longer be opened)")])
    ensure_private_dir(path.parent)
    key = x25519.Identity.generate()
    public = str(key.to_public())
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    write_private(path, f"# created: {stamp}\n# public key: {public}\n{key}\n")
    return public
