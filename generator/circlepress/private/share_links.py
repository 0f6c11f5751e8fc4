"""Every circle's address, ready to paste into an e-mail, and as a QR code."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno

from ..programme.circles import Circle
from ..programme.config import Project
from .keys import derive_keys, share_link, unb64


@dataclass(frozen=True)
class CircleLink:
    slug: str
    name: str
    is_private: bool
    uses_passphrase: bool
    url: str


def circle_links(project: Project, circles: tuple[Circle, ...], origin: str | None = None) -> list[CircleLink]:
    """Public circles' URLs and private circles' full share links, with the base URL applied
    (or served from `origin`, e.g. the dev server's http://127.0.0.1:8000)."""
    return [circle_link(project, circle, origin) for circle in circles]


def circle_link(project: Project, circle: Circle, origin: str | None = None) -> CircleLink:
    """One circle's address: a private one's from its own key alone (no secret, no environment)."""
    origin = project.origin if origin is None else origin
    passphrase = circle.spec.access.passphrase
    if circle.is_private:
        keys = derive_keys(unb64(circle.spec.access.key), passphrase)
        url = share_link(origin, project.base_path, keys, bool(passphrase))
    else:
        url = origin + project.base_path + circle.url
    return CircleLink(circle.slug, circle.spec.name, circle.is_private, bool(passphrase), url)


def qr_text(url: str) -> str:
    """The QR code drawn with characters, for a terminal."""
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def write_qr_svg(url: str, path: Path) -> None:
    segno.make(url, error="m").save(str(path), kind="svg", scale=8, border=4)
