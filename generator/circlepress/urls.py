"""Site-relative targets -> the URLs a page writes, so links work at a domain root,
under a subpath and from file:// alike."""

from __future__ import annotations

import posixpath


def output_file(target: str) -> str:
    """The file a site-relative target names: folders ('' or 'x/') mean their index.html."""
    return target + "index.html" if target == "" or target.endswith("/") else target


def relative_url(target: str, page_path: str) -> str:
    """A link from the page written at `page_path` to `target`, both relative to the site root."""
    target, hash_, fragment = target.partition("#")
    here = posixpath.dirname(page_path) or "."
    url = posixpath.relpath(output_file(target), here)
    return url + hash_ + fragment


def absolute_url(target: str, base_path: str, origin: str = "") -> str:
    """A link that works from any URL on the host (the 404 page, canonical links, sitemaps)."""
    path, hash_, fragment = target.partition("#")
    return origin + base_path + path + hash_ + fragment
