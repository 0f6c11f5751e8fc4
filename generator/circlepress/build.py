"""Runs the stages: load and validate, render every page, write once."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .circles import Circle, load_circle, load_circles
from .config import Project
from .errors import CirclepressError, Problem
from .handbook import EXAMPLE_CIRCLE, Handbook, load_handbook
from .assemble import render_site
from .memo import Memo, NoMemo, content_stamp
from .linkcheck import check_output
from .privacy import PRIVATE_ROOT, load_secret
from .render import check_shortcodes, make_environment
from .resources import packaged
from .writer import check_output_dir, write_site


@dataclass(frozen=True)
class Site:
    """Everything loaded and validated: the input to rendering."""

    project: Project
    handbook: Handbook
    example: Circle
    circles: tuple[Circle, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class BuildResult:
    pages: int
    files: int
    circles: int
    warnings: tuple[Problem, ...]
    seconds: float
    out: Path


def build_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so a build can be reproduced exactly."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def _load_example(project: Project, handbook: Handbook, steps: frozenset[int] | None, memo: Memo) -> Circle:
    own = project.content_dir / EXAMPLE_CIRCLE
    path = own if own.is_file() else packaged("content") / EXAMPLE_CIRCLE
    example, problems = memo.get(("example", path), (content_stamp(path), steps, id(handbook.agreement)),
                                 lambda: load_circle(path, project.shown, steps, handbook.agreement, with_pages=False))
    if example is None:
        raise CirclepressError(problems)
    return example


def load_site(project: Project, *, strict: bool = False, memo: Memo = NoMemo()) -> Site:
    """Load and validate every source; raise once with every problem found.

    Warnings become errors under `strict`. With a `memo`, unchanged files are not read again.
    """
    problems: list[Problem] = []
    handbook = example = None
    circles: tuple[Circle, ...] = ()
    warnings: tuple[Problem, ...] = ()
    try:
        handbook = load_handbook(project.content_dir, project.shown, memo)
    except CirclepressError as exc:
        problems += exc.problems
    steps = frozenset(p.meta.step for p in handbook.steps) if handbook else None
    agreement = handbook.agreement if handbook else None
    try:
        circles, warnings = load_circles(project.sites_dir, project.shown, steps, agreement, memo)
        if handbook is not None:
            example = _load_example(project, handbook, steps, memo)
    except CirclepressError as exc:
        problems += exc.problems
    if handbook is not None:
        env = make_environment(project.theme_dirs)
        problems += check_shortcodes(env, [p.body for p in handbook.pages] + [p.body for c in circles for p in c.pages])
    if strict:
        problems += [w.as_error() for w in warnings]
        warnings = ()
    if problems:
        raise CirclepressError(problems)
    return Site(project, handbook, example, circles, warnings)


def build(project: Project, *, strict: bool = False, now: datetime | None = None,
          progress: Callable[[int, int], None] | None = None, jobs: int | None = None) -> BuildResult:
    """Validate, render and write the site; the previous output survives any failure."""
    started = time.perf_counter()
    check_output_dir(project.output_dir, project)
    site = load_site(project, strict=strict)
    secret = load_secret(project.root) if any(c.is_private for c in site.circles) else None
    sources: dict[str, str] = {}
    files = render_site(site, now or build_time(), secret, project.output_dir, progress, sources=sources,
                        jobs=jobs or os.cpu_count() or 1)
    if strict:  # check the output itself before anything is written
        private_roots = (PRIVATE_ROOT,) if any(c.is_private for c in site.circles) else ()
        problems = check_output(files, project.base_path, private_roots, sources)
        if problems:
            raise CirclepressError(problems)
    write_site(files, project.output_dir, project)
    pages = sum(1 for name in files if name.endswith(".html"))
    return BuildResult(pages, len(files), len(site.circles), site.warnings,
                       time.perf_counter() - started, project.output_dir)
