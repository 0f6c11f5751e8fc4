"""Site-relative targets -> the URLs a page writes, so links work at a domain root,
under a subpath and from file:// alike."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .source import invisible_at


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


LINK_SCHEMES = ("https", "http", "mailto")
SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_WINDOWS_DEVICES = re.compile(r"(con|prn|aux|nul|conin\$|conout\$|clock\$|(com|lpt)[0-9\u00b9\u00b2\u00b3])",
                              re.IGNORECASE)
_WINDOWS_FORBIDDEN = set('<>:"|?*\\')
NAME_HINT = "choose another name: sites are also copied to Windows file servers, and a name must show as it is"


def unseen(text: str) -> int | None:
    """The index of the first whitespace, control or invisible (format) character in `text`."""
    return next((i for i, c in enumerate(text) if c.isspace() or not c.isprintable()), None)


def escaped(char: str) -> str:
    """A character as Python writes it in a string: '\\u202e', '\\r', '\\t'."""
    return char.encode("unicode_escape").decode("ascii") if char != " " else "a space"


def link_problem(url: str, schemes: tuple[str, ...] = LINK_SCHEMES, *,
                 relative: bool = False) -> tuple[str, str] | None:
    """(what is wrong, the fix) when `url` is not a whole, safe link; None when it is one."""
    shown = url if len(url) <= 60 else url[:57] + "..."
    allowed = [f"{s}://" if s.startswith("http") else f"{s}:" for s in schemes]
    allowed = ", ".join(allowed[:-1]) + " or " + allowed[-1] + (", or be a relative path" if relative else "")
    if (at := unseen(url)) is not None:
        return (f"link '{shown}' has {escaped(url[at])} at character {at + 1}",
                "delete it: a link holds no spaces, line breaks or invisible characters; write a space as %20")
    scheme = SCHEME.match(url)
    if scheme is None and not relative:
        return f"'{shown}' is not an allowed link", f"links must start with {allowed}"
    if scheme and scheme.group(1).lower() not in schemes:
        return f"link '{shown}' uses the unsafe scheme '{scheme.group(1)}:'", f"links must start with {allowed}"
    try:
        host = urlsplit(url).hostname if scheme and scheme.group(1).lower().startswith("http") else "-"
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        host = None
    if not host:
        return f"link '{shown}' has no host name", "write the whole address, e.g. https://example.org/page"
    return None


def name_problem(path: str) -> str | None:
    """Why a file or folder of the site-relative `path` ('a/b/c.png') cannot be published, or None:
    sites are also copied to Windows file servers and unzipped there, and no name may hide a character."""
    for name in path.strip("/").split("/"):
        if (at := invisible_at(name)) is not None and ord(name[at]) >= 32:
            return f"'{name}' holds the invisible character {escaped(name[at])}"
        if _WINDOWS_DEVICES.fullmatch(device := name.split(".", 1)[0].rstrip(" ")):
            return f"'{name}' uses the device name '{device.upper()}', which Windows reserves in any case " \
                "and with any extension"
        if bad := next((c for c in name if c in _WINDOWS_FORBIDDEN or ord(c) < 32), None):
            return f"'{name}' holds '{bad}', which Windows does not allow in a file name"
        if name.endswith((".", " ")):
            return f"'{name}' ends in '{name[-1]}', which Windows drops from a file name"
    return None
