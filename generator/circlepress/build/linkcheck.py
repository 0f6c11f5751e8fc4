"""`build --strict`'s check of the output itself: every local link and asset resolves to a
written file, every #fragment exists, and no public page links to a private circle; private
pages are checked twice, as the sealed shell everyone gets and as the page members open."""

from __future__ import annotations

import functools
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from ..programme.errors import Location, Problem
from ..programme.urls import output_file

_LINKING = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}


class _Page(HTMLParser):
    """The ids a page defines and the links it makes, with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(name):
                self.ids.add(values[name])
        attr = _LINKING.get(tag)
        if attr and values.get(attr):
            self.links.append((values[attr], self.getpos()[0]))


def _clean(path: str) -> str:
    """An absolute URL path as a browser requests it: unquoted, '.' and '..' resolved."""
    path = unquote(path) or "/"
    clean = "/" + posixpath.normpath(path).lstrip("/")
    return clean + ("/" if path.endswith("/") and clean != "/" else "")


def _on_site(parts: SplitResult, origin: str) -> bool:
    """Whether an absolute URL (http, https or protocol-relative) is on the site's host: its
    name, and its port when the base URL gives one."""
    site = urlsplit(origin)
    try:
        port = parts.port
    except ValueError:  # not a port: not a URL the site could serve
        return False
    same_port = port in (None, 80, 443) if site.port is None else port == site.port
    host = unquote(parts.hostname or "").rstrip(".")  # as browsers read `circles%2Eexample.org.`
    return bool(origin) and parts.scheme.lower() in ("", "http", "https") and host == site.hostname and same_port


def _target(link: str, page: str, base_path: str, origin: str = "") -> tuple[str, str] | None:
    """(file, fragment) a local link names, relative to the output root; None for other sites.
    A link to the site's own address (`https://host/base/...`, `//host/base/...`, http or
    https) is local; other paths on its host are other sites (a GitHub user's other projects)."""
    parts = urlsplit(link.replace("\\", "/"))  # backslashes: as browsers read http(s) and relative URLs
    if parts.scheme or parts.netloc:
        path = _clean(parts.path)
        if not _on_site(parts, origin) or not (path + "/").startswith(base_path):
            return None
    else:
        path = unquote(parts.path)
        if not path:
            return page, parts.fragment
    if path.startswith("/"):
        path = _clean(path)
        path = base_path if path + "/" == base_path else path  # `/repo` is the base path `/repo/` too
        if not path.startswith(base_path):
            return "\0outside:" + path, parts.fragment
        resolved = path[len(base_path):]
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        resolved = "" if resolved == "." else resolved + ("/" if path.endswith("/") else "")
    return output_file(resolved), parts.fragment


def check_output(files: dict[str, bytes], base_path: str, private_roots: tuple[str, ...],
                 sources: dict[str, tuple[str, dict[str, Location], tuple[str, ...]]], origin: str = "",
                 root: Path | None = None, members: dict[str, bytes] | None = None) -> list[Problem]:
    """Every broken link, missing fragment and public link to a private circle, located where the
    source writes it: its markdown, else the first place a source file of the page (under `root`)
    holds the link's text (a circle.yaml value a template shows), else the page's source file.
    `members` holds private pages' plaintext (never written): checked too, as members see them,
    and their ids are what links into them reach."""
    pages = {path: _parse(data) for path, data in files.items() if path.endswith(".html")}
    opened = {path: _parse(data) for path, data in (members or {}).items()}
    problems = []
    written = functools.lru_cache(maxsize=None)(lambda where: _read(root / where) if root else "")
    checked = [(path, page, "") for path, page in sorted(pages.items())] + \
        [(path, page, " (as its members see it, opened)") for path, page in sorted(opened.items())]
    for path, page, seen in checked:
        is_private = path.startswith(private_roots)
        where, located, searched = sources.get(path, (path, {}, ()))
        for link, line in page.links:
            target = _target(link, path, base_path, origin)
            if target is None:
                continue
            file, fragment = target
            if file.startswith("\0outside:"):
                message = f"link '{link}' leaves the site's base path {base_path}"
            elif file not in files:
                message = f"link '{link}' points to {file}, which the build does not write"
            elif not is_private and file.startswith(private_roots):
                message = f"link '{link}' points into a private circle from a public page"
            elif fragment and file in pages and fragment not in pages[file].ids | (opened[file].ids if file in opened else set()):
                message = f"link '{link}': {file} has no element with id '{fragment}'"
            else:
                continue
            found = (_find(written(name), name, link) for name in searched)
            at = located.get(link) or next(filter(None, found), Location(where))
            problems.append(Problem(at, f"{path}{seen}:{line}: {message}",
                                    "fix the link in this source, or the page it should reach"))
    return problems


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, ValueError):  # not a file ("template x.html"), or gone
        return ""


def _find(text: str, where: str, link: str) -> Location | None:
    """The first place `text` holds `link`."""
    for number, line in enumerate(text.splitlines(), 1):
        column = line.find(link)
        if column >= 0:
            return Location(where, number, column + 1)
    return None


def _parse(data: bytes) -> _Page:
    page = _Page()
    page.feed(data.decode("utf-8", errors="replace"))
    return page
