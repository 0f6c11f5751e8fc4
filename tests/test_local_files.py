""".circlepress/ holds the last build's state, every circle's plaintext, key and passphrase in
it: whatever the umask, only its owner can open any of it (files 0600, folders
0700), and so can only they read the temporary copy of a circle's YAML that `plan --write` makes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from circlepress.cli import main
from circlepress.programme.errors import CirclepressError
from circlepress.programme.localfiles import write_private

from private_support import test_key
from serve_support import Server

PLANNABLE = """\
name: Plan Circle
timezone: Europe/London
term: {start: 2027-01-01, months: 6}
defaults: {start: "16:00", place: Room 2}
repeat: {monthly_on: second thursday}
members:
  - {id: ana, name: Ana}
  - {id: bo, name: Bo}
  - {id: cy, name: Cy}
"""
PLANNABLE += f"access: {{key: {test_key('p')}}}\n"  # private: the key that its folder and pages derive from


@pytest.fixture
def no_umask(tmp_path, monkeypatch):
    """umask 0 (so any file made without an explicit mode is world-readable) and a cache folder
    of this test's own."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    old = os.umask(0)
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of `folder` and of everything under it, by path relative to its parent."""
    return {p.relative_to(folder.parent).as_posix(): stat.S_IMODE(p.lstat().st_mode)
            for p in [folder, *folder.rglob("*")]}


def assert_private(folder: Path) -> None:
    found = modes(folder)
    assert found == {path: 0o700 if (folder.parent / path).is_dir() else 0o600 for path in found}
    assert not [path for path in found if path.endswith("circlepress-tmp")]


def build(root: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["build", "--root", str(root), *args], env={"CI": ""})
    assert result.exit_code == 0, result.output


def test_everything_a_build_and_a_plan_write_is_private_whatever_the_umask(make_site, no_umask, tmp_path):
    root = make_site({"sites/p/circle.yaml": PLANNABLE})
    build(root)
    state = root / ".circlepress"
    assert {"build-state", "build-summary.json", "outputs.json"} <= {p.name for p in state.iterdir()}
    assert_private(state)
    assert_private(tmp_path / "cache/circlepress")  # the key that signs the state
    circle = root / "sites/p/circle.yaml"
    circle.chmod(0o640)
    result = CliRunner().invoke(main, ["plan", "p", "--root", str(root), "--write"])
    assert result.exit_code == 0 and "Wrote" in result.output, result.output
    assert "facilitators:" in circle.read_text() and stat.S_IMODE(circle.stat().st_mode) == 0o640
    assert sorted(p.name for p in circle.parent.iterdir()) == ["circle.yaml"]
    build(root)  # an incremental build rewrites the state
    build(root, "--out", str(tmp_path / "elsewhere"))  # and a build elsewhere the list of outputs
    assert_private(state)


def test_what_older_versions_left_open_is_closed_on_the_next_build(make_site, no_umask):
    root = make_site({"sites/p/circle.yaml": PLANNABLE})
    build(root)
    state = root / ".circlepress"
    (state / "old").mkdir()
    (state / "old/notes").write_text("left by an older version")
    for path in [state, *state.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    build(root)  # nothing to do: nothing is written, yet all is closed
    assert_private(state)


def test_a_private_write_never_shows_anyone_else_the_file(tmp_path):
    """The temporary file is 0600 from its first byte, even under umask 0; a refusing check
    leaves the old file as it was and no temporary file behind."""
    target = tmp_path / "circle.yaml"
    target.write_text("old\n")
    seen = []
    old = os.umask(0)
    try:
        write_private(target, "new\n", mode=0o644, check=lambda tmp: seen.append(stat.S_IMODE(tmp.stat().st_mode)))
        assert seen == [0o600] and target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o644

        def refuse(tmp: Path) -> None:
            raise CirclepressError([])

        with pytest.raises(CirclepressError):
            write_private(target, "bad\n", check=refuse)
    finally:
        os.umask(old)
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["circle.yaml"]


def test_serve_serves_a_private_circle_and_writes_no_secret(make_site, no_umask):
    """The dev server (here in a process started under umask 0) needs no site secret: it makes none."""
    root = make_site({"sites/p/circle.yaml": PLANNABLE})
    server = Server(root)
    try:
        assert server.state()["errors"] == []
    finally:
        server.stop()
    assert not (root / ".circlepress/secret").exists()
    if (root / ".circlepress").exists():
        assert_private(root / ".circlepress")
