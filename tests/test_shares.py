"""A full build shared out by circle (each worker loads, checks and renders its own circles)
must give exactly what a build in one process gives: the same files, the same warnings, the
same problems, and a state the next rebuild can use."""

from __future__ import annotations

import multiprocessing
import os
import shutil

import pytest

import circlepress.build.workers as shares
from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
from circlepress.programme.errors import CirclepressError
from circlepress.build.state import forget_state

from conftest import NOW, REPO, left_by_a_killed_build
from private_support import test_key
from test_incremental import snapshot

EXTRA = """name: Extra Circle {n}
visibility: {visibility}
timezone: Europe/Berlin
term: {{start: 2027-01-04, months: 6}}
defaults: {{start: "10:00", duration: 60, place: Room {n}}}
members:
  - {{id: ana, name: Ana {n}}}
  - {{id: ben, name: Ben {n}}}
sessions:
  - {{date: 2027-01-20, topic: Starting, facilitators: [ana]}}
  - {{date: 2027-02-17, facilitators: [ben]}}
"""


def extra(n: int, visibility: str) -> str:
    """Extra circle `n`, with its own test key (used when it is private)."""
    return EXTRA.format(n=n, visibility=visibility) + f"access:\n  key: {test_key(f'extra-{n}')}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The example programme plus four circles of both kinds (one with a warning each)."""
    monkeypatch.setattr(shares, "SHARED_FROM", 1)
    root = tmp_path / "programme"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "sites", root / "sites")
    for n in range(4):
        folder = root / f"sites/extra-{n}"
        folder.mkdir()
        (folder / "circle.yaml").write_text(extra(n, "private" if n % 2 else "public"))
    (root / "circlepress.yaml").write_text("title: Test\nbase_url: https://circles.example.org/\n")
    return root


def one_process(root, tmp_path):
    forget_state(root)
    result = build(load_project(root, output=tmp_path / "one"), now=NOW, jobs=1)
    return result, snapshot(tmp_path / "one")


def failure(root, jobs):
    forget_state(root)
    with pytest.raises(CirclepressError) as info:
        build(load_project(root), now=NOW, jobs=jobs)
    return str(info.value)


def test_a_shared_build_gives_the_files_and_warnings_of_one_process(project, tmp_path):
    shared = build(load_project(project), now=NOW, jobs=2)
    single, files = one_process(project, tmp_path)
    assert snapshot(project / "_site") == files
    assert shared.warnings == single.warnings and len(shared.warnings) >= 4
    assert (shared.pages, shared.files, shared.circles) == (single.pages, single.files, single.circles) \
        and shared.circles == 6
    assert "Extra Circle 0" in (project / "_site/circles/index.html").read_text()
    assert multiprocessing.active_children() == []


def test_the_state_a_shared_build_saves_serves_the_next_rebuild(project, tmp_path):
    full = build(load_project(project), now=NOW, jobs=2)
    circle = project / "sites/extra-2/circle.yaml"
    circle.write_text(circle.read_text().replace("topic: Starting", "topic: Beginning"))
    again = build(load_project(project), now=NOW, jobs=2)
    assert 0 < again.changed < full.files / 4  # the state was used: only that circle's files
    rebuilt = snapshot(project / "_site")
    assert "Beginning" in (project / "_site/circles/extra-2/calendar/index.html").read_text()
    forget_state(project)  # a full build in one process, over the same previous output (calendars read it)
    assert build(load_project(project), now=NOW, jobs=1).changed == full.files
    assert rebuilt == snapshot(project / "_site")


def test_a_shared_build_reports_every_problem_as_one_process_does(project, tmp_path):
    build(load_project(project), now=NOW, jobs=2)
    before = snapshot(project / "_site")
    (project / "sites/extra-1/circle.yaml").write_text(extra(1, "secret"))
    (project / "sites/extra-3/circle.yaml").write_text("slug: extra-0\n" + extra(3, "public"))
    (project / "sites/empty").mkdir()
    (project / "sites/extra-2/notes.md").write_text("---\ntitle: Notes\n---\n{{< membres >}}\n")
    message = failure(project, jobs=2)
    assert message == failure(project, jobs=1)
    assert "sites/extra-1/circle.yaml:2:13:" in message and "circle slug 'extra-0' is also used" in message
    assert "sites/extra-2/notes.md:4:1: unknown shortcode 'membres' (did you mean 'members'?)" in message
    assert "sites/empty:1:1: folder has no circle.yaml" in message
    assert snapshot(project / "_site") == before
    assert [p.name for p in project.iterdir() if "circlepress-tmp" in p.name] == []
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("mistake", ["{{ circle.nmae }}", "{{ circle.spec.name + 1 }}"])
def test_a_render_error_in_a_share_is_located_and_leaves_the_previous_output(project, mistake):
    build(load_project(project), now=NOW, jobs=2)
    before = snapshot(project / "_site")
    forget_state(project)
    (project / "circlepress.yaml").write_text((project / "circlepress.yaml").read_text() + "theme: broken\n")
    (project / "themes/broken/templates/circle").mkdir(parents=True)
    (project / "themes/broken/templates/circle/topics.html").write_text(
        '{% extends "default/circle/topics.html" %}{% block content %}' + mistake + '{% endblock %}')
    message = failure(project, jobs=2)
    assert message.startswith("themes/broken/templates/circle/topics.html:1:1: template error")
    assert "/topics/index.html (fix the template" in message.splitlines()[0]
    assert snapshot(project / "_site") == before
    assert multiprocessing.active_children() == []


def test_a_copied_circle_with_the_same_key_is_found_by_a_shared_build(project):
    """sites/extra-3 copied from sites/extra-1, key and all: both would publish at one address."""
    (project / "sites/extra-3/circle.yaml").write_text((project / "sites/extra-1/circle.yaml").read_text()
                                                       .replace("Extra Circle 1", "Extra Circle 3"))
    message = failure(project, jobs=2)
    assert message == failure(project, jobs=1)
    assert ("sites/extra-3/circle.yaml:13:8: this circle has the same access key as sites/extra-1/circle.yaml "
            "(run `circlepress rotate extra-3` to give it its own)") in message


def test_a_private_circle_without_a_key_stops_a_shared_build(project):
    (project / "sites/extra-1/circle.yaml").write_text(EXTRA.format(n=1, visibility="private"))
    message = failure(project, jobs=2)
    assert message == failure(project, jobs=1)
    assert ("sites/extra-1/circle.yaml:2:1: this private circle has no 'access: key:' (run `circlepress rotate "
            "extra-1` to write a new random key; the circle's link changes)") in message.splitlines()
    assert not (project / "_site").exists()
    assert multiprocessing.active_children() == []


def test_circles_are_dealt_evenly_whatever_the_pattern_of_their_names(tmp_path):
    """A programme whose every other circle is private must not give one worker all the private
    ones (they cost more to render): circles are dealt by a hash of their folder's name."""
    from pathlib import Path

    folders = [Path(f"sites/circle-{i:04d}") for i in range(1000)]
    dealt = shares.deal(folders, 2)
    assert sorted(item for share in dealt for item in share) == list(enumerate(folders))
    for share in dealt:
        assert 450 <= len(share) <= 550
        odd = sum(index % 2 for index, _ in share)
        assert 0.4 < odd / len(share) < 0.6


def test_a_killed_worker_stops_the_build_with_a_message(project, monkeypatch):
    build(load_project(project), now=NOW, jobs=2)
    before = snapshot(project / "_site")
    forget_state(project)
    monkeypatch.setattr(shares, "_work", lambda *args: os._exit(9))  # as the system kills a process
    message = failure(project, jobs=2)
    assert message == ("sites:1:1: a build worker stopped before it finished (was it killed, or memory short?) "
                       "(nothing was written; run the build again)")
    assert snapshot(project / "_site") == before
    assert [p.name for p in project.iterdir() if "circlepress-tmp" in p.name] == []


def test_a_shared_build_reports_its_progress(project):
    seen = []
    build(load_project(project), now=NOW, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def _dies_after_loading(conn, theirs, *args):
    """A worker killed once it has reported its share (by the system, out of memory)."""
    for end in theirs:
        end.close()
    conn.send(([], []))
    conn.close()
    os._exit(9)


def test_a_worker_killed_between_loading_and_rendering_stops_the_build_with_a_message(project, monkeypatch):
    monkeypatch.setattr(shares, "_work", _dies_after_loading)
    message = failure(project, jobs=2)
    assert message.startswith("sites:1:1: a build worker stopped before it finished")
    assert not (project / "_site").exists()
    assert multiprocessing.active_children() == []


def test_render_errors_in_several_workers_are_all_reported_the_same_every_run(project):
    (project / "circlepress.yaml").write_text((project / "circlepress.yaml").read_text() + "theme: broken\n")
    (project / "themes/broken/templates/circle").mkdir(parents=True)
    (project / "themes/broken/templates/circle/topics.html").write_text(
        '{% include "missing/" ~ circle.slug %}')
    first = failure(project, jobs=3)
    assert [failure(project, jobs=3) for _ in range(3)] == [first] * 3
    assert first.count("template error") >= 2  # one from each worker that met one


def test_more_workers_than_circles_still_report_progress(project):
    seen = []
    build(load_project(project), now=NOW, jobs=30, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0


def test_workers_stop_when_the_main_process_is_killed(project):
    """Killed between loading and rendering, the main process leaves no worker waiting for it."""
    assert left_by_a_killed_build(project, "shares.SHARED_FROM = 1\n"
                                  "shares.finish = lambda *args: os.kill(os.getpid(), signal.SIGKILL)") == []
