"""The handbook: markdown pages with front matter, parsed once for every circle."""

from __future__ import annotations

import difflib
import posixpath
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Annotated, Callable

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .errors import CirclepressError, Location, Problem, Severity
from .inert import inert_problems
from .markdown import FileLink, Fragments, PageLink, parse_markdown
from .memo import Memo, NoMemo
from .resources import EXAMPLE_CIRCLE
from .schema import Line, Model, Text
from .source import published_files, split_front_matter, read_text
from .urls import NAME_HINT, name_problem
from .validation import suggest, validate_partly

AGREEMENT_PAGE = "agreement.md"
RESERVED = {"circles", "assets", "p", "404.html", "sitemap.xml", "robots.txt"}  # "p": private circles (privacy.PRIVATE_ROOT)
CIRCLE_SITE = ("index", "calendar", "topics", "agreement")  # a circle's own pages, beside its copies of the steps


# The phases a step belongs to, in order, with the heading `{{< steps >}}` lists it under.
PHASES = {"before-the-first-meeting": "Before the first meeting", "in-the-first-sessions": "In the first sessions",
          "while-the-circle-runs": "While the circle runs"}


def _check_phase(value: str) -> str:
    if value not in PHASES:
        close = difflib.get_close_matches(value, list(PHASES), n=1, cutoff=0.5)
        raise PydanticCustomError("bad_phase", "'{value}' is not a phase", {"value": value, "hint": (
            f"did you mean '{close[0]}'? " if close else "") + "the phases are " + ", ".join(PHASES)})
    return value


class PageMeta(Model):
    """Front matter of a handbook page."""

    title: Text
    summary: str = ""
    step: int | None = Field(None, ge=1, le=99)
    checklist: list[Line] = Field(default_factory=list)
    order: int = 100
    draft: bool = False
    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    aliases: list[str] = Field(default_factory=list)  # old addresses, each given a redirect page
    phase: Annotated[str, AfterValidator(_check_phase)] | None = None  # a step's: where `{{< steps >}}` lists it


@dataclass(frozen=True)
class HandbookPage:
    """One published page: its source, front matter, parsed body and output folder."""

    source: str  # relative to the content root, e.g. 'steps/08-make-a-calendar.md'
    meta: PageMeta
    body: Fragments
    url: str  # output folder relative to the site root, '' for the home page
    digest: str = ""  # of the source file: what the page's outputs depend on
    aliases: tuple[tuple[str, Location], ...] = ()  # (old folder, where its alias is written): redirects
    phase_at: Location | None = None  # where `phase:` is written
    number: int | None = None  # a step's place among the published steps, 1.. ("Step N of M"; drafts left out)

    @property
    def is_step(self) -> bool:
        return self.meta.step is not None


@dataclass(frozen=True)
class Handbook:
    """Published pages in navigation order (guide pages, then steps) and the default agreement."""

    pages: tuple[HandbookPage, ...]
    agreement: Fragments | None
    assets: tuple[tuple[str, Path], ...]  # (output path, source file) of images and other files
    warnings: tuple[Problem, ...] = ()
    draft_steps: tuple[str, ...] = ()  # identities of the steps left out as drafts

    @property
    def steps(self) -> tuple[HandbookPage, ...]:
        return tuple(p for p in self.pages if p.is_step)

    def page(self, source: str) -> HandbookPage | None:
        return next((p for p in self.pages if p.source == source), None)

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The steps grouped by phase, each in `step:` order; steps without one last, untitled."""
        groups = [Phase(key, title, tuple(p for p in self.steps if p.meta.phase == key)) for key, title in PHASES.items()]
        loose = tuple(p for p in self.steps if p.meta.phase is None)
        if loose:
            groups.append(Phase("", "Other steps" if len(loose) < len(self.steps) else "", loose))
        return tuple(g for g in groups if g.steps)


@dataclass(frozen=True)
class Phase:
    """One part of the route through the steps (`phase:`), for the generated list of steps."""

    key: str  # also the heading's id: 'before-the-first-meeting'
    title: str  # '' when no step has a phase (one list, no heading)
    steps: tuple[HandbookPage, ...]


NUMBER_PREFIX = re.compile(r"^[0-9]+[-_]")


def step_identity(page: "HandbookPage") -> str:
    """What names a step for good (its address's last part): `foster-community` for
    `steps/10-foster-community.md`; its place in the order comes from `step:` alone."""
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def alias_folder(alias: str) -> str | None:
    """An alias as the site-relative path it names: a folder (`steps/10-x/`), or a file when it
    names an `.html` file (`old.html`, written as that file, as Hugo does); None when it leaves the site."""
    path = alias.strip().strip("/")
    if not path or alias.startswith(("/", "\\")) or "\\" in alias or ":" in alias or "?" in alias or "#" in alias:
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path if path.lower().endswith(".html") and not alias.rstrip().endswith("/") else path + "/"


def alias_output(folder: str) -> str:
    """The file a redirect at an alias's path is written to: the file itself, or the folder's index.html."""
    return folder + "index.html" if folder.endswith("/") else folder


# What circlepress writes at the top of the site, for a message about an alias or a page there.
RESERVED_WHAT = {"circles": "the list of circles and the circles' sites", "assets": "the theme's files",
                 "p": "the private circles' sites", "404.html": "the page shown for an unknown address",
                 "sitemap.xml": "the sitemap", "robots.txt": "the rules for search engines"}
CIRCLE_TOP = {"index.html", "calendar.ics", *CIRCLE_SITE}  # what a circle's site writes beside its steps


def _spelling_problem(alias: str) -> str | None:
    """Why an alias cannot be an address a link reaches as written (a %-escape, a space), or None."""
    if "%" in alias:
        return "has a %-escape, which servers decode before looking for the file: nothing written there is served"
    if any(c.isspace() for c in alias.strip()):
        return "has a space, which a link's address cannot have"
    return None


def _url_for(source: str, meta: PageMeta) -> str:
    path = PurePosixPath(source).with_suffix("")
    parts = list(path.parts)
    if parts[-1] == "index":
        parts.pop()
    elif meta.slug:
        parts[-1] = meta.slug
    elif meta.step is not None:  # a step's identity: its file name without a number prefix
        parts[-1] = NUMBER_PREFIX.sub("", parts[-1]) or parts[-1]
    return "/".join(parts) + "/" if parts else ""


def load_page(path: Path, source: str, shown: str, digest: str = "") -> tuple[HandbookPage | None, list[Problem]]:
    """Read one markdown page; None (with problems) when it cannot be used."""
    try:
        front = split_front_matter(read_text(path, shown), shown)
    except CirclepressError as exc:
        return None, list(exc.problems)
    # A key that fails (a bad `phase:`) is reported and left out: the page stays, for its links and the steps.
    meta, schema_problems, _, replaced = validate_partly(PageMeta, front.meta, {"title": "untitled"}, ())
    if meta is None:
        return None, schema_problems
    parsed = parse_markdown(front.body, shown, source_dir=PurePosixPath(source).parent.as_posix(),
                            first_line=front.body_line, files=True)
    aliases = tuple((folder, front.meta.locate(("aliases", i))) for i, alias in enumerate(meta.aliases)
                    if (folder := alias_folder(alias)) is not None and not _reserved(folder)
                    and not _spelling_problem(alias) and not name_problem(folder))
    page = HandbookPage(source, meta, parsed.fragments, _url_for(source, meta), digest, aliases,
                        front.meta.locate(("phase",), key=True) if meta.phase is not None else None)
    problems = schema_problems + list(parsed.problems)
    if meta.phase is not None and meta.step is None and "step" not in replaced:
        problems.append(Problem(front.meta.locate(("phase",), key=True), "'phase' is for step pages only",
                                "add 'step:' to make the page a step, or remove 'phase:'"))
    if _reserved(page.url):
        problems.append(Problem(Location(shown), f"the page would be published at '{page.url}', which circlepress uses",
                                "rename the file or set another slug"))
    elif why := name_problem(page.url):
        where = front.meta.locate(("slug",)) if meta.slug else Location(shown)
        problems.append(Problem(where, f"the page would be published at '{page.url}': {why}", NAME_HINT))
    for i, alias in enumerate(meta.aliases):
        folder = alias_folder(alias)
        if why := _spelling_problem(alias):
            problems.append(Problem(front.meta.locate(("aliases", i)), f"the alias '{alias}' {why}",
                                    "write the address as a browser shows it, with '-' for a space, e.g. "
                                    "steps/old-name/"))
        elif folder is None:
            problems.append(Problem(front.meta.locate(("aliases", i)),
                                    f"the alias '{alias}' is not an address inside the site",
                                    "write the old address relative to the site root, e.g. steps/10-foster-community/"))
        elif why := name_problem(folder):
            problems.append(Problem(front.meta.locate(("aliases", i)), f"the alias '{alias}' cannot be written: {why}",
                                    NAME_HINT))
        elif _reserved(folder):
            top = next(name for name in RESERVED if fold(name) == fold(folder.split("/")[0]))
            where_ = f"is the address of {RESERVED_WHAT[top]}, which circlepress writes" \
                if fold(folder.rstrip("/")) == fold(top) else \
                f"would write a redirect in '{top}/', where circlepress writes {RESERVED_WHAT[top]}"
            problems.append(Problem(front.meta.locate(("aliases", i)), f"the alias '{alias}' {where_}",
                                    "remove the alias, or give it another address"))
        elif meta.step is not None and fold(folder.split("/")[0]) in {fold(n) for n in CIRCLE_TOP}:
            # a step's alias is written in every circle's site too
            problems.append(Problem(front.meta.locate(("aliases", i)),
                                    f"the alias '{alias}' would redirect at each circle's '{folder.split('/')[0]}"
                                    f"{'/' if '/' in folder else ''}' "
                                    "too, which the circle's site uses",
                                    "remove the alias, or give it another address"))
    return page, problems


def fold(name: str) -> str:
    """A name as case-insensitive, normalising file systems compare it (Unicode canonical caseless match)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def _reserved(output: str) -> bool:
    """Whether an output path is, or is inside, one that circlepress writes itself (in any case)."""
    return fold(output.split("/", 1)[0]) in {fold(name) for name in RESERVED}


def collisions(names: list[tuple[str, Location]], verb: str) -> list[Problem]:
    """Paths (with where each comes from) that differ, or lie in folders that differ, only in case
    or Unicode normalisation: one file or folder on macOS and Windows, so one overwrites the other."""
    seen: dict[str, tuple[str, Location]] = {}
    problems = []
    for name, where in names:
        parts = name.rstrip("/").split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth]) + ("/" if depth < len(parts) or name.endswith("/") else "")
            spelled, first = seen.setdefault(fold(prefix), (prefix, where))
            if spelled != prefix:
                how = "written in another Unicode form (NFC, NFD), which normalising file systems take for one name" \
                    if unicodedata.normalize("NFC", prefix) == unicodedata.normalize("NFC", spelled) \
                    else "but for case, which case-insensitive file systems take for one name"
                problems.append(Problem(where, f"{verb} '{prefix}', the same as '{spelled}' ({first.path}) {how}",
                                        "rename one of them so that their names differ by more than case or accents"))
                break
    return problems


def load_handbook(content_dir: Path, shown: Callable[[Path], str], memo: Memo = NoMemo(), *,
                  drafts: bool = False) -> Handbook:
    """Load every `.md` page under `content_dir`; raise with all problems at once (warnings alone
    are kept in the handbook).

    With a `memo`, a page whose file is unchanged is not read into markdown again.
    """
    pages: list[HandbookPage] = []
    assets: list[tuple[str, Path]] = []
    files, problems = published_files(content_dir, shown)  # a link out of content/ could publish a secret
    for rel, path in files:
        if rel.as_posix() == EXAMPLE_CIRCLE:
            continue
        if rel.suffix != ".md":
            if why := name_problem(rel.as_posix()):
                problems.append(Problem(Location(shown(path)), f"the file would be published as is: {why}",
                                        NAME_HINT))
                continue
            refused = memo.get(("asset", str(path)), memo.content_stamp(path),
                               lambda: inert_problems(path, shown(path)))
            problems += refused  # only inert files: anything a browser runs could read a private circle's key
            if not refused:
                assets.append((rel.as_posix(), path))
            continue
        stamp = memo.content_stamp(path)
        page, found = memo.get(("page", str(path)), stamp, lambda: load_page(path, rel.as_posix(), shown(path), stamp))
        problems += found
        if page is not None:
            pages.append(page)
    agreement = next((p.body for p in pages if p.source == AGREEMENT_PAGE), None)
    published = [p for p in pages if drafts or not p.meta.draft]  # drafts only in a `--drafts` preview
    unread = {rel.as_posix() for rel, _ in files if rel.suffix == ".md"} - {p.source for p in pages}
    problems += _check_pages(published, {p.source for p in pages if p not in published}, content_dir, shown,
                             {rel for rel, _ in assets}, {rel.as_posix() for rel, _ in files}, unread)
    problems += [Problem(Location(shown(path)), f"the file would be published at '{rel}', which circlepress uses",
                         "move it to another folder") for rel, path in assets if _reserved(rel)]
    problems += collisions(sorted([(p.url or "index.html", Location(shown(content_dir / p.source))) for p in published]
                                  + [(rel, Location(shown(path))) for rel, path in assets]), "publishes to")
    guide = sorted((p for p in published if not p.is_step), key=lambda p: (p.meta.order, p.meta.title))
    steps = [replace(p, number=i) for i, p in enumerate(sorted((p for p in published if p.is_step),
                                                                key=lambda p: p.meta.step), start=1)]
    left_out = tuple(sorted(step_identity(p) for p in pages if p.is_step and p not in published))
    problems += _backward_phases(steps)
    if any(p.is_error for p in problems):
        # Circles are still checked against the steps that loaded; a page that could not be read
        # at all may be a step, so its likely id is accepted too (no second, misleading error).
        unread_ids = {NUMBER_PREFIX.sub("", PurePosixPath(source).stem) or PurePosixPath(source).stem
                      for source in unread}
        raise HandbookError(problems, Handbook(tuple(guide + steps), agreement, tuple(assets), (),
                                               tuple(sorted(set(left_out) | unread_ids))))
    return Handbook(tuple(guide + steps), agreement, tuple(assets), tuple(problems), left_out)


class HandbookError(CirclepressError):
    """The handbook's problems, with what did load (`partial`), for circles to be checked against."""

    def __init__(self, problems, partial: "Handbook | None" = None):
        super().__init__(problems)
        self.partial = partial


def _check_pages(pages: list[HandbookPage], drafts: set[str], content_dir: Path,
                 shown: Callable[[Path], str], assets: set[str] = frozenset(),
                 present: set[str] = frozenset(), unread: set[str] = frozenset()) -> list[Problem]:
    """Cross-page rules: unique steps and URLs, links that reach a published page or file (a link
    to a page that could not be read is no second error: that page's own is reported)."""
    problems: list[Problem] = []
    seen_steps: dict[int, str] = {}
    seen_urls: dict[str, str] = {}
    sources = sorted(p.source for p in pages)
    for page in pages:
        where = Location(shown(content_dir / page.source))
        if page.is_step and page.meta.step in seen_steps:
            problems.append(Problem(where, f"step {page.meta.step} is also given by {seen_steps[page.meta.step]}",
                                    "give each step page its own number"))
        if page.url in seen_urls:
            problems.append(Problem(where, f"publishes to '{page.url}' like {seen_urls[page.url]}",
                                    "rename one file or change its slug"))
        seen_steps.setdefault(page.meta.step, page.source)
        seen_urls.setdefault(page.url, page.source)
    problems += _alias_clashes(pages, assets)
    for page in pages:
        for slot in page.body.slots:
            if isinstance(slot, PageLink) and slot.target not in sources and slot.target not in unread:
                close = difflib.get_close_matches(slot.target, sources, n=1, cutoff=0.6)
                hint = "that page is a draft" if slot.target in drafts else \
                    f"did you mean '{_from_page(close[0], page.source)}'?" if close else suggest(slot.target, sources)
                problems.append(Problem(slot.location, f"link to '{slot.target}', which is not a published page", hint))
            elif isinstance(slot, FileLink) and slot.target not in assets and slot.target not in present:
                close = difflib.get_close_matches(slot.target, sorted(assets), n=1, cutoff=0.8)
                hint = f"did you mean '{_from_page(close[0], page.source)}'?" if close else "put the file there, or " \
                    "fix the path: a path is " \
                    "read from the page's own folder, or from content/ when it starts with /"
                problems.append(Problem(slot.location, f"link to content/{slot.target}, which does not exist", hint))
    return problems


def _from_page(target: str, source: str) -> str:
    """A path under content/ as a link in the page `source` writes it: from the page's own folder."""
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def _alias_clashes(pages: list[HandbookPage], assets: set[str]) -> list[Problem]:
    """Each alias whose redirect would land on a file the build writes (a page, a content file,
    another alias's redirect), inside one, or where one needs a folder; ignoring case, as
    case-insensitive disks do."""
    files = {fold(p.url + "index.html"): (p.url + "index.html", p.source) for p in pages}
    files |= {fold(rel): (rel, f"the file content/{rel}") for rel in assets}
    problems: list[Problem] = []
    for page in pages:
        for folder, where in page.aliases:
            if clash := _clash(folder, files, page.source):
                problems.append(Problem(where, f"the alias '{folder}' {clash}",
                                        "remove the alias: a redirect there would replace it"
                                        if "is the address" in clash else "remove the alias, or give it another address"))
                continue
            files[fold(alias_output(folder))] = (alias_output(folder), f"an alias in {page.source}")
    return problems


def _clash(folder: str, files: dict[str, tuple[str, str]], source: str) -> str | None:
    """How an alias's redirect collides with one of `files` (folded path -> (path, what writes it)), or None."""
    output = alias_output(folder)
    parts = output.split("/")

    def what(path: str) -> str:
        spelled, by = files[path]
        return ("that page itself" if by == source else by) + (
            f" ('{spelled}' but for case, which case-insensitive disks take for one name)" if spelled != output else "")
    if fold(output) in files:
        return f"is the address of {what(fold(output))}"
    for depth in range(1, len(parts)):
        prefix = fold("/".join(parts[:depth]))
        if prefix in files:
            return f"would write its redirect inside '{files[prefix][0]}', which is a file: {files[prefix][1]}"
    inside = next((path for path in files if path.startswith(fold(output) + "/")), None)
    if inside is not None:
        return f"would write a file at '{output}', the folder of {files[inside][1]} ('{files[inside][0]}')"
    return None


def _backward_phases(steps: list[HandbookPage]) -> list[Problem]:
    """A warning at each step whose phase comes before the phase of an earlier step (in `step:`
    order): the list and the navigation would send the reader back in time."""
    order = {key: i for i, key in enumerate(PHASES)}
    problems, latest = [], None
    for page in steps:
        if page.meta.phase is None:
            continue
        if latest is not None and order[page.meta.phase] < order[latest.meta.phase]:
            problems.append(Problem(page.phase_at, f"step {page.meta.step}'s phase '{page.meta.phase}' comes before the phase "
                                    f"'{latest.meta.phase}' of step {latest.meta.step} ({latest.source})",
                                    "swap the steps' numbers, or give one of them another phase",
                                    Severity.WARNING))
        else:
            latest = page
    return problems

