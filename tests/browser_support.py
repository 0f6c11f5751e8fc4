"""Helpers for the tests that check the built example site with real tools
(the Nu Html Checker in test_html_valid.py, Chromium in test_browser.py).

The example site is the repository itself, built with the CLI exactly as a user would,
at a fixed build time (SOURCE_DATE_EPOCH = conftest.NOW), under the base URL /repo/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from conftest import NOW, REPO

BASE_URL = "/repo/"
SITE_DIR_NAME = "repo"  # served from its parent, so the site lives under /repo/

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never a browser download
# As root on a machine with no outside network: no sandbox, and none of Chromium's own
# background connections (see the machine notes in .library/env/machines/python.md).
# Playwright adds --headless itself when launched with headless=True.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def build_example_site(parent: Path) -> Path:
    """Build the repository's example site into `parent/repo` with the CLI; return that folder."""
    out = parent / SITE_DIR_NAME
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    cmd = [sys.executable, "-c", "from circlepress.cli import main; main()",
           "build", "--root", str(REPO), "--out", str(out), "--base-url", BASE_URL]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise AssertionError(f"circlepress build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return out


def is_redirect(site: Path, page: Path) -> bool:
    """Whether `page` stands at an old address (`aliases:`): a public redirect, or a private
    circle's sealed one, which sits where the handbook's public redirect does under `p/<folder>/`."""
    if 'http-equiv="refresh"' in page.read_text("utf-8"):
        return True
    parts = page.relative_to(site).parts
    public = site.joinpath(*parts[2:]) if parts[0] == "p" and len(parts) > 2 else None
    return public is not None and public.is_file() and 'http-equiv="refresh"' in public.read_text("utf-8")


def html_files(site: Path, redirects: bool = True) -> list[Path]:
    """The site's pages; without `redirects`, not the pages at old addresses (`aliases:`), which
    navigate on to the page they name."""
    return sorted(p for p in site.rglob("*.html") if p.is_file() and (redirects or not is_redirect(site, p)))


def have_java() -> bool:
    return shutil.which("java") is not None


def have_chromium() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def have_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


class _StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Files, and a folder's index.html, as a static host serves them: no directory listings
    (a folder without index.html is a 404, as on GitHub Pages), and no log lines."""

    def list_directory(self, path):
        self.send_error(404, "No index.html in this folder")
        return None

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        return None


def listing(lines: list[str], limit: int = 60) -> str:
    """Failure lines for an assertion message, cut after `limit`."""
    shown = lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])
    return "\n".join(shown)


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) in a thread; yield 'http://127.0.0.1:PORT'."""
    handler = functools.partial(_StaticHostHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
