"""Runs the stages: load and validate, render every page, write once."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .. import __version__
from ..programme.config import CONFIG_NAME, Project
from ..programme.errors import CirclepressError, Location, Problem, Severity
from ..programme.memo import Memo, value_stamp
from .linkcheck import check_output
from ..private.keys import PRIVATE_ROOT
from ..programme.resources import EXAMPLE_CIRCLE, packaged
from .state import (BuildState, code_digest, forget_state, input_digest, load_state, load_summary, output_files,
                    output_signature, restat, save_state, save_summary)
from .writer import STATE_DIR, Row, Staging, check_writable, update_site

if TYPE_CHECKING:
    from .site import Site


@dataclass
class Kept:
    """What a build leaves for the next one in the same process (`build --watch`): its state,
    and the output folder's files as it wrote them, so the next build neither loads the state
    nor walks the output again. (The state saved on disk is the same, so a hand edit of the
    output made meanwhile is still found by the next build in a new process.)"""

    state: BuildState
    rows: dict[str, Row]
    parts: list[bytes] | None = None  # the memo as parts, when only they hold all of it (a shared build)

    def memo(self) -> Memo:
        if self.parts is not None:
            self.state.memo, self.parts = Memo.from_parts(self.parts), None
        return self.state.memo


@dataclass(frozen=True)
class BuildResult:
    pages: int
    files: int
    circles: int
    warnings: tuple[Problem, ...]
    seconds: float
    out: Path
    changed: int  # files written or removed; 0 when nothing changed
    kept: Kept | None = field(default=None, repr=False, compare=False)


def build_time() -> datetime:
    """The start of today (UTC), or SOURCE_DATE_EPOCH when set, so a build can be reproduced.

    A day is the build's unit of time: pages say "as of" a date, and every build on the same
    day from the same sources gives the same files (the pages' script keeps "next session" live).
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def _check_output(files: dict[str, bytes | None], out: Path, site: Site,
                  sources: dict[str, tuple[str, dict[str, Location], tuple[str, ...]]],
                  members: dict[str, bytes] | None = None) -> None:
    """`--strict`: links, fragments and the private boundary of the whole output (unchanged
    pages are read from the previous output, which they are), and of every private page as its
    members see it once it is opened (`members`: their plaintext, rendered in memory)."""
    pages = {k: v if v is not None else (out / k).read_bytes() for k, v in files.items() if k.endswith(".html")}
    private_roots = (PRIVATE_ROOT,) if any(c.is_private for c in site.circles) else ()
    problems = check_output({**{k: b"" for k in files}, **pages}, site.project.base_path, private_roots, sources,
                            site.project.origin, site.project.root, members or {})
    if problems:
        raise CirclepressError(problems)


def _options(project: Project, strict: bool) -> str:
    """What the command line and environment chose that outputs depend on."""
    return value_stamp(__version__, code_digest(), str(project.output_dir), project.config, strict, project.drafts,
                       project.theme_dirs, str(project.content_dir), str(project.sites_dir))


@contextlib.contextmanager
def one_build_at_a_time(project: Project, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold a lock on the programme folder (waiting for another build, after calling `waiting`):
    two builds at once would write the same output and state. The lock is the system's `flock`
    on the folder itself, so nothing is written for it, and it ends with the process. Where
    there is no `flock` (Windows), builds are not kept apart."""
    try:
        import fcntl

        handle = os.open(project.root, os.O_RDONLY)
    except (ImportError, OSError):  # no flock, or no folder yet (loading reports that)
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _latest(kept: Kept, last: dict) -> bool:
    """Whether `kept` is from the programme's last build (`last`, its summary): no other
    process built since."""
    return (last.get("options"), last.get("inputs"), last.get("output")) == \
        (kept.state.options, kept.state.inputs, kept.state.output)


def build(project: Project, *, strict: bool = False, now: datetime | None = None,
          progress: Callable[[int, int], None] | None = None, jobs: int | None = None,
          kept: Kept | None = None, keep: bool = False, waiting: Callable[[], None] | None = None) -> BuildResult:
    """Validate, render and write the site; the previous output survives any failure.

    A rebuild uses the last build's state: when no input changed it does nothing; otherwise it
    renders only the outputs whose inputs changed and writes only the files whose bytes did.
    `kept` is what the last build in this process left (`BuildResult.kept`), trusted instead
    of the state on disk; it is only valid after a build that succeeded. With `keep`, a build
    with nothing to do loads the state too, for the next build to keep. A build waits for
    another build of the same programme to finish (calling `waiting` first).
    """
    with one_build_at_a_time(project, waiting):
        return _build(project, strict, now or build_time(), progress, jobs, kept, keep)


def _build(project: Project, strict: bool, now: datetime, progress: Callable[[int, int], None] | None,
           jobs: int | None, kept: Kept | None, keep: bool) -> BuildResult:
    started = time.perf_counter()
    out = project.output_dir
    options = _options(project, strict)
    last = load_summary(project.root)
    if kept is not None and not (out.is_dir() and _latest(kept, last)):
        kept = None  # the output is gone, or another process built: start from what is on disk
    inputs = input_digest([project.content_dir, project.sites_dir, *project.theme_dirs],
                          [project.root / CONFIG_NAME, packaged("content") / EXAMPLE_CIRCLE], now,
                          memo=kept.memo() if kept else None)
    rows = (kept.rows if kept else output_files(out)) if last.get("options") == options and out.is_dir() else None
    intact = rows is not None and (kept is not None or output_signature(rows) == last.get("output"))
    if intact and last.get("inputs") == inputs:  # nothing changed: not even the state is read
        warnings = tuple(Problem(Location(*where), message, hint, Severity.WARNING)
                         for where, message, hint in last["warnings"])
        if keep and kept is None:
            state = load_state(project.root, options)
            kept = Kept(state, rows) if state is not None else None
        return BuildResult(*last["counts"], warnings, time.perf_counter() - started, out, changed=0, kept=kept)
    # Loading and rendering (Jinja, markdown-it, icalendar) are imported only now: a rebuild
    # with nothing to do is done 0.1 s sooner without them.
    from . import workers as shares
    from .assemble import RenderMemo, render_site
    from .load import load_guide, load_site

    state = (kept.state if kept else load_state(project.root, options)) if intact else None
    if state is not None and kept is None:
        # The state is a few hundred thousand objects that live as long as the build: frozen,
        # the garbage collector's full passes no longer walk them (0.1 s at 1,000 circles).
        gc.freeze()
    # A full build writes into a staging folder, swapped in at the end; the workers that render
    # pages write them there as they go, except under `--strict`, which checks the whole output
    # before anything is written. With enough circles, the workers load their circles too.
    staging = Staging(out, project) if state is None else None
    jobs = jobs or os.cpu_count() or 1
    try:
        memo = state.memo if state else Memo()
        shared = staging is not None and not strict and shares.worthwhile(project, jobs)
        if shared:
            made = shares.build_shared(project, load_guide(project, memo), now, staging, jobs, progress, memo)
            files, site, circles, render, memos = made.files, made.site, made.circles, made.render, made.memo
        else:
            render = state.render if state else RenderMemo(hold=False)
            site = load_site(project, strict=strict, memo=memo)
            sources: dict[str, str] | None = {} if strict else None  # for the output check's messages
            memos: list[bytes] = []  # the state's largest part, pickled while the workers render
            members: dict[str, bytes] | None = {} if strict else None  # private pages' plaintext, in memory only
            files = render_site(site, now, out, progress, memo=render, sources=sources, jobs=jobs,
                                sink=None if strict else staging, meanwhile=lambda: memos.extend(memo.parts()),
                                members=members)
            circles = len(site.circles)
            if strict:  # check the output itself before anything is written
                _check_output(files, out, site, sources, members)
                members = None
        if staging is None:
            # Written in place: until the new state is saved, no state may vouch for the output
            # (a build stopped half way leaves the next one a full build, in this process or another).
            check_writable([out, project.root / STATE_DIR], project)
            forget_state(project.root)
            touched = update_site(files, out, project)
            rows, changed = restat(rows, out, touched), len(touched)
        else:
            rows, changed = staging.commit(files), len(files)
    finally:
        if staging is not None:
            staging.abandon()
    pages = sum(1 for name in files if name.endswith(".html"))
    counts = (pages, len(files), circles)
    options = _options(project, strict)
    state = BuildState(options, inputs, output_signature(rows), counts, site.warnings, memo, render)
    save_state(project.root, state, memos)
    save_summary(project.root, state)
    return BuildResult(*counts, site.warnings, time.perf_counter() - started, out, changed=changed,
                       kept=Kept(state, rows, memos if shared else None))

