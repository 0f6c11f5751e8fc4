"""sitemap.xml and robots.txt, listing public pages only."""

from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import escape

from ..private.keys import PRIVATE_ROOT
from ..programme.urls import absolute_url


def is_listed(path: str) -> bool:
    """Pages a search engine may see: a page's folder (`index.html`), outside private circles'
    secret folders; not the error page, not a calendar file."""
    return path.endswith("index.html") and not path.startswith(PRIVATE_ROOT)


def render_sitemap(view, paths: Iterable[str]) -> bytes:
    """A sitemap of the public pages among `paths` (every output file), with absolute URLs (the
    base URL must name the host), in path order."""
    moved = {base + folder for folder in getattr(view, "moved", ()) for base in
             ("", *(c.url for c in view.public_circles))}  # redirect pages at old addresses
    moved |= {c.url + folder for c in view.public_circles for folder in getattr(c, "moved", ())}
    folders = sorted(f for f in (p.removesuffix("index.html") for p in paths if is_listed(p)) if f not in moved)
    rows = "".join(f"  <url><loc>{escape(absolute_url(f, view.base_path, view.origin))}</loc></url>\n"
                   for f in folders)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n").encode()


def render_robots(view) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if view.origin:
        lines.append("Sitemap: " + absolute_url("sitemap.xml", view.base_path, view.origin))
    return ("\n".join(lines) + "\n").encode()
