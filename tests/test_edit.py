"""`circlepress edit` (issue 14) with a scripted $EDITOR, run as a user runs it (a real process, real
signals): a good save re-seals, no change leaves the bytes alone, a bad save is located and
reopened, and an interrupted edit leaves no plaintext anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import VALID_CIRCLE, write_files
from pyrage import x25519

from private_support import open_page, private

MARKER = "Zebra-Marker-7731"  # a string only the edited plaintext holds
GENERATOR = str(Path(__file__).resolve().parents[1] / "generator")


@pytest.fixture
def sealed(tmp_path) -> tuple[Path, dict[str, str]]:
    """A programme whose private circle `lab` is sealed to a fresh identity, and the environment to run it in."""
    key = x25519.Identity.generate()
    key_file = tmp_path / "me.txt"
    key_file.write_text(f"{key}\n")
    key_file.chmod(0o600)
    root = write_files(tmp_path / "p", {"sites/lab/circle.yaml": private(VALID_CIRCLE, "lab"),
                                        "recipients.txt": f"{key.to_public()}\n"})
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "PYTHONPATH": GENERATOR, "CIRCLEPRESS_AGE_KEY_FILE": str(key_file),
           "TMPDIR": str(tmp_path / "tmp"), "VISUAL": ""}
    env.pop("CIRCLEPRESS_AGE_KEY", None)
    assert run(root, env, "seal", "lab").returncode == 0
    return root, env


def editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a Python script whose `body` gets the file's path as `path` (and `count`, its run)."""
    script = tmp_path / "editor.py"
    script.write_text("import os, signal, sys, time\nfrom pathlib import Path\npath = Path(sys.argv[1])\n"
                      f"runs = Path({str(tmp_path / 'runs')!r})\ncount = len(runs.read_text()) if runs.exists() else 0\n"
                      "runs.write_text('x' * (count + 1))\n" + textwrap.dedent(body))
    return f"{sys.executable} {script}"


def run(root: Path, env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "circlepress.cli", *args, "--root", str(root)], env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def plaintext_left(tmp_path: Path) -> list[str]:
    """Every file under the test's folders (its TMPDIR and the programme) that holds the marker."""
    return sorted(str(p) for p in tmp_path.rglob("*") if p.is_file() and p.name != "editor.py"
                  and MARKER.encode() in p.read_bytes())


def decrypted(root: Path, env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-m", "circlepress.cli", "decrypt", str(root / "sites/lab/circle.yaml.age")],
                          env=env, capture_output=True, text=True, check=True).stdout


def test_a_good_save_is_resealed_and_builds(tmp_path, sealed):
    root, env = sealed
    env["EDITOR"] = editor(tmp_path, f"path.write_text(path.read_text().replace('Test Circle', '{MARKER}'))\n"
                                     "assert oct(path.stat().st_mode & 0o777) == '0o600'\n"
                                     "assert oct(path.parent.stat().st_mode & 0o777) == '0o700'\n")
    done = run(root, env, "edit", "lab")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Wrote sites/lab/circle.yaml.age.\n"
    assert sorted(p.name for p in (root / "sites/lab").iterdir()) == ["circle.yaml.age"]
    assert MARKER in decrypted(root, env)
    assert plaintext_left(tmp_path) == []  # sealed on disk, no copy left in TMPDIR
    built = run(root, env, "build")
    assert built.returncode == 0, built.stderr
    assert MARKER in open_page(root / "_site", "lab")


def test_no_change_leaves_the_sealed_bytes_alone(tmp_path, sealed):
    root, env = sealed
    path = root / "sites/lab/circle.yaml.age"
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    env["EDITOR"] = editor(tmp_path, "path.write_text(path.read_text())\n")  # saved, but the same text
    done = run(root, env, "edit", "lab")
    assert done.returncode == 0, done.stderr
    assert "No change written; sites/lab/circle.yaml.age is as it was." in done.stdout
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp


def test_a_bad_save_is_located_and_edited_again(tmp_path, sealed):
    root, env = sealed
    env["EDITOR"] = editor(tmp_path, f"""\
        text = path.read_text()
        if count == 0:
            path.write_text(text.replace('facilitators: [bo]', 'facilitators: [nobody]'))
        else:
            path.write_text(text.replace('facilitators: [nobody]', 'facilitators: [ana]').replace('Test Circle', '{MARKER}'))
        """)
    done = run(root, env, "edit", "lab", stdin="e\n")
    assert done.returncode == 0, done.stderr
    assert ("sites/lab/circle.yaml.age:16:51: facilitator 'nobody' is not a member of this circle "
            "(allowed: ana, bo)") in done.stderr.splitlines()
    assert "(e)dit again / (d)iscard" in done.stderr
    text = decrypted(root, env)
    assert MARKER in text and "nobody" not in text and "facilitators: [ana]}\n  - {date: 2027-03-11" in text
    assert plaintext_left(tmp_path) == []


def test_a_bad_save_discarded_changes_nothing(tmp_path, sealed):
    root, env = sealed
    path = root / "sites/lab/circle.yaml.age"
    before = path.read_bytes()
    env["EDITOR"] = editor(tmp_path, f"path.write_text(path.read_text() + 'colour: {MARKER}\\n')\n")
    done = run(root, env, "edit", "lab", stdin="d\n")
    assert done.returncode == 0, done.stderr
    assert "sites/lab/circle.yaml.age:" in done.stderr and "unknown key 'colour'" in done.stderr
    assert path.read_bytes() == before and plaintext_left(tmp_path) == []


def test_sigint_from_the_editor_leaves_no_plaintext(tmp_path, sealed):
    root, env = sealed
    path = root / "sites/lab/circle.yaml.age"
    before = path.read_bytes()
    env["EDITOR"] = editor(tmp_path, f"path.write_text(path.read_text() + '# {MARKER}\\n')\n"
                                     "os.kill(os.getppid(), signal.SIGINT)\ntime.sleep(0.5)\nsys.exit(130)\n")
    done = run(root, env, "edit", "lab")
    assert done.returncode == 1
    assert "the editor exited with status 130; nothing was written" in done.stderr
    assert path.read_bytes() == before and plaintext_left(tmp_path) == []


def test_sigterm_while_the_editor_runs_leaves_no_plaintext(tmp_path, sealed):
    root, env = sealed
    path = root / "sites/lab/circle.yaml.age"
    before = path.read_bytes()
    ready = tmp_path / "ready"
    env["EDITOR"] = editor(tmp_path, f"path.write_text(path.read_text() + '# {MARKER}\\n')\n"
                                     f"Path({str(ready)!r}).write_text('')\ntime.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-m", "circlepress.cli", "edit", "lab", "--root", str(root)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists() and plaintext_left(tmp_path)  # the copy is there while the editor runs
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Stopped by SIGTERM; nothing was written" in err
    assert path.read_bytes() == before and plaintext_left(tmp_path) == []


def test_a_plain_circle_is_edited_the_same_way_and_stays_plain(tmp_path):
    root = write_files(tmp_path / "p", {"sites/open/circle.yaml": VALID_CIRCLE})
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "PYTHONPATH": GENERATOR, "TMPDIR": str(tmp_path / "tmp"), "VISUAL": "",
           "EDITOR": editor(tmp_path, f"path.write_text(path.read_text().replace('Test Circle', '{MARKER}'))\n")}
    done = run(root, env, "edit", "open")
    assert done.returncode == 0, done.stderr
    assert MARKER in (root / "sites/open/circle.yaml").read_text()
    assert sorted(p.name for p in (root / "sites/open").iterdir()) == ["circle.yaml"]
    assert not list((tmp_path / "tmp").glob("circlepress-edit-*"))


def test_an_unknown_page_is_located(tmp_path, sealed):
    root, env = sealed
    env["EDITOR"] = editor(tmp_path, "")
    done = run(root, env, "edit", "lab", "reading")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == ("sites/lab/reading.md:1:1: circle 'lab' has no page 'reading' (its pages: "
                                           "none yet; write a new page with your editor, then `circlepress seal`)")


def test_the_copy_is_checked_as_the_circle_it_is(tmp_path, sealed):
    """The copy's folder is named like the circle's, so the checks see the same slug (not the temp folder's)."""
    root, env = sealed
    env["EDITOR"] = editor(tmp_path, "path.write_text(path.read_text().split('access:')[0])\n")  # key removed
    done = run(root, env, "edit", "lab", stdin="d\n")
    assert done.returncode == 0, done.stderr
    assert "this private circle has no 'access: key:' (run `circlepress rotate lab` to" in done.stderr
    assert "not a safe URL segment" not in done.stderr
