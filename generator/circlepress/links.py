"""Every circle's address, ready to paste into an e-mail, and as a QR code."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno

from .assemble import make_sealer
from .site import Site
from .privacy import share_link


@dataclass(frozen=True)
class CircleLink:
    slug: str
    name: str
    is_private: bool
    uses_passphrase: bool
    url: str


def circle_links(site: Site, secret: bytes | None, origin: str | None = None) -> list[CircleLink]:
    """Public circles' URLs and private circles' full share links, with the base URL applied
    (or served from `origin`, e.g. the dev server's http://127.0.0.1:8000)."""
    project = site.project
    origin = project.origin if origin is None else origin
    sealer = make_sealer(site, secret)
    links = []
    for circle in site.circles:
        passphrase = bool(circle.spec.access.passphrase)
        if circle.is_private:
            url = share_link(origin, project.base_path, sealer.keys[circle.slug], passphrase)
        else:
            url = origin + project.base_path + circle.url
        links.append(CircleLink(circle.slug, circle.spec.name, circle.is_private, passphrase, url))
    return links


def qr_text(url: str) -> str:
    """The QR code drawn with characters, for a terminal."""
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def write_qr_svg(url: str, path: Path) -> None:
    segno.make(url, error="m").save(str(path), kind="svg", scale=8, border=4)
