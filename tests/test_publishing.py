"""Publishing: the Pages workflow, `circlepress new DIR`, and `build --strict`'s output checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from circlepress.cli import main
from circlepress.scaffold.selfwheel import WHEEL_NAME

from conftest import REPO, VALID_CIRCLE, require_tool
from private_support import keys_for, private

STARTER_WORKFLOW = REPO / "generator/circlepress/scaffold/starter/workflows/pages.yml"


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


def _install_step(workflow: dict) -> dict:
    return next(s for s in workflow["jobs"]["build"]["steps"] if s.get("name", "").startswith("Install circlepress"))


def test_this_repository_publishes_with_the_same_workflow_new_programmes_get():
    """The same workflow but for the install step: this repository installs its own source, not a vendored wheel."""
    ours, starter = (yaml.safe_load(p.read_text()) for p in (REPO / ".github/workflows/pages.yml", STARTER_WORKFLOW))
    check = "(cd vendor && sha256sum --check --strict SHA256SUMS)\n"
    assert check in _install_step(starter)["run"]
    assert _install_step(ours)["run"] == _install_step(starter)["run"].replace(check, "")
    _install_step(ours).clear(), _install_step(starter).clear()
    assert ours == starter
    build = starter["jobs"]["build"]
    assert build["environment"] == "github-pages" and "CIRCLEPRESS_SECRET" not in STARTER_WORKFLOW.read_text()
    setup = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip" and setup["with"]["cache-dependency-path"] == "pages-requirements.txt"


def test_new_programme_builds_checks_clean_and_ignores_its_output(tmp_path):
    folder = tmp_path / "our-programme"
    made = run("new", str(folder))
    assert made.exit_code == 0, made.output
    for name in ("circlepress.yaml", ".gitignore", ".gitattributes", "recipients.txt", "README.md",
                 ".github/workflows/pages.yml",
                 f"vendor/{WHEEL_NAME}", "vendor/SHA256SUMS",
                 "pages-requirements.txt", "content/index.md", "content/steps/make-a-calendar.md",
                 "sites/our-first-circle/circle.yaml", "schema/circle.schema.json",
                 "schema/questionnaire.schema.json"):
        assert (folder / name).is_file(), name
    editor = json.loads((folder / ".vscode/settings.json").read_text())["yaml.schemas"]
    assert editor["./schema/questionnaire.schema.json"] == ["questionnaire.yaml"]
    checked = run("check", "--root", str(folder), "--strict")
    assert checked.exit_code == 0 and "0 warnings" in checked.output, checked.output
    built = run("build", "--root", str(folder), "--strict", "--base-url", "https://someone.github.io/our-programme/")
    assert built.exit_code == 0, built.output
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    ignored = subprocess.run(["git", "-C", str(folder), "check-ignore", ".circlepress/build-state",
                              "_site/index.html"], capture_output=True, text=True)
    assert ignored.returncode == 0 and "_site/index.html" in ignored.stdout and ".circlepress/build-state" in ignored.stdout
    tracked = subprocess.run(["git", "-C", str(folder), "check-ignore", f"vendor/{WHEEL_NAME}"])
    assert tracked.returncode == 1  # the wheel is committed: the workflow installs it
    diff = subprocess.run(["git", "-C", str(folder), "check-attr", "diff", "sites/a/circle.yaml.age"],
                          capture_output=True, text=True)
    assert diff.stdout.strip() == "sites/a/circle.yaml.age: diff: circlepress"
    readme = (folder / "README.md").read_text()
    for step in ("circlepress keys new", "recipients.txt", "circlepress seal --all", "CIRCLEPRESS_AGE_KEY",
                 "github-pages", "**public**", "circlepress new --upgrade ."):
        assert step in readme, step
    again = run("new", str(folder))
    assert again.exit_code == 1 and "not empty" in again.output


def _steps(programme, names: tuple[str, ...]) -> list[dict]:
    steps = yaml.safe_load((programme / ".github/workflows/pages.yml").read_text())["jobs"]["build"]["steps"]
    return [next(s for s in steps if s.get("name", "").startswith(name)) for name in names]


def test_a_new_programme_installs_and_builds_as_its_workflow_is_written(tmp_path):
    """The workflow's install and build steps, run as written in a fresh venv: the vendored wheel is
    checked and installed (its dependencies from the index, no OR-Tools), and builds the programme.
    That install then makes a programme of its own whose wheel has the same bytes; a changed wheel stops."""
    programme = tmp_path / "our-programme"
    assert run("new", str(programme)).exit_code == 0
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", "BASE_URL": "https://someone.github.io/our-programme"}

    def bash(script: str, cwd=programme):
        return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)

    for step in _steps(programme, ("Install circlepress", "Build")):
        done = bash(step["run"])
        assert done.returncode == 0, step["run"] + "\n" + done.stdout + done.stderr
    assert (programme / "_site/index.html").is_file()
    assert bash("python -c 'import ortools'").returncode == 1  # the publishing install stays light
    again = bash(f"circlepress new {tmp_path / 'second'}", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "second/vendor" / WHEEL_NAME).read_bytes() == (programme / "vendor" / WHEEL_NAME).read_bytes()
    installed = bash("python -c 'import circlepress.cli as c; print(c.__file__)'").stdout.strip()
    with open(installed, "a") as changed:
        changed.write("# changed after install\n")
    refused = bash(f"circlepress new {tmp_path / 'third'}", cwd=tmp_path)
    assert refused.returncode == 1 and "cli.py:1:1: this file differs from the circlepress wheel" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "third").exists()
    with (programme / "vendor" / WHEEL_NAME).open("ab") as wheel:
        wheel.write(b"\0")
    tampered = bash(_steps(programme, ("Install circlepress",))[0]["run"])
    assert tampered.returncode != 0 and f"{WHEEL_NAME}: FAILED" in tampered.stdout, tampered.stdout


def _project_with(make_site, page: str):
    shutil.copytree(REPO / "content", make_site().joinpath("content"))
    return make_site({"content/extra.md": "---\ntitle: Extra\norder: 50\n---\n" + page,
                      "sites/lab/circle.yaml": (REPO / "sites/early-independence/circle.yaml").read_text()})


@pytest.mark.parametrize("body, where, message", [
    ("See [the list](../nowhere/list.html).\n", "5:16", "link '../nowhere/list.html' points to nowhere/list.html, "
                                                         "which the build does not write"),
    ("See [step 8](steps/make-a-calendar.md#no-such-part).\n", "5:14",
     "link '../steps/make-a-calendar/index.html#no-such-part': steps/make-a-calendar/index.html has no "
     "element with id 'no-such-part'"),
    ("See [ours](../p/{token}/index.html).\n", "5:12", "link '../p/{token}/index.html' points into a private circle "
                                                       "from a public page"),
])
def test_strict_build_checks_the_output_and_names_the_source(make_site, tmp_path, body, where, message):
    """Located where the source writes the link (its file, line and column)."""
    token = keys_for("early-independence").token  # the example's circle, copied to sites/lab with its key
    root = _project_with(make_site, body.format(token=token))
    out = tmp_path / "out"
    assert run("build", "--root", str(root), "--out", str(out)).exit_code == 0  # not strict: no output check
    shutil.rmtree(out)
    result = run("build", "--root", str(root), "--out", str(out), "--strict")
    assert result.exit_code == 1
    assert f"content/extra.md:{where}: extra/index.html:" in result.output
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
    assert "<loc>https://user.github.io/repo/steps/make-a-calendar/</loc>" in (out / "sitemap.xml").read_text()
    not_found = (out / "404.html").read_text()
    assert 'href="/repo/assets/style.css"' in not_found and "canonical" not in not_found
    for base in ("/repo/", "https://circles.example.org/"):
        assert run("build", "--root", str(REPO), "--out", str(tmp_path / base.strip("/:")), "--base-url", base,
                   "--strict").exit_code == 0


def test_a_circle_page_linking_into_a_private_circle_is_located_in_the_page(make_site, tmp_path):
    """Not at circle.yaml:1:1: at the extra page's own file, line and column."""
    hidden = private(VALID_CIRCLE, "lab-b")
    url = keys_for("lab-b").url
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "sites/lab-b/circle.yaml": hidden,
                      "sites/lab-a/reading.md": f"---\ntitle: Reading\n---\nPapers.\n\nSee [them](../../../{url}).\n"})
    result = run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--strict")
    assert result.exit_code == 1
    assert result.output.startswith("sites/lab-a/reading.md:6:12: circles/lab-a/reading/index.html:"), result.output
    assert "points into a private circle from a public page" in result.output


@pytest.mark.parametrize("base", ["https://circles.example.org/", "https://circles.example.org/repo/"])
def test_links_to_the_sites_own_address_are_checked_like_relative_ones(make_site, tmp_path, base):
    """https, http or protocol-relative, with '..': the site's own address into a
    private circle is refused, and a broken one is reported; other sites, and other paths on
    the same host (a GitHub user's other projects), are not checked."""
    hidden = private(VALID_CIRCLE, "lab-b")
    url = keys_for("lab-b").url
    own = base.split("//")[1]
    shouted = own.replace("circles.example.org", "CIRCLES.Example.org")  # host names are not case-sensitive
    page = (f"[a](https://{own}{url}) [b](//{own}{url}index.html) [c](http://{shouted}{url})\n"
            f"[d](https://{own.replace('.org', '.org.')}circles/../{url}#x) [e](https://{own}circles/lab-a/gone/)\n"
            f"[f](https://circles.example.net/{url}) [g](https://circles.example.org/other/{url}) "
            f"[h](https://{own}circles/lab-a/)\n")
    root = make_site({"sites/lab-a/circle.yaml": VALID_CIRCLE, "sites/lab-b/circle.yaml": hidden,
                      "sites/lab-a/reading.md": "---\ntitle: Reading\n---\n" + page})
    result = run("build", "--root", str(root), "--out", str(tmp_path / "out"), "--strict", "--base-url", base)
    assert result.exit_code == 1
    found = [(line.split(": ")[0].split(":"), line.split("' ", 1)[1].split(" (fix")[0])
             for line in result.output.splitlines()[:-1]]
    into, gone = "points into a private circle from a public page", "which the build does not write"
    expected = [(4, into), (4, into), (4, into), (5, into), (5, gone)] + [(6, gone)] * base.endswith(".org/")
    assert [(int(where[1]), message.split(", ")[-1]) for where, message in found] == expected, found
    assert {where[0] for where, _ in found} == {"sites/lab-a/reading.md"}
    first, second = f"[a](https://{own}{url}) ", f"[b](//{own}{url}index.html) "
    assert [int(where[2]) for where, _ in found[:3]] == [5, 5 + len(first), 5 + len(first + second)]
