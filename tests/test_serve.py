"""`circlepress serve`: incremental rebuilds checked over HTTP, errors that never kill the server,
a result equal to a clean build, live reload in a real browser, and a clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import time
from datetime import datetime, timezone

import pytest

from circlepress.build.assemble import render_site
from circlepress.build.load import load_site
from circlepress.programme.config import load_project
from circlepress.live.serve import live_page

from conftest import REPO, record_render_processes
from private_support import test_key
from serve_support import Server

EPOCH = "1800000000"  # the server's build time, so a clean build can be compared with it
STEP8 = "steps/make-a-calendar/index.html"
STEP7 = "steps/ask-for-commitment/index.html"


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "programme"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "sites", root / "sites")
    (root / "circlepress.yaml").write_text("title: Test programme\nbase_url: /repo/\n")
    return root


@pytest.fixture
def server(project):
    running = Server(project, env={"SOURCE_DATE_EPOCH": EPOCH})
    yield running
    running.stop()


def built(server: Server, path: str) -> int:
    status, headers, _ = server.get(path)
    assert status == 200, path
    return int(headers["X-Circlepress-Build"])


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def next_build(server: Server, before: int) -> dict:
    return server.wait_for(lambda s: s["build"] > before and not s["errors"])


def test_serves_under_the_base_path_with_its_404_page(server):
    status, headers, body = server.get("")
    assert status == 200 and b"Peer-mentoring circles" in body and b"/__circlepress/live.js" in body
    status, _, body = server.get("no/such/page/")
    assert status == 404 and b"Page not found" in body and b'href="/repo/assets/style.css"' in body
    assert server.get("/")[0] == 200  # redirected to /repo/
    assert server.get("circles/imaging-and-data")[0] == 200  # folder without its slash
    assert any("Private circles on this server:" in line for line in server.lines)


def _raw(server: Server, path: str) -> tuple[int, str | None]:
    """(status, Location) of one request, the redirect not followed."""
    import http.client
    from urllib.parse import urlsplit
    where = urlsplit(server.origin)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_the_base_path_and_folders_without_their_slash_redirect_as_github_pages_does(server):
    assert _raw(server, "/repo") == (301, "/repo/")  # was a 404
    assert _raw(server, "/repo?x=1") == (301, "/repo/?x=1")
    assert _raw(server, "/repo/circles/imaging-and-data") == (301, "/repo/circles/imaging-and-data/")
    assert _raw(server, "/repox")[0] == 404  # only the base path itself
    status, _, body = server.get("/repo")  # followed, as a browser does
    assert status == 200 and b"Peer-mentoring circles" in body


def test_a_busy_port_is_named_with_the_way_out(project):
    import socket
    import subprocess
    import sys
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = subprocess.run([sys.executable, "-c", "from circlepress.cli import main; main()", "serve",
                                 "--root", str(project), "--port", str(port)],
                                capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    finally:
        taken.close()
    assert result.returncode == 1
    assert f"port {port} is in use (another circlepress serve?); choose another with --port" in result.stderr
    assert f"127.0.0.1:{port}:1:1" not in result.stderr and "Traceback" not in result.stderr


def test_a_circle_edit_rebuilds_that_circle_only(server, project):
    start = server.state()["build"]
    pages = {p: built(server, p) for p in ("circles/imaging-and-data/index.html", "index.html", STEP8,
                                           "circles/imaging-and-data/calendar.ics")}
    edit(project / "sites/imaging-and-data/circle.yaml", "Careers outside the lab", "Careers beyond the bench")
    state = next_build(server, start)
    assert b"Careers beyond the bench" in server.get("circles/imaging-and-data/calendar/")[2]
    assert built(server, "circles/imaging-and-data/calendar/index.html") == state["build"]
    assert built(server, "circles/imaging-and-data/calendar.ics") == state["build"]
    assert built(server, "index.html") == pages["index.html"]
    assert built(server, STEP8) == pages[STEP8]  # the public handbook did not change


def test_a_handbook_edit_rebuilds_that_page_and_its_circle_copies(server, project):
    start = server.state()["build"]
    before7 = built(server, STEP7)
    before_home = built(server, "circles/imaging-and-data/index.html")
    edit(project / "content/steps/make-a-calendar.md", "Do it quickly", "Do it fast")
    state = next_build(server, start)
    assert built(server, STEP8) == state["build"]
    assert built(server, "circles/imaging-and-data/" + STEP8) == state["build"]
    assert b"Do it fast" in server.get("circles/imaging-and-data/" + STEP8)[2]
    assert built(server, STEP7) == before7
    assert built(server, "circles/imaging-and-data/index.html") == before_home


def test_a_new_title_reaches_every_navigation(server, project):
    start = server.state()["build"]
    edit(project / "content/steps/ask-for-commitment.md", "title: Ask for commitment", "title: Ask for a promise")
    state = next_build(server, start)
    for page in ("index.html", STEP8, "circles/imaging-and-data/calendar/index.html"):
        assert built(server, page) == state["build"]
        assert b"Ask for a promise" in server.get(page)[2]


def test_a_template_edit_rebuilds_the_pages_using_it(server, project):
    override = project / "themes/default/templates/shortcodes/evaluation.html"
    override.parent.mkdir(parents=True)
    start = server.state()["build"]
    before11 = built(server, "steps/be-brave-and-flexible/index.html")
    override.write_text('<p>Evaluate often.</p>\n')
    state = next_build(server, start)
    assert b"Evaluate often." in server.get("steps/evaluate-your-impact/")[2]
    assert built(server, "circles/imaging-and-data/steps/evaluate-your-impact/index.html") == state["build"]
    assert built(server, "steps/be-brave-and-flexible/index.html") == before11


def test_a_bad_edit_keeps_the_last_good_site_and_a_fix_clears_it(server, project):
    start = server.state()["build"]
    circle = project / "sites/imaging-and-data/circle.yaml"
    good = circle.read_text()
    circle.write_text(good.replace("timezone: Europe/London", "timezone: Europe/Londn"))
    state = server.wait_for(lambda s: s["errors"])
    assert state["errors"] == ["sites/imaging-and-data/circle.yaml:6:11: unknown time zone 'Europe/Londn' "
                               "(did you mean 'Europe/London'?)"]
    assert server.get("circles/imaging-and-data/")[0] == 200  # still served
    assert any("Still serving the last good site." in line for line in server.lines)
    circle.write_text(good)
    state = server.wait_for(lambda s: not s["errors"])
    assert state["build"] > start and server.proc.poll() is None


def test_a_burst_of_changes_is_one_rebuild(server, project):
    start = server.state()["build"]
    steps = sorted((project / "content/steps").glob("*.md"))
    for i, step in enumerate(steps):
        edit(step, "\n## ", f"\nEdited {i}.\n\n## ")
    time.sleep(1.5)
    assert server.state()["build"] == start + 1
    assert b"Edited 11." in server.get(f"steps/{steps[11].stem}/")[2]


def test_after_edits_the_served_site_equals_a_clean_build(server, project):
    start = server.state()["build"]
    edit(project / "sites/early-independence/circle.yaml", "Building a lab culture", "Building a team")
    edit(project / "content/start.md", "title: Start a circle", "title: Starting a circle")
    next_build(server, start)
    time.sleep(0.5)
    site = load_site(load_project(project))
    now = datetime.fromtimestamp(int(EPOCH), timezone.utc)
    clean = render_site(site, now)
    served = {}
    for path in clean:
        status, _, body = server.get(path)
        assert status == 200, path
        served[path] = body
    assert served == {path: live_page(body) if path.endswith(".html") else body for path, body in clean.items()}


def test_ctrl_c_stops_cleanly_and_writes_nothing(server, project):
    assert server.stop(signal.SIGINT) == 0
    assert any("Stopped." in line for line in server.lines)
    assert not (project / "_site").exists()


def test_an_open_tab_reloads_after_an_edit_and_shows_the_overlay_on_a_bad_one(server, project):
    from browser_support import CHROMIUM, CHROMIUM_ARGS, have_chromium, have_playwright
    from conftest import require_tool

    require_tool(have_playwright(), "Playwright for Python")
    require_tool(have_chromium(), f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    circle = project / "sites/imaging-and-data/circle.yaml"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        page.goto(server.url + "circles/imaging-and-data/calendar/")
        page.wait_for_function("() => document.readyState === 'complete'")
        time.sleep(0.3)  # the live-reload connection is open
        page.evaluate("window.notReloaded = true")
        edit(circle, "Careers outside the lab", "Careers in industry")
        page.wait_for_function("() => document.body.textContent.includes('Careers in industry')")
        assert page.evaluate("window.notReloaded === undefined")  # a real reload, not a patch
        good = circle.read_text()
        circle.write_text(good.replace("months: 6", "months: six"))
        page.wait_for_selector("#circlepress-overlay")
        assert "sites/imaging-and-data/circle.yaml:9:11: 'months' must be a whole number" in \
            page.inner_text("#circlepress-overlay")
        circle.write_text(good.replace("Careers in industry", "Careers anywhere"))
        page.wait_for_function("() => document.body.textContent.includes('Careers anywhere')")
        assert page.query_selector("#circlepress-overlay") is None
        browser.close()


def test_the_start_up_message_lists_at_most_ten_private_links(tmp_path, monkeypatch):
    """A programme of many private circles gets ten preview links and a pointer to the rest."""
    from circlepress.live.serve import LiveSite, PREVIEW_LINKS, _preview_links

    private = (REPO / "sites/early-independence/circle.yaml").read_text()
    for i in range(PREVIEW_LINKS + 2):
        (tmp_path / "sites" / f"c{i:02d}").mkdir(parents=True)
        (tmp_path / "sites" / f"c{i:02d}" / "circle.yaml").write_text(  # each its own key: copies may not share one
            private.replace(test_key("early-independence"), test_key(f"c{i:02d}")))
    live = LiveSite(tmp_path, "/repo/")
    live.rebuild()
    lines = _preview_links(live, "http://127.0.0.1:8000")
    assert lines[0] == "Private circles on this server:"
    assert [line.split(":")[0].strip() for line in lines[1:-1]] == [f"c{i:02d}" for i in range(PREVIEW_LINKS)]
    assert lines[-1] == ("  ...and 2 more (`circlepress links --base-url http://127.0.0.1:8000/repo/` "
                         "lists them all)")


def test_the_first_build_renders_across_cores_and_later_ones_reuse_it(project, monkeypatch):
    """The dev server's first build forks workers (before any thread starts); the pages they
    send back are what one process renders, and the next rebuild reuses them."""
    import circlepress.build.assemble as assemble
    from circlepress.live.serve import LiveSite

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    pids = project / "pids"
    record_render_processes(monkeypatch, pids)
    shared, single = LiveSite(project, "/repo/"), LiveSite(project, "/repo/")
    assert shared.rebuild(jobs=2)
    assert pids.read_text() and str(os.getpid()) not in pids.read_text().split()  # rendered by workers
    assert single.rebuild(jobs=1)
    assert shared.files == single.files and len(shared.files) > 50
    edit(project / "sites/imaging-and-data/circle.yaml", "Careers outside the lab", "Careers in industry")
    changed = shared.rebuild()
    assert changed and all(p.startswith("circles/imaging-and-data/") for p in changed), changed
    fresh = LiveSite(project, "/repo/")
    fresh.rebuild()
    assert shared.files == fresh.files



def other_address() -> str | None:
    """An address of this machine that is not loopback (the one its default route leaves from), if any."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("203.0.113.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def raw_get(host: str, port: int, path: str, headers: dict, source: str | None = None) -> tuple[int, bytes]:
    """GET `path` from `host`:`port`, sent from the address `source` (default: the system's choice)."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0) if source else None)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1.evil.example:{port}", "localhost:{other}",
                                  "localhost", "evil.example", "localhost@evil.example:{port}", "[::2]:{port}", ""])
def test_a_request_for_another_host_is_refused(server, host):
    """DNS rebinding: a page at evil.example, its name now pointing at 127.0.0.1, reaches the
    server under that name; nothing is answered to it, the live status least of all."""
    port = int(server.origin.rsplit(":", 1)[1])
    header = {"Host": host.format(port=port, other=port + 1)}
    for path in ("/repo/", "/repo/circles/imaging-and-data/", "/__circlepress/status", "/__circlepress/events"):
        assert raw_get("127.0.0.1", port, path, header) == (
            421, b"circlepress serve answers only requests for its own address, such as http://localhost:%d/\n" % port)


def test_the_local_names_are_answered(server):
    port = int(server.origin.rsplit(":", 1)[1])
    for name in ("localhost", "127.0.0.1", "[::1]", "LocalHost"):
        status, body = raw_get("127.0.0.1", port, "/repo/", {"Host": f"{name}:{port}"})
        assert status == 200 and b"/__circlepress/live.js" in body
        assert raw_get("127.0.0.1", port, "/__circlepress/status", {"Host": f"{name}:{port}"})[0] == 200


def test_the_live_status_refuses_another_sites_page(server):
    port = int(server.origin.rsplit(":", 1)[1])
    assert server.get("/__circlepress/status", {"Origin": "https://evil.example"})[0] == 403
    assert server.get("/__circlepress/events", {"Origin": "null"})[0] == 403
    assert server.get("/__circlepress/status", {"Sec-Fetch-Site": "cross-site"})[0] == 403  # <script src>, say
    assert server.get("/__circlepress/status", {"Sec-Fetch-Site": "same-site"})[0] == 403  # localhost:other
    assert server.get("/__circlepress/status", {"Origin": f"http://localhost:{port}"})[0] == 200


def test_bind_to_every_interface_warns_and_keeps_the_live_status_local(project):
    """`--bind 0.0.0.0` says what others can now read; another machine gets the pages (without
    live reload), never the live status with its rebuild errors."""
    address = other_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    running = Server(project, "--bind", "0.0.0.0")
    try:
        assert running.lines[0] == (
            "warning: --bind 0.0.0.0 makes this server reachable from every network this machine is on: anyone "
            "there can read every page of the site as you edit it, private circles' sealed pages included (they "
            "open with a circle's link or passphrase); the live status and its rebuild errors stay on this "
            "machine. Leave out --bind (127.0.0.1) unless others must see the site.")
        port = int(running.origin.rsplit(":", 1)[1])
        assert running.origin == f"http://127.0.0.1:{port}" and running.state()["build"] == 1
        mine = {"Host": f"{address}:{port}"}
        status, body = raw_get(address, port, "/repo/", mine)  # this machine, by its address
        assert status == 200 and b"/__circlepress/live.js" in body
        assert raw_get(address, port, "/__circlepress/status", mine)[0] == 200
        # As another machine asks: from an address that is not the one it reached, or for a
        # name that is not this end's.
        elsewhere = raw_get("127.0.0.1", port, "/repo/", {"Host": f"localhost:{port}"}, source=address)
        assert elsewhere[0] == 200 and b"/__circlepress/live.js" not in elsewhere[1]
        for path in ("/__circlepress/status", "/__circlepress/events"):
            assert raw_get("127.0.0.1", port, path, {"Host": f"localhost:{port}"}, source=address) == (
                403, b"the live status is only for this machine\n")
            assert raw_get("127.0.0.1", port, path, mine)[0] == 403
        assert raw_get(address, port, "/repo/", {"Host": f"evil.example:{port}"})[0] == 421
    finally:
        running.stop()


def test_bind_to_one_address_answers_that_address(project):
    address = other_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    running = Server(project, "--bind", address)
    try:
        assert running.lines[0].startswith(f"warning: --bind {address} makes this server reachable from the "
                                           f"network of {address}: anyone there can read every page")
        port = int(running.origin.rsplit(":", 1)[1])
        assert running.origin == f"http://{address}:{port}" and running.state()["build"] == 1
        assert raw_get(address, port, "/repo/", {"Host": f"evil.example:{port}"})[0] == 421
    finally:
        running.stop()


@pytest.mark.parametrize("jobs", [1, 2])
def test_any_exception_from_a_template_is_shown_located_and_the_last_good_site_stays(project, monkeypatch, jobs):
    """A TypeError in a template (not only Jinja's own errors) is a located problem for the
    overlay, in the first build across cores too; the server keeps the last good site."""
    import circlepress.build.assemble as assemble
    from circlepress.live.serve import LiveSite

    monkeypatch.setattr(assemble, "PARALLEL_FROM", 1)
    override = project / "themes/default/templates/circle/home.html"
    override.parent.mkdir(parents=True)
    override.write_text((REPO / "themes/default/templates/circle/home.html").read_text()
                        .replace("{% block content %}", "{% block content %}{{ circle.spec.name + 1 }}"))
    live = LiveSite(project, "/repo/")
    assert live.rebuild(jobs=jobs) is None
    assert live.errors and live.errors[0].startswith("themes/default/templates/circle/home.html:2:1: template error: "
                                                     'TypeError: can only concatenate str (not "int") to str, '
                                                     "rendering circles/"), live.errors
    override.unlink()
    assert live.rebuild() and not live.errors
    override.write_text("{% extends 'default/circle/home.html' %}{% block content %}{{ 1 // 0 }}{% endblock %}")
    files = dict(live.files)
    assert live.rebuild() is None and "ZeroDivisionError" in live.errors[0] and live.files == files
