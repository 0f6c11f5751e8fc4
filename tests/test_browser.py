"""The built example site in a real browser: Debian's Chromium driven by Playwright.

The site is built with `--base-url /repo/` into <tmp>/repo and served from <tmp> by a
http.server thread on 127.0.0.1, so it lives under /repo/ as on a project page host.
Locally a missing Playwright or /usr/bin/chromium skips these tests; under CI=true they fail.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from browser_support import BASE_URL, html_files, listing

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 20_000

# Every attribute that names another resource, read raw (as written in the HTML).
LINKS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('[href], [src], [srcset]')) {
    for (const name of ['href', 'src']) {
      const value = el.getAttribute(name);
      if (value !== null) out.push(value);
    }
    const srcset = el.getAttribute('srcset');
    if (srcset) for (const part of srcset.split(',')) {
      const url = part.trim().split(/\\s+/)[0];
      if (url) out.push(url);
    }
  }
  return out;
}"""

# On a phone (is_mobile), a page wider than the screen widens the layout viewport too, so
# innerWidth grows with it: compare with the screen's own width (clientWidth and the viewport set).
LAYOUT_JS = """(screen) => {
  const width = Math.min(screen, document.documentElement.clientWidth);
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (wide.length >= 8) break;
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && !scrolls(el)) {
      const cls = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      wide.push(`${el.tagName.toLowerCase()}${cls} (right edge at ${Math.round(box.right)}px)`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    width: width,
    bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
    mainFont: parseFloat(getComputedStyle(document.querySelector('main') || document.body).fontSize),
    wide: wide,
  };
}"""


# --- fixtures ------------------------------------------------------------------------------



@dataclass
class Recorder:
    """Every request a browser context makes; anything not on 127.0.0.1 is recorded, then aborted."""

    requests: list[str] = field(default_factory=list)

    def attach(self, context) -> None:
        context.on("request", lambda request: self.requests.append(request.url))
        context.route(lambda url: not _is_local(url), lambda route: route.abort())

    def foreign(self) -> list[str]:
        return sorted({url for url in self.requests if not _is_local(url)})


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "file"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == LOCAL_HOST


@pytest.fixture()
def phone(browser):
    recorder = Recorder()
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    recorder.attach(context)
    page = context.new_page()
    page.recorder = recorder
    yield page
    context.close()


def _key_pages(site: Path) -> dict[str, str]:
    """Site-relative paths of the pages every layout test looks at: the handbook home, a step,
    and every circle's home and calendar, and the circles list."""
    steps = sorted(p.parent.name for p in (site / "steps").glob("*/index.html")
                   if 'http-equiv="refresh"' not in p.read_text("utf-8"))  # not an old address's redirect
    circles = sorted(p.parent.parent.name for p in (site / "circles").glob("*/calendar/index.html"))
    assert steps and circles, "the example site should have steps and circles"
    pages = {"handbook home": "index.html", "step page": f"steps/{steps[0]}/index.html",
             "circles list": "circles/index.html"}  # issue 16 point 12: joining details, a long contact
    for slug in circles:
        pages[f"circle home ({slug})"] = f"circles/{slug}/index.html"
        pages[f"circle calendar ({slug})"] = f"circles/{slug}/calendar/index.html"
    return pages


# --- (a) phone layout ----------------------------------------------------------------------

def test_phone_layout_has_no_horizontal_overflow_and_readable_text(served, phone):
    site, base = served
    shots = os.environ.get("CIRCLEPRESS_SCREENSHOTS")  # a folder to keep the phone screenshots in
    failures = []
    for name, path in _key_pages(site).items():
        response = phone.goto(base + path)
        assert response is not None and response.status == 200, f"{name}: {base + path} did not load"
        layout = phone.evaluate(LAYOUT_JS, PHONE["viewport"]["width"])
        if layout["scrollWidth"] > min(layout["innerWidth"], layout["width"]):
            failures.append(f"{name} ({path}): page is {layout['scrollWidth']}px wide on a "
                            f"{layout['width']}px screen; too wide: {', '.join(layout['wide']) or '?'}")
        for what in ("bodyFont", "mainFont"):
            if layout[what] < 16:
                failures.append(f"{name} ({path}): {what} is {layout[what]}px, under 16px")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            phone.screenshot(path=str(Path(shots) / (path.replace("/", "_") + ".png")), full_page=True)
    assert not failures, listing(failures)
    assert not phone.recorder.foreign(), phone.recorder.foreign()


# --- (b) and (e): crawl over HTTP ----------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a link must name the file itself: a redirect is reported, not followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def _fetch(url: str) -> tuple[int, str]:
    try:
        with _OPENER.open(url, timeout=20) as response:
            response.read()
            return response.status, response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@dataclass
class Crawl:
    pages: list[str]
    failures: list[str]
    requests: Recorder


@pytest.fixture(scope="module")
def http_crawl(served, browser) -> Crawl:
    """Load every page under /repo/ in Chromium and check every internal href/src it has.

    It starts at /repo/ and is also seeded with every built page, so pages that nothing links to
    (a private circle's, the 404 page) are checked as well."""
    site, base = served
    origin = base[: -len(BASE_URL)]
    recorder = Recorder()
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    recorder.attach(context)
    page = context.new_page()
    seeds = [base] + [base + p.relative_to(site).as_posix() for p in html_files(site, redirects=False)]
    queue = deque((url, "(start)") for url in seeds)
    seen = set(seeds)
    pages, failures = [], []
    try:
        while queue:
            url, referrer = queue.popleft()
            status, kind = _fetch(url)
            if status != 200:
                failures.append(f"{url[len(origin):]} -> HTTP {status} (linked from {referrer})")
                continue
            if kind != "text/html":
                continue
            response = page.goto(url)
            if response is None or response.status != 200:
                failures.append(f"{url[len(origin):]} did not load in the browser (linked from {referrer})")
                continue
            pages.append(url)
            for raw in page.evaluate(LINKS_JS):
                target = urldefrag(urljoin(url, raw.strip())).url
                parts = urlsplit(target)
                if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(origin).netloc:
                    continue  # an outside link (never followed: there is no network) or mailto: etc.
                if not parts.path.startswith(BASE_URL):
                    failures.append(f"{url[len(origin):]}: link {raw!r} leaves the site's {BASE_URL}")
                    continue
                if target not in seen:
                    seen.add(target)
                    queue.append((target, url[len(origin):]))
    finally:
        context.close()
    return Crawl(pages, failures, recorder)


def test_every_internal_link_resolves_over_http(served, http_crawl):
    site, _ = served
    assert len(http_crawl.pages) >= len(html_files(site, redirects=False)), "the crawl missed pages"
    assert not http_crawl.failures, f"{len(http_crawl.failures)} broken link(s):\n" + listing(http_crawl.failures)


def test_pages_request_nothing_but_the_site_itself(http_crawl, served, phone):
    site, base = served
    # Every page of the crawl, and the key pages on a phone (which may load other things).
    for path in _key_pages(site).values():
        phone.goto(base + path)
        phone.wait_for_load_state("networkidle")
    foreign = sorted(set(http_crawl.requests.foreign() + phone.recorder.foreign()))
    assert http_crawl.requests.requests, "no requests were recorded"
    assert not foreign, "requests to hosts other than 127.0.0.1:\n" + "\n".join(foreign)


# --- (c) the same from file:// -------------------------------------------------------------

def test_every_relative_link_works_from_file_urls(served, browser):
    """Open index.html from disk and follow every relative href/src: each must name a file that
    exists (a folder would show a directory listing or nothing), and each page must load.

    Pages that nothing links to are seeded too, except 404.html, whose links are absolute on
    purpose (a host serves it at any URL)."""
    site, _ = served
    site = site.resolve()
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    recorder = Recorder()
    recorder.attach(context)
    page = context.new_page()
    start = site / "index.html"
    seeds = [start] + [p for p in html_files(site, redirects=False) if p not in (start, site / "404.html")]
    queue = deque((p, "(start)") for p in seeds)
    seen = set(seeds)
    failures, loaded = [], 0
    try:
        while queue:
            path, referrer = queue.popleft()
            url = path.as_uri()
            page.goto(url)
            if not page.evaluate("() => !!document.querySelector('main') && document.title.length > 0"):
                failures.append(f"{path.relative_to(site)} did not load as a page (linked from {referrer})")
                continue
            loaded += 1
            here = path.relative_to(site).as_posix()
            for raw in page.evaluate(LINKS_JS):
                raw = raw.strip()
                scheme = urlsplit(raw).scheme
                if scheme or raw.startswith("//"):
                    continue  # http(s):, mailto: and the like: not part of the site
                if raw.startswith("#") or raw == "":
                    continue  # this page
                if raw.startswith("/"):
                    failures.append(f"{here}: link {raw!r} is root-relative and breaks from file://")
                    continue
                target = Path(unquote(urlsplit(urljoin(url, raw)).path))
                shown = f"{here}: link {raw!r}"
                if target != site and site not in target.parents:
                    failures.append(f"{shown} leaves the site folder")
                elif target.is_dir():
                    failures.append(f"{shown} names a folder, not a file (a directory listing from file://)")
                elif not target.is_file():
                    failures.append(f"{shown} names a missing file")
                elif target.suffix == ".html" and target not in seen:
                    seen.add(target)
                    queue.append((target, here))
    finally:
        context.close()
    assert loaded >= len(html_files(site, redirects=False)) - 1, "the file:// crawl missed pages"
    assert not failures, f"{len(failures)} problem(s) from file://:\n" + listing(failures)
    assert not recorder.foreign(), recorder.foreign()


# --- (d) print -----------------------------------------------------------------------------

def test_calendar_prints_without_navigation(served, browser):
    site, base = served
    calendars = [path for name, path in _key_pages(site).items() if name.startswith("circle calendar")]
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        for path in calendars:
            page.goto(base + path)
            page.emulate_media(media="screen")
            assert page.locator("nav.site-nav").is_visible(), f"{path}: the nav should show on screen"
            page.emulate_media(media="print")
            navs = page.locator("nav")
            assert navs.count() >= 1
            for i in range(navs.count()):
                assert navs.nth(i).is_hidden(), f"{path}: nav #{i} still shows in print"
            table = page.locator("table.sessions")
            assert table.count() == 1, f"{path}: expected one sessions table"
            assert table.is_visible(), f"{path}: the sessions table is hidden in print"
            assert table.locator("tbody tr").count() >= 1
            box = table.bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0
    finally:
        context.close()
