"""Private circles: each circle's secret address and keys (from its own random key), and sealed pages.

Every private page is encrypted with AES-256-GCM under the circle's content key. The
content key is wrapped (an envelope) by the key in the share link, or by a key derived
from the circle's passphrase, so other ways in (per-member links) can be added later
without re-encrypting pages. Nonces are synthetic: derived from the key, the page path
and the plaintext, so an unchanged page encrypts to the same bytes on every build and
different content never shares a nonce; the circle's data and the build's day are in the nonce
too, so an edit of a circle (or a new day) changes all of its pages' bytes, never just the ones
it touched. Pages are compressed and padded before sealing, so their sizes do not count members
or sessions. The page path is bound in as associated data.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..programme.errors import Location, Problem, Severity

KEY_BYTES = 32  # a circle's `access.key`: 32 random bytes, 43 characters of URL-safe base64
LEFTOVER_ENV = "CIRCLEPRESS_SECRET"  # the site secret of earlier versions: no longer used
LEFTOVER_FILE = ".circlepress/secret"
PBKDF2_ITERATIONS = 600_000
PRIVATE_ROOT = "p/"
_PAGE_AAD = "circlepress:page:v1:"
_WRAP_AAD = "circlepress:wrap:v1:"


def b64(data: bytes) -> str:
    """URL-safe base64 without padding, as used in links and payloads."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CircleKeys:
    """What one private circle's key (and passphrase, if any) derives."""

    token: str  # the secret folder name, 144 bits
    link_key: bytes  # 256 bits, carried in the link's fragment
    content_key: bytes  # 256 bits, encrypts every page; wrapped by the link key
    salt: bytes  # per-circle PBKDF2 salt for a passphrase
    page_key: bytes  # names the folders of the circle's own pages (`page_folder`)

    @property
    def url(self) -> str:
        return f"{PRIVATE_ROOT}{self.token}/"


def new_key() -> str:
    """A fresh random circle key, as `access.key` holds it."""
    return b64(secrets.token_bytes(KEY_BYTES))


def _derive(key: bytes, purpose: str, way_in: str, length: int) -> bytes:
    info = f"circlepress|{purpose}|{way_in}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"circlepress-circle-key", info=info).derive(key)


@functools.lru_cache(maxsize=4096)
def derive_keys(key: bytes, passphrase: str | None) -> CircleKeys:
    """The circle's address and keys, from its random `access.key` alone and the way in (the
    link, or a digest of the passphrase): no slug, folder or number enters, so only the key
    itself brings an old address back, and a changed passphrase changes the folder and every key."""
    way_in = "passphrase:" + hashlib.sha256(passphrase.encode()).hexdigest() if passphrase else "link"
    return CircleKeys(token=b64(_derive(key, "address", way_in, 18)),
                      link_key=_derive(key, "link", way_in, 32),
                      content_key=_derive(key, "content", way_in, 32),
                      salt=_derive(key, "salt", way_in, 16),
                      page_key=_derive(key, "page-path", way_in, 32))


def page_folder(keys: CircleKeys, name: str) -> str:
    """The folder a private circle's own page (`sites/<slug>/<name>.md`) is published in: a keyed
    digest of its name, 96 bits, so no address under the circle's folder carries a word of its own."""
    return b64(hmac.new(keys.page_key, name.encode(), hashlib.sha256).digest()[:12])


def _synthetic_nonce(key: bytes, aad: bytes, plaintext: bytes, epoch: bytes) -> bytes:
    """96 bits of HMAC(key, epoch, aad, plaintext): equal only for an identical page at an identical
    path in the same epoch."""
    mac = hmac.new(key, b"nonce", hashlib.sha256)
    mac.update(len(epoch).to_bytes(8, "big") + epoch + len(aad).to_bytes(8, "big") + aad + plaintext)
    return mac.digest()[:12]


def seal(key: bytes, aad: str, plaintext: bytes, epoch: str = "") -> dict[str, str]:
    """AES-256-GCM with a synthetic nonce; returns {'iv', 'ct'} in URL-safe base64."""
    data = aad.encode()
    nonce = _synthetic_nonce(key, data, plaintext, epoch.encode())
    return {"iv": b64(nonce), "ct": b64(AESGCM(key).encrypt(nonce, plaintext, data))}


def unseal(key: bytes, aad: str, sealed: dict[str, str]) -> bytes:
    """The inverse of `seal`; raises cryptography's InvalidTag on a wrong key, path or tampering."""
    return AESGCM(key).decrypt(unb64(sealed["iv"]), unb64(sealed["ct"]), aad.encode())


def page_aad(token: str, page: str) -> str:
    """The associated data for a page: its path inside the circle's folder, as the browser sees it."""
    return f"{_PAGE_AAD}{token}:{page}"


@functools.lru_cache(maxsize=1024)  # 600,000 iterations: once per circle and process is enough
def passphrase_key(passphrase: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, iterations, 32)


def envelope(keys: CircleKeys, passphrase: str | None) -> dict:
    """The content key, wrapped for whoever may open the circle (link key or passphrase)."""
    aad = _WRAP_AAD + keys.token
    if passphrase:
        wrapped = seal(passphrase_key(passphrase, keys.salt), aad, keys.content_key)
        return {"kind": "passphrase", "salt": b64(keys.salt), "iterations": PBKDF2_ITERATIONS, **wrapped}
    return {"kind": "link", **seal(keys.link_key, aad, keys.content_key)}


PAGE_FORMAT = 2  # 2: compressed and padded (`pack`); 1 (read only, for the previous calendar): neither
PAD_FLOOR = 16 * 1024  # the smallest size class: a compressed page with the most members and sessions fits
SMALL_FLOOR = 1024  # for a page whose text holds nothing of the circle (a redirect): one small class hides nothing


def pad(data: bytes, floor: int = PAD_FLOOR) -> bytes:
    """`data`, a 0x80 byte and zeros, to the first of floor, 2 x floor, 4 x floor ... that holds it."""
    size = floor
    while size < len(data) + 1:
        size *= 2
    return data + b"\x80" + bytes(size - len(data) - 1)


def unpad(data: bytes) -> bytes:
    """The inverse of `pad`: everything before the last 0x80 that only zeros follow."""
    end = len(data.rstrip(b"\0")) - 1
    if end < 0 or data[end] != 0x80:
        raise ValueError("not a padded page")
    return data[:end]


def pack(html: str, floor: int = PAD_FLOOR) -> bytes:
    """A page's plaintext as sealed: compressed, then padded, so that its size tells only its
    size class (nearly always the first), not how many members or sessions it shows."""
    return pad(zlib.compress(html.encode()), floor)


def unpack(data: bytes) -> str:
    """The inverse of `pack`."""
    return zlib.decompress(unpad(data)).decode()


def seal_page(keys: CircleKeys, wrap: dict, page: str, html: str, epoch: str = "", floor: int = PAD_FLOOR) -> dict:
    """The payload a private page's shell carries: the wrapped key and the sealed page. `epoch`
    (a digest of the circle's data and the build's day) goes into the nonce: an edit of the circle
    changes every one of its pages' bytes, so a published site does not show which pages it touched."""
    return {"v": PAGE_FORMAT, "circle": keys.token, "wrap": wrap,
            "page": seal(keys.content_key, page_aad(keys.token, page), pack(html, floor), epoch)}


def open_page(content_key: bytes, payload: dict, page: str) -> str:
    """The HTML of a sealed page (the inverse of `seal_page`); raises InvalidTag on a wrong key or path."""
    plain = unseal(content_key, page_aad(payload["circle"], page), payload["page"])
    return unpack(plain) if payload["v"] == PAGE_FORMAT else plain.decode()


def read_sealed(keys: CircleKeys, page: str, shell: str) -> str | None:
    """A page this site sealed earlier, opened with the circle's own key; None if it cannot be."""
    match = re.search(r'<script type="application/json" id="circlepress-sealed">(.*?)</script>', shell, re.S)
    try:
        payload = json.loads(match.group(1)) if match else {}
        return open_page(keys.content_key, payload, page) if payload.get("v") in (1, PAGE_FORMAT) else None
    except (ValueError, KeyError, TypeError, InvalidTag, zlib.error):
        return None


def share_link(origin: str, base_path: str, keys: CircleKeys, passphrase: bool) -> str:
    """`<base>/<secret path>/#k=<key>`; without the key when members use a passphrase. The `k=`
    tells the key from an in-page anchor (no heading id has a '='); private.js reads both forms."""
    return f"{origin}{base_path}{keys.url}" + ("" if passphrase else f"#k={b64(keys.link_key)}")


class Sealer:
    """Seals the pages of a site's private circles; one envelope per circle, made once."""

    def __init__(self, circles: list[tuple[str, bytes, str | None]]):
        """`circles`: (slug, key, passphrase or None) of each private circle."""
        self.keys = {slug: derive_keys(key, passphrase) for slug, key, passphrase in circles}
        self.passphrases = {slug: passphrase for slug, _, passphrase in circles}
        self.wraps: dict[str, dict] = {}

    def url(self, slug: str) -> str:
        return self.keys[slug].url

    def page_folder(self, slug: str, name: str) -> str:
        return page_folder(self.keys[slug], name)

    def wrap(self, slug: str) -> dict:
        """The circle's wrapped key, made when a page of the circle is first sealed: a passphrase
        costs 600,000 PBKDF2 rounds, and a rebuild seals only the circles that changed."""
        if slug not in self.wraps:
            self.wraps[slug] = envelope(self.keys[slug], self.passphrases[slug])
        return self.wraps[slug]

    def seal(self, slug: str, path: str, html: str, epoch: str = "", floor: int = PAD_FLOOR) -> dict:
        """The payload for the page written at `path` (relative to the site root)."""
        keys = self.keys[slug]
        return seal_page(keys, self.wrap(slug), path.removeprefix(keys.url), html, epoch, floor)


# The site secret of earlier versions ------------------------------------------------


def leftover_secret(root: Path, environ: dict[str, str] | os._Environ = os.environ) -> Problem | None:
    """A warning when the programme still sets CIRCLEPRESS_SECRET or keeps .circlepress/secret,
    which nothing reads any more (each private circle's key is in its own circle.yaml)."""
    found = [f"${LEFTOVER_ENV}"] if environ.get(LEFTOVER_ENV) else []
    found += [LEFTOVER_FILE] if (root / LEFTOVER_FILE).is_file() else []
    if not found:
        return None
    return Problem(Location(found[0]), f"{' and '.join(found)}: the site secret is no longer used (each private "
                   "circle's key is its circle.yaml's access.key)", "; ".join(
                       "remove it from the workflow and the repository's secrets" if f.startswith("$")
                       else f"delete {f}" for f in found), Severity.WARNING)
