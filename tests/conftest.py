"""Shared fixtures: small sites written into a temporary folder, and the example site."""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# A fixed build time, so every test build is reproducible.
NOW = datetime(2027, 2, 20, 12, 0, tzinfo=timezone.utc)

VALID_CIRCLE = """\
name: Test Circle
visibility: public
timezone: Europe/London
term:
  start: 2027-01-01
  months: 6
defaults:
  start: "16:00"
  place: Room 1
links: {evaluation: "https://forms.example.org/test-circle"}
members:
  - {id: ana, name: Ana}
  - {id: bo, name: Bo}
sessions:
  - {date: 2027-01-14, topic: One, facilitators: [ana]}
  - {date: 2027-02-11, topic: Two, facilitators: [bo]}
  - {date: 2027-03-11, topic: Three, facilitators: [ana, bo]}
"""


@pytest.fixture(autouse=True)
def no_keys_from_the_shell(monkeypatch, tmp_path_factory):
    """No test inherits a CIRCLEPRESS_SECRET (the retired site secret), an age identity or the
    user's default identity file from the shell that runs it."""
    for name in ("CIRCLEPRESS_SECRET", "CIRCLEPRESS_AGE_KEY", "CIRCLEPRESS_AGE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
    return root


@pytest.fixture
def make_site(tmp_path):
    """make_site({'sites/a/circle.yaml': '...'}) -> a project folder using the stock handbook and theme."""

    def make(files: dict[str, str] | None = None, name: str = "project") -> Path:
        return write_files(tmp_path / name, files or {})

    return make


def is_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(available: bool, what: str) -> None:
    """Skip locally when a real tool is missing; under CI=true, fail instead of skipping."""
    if available:
        return
    if is_ci():
        pytest.fail(f"{what} is required when CI=true but is not installed (see .ci/run)")
    pytest.skip(f"{what} is not installed")


def left_by_a_killed_build(project: Path, setup: str, seconds: float = 5) -> list[str]:
    """Build `project` in a fresh process whose `setup` (Python lines, run first) makes it kill
    itself mid-build; the processes it left behind, after waiting up to `seconds` for them."""
    import signal
    import subprocess
    import sys
    import time

    marker = f"circlepress-killed-build-{os.getpid()}-{time.monotonic_ns()}"
    script = ("import os, signal\n"
              "import circlepress.build.assemble as assemble, circlepress.programme.memo as memo, circlepress.build.workers as shares\n"
              "from circlepress.build.pipeline import build\n"
              "from circlepress.programme.config import load_project\n"
              f"{setup}\n"
              f"build(load_project(__import__('pathlib').Path({str(project)!r})), jobs=2)\n")
    done = subprocess.run([sys.executable, "-c", script, marker], capture_output=True, text=True, timeout=20)
    assert done.returncode == -signal.SIGKILL, done.stderr
    deadline = time.monotonic() + seconds
    while True:
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


class _Noted:
    """Where `_noting_run` notes processes, and the real `assemble._run` (module level: the
    render pool pickles the function it runs by name)."""

    pids: Path | None = None
    run = None


def _noting_run(unit):
    with _Noted.pids.open("a") as notes:
        notes.write(f"{os.getpid()}\n")
    return _Noted.run(unit)


def record_render_processes(monkeypatch, pids: Path) -> None:
    """Make every render unit note, in `pids`, the process that rendered it (a forked worker's
    note survives it in the file)."""
    import circlepress.build.assemble as assemble

    monkeypatch.setattr(_Noted, "pids", pids)
    monkeypatch.setattr(_Noted, "run", assemble._run)
    monkeypatch.setattr(assemble, "_run", _noting_run)


@pytest.fixture
def project(tmp_path):
    """A copy of the example programme (its handbook and circles), published at a host."""
    import shutil

    root = tmp_path / "programme"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "sites", root / "sites")
    (root / "circlepress.yaml").write_text("title: Test\nbase_url: https://circles.example.org/\n")
    return root


# --- the example site served over HTTP, and Chromium: shared by the browser tests -------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(site folder, base URL 'http://127.0.0.1:PORT/repo/') for the example site."""
    from browser_support import BASE_URL, build_example_site, serve

    parent = tmp_path_factory.mktemp("served")
    site = build_example_site(parent)
    with serve(parent) as origin:
        yield site, origin + BASE_URL


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser); fails under CI=true when missing."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS, have_chromium, have_playwright

    require_tool(have_playwright(), "Playwright for Python (pip install -e '.[test]')")
    require_tool(have_chromium(), f"Chromium ({CHROMIUM}, Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # headless=True makes Playwright pass --headless itself.
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
