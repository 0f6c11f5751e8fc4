"""Quality gates on the example site built for /repo/: accessibility (axe-core in Chromium),
links (linkinator crawling the served site, fragments included), and page weight."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from browser_support import BASE_URL, build_example_site, html_files, serve
from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.private.keys import b64
from conftest import NOW, REPO, require_tool
from private_support import keys_for

AXE = REPO / "node_modules/axe-core/axe.min.js"
LINKINATOR = REPO / "node_modules/.bin/linkinator"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LIMIT = 100 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    parent = tmp_path_factory.mktemp("quality")
    built = build_example_site(parent)
    with serve(parent) as origin:
        yield built, origin + BASE_URL


def _axe(page) -> list[str]:
    page.evaluate(AXE.read_text("utf-8"))  # not a <script> tag: the pages' policy refuses inline scripts
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"]]


def test_no_wcag_21_aa_violations(site, browser):
    require_tool(AXE.is_file(), "axe-core (npm ci --ignore-scripts)")
    _, base = site
    public = ["", "steps/make-a-calendar/", "circles/", "circles/imaging-and-data/",
              "circles/imaging-and-data/calendar/", "circles/imaging-and-data/topics/",
              "circles/imaging-and-data/agreement/", "circles/imaging-and-data/steps/define-goals-and-expectations/",
              "no/such/page/"]
    keys = keys_for("early-independence")
    private = ["", "calendar/", "agreement/", "steps/make-a-calendar/"]
    found = []
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for path in public:
        page.goto(base + path)
        found += [f"/{path}: {v}" for v in _axe(page)]
    page.goto(f"{base}{keys.url}#{b64(keys.link_key)}")  # the member's view, decrypted
    for path in private:
        page.goto(base + keys.url + path)
        page.wait_for_function("() => !document.getElementById('unlock')")
        found += [f"private /{path}: {v}" for v in _axe(page)]
    context.close()
    assert not found, "\n".join(found)


def _linkinator(url: str, *extra: str) -> tuple[int, dict]:
    require_tool(LINKINATOR.is_file() and shutil.which("node") is not None, "linkinator (npm ci --ignore-scripts)")
    done = subprocess.run([str(LINKINATOR), url, "--check-fragments", "--format", "json",
                           "--skip", r"^(?!http://127\.0\.0\.1)", *extra], capture_output=True, text=True, timeout=300)
    return done.returncode, json.loads(done.stdout)


def test_linkinator_finds_no_broken_link_in_the_served_site(site):
    _, base = site
    built, base = site
    code, report = _linkinator(base, "--recurse")
    broken = [f"{link['url']} (from {link.get('parent')}): {link['status']}" for link in report["links"]
              if link["state"] == "BROKEN"]
    assert code == 0 and report["passed"] and not broken, "\n".join(broken)
    crawled = {link["url"].split("/repo/", 1)[-1] for link in report["links"] if link["state"] == "OK"}
    public = {p.relative_to(built).as_posix() for p in built.rglob("*.html")
              if not p.relative_to(built).as_posix().startswith(("p/", "404"))
              and 'http-equiv="refresh"' not in p.read_text()}  # redirects at old addresses: linked from nowhere
    assert public <= crawled | {p.removesuffix("index.html") for p in crawled}, public - crawled


def test_linkinator_catches_a_deliberately_broken_link(make_site, tmp_path):
    shutil.copytree(REPO / "content", make_site().joinpath("content"))
    root = make_site({"content/extra.md": "---\ntitle: Extra\norder: 50\n---\n[gone](../gone/index.html) and "
                      "[no part](../start/index.html#no-such-part)\n"})
    out = tmp_path / "served" / "repo"
    build(load_project(root, output=out, base_url=BASE_URL), now=NOW)
    with serve(tmp_path / "served") as origin:
        code, report = _linkinator(origin + BASE_URL, "--recurse")
        page_code, page_report = _linkinator(origin + BASE_URL + "extra/")
    broken = {link["url"].rsplit("/repo/", 1)[1] for link in report["links"] if link["state"] == "BROKEN"}
    assert code != 0 and "gone/index.html" in broken
    broken = {link["url"].rsplit("/repo/", 1)[1] for link in page_report["links"] if link["state"] == "BROKEN"}
    assert page_code != 0 and {"gone/index.html", "start/index.html#no-such-part"} <= broken


def test_every_page_with_its_assets_stays_under_100_kb(site, browser):
    built, base = site
    pages = sorted(p.relative_to(built).as_posix() for p in html_files(built, redirects=False))  # a redirect
    # loads the page it names (a private circle's, once opened)
    keys = keys_for("early-independence")
    context = browser.new_context()
    page = context.new_page()
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok else None)
    heavy = []
    for path in pages:
        sizes.clear()
        url = base + path + (f"#{b64(keys.link_key)}" if path.startswith(keys.url) else "")
        page.goto(url)
        page.wait_for_load_state("load")
        total = sum(sizes.values())
        if total >= LIMIT or any(not u.startswith(base.split("/repo/")[0]) for u in sizes):
            heavy.append(f"{path}: {total} bytes from {sorted(sizes)}")
    context.close()
    assert len(pages) > 40 and not heavy, "\n".join(heavy)
