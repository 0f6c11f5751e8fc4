"""Opening a private page in Python, as the browser script does, for tests."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from circlepress.private.keys import b64, derive_keys, open_page as open_sealed, passphrase_key, unb64, unseal


def payload(shell: str) -> dict:
    match = re.search(r'<script type="application/json" id="circlepress-sealed">(.*?)</script>', shell, re.S)
    assert match, "not a private page shell"
    return json.loads(match.group(1))


def test_key(slug: str) -> str:
    """The fixed `access.key` tests give circle `slug` (the example site's demo key is made so too)."""
    return b64(hashlib.sha256(f"circlepress demo key: {slug}".encode()).digest())


test_key.__test__ = False  # a helper, not a test


def private(circle_yaml: str, slug: str, passphrase: str | None = None) -> str:
    """`circle_yaml` (conftest's VALID_CIRCLE or the like) made private, with the test key for `slug`."""
    text = circle_yaml.replace("visibility: public", "visibility: private")
    extra = f"\n  passphrase: {passphrase}" if passphrase else ""
    return text + f"access:\n  key: {test_key(slug)}{extra}\n"


def keys_for(slug: str, passphrase: str | None = None, key: str | None = None):
    """The keys of circle `slug` built with its test key (or `key`) and `passphrase`."""
    return derive_keys(unb64(key or test_key(slug)), passphrase)


def open_page(site: Path, slug: str, page: str = "index.html", *, link_key: bytes | None = None,
              passphrase: str | None = None, circle_passphrase: str | None = None, key: str | None = None) -> str:
    """Decrypt `page` of the private circle `slug` with its link key (or `passphrase`; the circle's
    own, which names its folder, is `circle_passphrase`, by default the same)."""
    keys = keys_for(slug, circle_passphrase or passphrase, key)
    data = payload((site / keys.url / page).read_text("utf-8"))
    wrap = data["wrap"]
    if passphrase is not None:
        unwrap = passphrase_key(passphrase, unb64(wrap["salt"]), wrap["iterations"])
    else:
        unwrap = link_key if link_key is not None else keys.link_key
    content_key = unseal(unwrap, "circlepress:wrap:v1:" + data["circle"], wrap)
    return open_sealed(content_key, data, page)
