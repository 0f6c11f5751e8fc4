"""The handbook: markdown pages with front matter, parsed once for every circle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from pydantic import Field

from .errors import CirclepressError, Location, Problem
from .markdown import Fragments, PageLink, parse_markdown
from .memo import Memo, NoMemo
from .resources import EXAMPLE_CIRCLE
from .schema import Line, Model, Text
from .source import escaping_link, split_front_matter, read_text
from .urls import NAME_HINT, name_problem
from .validation import suggest, validate

AGREEMENT_PAGE = "agreement.md"
RESERVED = {"circles", "assets", "p", "404.html", "sitemap.xml", "robots.txt"}  # "p": private circles (privacy.PRIVATE_ROOT)


class PageMeta(Model):
    """Front matter of a handbook page."""

    title: Text
    summary: str = ""
    step: int | None = Field(None, ge=1, le=99)
    checklist: list[Line] = Field(default_factory=list)
    order: int = 100
    draft: bool = False
    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class HandbookPage:
    """One published page: its source, front matter, parsed body and output folder."""

    source: str  # relative to the content root, e.g. 'steps/08-make-a-calendar.md'
    meta: PageMeta
    body: Fragments
    url: str  # output folder relative to the site root, '' for the home page
    digest: str = ""  # of the source file: what the page's outputs depend on

    @property
    def is_step(self) -> bool:
        return self.meta.step is not None


@dataclass(frozen=True)
class Handbook:
    """Published pages in navigation order (guide pages, then steps) and the default agreement."""

    pages: tuple[HandbookPage, ...]
    agreement: Fragments | None
    assets: tuple[tuple[str, Path], ...]  # (output path, source file) of images and other files

    @property
    def steps(self) -> tuple[HandbookPage, ...]:
        return tuple(p for p in self.pages if p.is_step)

    def page(self, source: str) -> HandbookPage | None:
        return next((p for p in self.pages if p.source == source), None)


def _url_for(source: str, meta: PageMeta) -> str:
    path = PurePosixPath(source).with_suffix("")
    parts = list(path.parts)
    if parts[-1] == "index":
        parts.pop()
    elif meta.slug:
        parts[-1] = meta.slug
    return "/".join(parts) + "/" if parts else ""


def _is_hidden(rel: PurePosixPath) -> bool:
    return any(part.startswith(("_", ".")) for part in rel.parts)


def load_page(path: Path, source: str, shown: str, digest: str = "") -> tuple[HandbookPage | None, list[Problem]]:
    """Read one markdown page; None (with problems) when it cannot be used."""
    try:
        front = split_front_matter(read_text(path, shown), shown)
        meta = validate(PageMeta, front.meta)
    except CirclepressError as exc:
        return None, list(exc.problems)
    parsed = parse_markdown(front.body, shown, source_dir=PurePosixPath(source).parent.as_posix(),
                            first_line=front.body_line)
    page = HandbookPage(source, meta, parsed.fragments, _url_for(source, meta), digest)
    top = page.url.split("/", 1)[0]
    problems = list(parsed.problems)
    if top in RESERVED:
        problems.append(Problem(Location(shown), f"the page would be published at '{page.url}', which circlepress uses",
                                "rename the file or set another slug"))
    elif why := name_problem(page.url):
        where = front.meta.locate(("slug",)) if meta.slug else Location(shown)
        problems.append(Problem(where, f"the page would be published at '{page.url}': {why}", NAME_HINT))
    return page, problems


def load_handbook(content_dir: Path, shown: Callable[[Path], str], memo: Memo = NoMemo()) -> Handbook:
    """Load every `.md` page under `content_dir`; raise with all problems at once.

    With a `memo`, a page whose file is unchanged is not read into markdown again.
    """
    pages: list[HandbookPage] = []
    assets: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
        rel = PurePosixPath(path.relative_to(content_dir).as_posix())
        if _is_hidden(rel) or rel.as_posix() == EXAMPLE_CIRCLE:
            continue
        if (escape := escaping_link(path, content_dir, shown(path))) is not None:
            problems.append(escape)  # a link out of content/ could publish a secret or a private circle
            continue
        if rel.suffix != ".md":
            if why := name_problem(rel.as_posix()):
                problems.append(Problem(Location(shown(path)), f"the file would be published as is: {why}",
                                        NAME_HINT))
                continue
            assets.append((rel.as_posix(), path))
            continue
        stamp = memo.content_stamp(path)
        page, found = memo.get(("page", str(path)), stamp, lambda: load_page(path, rel.as_posix(), shown(path), stamp))
        problems += found
        if page is not None:
            pages.append(page)
    agreement = next((p.body for p in pages if p.source == AGREEMENT_PAGE), None)
    published = [p for p in pages if not p.meta.draft]
    problems += _check_pages(published, {p.source for p in pages if p.meta.draft}, content_dir, shown)
    if any(p.is_error for p in problems):
        raise CirclepressError(problems)
    guide = sorted((p for p in published if not p.is_step), key=lambda p: (p.meta.order, p.meta.title))
    steps = sorted((p for p in published if p.is_step), key=lambda p: p.meta.step)
    return Handbook(tuple(guide + steps), agreement, tuple(assets))


def _check_pages(pages: list[HandbookPage], drafts: set[str], content_dir: Path,
                 shown: Callable[[Path], str]) -> list[Problem]:
    """Cross-page rules: unique steps and URLs, links that reach a published page."""
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
        for slot in page.body.slots:
            if isinstance(slot, PageLink) and slot.target not in sources:
                hint = "that page is a draft" if slot.target in drafts else suggest(slot.target, sources)
                problems.append(Problem(slot.location, f"link to '{slot.target}', which is not a published page", hint))
    return problems
