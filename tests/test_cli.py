"""The command line, driven as a user would through Click's runner."""

from __future__ import annotations

import re

from click.testing import CliRunner

from circlepress import __version__
from circlepress.cli import main

from conftest import VALID_CIRCLE


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": "1800000000", **(env or {})})


def test_version_and_help():
    assert __version__ in run("--version").output
    help_text = run("--help").output
    for command in ("build", "check", "new"):
        assert command in help_text
    build_help = run("build", "--help").output
    for option in ("--out", "--strict", "--base-url", "--root"):
        assert option in build_help


def test_build_prints_a_one_line_summary(make_site, tmp_path):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    result = run("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"Built \d+ pages \(\d+ files, \d+ written\) for 1 circle in [\d.]+ s, \d+ warnings? -> .+out", summary)
    assert (tmp_path / "out" / "circles" / "a" / "index.html").is_file()


def test_errors_are_all_reported_once_with_exit_1_and_no_traceback(make_site, tmp_path):
    bad = VALID_CIRCLE.replace("timezone: Europe/London", "timezone: Europe/Londn")
    root = make_site({"sites/a/circle.yaml": bad,
                      "sites/b/circle.yaml": VALID_CIRCLE.replace("facilitators: [bo]", "facilitators: [zed]")})
    result = run("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "sites/a/circle.yaml:3:11: unknown time zone 'Europe/Londn' (did you mean 'Europe/London'?)" in result.output
    assert "sites/b/circle.yaml:16:51: facilitator 'zed' is not a member of this circle" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_base_url_flag_is_a_located_error(make_site):
    result = run("build", "--root", str(make_site()), "--base-url", "ftp://x")
    assert result.exit_code == 1
    assert "'ftp://x' is not a base URL" in result.output


def test_check_writes_nothing(make_site):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE})
    result = run("check", "--root", str(root))
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    assert not (root / "_site").exists()


def test_new_circle_writes_a_valid_commented_circle(make_site):
    root = make_site({"circlepress.yaml": "title: Ours\n"})
    result = run("new", "circle", "lab-a", "--root", str(root))
    assert result.exit_code == 0, result.output
    text = (root / "sites" / "lab-a" / "circle.yaml").read_text()
    assert text.count("#") > 10  # commented for the organiser
    checked = run("check", "--root", str(root))
    assert checked.exit_code == 0, checked.output
    assert run("new", "circle", "lab-a", "--root", str(root)).exit_code == 1  # never overwrites
    refused = run("new", "circle", "../evil", "--root", str(root))
    assert refused.exit_code == 1 and "is not a safe URL segment" in refused.output
    reserved = run("new", "circle", "nul", "--root", str(root))  # issue 13 item 16
    assert reserved.exit_code == 1 and "uses the device name 'NUL'" in reserved.output
    assert not (root / "sites" / "nul").exists()


def test_new_inside_a_programme_asks_whether_a_circle_was_meant_and_writes_nothing(tmp_path, monkeypatch):
    programme = tmp_path / "ours"
    assert run("new", str(programme)).exit_code == 0
    before = sorted(p for p in programme.rglob("*"))
    monkeypatch.chdir(programme / "sites")  # a parent holds circlepress.yaml
    result = run("new", "chem-circle")
    assert result.exit_code == 1
    assert "did you mean `circlepress new circle chem-circle`?" in result.output.lower()
    assert "Traceback" not in result.output
    assert sorted(p for p in programme.rglob("*")) == before  # nothing written
    monkeypatch.chdir(programme)
    assert run("new", "chem-circle").exit_code == 1 and not (programme / "chem-circle").exists()
    assert run("new", "circle", "chem-circle").exit_code == 0  # what was meant works
    assert (programme / "sites" / "chem-circle" / "circle.yaml").is_file()


def test_new_circle_outside_a_programme_says_where_to_run_it(tmp_path, monkeypatch):
    outside = tmp_path / "somewhere" / "deeper"
    outside.mkdir(parents=True)
    monkeypatch.chdir(outside)
    result = run("new", "circle", "x")
    assert result.exit_code == 1
    assert "is not a programme folder" in result.output
    assert "run it in a programme's folder" in result.output and "--root" in result.output
    assert not any(tmp_path.rglob("circle.yaml"))  # not ../sites/x/ nor ./sites/x/
    programme = tmp_path / "ours"
    assert run("new", str(programme)).exit_code == 0
    monkeypatch.chdir(programme / "content")  # inside a programme, below its folder: named
    inside = run("new", "circle", "x")
    assert inside.exit_code == 1 and f"--root {programme}" in inside.output
    assert not (programme / "sites" / "x").exists() and not (programme / "content" / "sites").exists()


def test_check_says_how_many_errors_and_never_that_nothing_was_written(make_site):
    bad = VALID_CIRCLE.replace("timezone: Europe/London", "timezone: Europe/Londn")
    result = run("check", "--root", str(make_site({"sites/a/circle.yaml": bad})))
    assert result.exit_code == 1
    assert "nothing was written" not in result.output  # check never writes
    assert result.output.strip().splitlines()[-1] == "1 error."


def test_help_shows_whole_descriptions_and_what_strict_checks():
    top = run("--help").output
    cut = re.compile(r"\.\.\.$", re.M)  # Click's cut short help ends a line with '...'
    assert not cut.search(top.split("Commands:")[1])
    assert "Validate the handbook, every circle and the config without writing anything." in " ".join(top.split())
    for group in ("new", "keys"):
        assert not cut.search(run(group, "--help").output.split("Commands:")[1])
    build_help = " ".join(run("build", "--help").output.split())
    assert "Treat warnings as errors, and check every link in the output" in build_help
    assert "If anything fails, the old output is left as it was." in build_help
    assert "`build --strict` also checks every link in the output" in " ".join(run("check", "--help").output.split())


def test_counts_are_singular_for_one(make_site):
    import re as _re
    root = make_site({"circlepress.yaml": "title: Ours\n"})
    assert run("new", "circle", "lab-a", "--root", str(root)).exit_code == 0
    path = root / "sites" / "lab-a" / "circle.yaml"
    text = path.read_text()
    sessions = [m.start() for m in _re.finditer(r"^  - date: ", text, _re.M)]
    path.write_text(text[:sessions[1]] + text[text.index("# Topics"):])  # one session left
    result = run("check", "--root", str(root))
    assert "only 1 fully specified session (" in result.output, result.output


def test_the_new_circle_template_shows_a_commented_repeat_rule(make_site):
    root = make_site({"circlepress.yaml": "title: Ours\n"})
    assert run("new", "circle", "lab-a", "--root", str(root)).exit_code == 0
    path = root / "sites" / "lab-a" / "circle.yaml"
    text = path.read_text()
    assert "# repeat:\n#   monthly_on: second thursday" in text
    uncommented = text.replace("# repeat:", "repeat:").replace("#   monthly_on:", "  monthly_on:")
    path.write_text(uncommented)  # the example, switched on, is valid
    checked = run("check", "--root", str(root))
    assert checked.exit_code == 0, checked.output


def _without_ortools(root, *args: str):
    """Run the CLI in a fresh process where `import ortools` fails as in an install without the extra."""
    import subprocess
    import sys
    code = "import sys; sys.modules['ortools'] = None; from circlepress.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args, "--root", str(root)], capture_output=True, text=True)


def test_plan_without_the_plan_extra_names_the_install_command_and_build_still_works(make_site, tmp_path):
    root = make_site({"sites/a/circle.yaml": VALID_CIRCLE.replace("facilitators: [bo]", "facilitators: []")})
    planned = _without_ortools(root, "plan", "a")
    assert planned.returncode == 1 and "Traceback" not in planned.stderr, planned.stderr
    assert planned.stderr.splitlines()[0] == ("sites/a/circle.yaml:1:1: `circlepress plan` needs OR-Tools, which is "
                                              "not installed (install it with: pip install \"circlepress[plan]\")")
    built = _without_ortools(root, "build", "--out", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr


def test_new_upgrade_vendors_this_circlepress_into_an_existing_programme(tmp_path):
    import subprocess
    from circlepress.scaffold.selfwheel import WHEEL_NAME
    programme = tmp_path / "ours"
    assert run("new", str(programme)).exit_code == 0
    vendor = programme / "vendor"
    (vendor / WHEEL_NAME).rename(vendor / "circlepress-0.0.9-py3-none-any.whl")
    (vendor / "SHA256SUMS").write_text("0" * 64 + "  circlepress-0.0.9-py3-none-any.whl\n")
    (programme / "pages-requirements.txt").write_text("./vendor/circlepress-0.0.9-py3-none-any.whl\n")
    (programme / "circlepress.yaml").write_text("title: Ours\n")
    result = run("new", "--upgrade", str(programme))
    assert result.exit_code == 0, result.output
    assert f"its workflow now installs circlepress {__version__}" in result.output
    assert sorted(p.name for p in vendor.iterdir()) == ["SHA256SUMS", WHEEL_NAME]
    checked = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=vendor, capture_output=True, text=True)
    assert checked.returncode == 0 and f"{WHEEL_NAME}: OK" in checked.stdout
    assert f"./vendor/{WHEEL_NAME}\n" in (programme / "pages-requirements.txt").read_text()
    assert (programme / "circlepress.yaml").read_text() == "title: Ours\n"  # nothing else touched
    refused = run("new", "--upgrade", str(tmp_path))
    assert refused.exit_code == 1 and "circlepress.yaml:1:1: this is not a programme folder" in refused.output
