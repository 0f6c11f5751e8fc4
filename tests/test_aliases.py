"""Issue 17 point 5: steps keep their addresses when reordered; old addresses redirect."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from circlepress.programme.errors import CirclepressError
from circlepress.programme.handbook import load_handbook, step_identity

ROOT = Path(__file__).resolve().parents[1]


def _handbook(content: Path):
    return load_handbook(content, str)


def test_swapping_step_numbers_reorders_but_keeps_addresses(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    before = {p.source: p.url for p in _handbook(content).steps}
    order = [p.source for p in _handbook(content).steps]
    a, b = content / "steps/ask-for-commitment.md", content / "steps/make-a-calendar.md"
    a.write_text(a.read_text().replace("step: 7\n", "step: 8\n"))
    b.write_text(b.read_text().replace("step: 8\n", "step: 7\n"))
    steps = _handbook(content).steps
    assert {p.source: p.url for p in steps} == before
    assert [p.source for p in steps].index("steps/make-a-calendar.md") == order.index("steps/ask-for-commitment.md")
    assert step_identity(next(p for p in steps if p.meta.step == 7)) == "make-a-calendar"
    assert before["steps/foster-community.md"] == "steps/foster-community/"


def test_a_numbered_file_is_served_under_its_identity(tmp_path):
    (tmp_path / "steps").mkdir(parents=True)
    (tmp_path / "steps/10-foster-community.md").write_text("---\ntitle: Foster\nstep: 9\n---\nHi\n")
    (page,) = _handbook(tmp_path).steps
    assert page.url == "steps/foster-community/" and page.meta.step == 9


@pytest.mark.parametrize("alias, message", [
    ("steps/two/", "the alias 'steps/two/' is the address of steps/two.md"),
    ("../outside/", "the alias '../outside/' is not an address inside the site"),
    ("/abs/", "the alias '/abs/' is not an address inside the site"),
    ("steps/one/", "the alias 'steps/one/' is the address of that page itself"),
])
def test_a_bad_alias_is_a_located_error(tmp_path, alias, message):
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps/one.md").write_text(f"---\ntitle: One\nstep: 1\naliases:\n  - {alias}\n---\nHi\n")
    (tmp_path / "steps/two.md").write_text("---\ntitle: Two\nstep: 2\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        _handbook(tmp_path)
    shown = [p.format() for p in caught.value.problems]
    assert any(f"one.md:5:5: {message}" in s for s in shown), shown


def test_two_pages_claiming_one_alias(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A\naliases: [old/]\n---\nHi\n")
    (tmp_path / "b.md").write_text("---\ntitle: B\naliases: [old/]\n---\nHi\n")
    with pytest.raises(CirclepressError) as caught:
        _handbook(tmp_path)
    assert any("the alias 'old/' is the address of an alias in a.md" in p.format() for p in caught.value.problems)


@pytest.mark.parametrize("old, new", [
    ("steps/10-foster-community/", "steps/foster-community/"),
    ("circles/imaging-and-data/steps/08-make-a-calendar/", "circles/imaging-and-data/steps/make-a-calendar/"),
])
def test_an_old_address_redirects_in_chromium(served, browser, old, new):
    _, base = served
    page = browser.new_page()
    try:
        page.goto(base + old)
        page.wait_for_url(re.compile(re.escape(new)), timeout=5000)
        assert page.locator("h1").first.is_visible()
    finally:
        page.close()


def test_redirects_are_not_in_the_sitemap(served):
    site, _ = served
    sitemap = (site / "sitemap.xml").read_text() if (site / "sitemap.xml").is_file() else ""
    redirect = (site / "steps/10-foster-community/index.html").read_text()
    assert 'content="noindex"' in redirect and '<link rel="canonical"' in redirect
    assert 'url=../../steps/foster-community/' in redirect and '<a href="../../steps/foster-community/' in redirect
    if sitemap:
        assert "steps/foster-community/" in sitemap and "10-foster-community" not in sitemap


def test_render_sitemap_leaves_out_old_addresses():
    from types import SimpleNamespace

    from circlepress.build.sitemap import render_sitemap

    view = SimpleNamespace(base_path="/", origin="https://example.org", moved=("steps/10-x/",),
                           public_circles=(SimpleNamespace(url="circles/a/"),))
    xml = render_sitemap(view, ["steps/x/index.html", "steps/10-x/index.html", "circles/a/steps/10-x/index.html",
                                "circles/a/steps/x/index.html"]).decode()
    assert "steps/x/" in xml and "10-x" not in xml
