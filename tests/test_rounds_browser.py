"""Issue 18 in Chromium: a private circle's home, opened with its link, shows the open round's
form link (decrypted by private.js, never in the sealed page), and the public home and calendar
show the round, on a phone and a desktop, in dark mode and in print."""

from __future__ import annotations

import re

import pytest

from circlepress.build.pipeline import build
from circlepress.private.keys import b64
from circlepress.programme.config import load_project

from browser_support import serve
from conftest import NOW, VALID_CIRCLE
from private_support import keys_for, private

GOOGLE = "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111={circle}&entry.222={round}"
PLAIN = VALID_CIRCLE.replace('links: {evaluation: "https://forms.example.org/test-circle"}\n', "")
FILLED = "https://docs.google.com/forms/d/e/F/viewform?usp=pp_url&entry.111={}&entry.222=1"


@pytest.fixture(scope="module")
def rounds_site(tmp_path_factory):
    """A programme with a form for every circle, a public and a private circle, built on 20 Feb
    2027 (round 1 of both is open), served over HTTP."""
    root = tmp_path_factory.mktemp("rounds")
    (root / "sites/lab-a").mkdir(parents=True)
    (root / "sites/lab-p").mkdir(parents=True)
    (root / "circlepress.yaml").write_text(f"title: Circles\nbase_url: /\nevaluation:\n  form: {GOOGLE}\n")
    (root / "sites/lab-a/circle.yaml").write_text(PLAIN)
    (root / "sites/lab-p/circle.yaml").write_text(private(PLAIN, "lab-p"))
    out = root / "out"
    build(load_project(root, output=out), now=NOW)
    with serve(out) as origin:
        yield out, origin + "/"


def _tab(browser, width=390, height=844, **extra):
    context = browser.new_context(viewport={"width": width, "height": height}, **extra)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return context, page


def test_the_private_home_opened_in_chromium_links_the_open_round(rounds_site, browser):
    out, base = rounds_site
    keys = keys_for("lab-p")
    assert "entry.111=lab-p" not in (out / keys.url / "index.html").read_text("utf-8")  # sealed
    context, page = _tab(browser)
    page.goto(base + keys.url + "index.html#k=" + b64(keys.link_key))
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').textContent.trim() "
                           "=== 'Test Circle'")
    card = page.locator("section.card.evaluation")
    button = card.get_by_role("link", name="Open the form for round 1")
    assert button.get_attribute("href") == FILLED.format("lab-p")
    assert "Round 1 is open until Wednesday 3 March 2027." in card.inner_text()
    assert button.is_visible()
    page.screenshot(path="/tmp/t4-private-home-390.png", full_page=True)
    assert page.console_errors == []
    context.close()


@pytest.mark.parametrize("width, height, scheme", [(390, 844, "light"), (1366, 900, "light"), (390, 844, "dark")])
def test_the_public_home_and_calendar_show_the_round(rounds_site, browser, width, height, scheme):
    _, base = rounds_site
    context, page = _tab(browser, width, height, color_scheme=scheme)
    page.goto(base + "circles/lab-a/index.html")
    card = page.locator("section.card.evaluation")
    assert card.get_by_role("link", name="Open the form for round 1").get_attribute("href") == FILLED.format("lab-a")
    box = card.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width  # no sideways scrolling on a phone
    page.screenshot(path=f"/tmp/t4-home-{width}-{scheme}.png", full_page=True)
    page.goto(base + "circles/lab-a/calendar/index.html")
    rounds = page.locator("ul.rounds > li")
    assert rounds.count() == 2
    assert re.fullmatch(r"Round 1: Thursday 11 February 2027 to Wednesday 3 March 2027: open now, the form for "
                        r"round 1", rounds.nth(0).inner_text().strip())
    assert rounds.nth(1).get_by_role("link").count() == 0  # a round's link only while it is open
    page.locator("#evaluations").scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/t4-calendar-{width}-{scheme}.png")
    if scheme == "light" and width == 390:
        page.emulate_media(media="print")
        assert rounds.nth(0).is_visible()
        page.screenshot(path="/tmp/t4-calendar-print.png", full_page=True)
    assert page.console_errors == []
    context.close()


def test_open_round_pages_are_valid_html_and_pass_axe(rounds_site, browser, tmp_path):
    """The example site is built before its rounds open: these pages, with a round open, are
    checked by the Nu Html Checker and axe-core too."""
    import json
    import subprocess

    from browser_support import VNU_JAR, have_java
    from conftest import REPO, require_tool
    from private_support import open_page

    out, base = rounds_site
    require_tool(have_java(), "java (for the Nu Html Checker)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker ({VNU_JAR})")
    pages = [out / "circles/lab-a/index.html", out / "circles/lab-a/calendar/index.html"]
    for name in ("index.html", "calendar/index.html"):
        pages.append(tmp_path / name.replace("/", "-"))
        pages[-1].write_text(open_page(out, "lab-p", name), "utf-8")
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    messages = [m for m in json.loads(done.stderr or "{}").get("messages", []) if m.get("type") != "info"]
    assert not messages, messages

    axe = REPO / "node_modules/axe-core/axe.min.js"
    require_tool(axe.is_file(), "axe-core (npm ci --ignore-scripts)")
    context, page = _tab(browser)
    keys = keys_for("lab-p")
    found = []
    for url in (base + "circles/lab-a/", base + "circles/lab-a/calendar/", base + keys.url + "#k=" + b64(keys.link_key)):
        page.goto(url)
        page.wait_for_function("() => !document.getElementById('unlock')")
        page.evaluate(axe.read_text("utf-8"))
        result = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                               "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
        found += [f"{url}: {v['id']}" for v in result["violations"]]
    context.close()
    assert not found, found
