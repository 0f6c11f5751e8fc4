"""sitemap.xml and robots.txt, listing public pages only."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .render import Output
from .urls import absolute_url


def is_listed(out: Output) -> bool:
    """Pages a search engine may see: no private circle, no error page."""
    return not out.absolute and not (out.circle is not None and out.circle.is_private)


def render_sitemap(view, outputs: list[Output]) -> bytes:
    """A sitemap of public pages, with absolute URLs (the base URL must name the host)."""
    folders = [o.path.removesuffix("index.html") for o in outputs if is_listed(o)]
    rows = "".join(f"  <url><loc>{escape(absolute_url(f, view.base_path, view.origin))}</loc></url>\n"
                   for f in folders)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n").encode()


def render_robots(view) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if view.origin:
        lines.append("Sitemap: " + absolute_url("sitemap.xml", view.base_path, view.origin))
    return ("\n".join(lines) + "\n").encode()
