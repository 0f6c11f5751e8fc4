"""issue 17 point 6: `build --drafts` and `serve --drafts` publish pages marked `draft: true`, marked
as drafts (a banner, a label in the navigation, noindex); a normal build never publishes them, and
an incremental normal build after a preview removes them again."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from circlepress.cli import main
from circlepress.live.serve import LiveSite

REPO = Path(__file__).resolve().parents[1]
DRAFT = "---\ntitle: Not yet\norder: 15\ndraft: true\n---\nHidden until it is ready.\n"


def project(make_site, tmp_path) -> Path:
    shutil.copytree(REPO / "content", tmp_path / "project" / "content")
    return make_site({"content/secret-plans.md": DRAFT})


def build(root: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["build", "--root", str(root), *args], env={"CI": ""})
    assert result.exit_code == 0, result.output


def test_drafts_appear_only_in_a_drafts_build_marked_and_a_normal_build_removes_them(make_site, tmp_path):
    root = project(make_site, tmp_path)
    page = root / "_site" / "secret-plans" / "index.html"
    build(root)
    assert not page.exists() and "Not yet" not in (root / "_site/index.html").read_text()
    build(root, "--drafts")
    html = page.read_text()
    assert '<p class="draft-banner" role="note"><strong>Draft</strong>' in html
    assert '<meta name="robots" content="noindex,nofollow">' in html and "Hidden until it is ready." in html
    home = (root / "_site/index.html").read_text()
    assert 'Not yet <span class="draft-label">Draft</span></a>' in home  # listed in navigation, as a draft
    assert "draft-banner" not in home and 'name="robots"' not in home  # published pages are unmarked
    build(root)  # incremental: the preview's pages are not reused
    assert not page.exists() and "Not yet" not in (root / "_site/index.html").read_text()


def test_serve_drafts_serves_the_draft_marked(make_site, tmp_path):
    root = project(make_site, tmp_path)
    plain, preview = LiveSite(root, "/"), LiveSite(root, "/", drafts=True)
    assert plain.rebuild(jobs=1) is not None and preview.rebuild(jobs=1) is not None
    assert "secret-plans/index.html" not in plain.files
    assert b"draft-banner" in preview.files["secret-plans/index.html"]
