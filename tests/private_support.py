"""Opening a private page in Python, as the browser script does, for tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

from circlepress.privacy import derive_keys, open_page as open_sealed, passphrase_key, unb64, unseal

from conftest import TEST_SECRET


def payload(shell: str) -> dict:
    match = re.search(r'<script type="application/json" id="circlepress-sealed">(.*?)</script>', shell, re.S)
    assert match, "not a private page shell"
    return json.loads(match.group(1))


def keys_for(slug: str, version: int = 1):
    return derive_keys(TEST_SECRET.encode(), slug, version)


def open_page(site: Path, slug: str, page: str = "index.html", *, link_key: bytes | None = None,
              passphrase: str | None = None, version: int = 1) -> str:
    """Decrypt `page` of the private circle `slug` with its link key (or passphrase)."""
    keys = keys_for(slug, version)
    data = payload((site / keys.url / page).read_text("utf-8"))
    wrap = data["wrap"]
    if passphrase is not None:
        unwrap = passphrase_key(passphrase, unb64(wrap["salt"]), wrap["iterations"])
    else:
        unwrap = link_key if link_key is not None else keys.link_key
    content_key = unseal(unwrap, "circlepress:wrap:v1:" + data["circle"], wrap)
    return open_sealed(content_key, data, page)
