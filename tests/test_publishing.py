"""Publishing: the Pages workflow, `circlepress new DIR`, and `build --strict`'s output checks."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from circlepress.cli import main

from conftest import REPO, require_tool
from private_support import keys_for

STARTER_WORKFLOW = REPO / "generator/circlepress/starter/workflows/pages.yml"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("workflow", [REPO / ".github/workflows/pages.yml", STARTER_WORKFLOW])
def test_the_pages_workflow_is_valid_and_has_no_zizmor_findings(workflow):
    require_tool(shutil.which("check-jsonschema") is not None, "check-jsonschema (pip install -e '.[test]')")
    require_tool(shutil.which("zizmor") is not None, "zizmor (pip install -e '.[test]')")
    schema = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
                            capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(["zizmor", "--offline", "--no-progress", str(workflow)], capture_output=True, text=True)
    assert audit.returncode == 0 and "No findings" in audit.stdout, audit.stdout + audit.stderr
    text = workflow.read_text()
    assert "permissions: {}" in text
    for action in ("checkout", "setup-python", "configure-pages", "upload-pages-artifact", "deploy-pages"):
        assert f"actions/{action}@" in text
    assert "@v" not in text.replace("# v", "")  # every action pinned to a commit SHA


def test_this_repository_publishes_with_the_same_workflow_new_programmes_get():
    assert (REPO / ".github/workflows/pages.yml").read_text() == STARTER_WORKFLOW.read_text()


def test_new_programme_builds_checks_clean_and_ignores_its_state(tmp_path):
    folder = tmp_path / "our-programme"
    made = run("new", str(folder))
    assert made.exit_code == 0, made.output
    for name in ("circlepress.yaml", ".gitignore", "README.md", ".github/workflows/pages.yml",
                 "pages-requirements.txt", "content/index.md", "content/steps/08-make-a-calendar.md",
                 "sites/our-first-circle/circle.yaml", "schema/circle.schema.json"):
        assert (folder / name).is_file(), name
    checked = run("check", "--root", str(folder), "--strict")
    assert checked.exit_code == 0 and "0 warnings" in checked.output, checked.output
    built = run("build", "--root", str(folder), "--strict", "--base-url", "https://someone.github.io/our-programme/")
    assert built.exit_code == 0, built.output
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    ignored = subprocess.run(["git", "-C", str(folder), "check-ignore", ".circlepress/build-state", "_site/index.html"],
                             capture_output=True, text=True)
    assert ignored.returncode == 0 and ".circlepress/build-state" in ignored.stdout
    again = run("new", str(folder))
    assert again.exit_code == 1 and "not empty" in again.output


def _project_with(make_site, page: str):
    shutil.copytree(REPO / "content", make_site().joinpath("content"))
    return make_site({"content/extra.md": "---\ntitle: Extra\norder: 50\n---\n" + page,
                      "sites/lab/circle.yaml": (REPO / "sites/early-independence/circle.yaml").read_text()})


@pytest.mark.parametrize("body, message", [
    ("See [the list](../nowhere/list.html).\n", "link '../nowhere/list.html' points to nowhere/list.html, which "
                                                 "the build does not write"),
    ("See [step 8](steps/08-make-a-calendar.md#no-such-part).\n",
     "link '../steps/08-make-a-calendar/index.html#no-such-part': steps/08-make-a-calendar/index.html has no "
     "element with id 'no-such-part'"),
    ("See [ours](../p/{token}/index.html).\n", "link '../p/{token}/index.html' points into a private circle from "
                                               "a public page"),
])
def test_strict_build_checks_the_output_and_names_the_source(make_site, tmp_path, body, message):
    token = keys_for("early-independence").token  # the example's circle, copied to sites/lab with its key
    root = _project_with(make_site, body.format(token=token))
    out = tmp_path / "out"
    assert run("build", "--root", str(root), "--out", str(out)).exit_code == 0  # not strict: no output check
    shutil.rmtree(out)
    result = run("build", "--root", str(root), "--out", str(out), "--strict")
    assert result.exit_code == 1
    assert "content/extra.md:1:1: extra/index.html:" in result.output
    assert message.format(token=token) in result.output
    assert not out.exists()


def test_the_example_site_passes_strict_under_a_subpath(tmp_path):
    result = run("build", "--root", str(REPO), "--out", str(tmp_path / "out"), "--strict", "--base-url", "/repo/")
    assert result.exit_code == 0, result.output
    assert not [p for p in (tmp_path / "out").rglob(".*")]  # nothing a host or the upload action drops


def test_what_hosts_expect(tmp_path):
    out = tmp_path / "out"
    assert run("build", "--root", str(REPO), "--out", str(out), "--base-url", "https://user.github.io/repo/").exit_code == 0
    home = (out / "index.html").read_text()
    assert '<link rel="canonical" href="https://user.github.io/repo/">' in home
    assert '<link rel="icon" href="assets/favicon.svg"' in home and (out / "assets/favicon.svg").is_file()
    assert "Sitemap: https://user.github.io/repo/sitemap.xml" in (out / "robots.txt").read_text()
    assert "<loc>https://user.github.io/repo/steps/08-make-a-calendar/</loc>" in (out / "sitemap.xml").read_text()
    not_found = (out / "404.html").read_text()
    assert 'href="/repo/assets/style.css"' in not_found and "canonical" not in not_found
    for base in ("/repo/", "https://circles.example.org/"):
        assert run("build", "--root", str(REPO), "--out", str(tmp_path / base.strip("/:")), "--base-url", base,
                   "--strict").exit_code == 0
