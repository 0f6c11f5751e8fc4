"""The `circlepress` command: thin Click commands that call the library and print results.

Each command imports what only it needs when it runs, so `--help` and a build with nothing to
do start without Jinja, icalendar or the circle model."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .build.pipeline import build
from .programme.config import load_project
from .programme.errors import CirclepressError, Problem


def _report(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _fail(exc: CirclepressError, writes: bool = True) -> None:
    """Report every problem, then a summary: for a command that writes, that it wrote nothing."""
    _report(exc.problems)
    errors = sum(p.is_error for p in exc.problems)
    warnings = len(exc.problems) - errors
    summary = _count(errors, "error") + (f", {_count(warnings, 'warning')}" if warnings else "")
    click.echo(f"{summary}; nothing was written." if writes else f"{summary}.", err=True)
    sys.exit(1)


def _whole_first_paragraph(self, limit: int = 45) -> str:
    """A command's line in its group's --help: its whole first paragraph (wrapped there, never cut
    with '...'), or its `short_help`."""
    if self.short_help:
        return self.short_help
    return " ".join((self.help or "").strip().split("\n\n")[0].split())


class _Command(click.Command):
    get_short_help_str = _whole_first_paragraph


class _Group(click.Group):
    """A group whose commands (and subgroups) show their whole description in --help."""

    command_class = _Command
    get_short_help_str = _whole_first_paragraph


_Group.group_class = _Group


_root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="The programme folder (holding circlepress.yaml, content/, sites/, themes/).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--strict", is_flag=True,
              help="Treat warnings as errors, and check every link in the output: each local href/src resolves "
                   "to a written file, each #fragment exists, no public page links into a private circle.")
@click.option("--base-url", default=None, metavar="URL",
              help="Where the site will live: '/', '/repo/' or 'https://user.github.io/repo/'.")
@click.option("--watch", is_flag=True, help="Stay running and build again after every save (Ctrl-C to stop).")
@click.option("--drafts", is_flag=True, help="Preview build: also publish pages marked `draft: true`, labelled Draft.")
def build_command(root: Path, out: Path | None, strict: bool, base_url: str | None, watch: bool, drafts: bool) -> None:
    """Validate everything, then write the site.

    If anything fails, the old output is left as it was.
    """
    progress = _progress if sys.stderr.isatty() else _quiet
    if watch:
        from .live.autobuild import watch_builds

        def report(result, project) -> None:
            if isinstance(result, CirclepressError):
                _report(result.problems)
                click.echo(f"{_count(sum(p.is_error for p in result.problems), 'error')}; nothing was written. "
                           "Watching for the fix (Ctrl-C to stop).", err=True)
            elif isinstance(result, OSError):
                _report([Problem.from_os_error(result, project.shown if project else str)])
                click.echo("Watching for the fix (Ctrl-C to stop).", err=True)
            else:
                _report(result.warnings)
                click.echo(_built(result, project))

        try:
            watch_builds(root, lambda: load_project(root, base_url=base_url, output=out, drafts=drafts), report, strict=strict,
                         progress=progress, waiting=_waiting)
        except CirclepressError as exc:
            _report(exc.problems)
            click.echo("Stopped watching.", err=True)
            sys.exit(1)
        click.echo("Stopped watching.", err=True)
        return
    project = None
    try:
        project = load_project(root, base_url=base_url, output=out, drafts=drafts)
        result = build(project, strict=strict, progress=progress, waiting=_waiting)
    except CirclepressError as exc:
        _fail(exc)
    except OSError as exc:  # the disk, not the sources: full, read-only, or a file moved mid-build
        _fail(CirclepressError([Problem.from_os_error(exc, project.shown if project else str)]))
    _report(result.warnings)
    click.echo(_built(result, project))


def _built(result, project) -> str:
    """What a build did, in a line."""
    shown = project.shown(result.out)
    if not result.changed:
        return (f"Nothing changed: {_count(result.pages, 'page')} for {_count(result.circles, 'circle')} "
                f"already up to date in {shown} (checked in {result.seconds:.2f} s)")
    return (f"Built {_count(result.pages, 'page')} ({result.files} files, {result.changed} written) for "
            f"{_count(result.circles, 'circle')} in {result.seconds:.2f} s, "
            f"{_count(len(result.warnings), 'warning')} -> {shown}")


def _waiting() -> None:
    click.echo("Waiting for another build of this programme to finish...", err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _progress(done: int, total: int) -> None:
    """A one-line counter on a terminal, for builds with many circles (every 50 pages or so:
    workers report a circle's pages at once)."""
    if done == total or done // 50 != _progress.shown // 50:
        click.echo(f"\rRendering {done}/{total} pages", err=True, nl=done == total)
    _progress.shown = done


_progress.shown = 0


def _quiet(done: int, total: int) -> None:
    return None


@main.command("check")
@_root_option
@click.option("--strict", is_flag=True,
              help="Treat warnings as errors (`build --strict` also checks every link in the output).")
def check_command(root: Path, strict: bool) -> None:
    """Validate the handbook, every circle and the config without writing anything."""
    from .build.load import check_site

    try:
        site = check_site(load_project(root), strict=strict)
    except CirclepressError as exc:
        _fail(exc, writes=False)
    _report(site.warnings)
    click.echo(f"OK: {_count(len(site.handbook.pages), 'handbook page')}, {_count(len(site.circles), 'circle')}, "
               f"{_count(len(site.warnings), 'warning')}.")


@main.command("links")
@_root_option
@click.option("--base-url", default=None, metavar="URL",
              help="Where the site lives, e.g. 'https://user.github.io/repo/' (links need the host).")
@click.option("--qr", "qr_slug", default=None, metavar="SLUG", help="Also draw this circle's link as a QR code.")
@click.option("--svg", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --qr: write the QR code to this SVG file instead of the terminal.")
@click.option("--evaluation", "evaluation_slug", default=None, metavar="SLUG", is_flag=False, flag_value="",
              help="List this circle's evaluation rounds instead: each round's number, dates and form link.")
def links_command(root: Path, base_url: str | None, qr_slug: str | None, svg: Path | None,
                  evaluation_slug: str | None) -> None:
    """List every circle's address: public URLs and private circles' share links.

    A private link carries the key to the circle's pages after '#': send it to members only.
    With --evaluation SLUG, list that circle's evaluation rounds and each round's form link
    (it names the circle's folder and the round, never a member).
    """
    from .private.share_links import circle_links, qr_text, write_qr_svg
    from .build.load import load_site
    try:
        project = load_project(root, base_url=base_url)
        site = load_site(project)
        links = circle_links(site.project, site.circles)
    except CirclepressError as exc:
        _fail(exc)
    if evaluation_slug is not None:
        if qr_slug or svg:
            raise click.UsageError("--evaluation lists a circle's rounds; use --qr without it")
        _evaluation_links(project, site.circles, evaluation_slug)
        return
    if svg and not qr_slug:
        raise click.UsageError("--svg needs --qr SLUG")
    if qr_slug:  # a QR code is shown on a shared screen: print that circle's link alone
        chosen = next((link for link in links if link.slug == qr_slug), None)
        if chosen is None:
            raise click.BadParameter(f"no circle '{qr_slug}' (see `circlepress links` for the circles' names)",
                                     param_hint="--qr")
        links = [chosen]
    for link in links:
        kind = "private" if link.is_private else "public"
        note = " (members also need the circle's passphrase)" if link.uses_passphrase else ""
        click.echo(f"{link.slug} [{kind}] {link.name}\n  {link.url}{note}")
    if not project.origin:
        click.echo("Note: these links have no host; pass --base-url https://... or set base_url.", err=True)
    if qr_slug:
        if svg:
            write_qr_svg(chosen.url, svg)
            click.echo(f"Wrote the QR code for {qr_slug} to {svg}")
        else:
            click.echo(qr_text(chosen.url))


def _evaluation_links(project, circles, slug: str) -> None:
    """`links --evaluation SLUG`: the circle's rounds, one line each, with the round's form link."""
    from .evaluation.rounds import circle_folder, form_template, round_links
    from .programme.validation import suggest

    names = sorted(circle_folder(c) for c in circles)
    if not slug:
        raise click.UsageError("name the circle: `circlepress links --evaluation SLUG`, one of "
                               + (", ".join(names) or "(no circles yet)"))
    circle = next((c for c in circles if slug in (circle_folder(c), c.slug)), None)
    if circle is None:
        raise click.BadParameter(f"no circle '{slug}' ({suggest(slug, names) if names else 'there are no circles yet'})",
                                 param_hint="--evaluation")
    config = project.config.evaluation
    rounds = round_links(circle, config)
    template = form_template(circle, config)
    source = "its own 'links: evaluation:'" if circle.spec.links.evaluation else "circlepress.yaml's 'evaluation: form:'"
    click.echo(f"{circle_folder(circle)}: {_count(len(rounds), 'evaluation round')}, each open {config.open_days} days "
               f"or until the next round; form: {source if template else 'none'}")
    for r in rounds:
        click.echo(f"  round {r.number}  {r.opens} to {r.closes}  {r.link or '(no form link)'}")
    if not rounds:
        click.echo("  no rounds yet: they follow from the sessions, or list dates under 'evaluations:'")
    if not template:
        click.echo("Note: no form link; set 'evaluation: form:' in circlepress.yaml (with {circle} and {round}) "
                   "or the circle's 'links: evaluation:'.", err=True)


@main.command("form")
@_root_option
@click.option("--format", "output", type=click.Choice(["text", "csv"]), default="text", show_default=True,
              help="text: steps to build the form; csv: one row per column the report reads.")
def form_command(root: Path, output: str) -> None:
    """Print the evaluation questionnaire to build the form from, and the columns the report reads.

    The programme's questionnaire.yaml when it has one, else circlepress's default: each question's
    text, id, kind and answers, and the two prefilled questions, circle and round, that each round's
    form link fills in.
    """
    from .evaluation.form import form_csv, form_text
    from .evaluation.questionnaire import load_questionnaire

    try:
        questionnaire = load_questionnaire(root)
    except CirclepressError as exc:
        _fail(exc, writes=False)
    click.echo(form_csv(questionnaire) if output == "csv" else form_text(questionnaire), nl=False)


@main.command("report")
@_root_option
@click.argument("responses", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="The report's file, e.g. report.html (outside the programme's folder).")
@click.option("--comments", is_flag=True,
              help="Also list the free-text answers: every round and circle together, sorted, and only when 5 or more "
              "members of two or more circles wrote one.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The date the report says it is as of (never the clock's: the same answers give the same file).")
def report_command(root: Path, responses: tuple[Path, ...], out: Path, comments: bool, day) -> None:
    """Write an impact report from the form service's CSV exports: one HTML file for the institution.

    Per round, the responses and circles; per question, the programme's answers and each
    circle's share who agree, as charts with their numbers in tables. No figure is shown for
    fewer than 5 responses, nor one that the others would give away by subtraction.
    """
    from .build.report import make_report

    try:
        report, read, repeated = make_report(root, responses, out, comments=comments, day=day.date() if day else None)
    except CirclepressError as exc:
        _fail(exc)
    click.echo(f"Wrote the report of {_count(read, 'response')} from {_count(report.circles, 'circle')} "
               f"over {_count(len(report.rounds), 'round')} to {out}")
    if repeated:
        click.echo(f"({_count(repeated, 'response')} found in more than one export {'was' if repeated == 1 else 'were'} "
                   "counted once)")


@main.command("rotate")
@_root_option
@click.argument("slug")
@click.option("--base-url", default=None, metavar="URL",
              help="Where the site lives, e.g. 'https://user.github.io/repo/' (links need the host).")
def rotate_command(root: Path, slug: str, base_url: str | None) -> None:
    """Give private circle SLUG a new random key, and so a new link (e.g. when a member leaves).

    The old link stops working once the site is built and published again.
    """
    from .private.rotate_key import rotate_circle
    from .private.share_links import circle_link

    try:
        project = load_project(root, base_url=base_url)
        rotated = rotate_circle(project, slug)
    except CirclepressError as exc:
        _fail(exc)
    link = circle_link(project, rotated.circle)
    note = " (members also need the circle's passphrase)" if link.uses_passphrase else ""
    click.echo(f"Wrote a new key to {rotated.path}. The new link:\n  {link.url}{note}")
    click.echo("The old link stops working once the site is built and published again.")
    if not project.origin:
        click.echo("Note: this link has no host; pass --base-url https://... or set base_url.", err=True)


@main.command("edit")
@_root_option
@click.argument("slug")
@click.argument("page", required=False)
def edit_command(root: Path, slug: str, page: str | None) -> None:
    """Edit SLUG's circle.yaml (or its page PAGE) in $VISUAL/$EDITOR, sealed or plain.

    A private copy (0600) is opened, checked when the editor closes, and written back in the
    file's own form (sealed to the recipients as they are now) only if it changed; the copy is
    removed however the edit ends.
    """
    from .live.edit import Interrupted, edit

    def ask(problems) -> bool:
        _report(problems)
        choice = click.prompt("(e)dit again / (d)iscard", type=click.Choice(["e", "d"]), default="e",
                              err=True, show_choices=False)
        return choice == "e"

    try:
        project = load_project(root)
        edited = edit(project, slug, page, ask)
    except CirclepressError as exc:
        _fail(exc)
    except Interrupted as exc:
        click.echo(f"Stopped by {exc}; nothing was written and the temporary copy is gone.", err=True)
        sys.exit(1)
    if edited.changed:
        click.echo(f"Wrote {edited.path}.")
    else:
        click.echo(f"No change written; {edited.path} is as it was.")


@main.command("plan")
@_root_option
@click.argument("slug")
@click.option("--per-session", type=click.IntRange(1, 2), default=None,
              help="Facilitators per open session (default: planning.facilitators_per_session, else 1).")
@click.option("--write", is_flag=True, help="Write the plan into circle.yaml, keeping its comments and layout.")
def plan_command(root: Path, slug: str, per_session: int | None, write: bool) -> None:
    """Propose facilitators for SLUG's sessions that have none.

    Everyone leads at least once in the first year, the load is as even as the sessions
    allow, unavailable dates and co-facilitation wishes are respected, and sessions that
    already have facilitators are left alone. Without --write nothing changes.
    """
    from .calendar.plan_command import plan_circle  # OR-Tools is large: load it only for this command

    try:
        result = plan_circle(load_project(root), slug, per_session=per_session, write=write)
    except CirclepressError as exc:
        _fail(exc)
    names = result.names
    if not result.plan.assignments:
        click.echo("Every session already has facilitators; nothing to plan.")
    for a in result.plan.assignments:
        leaders = " and ".join(names[i] for i in a.facilitators)
        click.echo(f"{a.date:%a %d %b %Y}  {leaders}" + (f"  ({a.topic})" if a.topic else ""))
    loads = ", ".join(f"{names[i]} {n}" for i, n in result.plan.loads)
    click.echo(f"Sessions led: {loads} (spread {result.plan.spread})")
    if write and result.plan.assignments:
        click.echo(f"Wrote the facilitators of {_count(len(result.plan.assignments), 'session')} to {result.path}.")
    elif write and result.remembered is None:
        click.echo(f"Nothing to write: {result.path} is as it was.")
    if write:
        if result.remembered is not None:
            click.echo(f"Also wrote planning: {{facilitators_per_session: {result.remembered}}}, "
                       f"so the next plan uses {result.remembered} without --per-session.")
    elif result.plan.assignments:
        click.echo("Nothing written; run again with --write to save this plan.")


@main.command("serve")
@_root_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--bind", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback lets other machines read the site (0.0.0.0: all).")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in the default browser.")
@click.option("--base-url", default=None, metavar="URL", help="Serve under this base path instead of the config's.")
@click.option("--drafts", is_flag=True, help="Also serve pages marked `draft: true`, labelled Draft.")
def serve_command(root: Path, port: int, bind: str, open_browser: bool, base_url: str | None, drafts: bool) -> None:
    """Serve the site locally, rebuild what changes as you save, and reload open tabs.

    The site is served under its base path (e.g. /repo/), 404 page included, exactly as a
    static host serves it. Errors show in the terminal and over the page; the last good site
    stays up. Nothing is written to the output folder.
    """
    from .live.serve import CannotListen, serve

    try:
        serve(root, port=port, bind=bind, base_url=base_url, open_browser=open_browser, drafts=drafts,
              say=lambda text: click.echo(text, err=True))
    except CannotListen as exc:
        raise click.ClickException(str(exc)) from None
    except CirclepressError as exc:
        _fail(exc)


class _NewGroup(_Group):
    """`new circle SLUG`, and `new DIR` for a whole programme (any other first word is a folder)."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            return "programme", self.commands["programme"], args
        return super().resolve_command(ctx, args)


@main.group("new", cls=_NewGroup, context_settings={"ignore_unknown_options": True})
def new_group() -> None:
    """Start a programme (`circlepress new DIR`) or a circle (`circlepress new circle SLUG`)."""


@new_group.command("programme")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--upgrade", is_flag=True,
              help="In an existing programme FOLDER: vendor this circlepress's wheel for its workflow, nothing else.")
def new_programme_command(folder: Path, upgrade: bool) -> None:
    """Create FOLDER: a programme repository ready to push to GitHub and publish on Pages."""
    from .scaffold.new import nested_programme, new_programme, upgrade_programme

    if not upgrade and (refusal := nested_programme(folder)):
        raise click.ClickException(refusal)
    try:
        written = upgrade_programme(folder) if upgrade else new_programme(folder)
    except CirclepressError as exc:
        _fail(exc)
    if upgrade:
        click.echo(f"Wrote {', '.join(written)} in {folder}: its workflow now installs circlepress {__version__}. "
                   "Commit them, then push.")
        return
    click.echo(f"Wrote {len(written)} files to {folder}. Next: cd {folder}; circlepress serve --open. "
               "To publish, follow its README.md.")


@new_group.command("circle")
@_root_option
@click.argument("slug")
@click.option("--sealed", is_flag=True, help="Start it sealed: circle.yaml.age, to the keys in recipients.txt.")
def new_circle_command(root: Path, slug: str, sealed: bool) -> None:
    """Write sites/SLUG/circle.yaml: a commented, valid circle to fill in (--sealed: circle.yaml.age)."""
    from .scaffold.new import missing_programme, new_circle

    if refusal := missing_programme(root):
        raise click.ClickException(refusal)
    try:
        path = new_circle(load_project(root), slug, sealed=sealed)
    except CirclepressError as exc:
        _fail(exc)
    fill = f" with `circlepress edit {slug}`" if sealed else ""
    click.echo(f"Wrote {path}. Fill it in{fill}, then run `circlepress check`.")


@main.group("keys")
def keys_group() -> None:
    """This computer's age identity, which opens sealed circles."""


@keys_group.command("new")
@click.option("--force", is_flag=True, help="Replace an identity file that is already there.")
def keys_new_command(force: bool) -> None:
    """Write a new identity to the default identity file (0600) and print its public key."""
    from .programme.agefiles import RECIPIENTS_FILE, default_key_file, new_identity

    path = default_key_file()
    try:
        public = new_identity(path, force)
    except CirclepressError as exc:
        _fail(exc)
    click.echo(f"Wrote a new identity to {path}. Its public key:\n{public}\n"
               f"Add that line to {RECIPIENTS_FILE}, and have someone who can read the sealed circles run "
               "`circlepress reseal`.")


@keys_group.command("show")
def keys_show_command() -> None:
    """Print the public key of the identity circlepress uses (CIRCLEPRESS_AGE_KEY, ..._FILE or the default file)."""
    from .programme.agefiles import identities

    found = identities()
    if found.problem is not None:
        _fail(CirclepressError([found.problem]))
    if not found.public_keys():
        click.echo(f"No identity yet ({found.tried}). Run `circlepress keys new`.", err=True)
        sys.exit(1)
    for key in found.public_keys():
        click.echo(key)
    click.echo(f"(from {found.tried.removeprefix('the ')})", err=True)


@main.command("seal")
@_root_option
@click.argument("slugs", nargs=-1, metavar="SLUG...")
@click.option("--all", "every_private", is_flag=True, help="Seal every private circle.")
def seal_command(root: Path, slugs: tuple[str, ...], every_private: bool) -> None:
    """Encrypt every file of the circles' folders to recipients.txt; the plaintext is removed."""
    from .build.load import load_site
    from .private.sealing import seal

    if not slugs and not every_private:
        raise click.UsageError("name the circles to seal, or pass --all")
    try:
        project = load_project(root)
        written = seal(project, list(slugs), every_private, lambda: load_site(project, to_seal=True).circles)
    except CirclepressError as exc:
        _fail(exc)
    for path in written:
        click.echo(f"Sealed {project.shown(path)}")
    click.echo(f"Sealed {_count(len(written), 'file')}; commit them (the plaintext is gone).")


@main.command("reseal")
@_root_option
def reseal_command(root: Path) -> None:
    """Re-encrypt every sealed file to the recipients as they are now (after adding or removing one)."""
    from .private.sealing import reseal

    try:
        project = load_project(root)
        written = reseal(project)
    except CirclepressError as exc:
        _fail(exc)
    click.echo(f"Resealed {_count(len(written), 'file')} to the recipients as they are now. Files in old "
               "commits still open with removed keys: run `circlepress rotate SLUG` as well.")


@main.command("decrypt")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def decrypt_command(file: Path) -> None:
    """Print a sealed file's plaintext (git's textconv: `git config diff.circlepress.textconv "circlepress decrypt"`)."""
    from .programme.agefiles import decrypt

    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(CirclepressError([Problem.from_os_error(exc)]))
    try:
        plain = decrypt(data, str(file)) if data else b""
    except CirclepressError as exc:
        _fail(exc)
    sys.stdout.buffer.write(plain)


@main.command("schema")
@click.argument("file", type=click.Choice(["circle.yaml", "circlepress.yaml", "questionnaire.yaml"]), required=False)
@click.option("--markdown", is_flag=True, help="Print the configuration reference (docs/configuration.md) instead.")
def schema_command(file: str | None, markdown: bool) -> None:
    """Print the JSON Schema of circle.yaml, circlepress.yaml or questionnaire.yaml, or with --markdown
    the configuration reference of all three, every key with its type, default and an example (all made
    from the same schema)."""
    from .programme.reference import SCHEMAS, as_json, configuration_markdown

    if markdown == (file is not None):
        raise click.UsageError("give circle.yaml, circlepress.yaml or questionnaire.yaml, or --markdown")
    click.echo(configuration_markdown() if markdown else as_json(SCHEMAS[file]()), nl=False)


if __name__ == "__main__":  # `python -m circlepress.cli`, as from a source tree
    main()
