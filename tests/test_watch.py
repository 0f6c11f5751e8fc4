"""`circlepress build --watch`: every save built into the output folder, a bad save reported
with its location while the output stays as it was, a clean stop, and a result equal to a
clean build that the next build in a new process finds up to date."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import NOW, REPO, record_render_processes
from test_incremental import clean_build, make_change, snapshot


class Watching:
    """`circlepress build --watch` in a subprocess, its output read line by line."""

    def __init__(self, root):
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
        self.proc = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "build",
                                      "--watch", "--root", str(root)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(line.rstrip("\n") for line in self.proc.stdout),
                         daemon=True).start()

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 30) -> int:
        """The index of the first line from `after` on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines[after:], start=after):
                if re.search(pattern, line):
                    return i
            if self.proc.poll() is not None and not any(re.search(pattern, x) for x in self.lines[after:]):
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines))

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def watching(project):
    running = Watching(project)
    running.wait_for(r"^Built \d+ pages")  # the first build
    yield running
    running.stop(signal.SIGKILL)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_each_save_is_built_into_the_output_and_the_result_equals_a_clean_build(watching, project, tmp_path):
    circle = project / "sites/imaging-and-data/circle.yaml"
    edit(circle, "Careers outside the lab", "Careers in industry")
    at = watching.wait_for(r"^Built \d+ pages \(\d+ files, [1-9]\d* written\)", after=1)
    assert "Careers in industry" in (project / "_site/circles/imaging-and-data/topics/index.html").read_text()
    step = project / "content/steps/ask-for-commitment.md"
    edit(step, "title: Ask for commitment", "title: Ask for a promise")
    watching.wait_for(r"^Built \d+ pages \(\d+ files, [1-9]\d* written\)", after=at + 1)
    assert "Ask for a promise" in (project / "_site/steps/ask-for-commitment/index.html").read_text()
    assert watching.stop() == 0
    assert watching.lines[-1] == "Stopped watching."
    assert not any("Traceback" in line for line in watching.lines)
    watched = snapshot(project / "_site")
    again = subprocess.run([sys.executable, "-c", "from circlepress.cli import main; main()", "build", "--root",
                            str(project)], capture_output=True, text=True,
                           env={**os.environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))})
    assert again.returncode == 0 and again.stdout.startswith("Nothing changed"), again.stdout + again.stderr
    assert watched == clean_build(project, tmp_path)


def test_a_bad_save_is_reported_with_its_location_and_leaves_the_output_as_it_was(watching, project):
    before = snapshot(project / "_site")
    circle = project / "sites/imaging-and-data/circle.yaml"
    good = circle.read_text()
    circle.write_text(good.replace("timezone: Europe/London", "timezone: Europe/Londn", 1))
    at = watching.wait_for(r"1 error; nothing was written\. Watching for the fix", after=1)
    assert re.match(r"sites/imaging-and-data/circle\.yaml:\d+:\d+: .*Europe/Londn", watching.lines[at - 1]), \
        watching.lines
    assert snapshot(project / "_site") == before
    assert watching.proc.poll() is None  # still watching
    circle.write_text(good.replace("Careers outside the lab", "Careers in industry"))
    watching.wait_for(r"^Built \d+ pages \(\d+ files, [1-9]\d* written\)", after=at + 1)
    assert "Careers in industry" in (project / "_site/circles/imaging-and-data/topics/index.html").read_text()
    assert not any("Traceback" in line for line in watching.lines)


@pytest.mark.parametrize("delay", [0, 0.05, 0.3])
def test_a_terminated_watch_stops_cleanly(watching, delay):
    time.sleep(delay)  # right after the first build's report, during the look for saves made meanwhile, or idle
    assert watching.stop(signal.SIGTERM) == 0, watching.lines
    assert watching.lines[-1] == "Stopped watching."
    assert not any("Traceback" in line for line in watching.lines)


def test_a_watch_stopped_during_its_first_build_stops_cleanly(project):
    running = Watching(project)
    try:
        deadline = time.monotonic() + 30
        while not any(project.glob("._site.circlepress-tmp-*")) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert running.stop(signal.SIGTERM) == 0, running.lines  # the first build has started writing
    finally:
        running.stop(signal.SIGKILL)
    assert running.lines[-1] == "Stopped watching.", running.lines
    assert not any("Traceback" in line or "Aborted" in line for line in running.lines)


def test_a_build_that_cannot_write_is_reported_and_watching_goes_on(watching, project):
    """The disk, not the sources: a page that cannot be replaced (a folder stands in its place)."""
    page = project / "_site/circles/imaging-and-data/topics/index.html"
    page.unlink()
    page.mkdir()
    circle = project / "sites/imaging-and-data/circle.yaml"
    edit(circle, "Careers outside the lab", "Careers in industry")
    at = watching.wait_for(r"^Watching for the fix", after=1)
    assert re.match(r"_site/circles/imaging-and-data/topics/index\.html:1:1: the build stopped: Is a directory",
                    watching.lines[at - 1]), watching.lines
    assert list(page.parent.iterdir()) == [page]  # no half-written file left beside it
    page.rmdir()
    edit(circle, "Careers in industry", "Careers in biotech")
    watching.wait_for(r"^Built \d+ pages \(\d+ files, \d+ written\)", after=at + 1)
    assert "Careers in biotech" in page.read_text()
    assert not any("Traceback" in line for line in watching.lines)


def test_later_builds_render_on_every_core_too(project, tmp_path, monkeypatch):
    """The builds run in a process forked before the watcher's threads, so an edit that touches
    every page (a handbook title is in every navigation) is rendered by forked workers."""
    import circlepress.build.assemble as assemble
    from circlepress.live.autobuild import _Builder, _Builds
    from circlepress.build.pipeline import BuildResult
    from circlepress.programme.config import load_project

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: nothing to share the rendering with")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    pids = tmp_path / "pids"
    record_render_processes(monkeypatch, pids)
    builder = _Builder(_Builds(lambda: load_project(project), False, None, None))
    try:
        first, _ = builder.next()
        assert isinstance(first, BuildResult) and first.changed > 50
        pids.write_text("")
        make_change(project, "title")
        again, _ = builder.next()
        assert isinstance(again, BuildResult) and again.changed > 40, again
        noted = set(pids.read_text().split())
        assert noted and not noted & {str(os.getpid()), str(builder.process.pid)}, noted  # by workers
    finally:
        builder.stop()
    assert snapshot(project / "_site") == clean_build(project, tmp_path)


def test_a_config_with_mistakes_at_start_is_reported_and_watching_goes_on(project):
    config = project / "circlepress.yaml"
    good = config.read_text()
    config.write_text(good + "theme: nosuch\n")
    running = Watching(project)
    try:
        at = running.wait_for(r"1 error; nothing was written\. Watching for the fix")
        assert running.lines[at - 1].startswith("circlepress.yaml:3:8: theme 'nosuch' not found"), running.lines
        config.write_text(good)
        running.wait_for(r"^Built \d+ pages", after=at + 1)
        assert running.proc.poll() is None
    finally:
        assert running.stop() == 0, running.lines
    assert not any("Traceback" in line for line in running.lines), running.lines


def test_a_build_process_that_dies_is_reported_and_watching_ends_with_status_1(watching, project):
    (builder,) = [int(pid) for pid in
                  (Path(f"/proc/{watching.proc.pid}/task/{watching.proc.pid}/children").read_text().split())]
    os.kill(builder, signal.SIGKILL)  # as the system does when memory runs out
    edit(project / "sites/imaging-and-data/circle.yaml", "Careers outside the lab", "Careers in industry")
    assert watching.proc.wait(timeout=30) == 1, watching.lines
    watching.wait_for(r"^Stopped watching\.$")
    assert any(re.match(rf"pid {builder}:1:1: the build process stopped before it finished", line)
               for line in watching.lines), watching.lines
    assert not any("Traceback" in line for line in watching.lines)


def test_ctrl_c_during_a_build_on_every_core_stops_everything(tmp_path):
    """Ctrl-C reaches the whole process group (the terminal sends it to every process): the
    render workers leave it to the build, which stops them, and nothing is left running."""
    root = tmp_path / "programme"
    shutil.copytree(REPO / "content", root / "content")
    example = (REPO / "sites/imaging-and-data/circle.yaml").read_text()
    for i in range(25):  # enough pages for a later build to render on every core
        (root / f"sites/c{i:02d}").mkdir(parents=True)
        (root / f"sites/c{i:02d}/circle.yaml").write_text(example.replace("Imaging and Data Circle", f"Circle {i}"))
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "build", "--watch",
                             "--root", str(root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not (root / ".circlepress/build-summary.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        step = (root / "content/steps/evaluate-your-impact.md").read_text()
        (root / "content/steps/13-extra.md").write_text(step.replace("step: 12", "step: 13").replace("aliases: [steps/12-evaluate-your-impact/]\n", ""))
        time.sleep(0.5)  # the build of every circle's new step page is under way
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0 and out.rstrip().endswith("Stopped watching."), out
    assert "Traceback" not in out, out
    done = subprocess.run([sys.executable, "-c", "from circlepress.cli import main; main()", "build", "--root",
                           str(root)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "_site/circles/c07/steps/extra/index.html").is_file()


def test_the_checkout_s_own_handbook_is_watched_but_never_site_packages(tmp_path):
    """In a clone of circlepress, content/ is both the shipped handbook and the programme's: `serve`
    and `--watch` rebuild after its edits. A programme without content/ of its own reads the shipped
    copy, which no one edits there: it is not watched."""
    from circlepress.live.watcher import watched_paths
    from circlepress.programme.resources import packaged

    assert (REPO / "content", True) in watched_paths(REPO)
    (tmp_path / "circlepress.yaml").write_text("title: Elsewhere\n")
    (tmp_path / "sites").mkdir()
    assert packaged("content").resolve() not in [folder for folder, _ in watched_paths(tmp_path)]
