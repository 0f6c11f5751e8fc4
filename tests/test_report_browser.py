"""Issue 18, the report with real tools: Chromium renders it with no console error and no request
but the page itself, prints it to an A4 PDF with no chart cut, axe-core finds no violation, and
the Nu Html Checker no error. Missing tools skip locally and fail under CI=true."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from browser_support import VNU_JAR, have_java, serve
from conftest import REPO, require_tool
from report_support import example_report

AXE = REPO / "node_modules/axe-core/axe.min.js"
TIMEOUT_MS = 20_000
A4 = {"width": 794, "height": 1123}  # 210 x 297 mm at 96 px per inch


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "report.html"
    path.write_text(example_report(REPO), "utf-8")
    return path


@pytest.fixture(scope="module")
def served_report(report_file):
    with serve(report_file.parent) as origin:
        yield f"{origin}/{report_file.name}"


def _open(browser, url: str, **options):
    """A new page at `url`, with every console message, page error and request recorded."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    seen = {"console": [], "requests": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: seen["console"].append(f"pageerror: {e}"))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)  # a late request (a font, a beacon) would show up here
    return context, page, seen


def test_renders_with_no_console_error_and_no_request_but_itself(browser, served_report):
    context, page, seen = _open(browser, served_report, viewport={"width": 1000, "height": 800})
    assert seen["console"] == []  # a style outside the policy's hash would be a console error here
    assert seen["requests"] == [served_report]
    assert page.locator("svg[role=img]").count() >= 6
    background = page.evaluate("() => getComputedStyle(document.querySelector('rect.segment')).fill")
    assert background not in ("", "none", "rgb(0, 0, 0)")  # the inline style applied
    context.close()


def test_prints_to_an_a4_pdf_with_no_chart_cut(browser, served_report):
    context, page, _ = _open(browser, served_report, viewport=A4)
    page.emulate_media(media="print")
    boxes = page.evaluate("""() => [...document.querySelectorAll('svg, table')].map(e => {
        const r = e.getBoundingClientRect(); return [e.tagName, r.right, r.height]; })""")
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert [b for b in boxes if b[1] > width + 1] == []  # nothing runs off the paper's side
    assert [b for b in boxes if b[0] == "svg" and b[2] > A4["height"] / 2] == []  # a chart fits on a page
    pdf = page.pdf(format="A4", print_background=True)
    context.close()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages >= 1, "the PDF has no page"


@pytest.mark.parametrize("width", [1000, 390])
def test_axe_finds_no_violation(browser, served_report, width):
    # axe runs from Playwright's evaluate, outside the page's policy (which allows no script)
    context, page, _ = _open(browser, served_report, viewport={"width": width, "height": 800}, bypass_csp=True)
    page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate("() => axe.run(document)")
    context.close()
    found = [f"{v['id']}: {n['target'][0]} {n['failureSummary'][:200]}" for v in result["violations"] for n in v["nodes"][:3]]
    assert found == [], "\n".join(found)


def test_the_nu_html_checker_finds_no_error(report_file):
    require_tool(have_java(), "java (for the Nu Html Checker)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker ({VNU_JAR}; run `npm ci --ignore-scripts`)")
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", str(report_file)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    messages = [m for m in json.loads(done.stderr or "{}").get("messages", []) if m.get("type") != "info"]
    assert messages == [], "\n".join(f"{m.get('lastLine')}: {m.get('message')}" for m in messages)
    assert done.returncode == 0, done.stderr


def test_a_phone_shows_the_report_without_sideways_scrolling(browser, served_report):
    context, page, _ = _open(browser, served_report, viewport={"width": 390, "height": 844})
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    context.close()
    assert width <= 390
