"""Markdown to HTML, parsed once: static HTML with slots for shortcodes and page links.

A page is parsed a single time into `Fragments`; each circle (or the public handbook)
then fills the slots, so a step written once shows every circle's own data.

Shortcodes look like `{{< sessions >}}` on a line of their own or inline. Links to
other pages are written to their source files (`[Step 8](08-make-a-calendar.md)`), and
links and images to files beside them (`![..](images/circle.png)`) to those files; both
become relative URLs wherever the page is published. Raw HTML is off, links with
schemes other than http(s), mailto and tel are errors, and images from other hosts are warnings.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Union
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.anchors.index import slugify
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .errors import Location, Problem, Severity
from .inert import INERT
from .urls import SCHEME, link_problem

_SHORTCODE = re.compile(r"\{\{<\s*([a-z][a-z0-9-]*)((?:\s+[^\s>]+)*)\s*>\}\}")
_SCHEMES = ("https", "http", "mailto", "tel")
_SLOT = "\x00"
_NORMALIZE = MarkdownIt().normalizeLink  # percent-encodes what a link may hold raw (e.g. non-ASCII)
NOTES = "\x01notes\x01"  # in footnotes' ids, until the page they are filled into numbers each body's


@dataclass(frozen=True)
class Shortcode:
    """A `{{< name args >}}` placeholder, filled per circle."""

    name: str
    args: tuple[str, ...]
    location: Location
    block: bool


@dataclass(frozen=True)
class PageLink:
    """A link to another source page, resolved to a URL where the page is published."""

    target: str  # source path relative to the content root, e.g. 'steps/08-make-a-calendar.md'
    fragment: str
    location: Location


@dataclass(frozen=True)
class Anchor:
    """A heading's id, made unique on the page it is filled into: the theme's own ids (`main`,
    `menu`) and the page's other headings, from any markdown on it, keep theirs."""

    slug: str


@dataclass(frozen=True)
class FileLink:
    """A link or image to a file in `content/` (an image, a PDF): published at its one path beside the
    handbook, and reached from every copy of the page (the handbook's, each circle's) at its depth."""

    target: str  # relative to the content root, unquoted, e.g. 'images/circle.png'
    fragment: str
    location: Location


Slot = Union[Shortcode, PageLink, FileLink]


@dataclass(frozen=True)
class Fragments:
    """Rendered HTML split around slots: str parts are final, slots are filled later."""

    parts: tuple[Union[str, Slot, Anchor], ...]
    source: str = ""  # the file it was parsed from, as messages show it
    links: tuple[tuple[str, Location], ...] = ()  # each link and image it makes (page links aside) and where

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(p for p in self.parts if isinstance(p, (Shortcode, PageLink, FileLink)))

    def fill(self, render_slot: Callable[[Union[Slot, Anchor]], str]) -> str:
        """The final HTML, with each slot replaced by `render_slot(slot)`."""
        return "".join(p if isinstance(p, str) else render_slot(p) for p in self.parts)


@dataclass(frozen=True)
class Parsed:
    fragments: Fragments
    problems: tuple[Problem, ...]


def _block_shortcode(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    begin = state.bMarks[start] + state.tShift[start]
    line = state.src[begin:state.eMarks[start]]
    match = _SHORTCODE.fullmatch(line.rstrip())
    if not match or state.sCount[start] - state.blkIndent >= 4:
        return False
    if not silent:
        token = state.push("shortcode", "", 0)
        token.map = [start, start + 1]
        token.meta = {"name": match.group(1), "args": tuple(match.group(2).split()), "block": True,
                      "column": state.sCount[start] + 1}
        state.line = start + 1
    return True


def _inline_shortcode(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("{{<", state.pos):
        return False
    match = _SHORTCODE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("shortcode", "", 0)
        token.meta = {"name": match.group(1), "args": tuple(match.group(2).split()), "block": False,
                      "newlines": state.src.count("\n", 0, state.pos),
                      "column": state.pos - state.src.rfind("\n", 0, state.pos)}
    state.pos = match.end()
    return True


@functools.cache
def _parser() -> MarkdownIt:
    md = (MarkdownIt("commonmark", {"html": False, "typographer": True})
          .enable(["table", "strikethrough", "replacements", "smartquotes"])
          .use(footnote_plugin)
          .use(tasklists_plugin))
    md.validateLink = lambda url: True  # unsafe schemes are reported, not silently dropped
    md.normalizeLink = lambda url: url  # checked whole as written, then normalised (_Collector.check_link)
    md.block.ruler.before("paragraph", "shortcode", _block_shortcode)
    md.inline.ruler.before("text", "shortcode", _inline_shortcode)
    md.add_render_rule("shortcode", lambda self, tokens, idx, options, env: tokens[idx].meta["slot"])
    return md


class _Collector:
    """Walks the token stream: records slots and problems, rewrites page links."""

    def __init__(self, path: str, source_dir: str, first_line: int, lines: list[str], first_column: int | None,
                 files: bool = False):
        self.path, self.source_dir, self.first_line, self.lines = path, source_dir, first_line, lines
        self.files = files
        self.first_column = first_column
        self.slots: list[Union[Slot, Anchor]] = []
        self.problems: list[Problem] = []
        self.links: list[tuple[str, Location]] = []
        self.cursor = (0, 0)  # (line, column) just after the last link found

    def slot(self, slot: Union[Slot, Anchor]) -> str:
        self.slots.append(slot)
        return f"{_SLOT}{len(self.slots) - 1}{_SLOT}"

    def location(self, line: int, column: int = 1) -> Location:
        if self.first_column is None:  # the text's columns in its file are not known
            return Location(self.path, self.first_line + line, 1)
        return Location(self.path, self.first_line + line, column + (self.first_column - 1 if line == 0 else 0))

    def visit(self, tokens: list, line: int = 0) -> None:
        for i, token in enumerate(tokens):
            here = token.map[0] if token.map else line
            if token.type == "heading_open" and token.tag in ("h2", "h3"):
                title = "".join(child.content for child in tokens[i + 1].children or ()
                                if child.type in ("text", "code_inline"))
                token.attrSet("id", self.slot(Anchor(slugify(title) or "section")))
            elif token.type == "shortcode":
                meta = token.meta
                loc = self.location(here + meta.get("newlines", 0), meta["column"])
                token.meta = {"slot": self.slot(Shortcode(meta["name"], meta["args"], loc, meta["block"]))}
            elif token.type in ("link_open", "image"):
                self.check_link(token, "href" if token.type == "link_open" else "src", here)
            if token.children:
                self.visit(token.children, here)

    def link_location(self, line: int, url: str) -> Location:
        """Where `url` is written, searched from the block's first line after the links already found
        (links are visited in the order they are written): as a link's `(destination)` first, so
        `//host/x` is not found inside an earlier `https://host/x`; whole, else by its start (an
        entity may stand for a character)."""
        start = max((line, 0), self.cursor)
        for needle, skip in (("(" + url, 1), (url, 0), ("(" + url[:20], 1), (url[:20], 0)):
            for offset, text in enumerate(self.lines[start[0]:start[0] + 50]):
                column = text.find(needle, start[1] if offset == 0 else 0)
                if column >= 0:
                    self.cursor = (start[0] + offset, column + len(needle))
                    return self.location(start[0] + offset, column + 1 + skip)
        return self.location(line)

    def check_link(self, token, attr: str, line: int) -> None:
        written = str(token.attrGet(attr) or "")
        where = self.link_location(line, written)  # once: each search moves the cursor past the link
        if problem := link_problem(written, _SCHEMES, relative=True):
            self.problems.append(Problem(where, *problem))
            token.attrSet(attr, "#")
            return
        if attr == "src" and (SCHEME.match(written) or written.replace("\\", "/").startswith("//")):  # browsers read \ as /
            self.problems.append(Problem(
                where, f"image '{written[:60]}' is on another host, and the pages' "
                "Content-Security-Policy blocks it", "copy the image into content/ and give its path",
                Severity.WARNING))
        url = _NORMALIZE(written)
        token.attrSet(attr, url)
        path, _, fragment = url.partition("#")
        local = not SCHEME.match(url) and not url.replace("\\", "/").startswith("//")
        # a page's source or a file content/ may publish (an image, a PDF...) is found from the source
        # file; a link to any other name (a page the build writes, `../circles/index.html`, a calendar)
        # is relative to the published page and left to `--strict`'s check of the output
        is_file = local and self.files and posixpath.splitext(path)[1].lower() in INERT
        if local and (path.endswith(".md") or is_file) and (self.files or not path.startswith("/")):
            # `/x` is read from content/, as Hugo reads `/x` from its static folder
            target = posixpath.normpath(posixpath.join("" if path.startswith("/") else self.source_dir,
                                                       path.lstrip("/")))
            if target == ".." or target.startswith("../"):
                self.problems.append(Problem(
                    where, f"link '{written[:60]}' leads out of content/, which is all the site publishes",
                    "copy the file into content/ and link to it there"))
                token.attrSet(attr, "#")
            elif is_file:
                token.attrSet(attr, self.slot(FileLink(unquote(target), fragment, where)))
            else:
                token.attrSet(attr, self.slot(PageLink(target, fragment, where)))
        else:
            self.links.append((url, where))


def parse_markdown(text: str, path: str, *, source_dir: str = "", first_line: int = 1,
                   first_column: int | None = 1, files: bool = False) -> Parsed:
    """Parse markdown once into fragments, with every problem located in the source file.

    `source_dir` is the page's folder relative to the content root, used to resolve
    links to other `.md` pages; `first_line` and `first_column` are where `text` starts
    in its file (a YAML value's position, for markdown kept in circle.yaml; None when
    the columns cannot be known, as in an indented block). With `files` (a handbook page), a
    local link or image to a file (`images/circle.png`, `/forms/sheet.pdf`) is a `FileLink`.
    """
    md = _parser()
    tokens = md.parse(text, {})
    collector = _Collector(path, source_dir, first_line, text.splitlines(), first_column, files)
    collector.visit(tokens)
    html = md.renderer.render(tokens, md.options, {"docId": NOTES})
    parts: list[Union[str, Slot]] = []
    for i, piece in enumerate(html.split(_SLOT)):
        if i % 2 == 0:
            if piece:
                parts.append(piece)
        else:
            parts.append(collector.slots[int(piece)])
    return Parsed(Fragments(tuple(parts), path, tuple(collector.links)), tuple(collector.problems))
