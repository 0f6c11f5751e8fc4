"""Site-relative targets -> the URLs a page writes, so links work at a domain root,
under a subpath and from file:// alike."""

from __future__ import annotations


def output_file(target: str) -> str:
    """The file a site-relative target names: folders ('' or 'x/') mean their index.html."""
    return target + "index.html" if target == "" or target.endswith("/") else target


def relative_url(target: str, page_path: str) -> str:
    """A link from the page written at `page_path` to `target`, both relative to the site root.

    Always up to the root and down again: the link then depends only on the page's depth, so
    a navigation rendered once serves every page at that depth.
    """
    target, hash_, fragment = target.partition("#")
    return "../" * page_path.count("/") + output_file(target) + hash_ + fragment


def absolute_url(target: str, base_path: str, origin: str = "") -> str:
    """A link that works from any URL on the host (the 404 page, canonical links, sitemaps)."""
    path, hash_, fragment = target.partition("#")
    return origin + base_path + path + hash_ + fragment
