"""The `circlepress` command: thin Click commands that call the library and print results."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .build import build, load_site
from .config import load_project
from .errors import CirclepressError, Problem
from .scaffold import new_circle


def _report(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _fail(exc: CirclepressError) -> None:
    _report(exc.problems)
    click.echo(f"{_count(sum(p.is_error for p in exc.problems), 'error')}; nothing was written.", err=True)
    sys.exit(1)


_root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="The programme folder (holding circlepress.yaml, content/, sites/, themes/).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="circlepress")
def main() -> None:
    """Build a peer-mentoring handbook and one small site per circle.

    Handbook pages are markdown in content/, each circle's data is sites/<slug>/circle.yaml,
    and themes/ holds the Jinja templates. The result is a static site for any host.
    """


@main.command("build")
@_root_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: 'output' in circlepress.yaml, i.e. _site).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--base-url", default=None, metavar="URL",
              help="Where the site will live: '/', '/repo/' or 'https://user.github.io/repo/'.")
def build_command(root: Path, out: Path | None, strict: bool, base_url: str | None) -> None:
    """Validate everything, then write the site (the old output survives any failure)."""
    try:
        project = load_project(root, base_url=base_url, output=out)
        result = build(project, strict=strict, progress=_progress if sys.stderr.isatty() else _quiet)
    except CirclepressError as exc:
        _fail(exc)
    _report(result.warnings)
    click.echo(f"Built {_count(result.pages, 'page')} ({result.files} files) for "
               f"{_count(result.circles, 'circle')} in {result.seconds:.2f} s, "
               f"{_count(len(result.warnings), 'warning')} -> {project.shown(result.out)}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _progress(done: int, total: int) -> None:
    """A one-line counter on a terminal, for builds with many circles."""
    if done == total or done % 50 == 0:
        click.echo(f"\rRendering {done}/{total} pages", err=True, nl=done == total)


def _quiet(done: int, total: int) -> None:
    return None


@main.command("check")
@_root_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_command(root: Path, strict: bool) -> None:
    """Validate the handbook, every circle and the config without writing anything."""
    try:
        site = load_site(load_project(root), strict=strict)
    except CirclepressError as exc:
        _fail(exc)
    _report(site.warnings)
    click.echo(f"OK: {_count(len(site.handbook.pages), 'handbook page')}, {_count(len(site.circles), 'circle')}, "
               f"{_count(len(site.warnings), 'warning')}.")


@main.group("new")
def new_group() -> None:
    """Create new things from templates."""


@new_group.command("circle")
@_root_option
@click.argument("slug")
def new_circle_command(root: Path, slug: str) -> None:
    """Write sites/SLUG/circle.yaml: a commented, valid circle to fill in."""
    try:
        path = new_circle(load_project(root), slug)
    except CirclepressError as exc:
        _fail(exc)
    click.echo(f"Wrote {path}. Fill it in, then run `circlepress check`.")
