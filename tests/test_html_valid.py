"""Every page of the built example site is valid HTML, by the Nu Html Checker (vnu.jar).

vnu.jar comes from the npm package vnu-jar (package.json; `npm ci --ignore-scripts`) and runs
on the machine's Java. Locally a missing java or jar skips this test; under CI=true it fails.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from browser_support import VNU_JAR, build_example_site, have_java, html_files, listing
from conftest import require_tool
from private_support import keys_for, open_page


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_example_site(tmp_path_factory.mktemp("vnu"))


def _describe(message: dict, site: Path) -> str:
    url = message.get("url", "")
    shown = url.split(str(site) + "/", 1)[-1] if str(site) in url else url
    line = message.get("lastLine") or message.get("firstLine")
    column = message.get("firstColumn") or message.get("lastColumn")
    where = f"{shown}:{line}:{column}" if line else shown
    text = f"{where}: {message.get('type', '?')}{'/' + message['subType'] if 'subType' in message else ''}: " \
           f"{message.get('message', '').strip()}"
    if message.get("extract"):
        text += "\n    " + message["extract"].replace("\n", "⏎")
    return text


def _decrypted_private_pages(site: Path) -> None:
    """Write each private page as a member's browser shows it beside its shell, so it is checked too."""
    keys = keys_for("early-independence")
    for shell in sorted((site / keys.url).rglob("index.html")):
        page = shell.relative_to(site / keys.url).as_posix()
        (shell.parent / "decrypted.html").write_text(open_page(site, "early-independence", page), "utf-8")


def test_every_page_is_valid_html(site):
    require_tool(have_java(), "java (for the Nu Html Checker)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker ({VNU_JAR}; run `npm ci --ignore-scripts`)")
    _decrypted_private_pages(site)
    pages = html_files(site)
    assert any(p.name == "decrypted.html" for p in pages)
    assert len(pages) > 20, f"expected the whole example site, found {len(pages)} pages"
    # One JVM for every page; vnu writes its JSON report to stderr.
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
                           *map(str, pages)], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600)
    try:
        messages = json.loads(done.stderr or "{}").get("messages", [])
    except ValueError:
        pytest.fail(f"vnu.jar did not print JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    problems = [m for m in messages if m.get("type") != "info"]
    report = listing([_describe(m, site) for m in problems], limit=100)
    assert not problems, f"{len(problems)} HTML error(s) in {len(pages)} pages:\n{report}"
    assert done.returncode == 0, f"vnu.jar exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
