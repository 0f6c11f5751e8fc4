"""`circlepress serve`: the site from memory under its base path, rebuilt on change, reloading
open tabs. A bad edit keeps the last good site and shows the located error in the terminal and
over the page; the next good save clears it. Nothing is written to the output folder."""

from __future__ import annotations

import errno
import gc
import ipaddress
import json
import mimetypes
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from ..build.assemble import RenderMemo, render_site
from ..build.pipeline import build_time
from ..build.load import load_site
from ..programme.config import load_project
from ..programme.errors import CirclepressError, Problem
from ..programme.memo import Memo
from ..build.render import CSP, POLICY_META
from .watcher import stop_on_sigterm, watch

LIVE = "/__circlepress/"
# The live reload listens to the server's event stream, which the pages' policy forbids: served pages
# (never built ones) allow connections to their own origin.
SERVE_CSP = CSP + "; connect-src 'self'"
PREVIEW_LINKS = 10  # private circles' links printed at start; `circlepress links` lists every one
LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")  # the Host names a loopback server answers to
WILDCARDS = ("", "0.0.0.0")  # noqa: S104 - `--bind 0.0.0.0` is the user's choice, warned about
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:@/\[\]]+)(?::(\d{1,5}))?")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def _host_name(name: str) -> str:
    """A host name or IP address in one spelling, to compare ('[::1]' and '0:0::1' alike)."""
    ip = _ip(name)
    return str(ip) if ip else name.lower().rstrip(".")


def is_loopback(address: str) -> bool:
    """`localhost`, or an address of this machine's loopback interface."""
    ip = _ip(address)
    return ip.is_loopback if ip else _host_name(address) == "localhost"


@dataclass
class LiveSite:
    """The last good site, in memory, and what each rebuild changed."""

    root: Path
    base_url: str | None
    now: datetime = field(default_factory=build_time)
    files: dict[str, bytes] = field(default_factory=dict)
    built: dict[str, int] = field(default_factory=dict)  # the build that last changed each file
    build: int = 0
    errors: list[str] = field(default_factory=list)
    drafts: bool = False  # `serve --drafts`: pages marked `draft: true` too, labelled Draft
    warnings: list[str] = field(default_factory=list)
    site: object = None  # the last good Site
    session: str = field(default_factory=lambda: f"{time.time_ns():x}")
    memo: Memo = field(default_factory=Memo)
    render_memo: RenderMemo = field(default_factory=RenderMemo)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def rebuild(self, jobs: int = 1) -> set[str] | None:
        """Rebuild what changed; the changed output paths, or None (and `errors`) on a bad edit.

        `jobs` > 1 renders across forked processes, which is safe only before any thread starts."""
        try:
            project = load_project(self.root, base_url=self.base_url, drafts=self.drafts)
            site = load_site(project, memo=self.memo)
            files = render_site(site, self.now, memo=self.render_memo, jobs=jobs)
        except (CirclepressError, OSError) as exc:  # OSError: a file moved mid-build, say
            problems = exc.problems if isinstance(exc, CirclepressError) else [Problem.from_os_error(exc)]
            with self.changed:
                self.errors = [p.format() for p in problems]
                self.changed.notify_all()
            return None
        changed = {p for p, data in files.items() if self.files.get(p) != data} | (set(self.files) - set(files))
        with self.changed:
            had_errors = bool(self.errors)
            self.files, self.errors, self.site = files, [], site
            self.warnings = [w.format() for w in site.warnings]
            if changed or had_errors or not self.build:
                self.build += 1
                for path in changed:
                    self.built[path] = self.build
            self.changed.notify_all()
        return changed

    @property
    def state(self) -> dict:
        return {"id": f"{self.session}:{self.build}", "build": self.build, "errors": self.errors}


LIVE_JS = """(function () {
  "use strict";
  var seen = null;
  function overlay(errors) {
    var box = document.getElementById("circlepress-overlay");
    if (!errors.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "circlepress-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:99999;overflow:auto;background:rgba(20,20,30,.94);" +
        "color:#fff;font:15px/1.5 ui-monospace,monospace;padding:2rem;white-space:pre-wrap";
      document.documentElement.appendChild(box);
    }
    box.textContent = "circlepress could not rebuild; the last good site is still served.\\n\\n" + errors.join("\\n");
  }
  function connect() {
    var events = new EventSource("/__circlepress/events");
    events.addEventListener("state", function (e) {
      var state = JSON.parse(e.data);
      if (seen !== null && state.id !== seen && !state.errors.length) { location.reload(); return; }
      seen = state.id;
      overlay(state.errors);
    });
  }
  connect();
})();
"""


def live_page(html: bytes) -> bytes:
    """A page as served: with the reload script, and the policy that lets it listen for rebuilds."""
    html = html.replace(POLICY_META.encode(), POLICY_META.replace(CSP, SERVE_CSP).encode(), 1)
    return html.replace(b"</head>", f'<script src="{LIVE}live.js"></script></head>'.encode(), 1)


class _Handler(BaseHTTPRequestHandler):
    live: LiveSite
    base_path: str
    hosts: frozenset[str]  # the Host names answered (loopback's, and the --bind address's)
    any_address: bool  # bound to every interface: any IP address is a Host name answered, too
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        return None

    def _send(self, status: int, body: bytes, kind: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
        self.do_GET()

    def _host(self, header: str) -> str | None:
        """The name in a Host header (or an Origin's host) if this server answers to it, else None."""
        match = _HOST.fullmatch(header or "")
        if not match or int(match.group(2) or 80) != self.server.server_address[1]:
            return None
        name = _host_name(match.group(1))
        return name if name in self.hosts or self.any_address and _ip(name) else None

    def _is_local(self) -> bool:
        """A request from this machine, for this machine's name, and not from another site's page."""
        own = _host_name(self.connection.getsockname()[0])  # a peer with our own address is us

        def here(name: str | None) -> bool:  # loopback, the address reached, or the --bind name
            return name is not None and (is_loopback(name) or _host_name(name) in {own, *self.hosts})

        origin, fetched = self.headers.get("Origin"), self.headers.get("Sec-Fetch-Site", "same-origin")
        return here(self.client_address[0]) and here(self._host(self.headers.get("Host"))) \
            and (origin is None or here(self._host(urlsplit(origin).netloc))) and fetched in ("same-origin", "none")

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        # A page elsewhere can reach this server through DNS rebinding, under its own name:
        # only the names this server is known by are answered.
        if self._host(self.headers.get("Host")) is None:
            return self._send(421, b"circlepress serve answers only requests for its own address, such as "
                              b"http://localhost:%d/\n" % self.server.server_address[1], "text/plain; charset=utf-8")
        path = unquote(urlsplit(self.path).path)
        if path == LIVE + "live.js":
            return self._send(200, LIVE_JS.encode(), "text/javascript; charset=utf-8")
        if path in (LIVE + "status", LIVE + "events") and not self._is_local():
            return self._send(403, b"the live status is only for this machine\n", "text/plain; charset=utf-8")
        if path == LIVE + "status":
            return self._send(200, json.dumps(self.live.state).encode(), "application/json")
        if path == LIVE + "events":
            return self._events()
        if not path.startswith(self.base_path):
            if path in ("/", ""):
                return self._send(302, b"", "text/plain", {"Location": self.base_path})
            if path + "/" == self.base_path:  # /repo for /repo/, as GitHub Pages answers it
                query = urlsplit(self.path).query
                return self._send(301, b"", "text/plain", {"Location": self.base_path + ("?" + query if query else "")})
            return self._not_found()
        rel = path[len(self.base_path):]
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        files = self.live.files
        if rel in files:
            return self._file(rel, 200)
        if rel + "/index.html" in files:  # a folder without its slash, as static hosts answer
            query = urlsplit(self.path).query
            return self._send(301, b"", "text/plain", {"Location": path + "/" + ("?" + query if query else "")})
        return self._not_found()

    def _not_found(self) -> None:
        if "404.html" in self.live.files:
            return self._file("404.html", 404)
        return self._send(404, b"Not found", "text/plain")

    def _file(self, rel: str, status: int) -> None:
        body = self.live.files[rel]
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if kind == "text/html":
            kind += "; charset=utf-8"
            if self._is_local():  # live reload: for this machine only
                body = live_page(body)
        elif kind.startswith("text/") or kind in ("application/javascript",):
            kind += "; charset=utf-8"
        self._send(status, body, kind, {"X-Circlepress-Build": str(self.live.built.get(rel, 0))})

    def _events(self) -> None:
        """Server-sent events: the state now, then again after every rebuild (or a keep-alive)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        live = self.live
        last = None
        try:
            while True:
                with live.changed:
                    state = live.state
                    if (state["id"], state["errors"]) == last:
                        live.changed.wait(timeout=15)
                        state = live.state
                if (state["id"], state["errors"]) != last:
                    self.wfile.write(f"event: state\ndata: {json.dumps(state)}\n\n".encode())
                    last = (state["id"], state["errors"])
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


class CannotListen(Exception):
    """The server could not take its address: the message says why and what to do."""


def listen_problem(exc: OSError, bind: str, port: int) -> str:
    """Why `serve` could not listen on BIND:PORT, in words, with the way out."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use (another circlepress serve?); choose another with --port"
    if exc.errno == errno.EACCES:
        return f"port {port} needs administrator rights on this system; choose one above 1023 with --port"
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        return (f"cannot listen on {bind}: it is not an address of this machine ({exc.strerror}); "
                "leave out --bind to serve on 127.0.0.1")
    return f"cannot listen on {bind} port {port}: {exc.strerror or exc}; choose another with --port"


def make_server(live: LiveSite, base_path: str, bind: str, port: int) -> ThreadingHTTPServer:
    hosts = frozenset(_host_name(name) for name in (*LOCAL_NAMES, bind) if name not in WILDCARDS)
    handler = type("Handler", (_Handler,), {"live": live, "base_path": base_path, "hosts": hosts,
                                            "any_address": bind in WILDCARDS})
    try:
        server = ThreadingHTTPServer((bind, port), handler)
    except OSError as exc:
        raise CannotListen(listen_problem(exc, bind, port)) from None
    server.daemon_threads = True
    return server


def serve(root: Path, *, port: int, bind: str, base_url: str | None, open_browser: bool,
          say: Callable[[str], None], drafts: bool = False) -> None:
    """Build, serve and watch until Ctrl-C; a first build with errors still starts the server."""
    if not is_loopback(bind):
        say(bind_warning(bind))
    live = LiveSite(root, base_url, drafts=drafts)
    started = time.perf_counter()
    # The first build renders everything: across every core (at 1,000 circles 6 s, not 10 s),
    # while no thread runs yet. Later rebuilds run beside the server's threads, in one process.
    if live.rebuild(jobs=os.cpu_count() or 1) is None:
        say("\n".join(live.errors))
    else:
        say(f"Built {len(live.files)} files in {time.perf_counter() - started:.2f} s")
    # What the first build made lives as long as the server; left to the garbage collector, every
    # full collection walked all of it, and one rebuild in four took twice as long (180 -> 340 ms
    # at 1,000 circles). Frozen, it is freed by reference counting when replaced, as nearly all of it is.
    gc.freeze()
    project = load_project(root, base_url=base_url)
    server = make_server(live, project.base_path, bind, port)
    origin = f"http://{'127.0.0.1' if bind in WILDCARDS else bind}:{server.server_address[1]}"
    stop_on_sigterm()
    observer = None
    try:
        def rebuild() -> None:
            started = time.perf_counter()
            changed = live.rebuild()
            if changed is None:
                say("\n".join(live.errors) + "\nStill serving the last good site.")
            else:
                say(f"Rebuilt in {(time.perf_counter() - started) * 1000:.0f} ms: {len(changed)} file{'' if len(changed) == 1 else 's'} changed")

        observer = watch(root, rebuild)  # watching before "Serving": no edit after it is missed
        for line in _preview_links(live, origin):
            say(line)
        say(f"Serving {origin}{project.base_path} (Ctrl-C to stop)")
        if open_browser:
            import webbrowser

            webbrowser.open(origin + project.base_path)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if observer is not None:
            observer.stop()
        server.server_close()
        say("Stopped. Nothing was written to the output folder.")


def bind_warning(bind: str) -> str:
    """What `--bind` to an address other than loopback makes reachable."""
    where = "every network this machine is on" if bind in WILDCARDS else f"the network of {bind}"
    return (f"warning: --bind {bind} makes this server reachable from {where}: anyone there can read every "
            "page of the site as you edit it, private circles' sealed pages included (they open with "
            "a circle's link or passphrase); the live status and its rebuild errors stay on this machine. "
            "Leave out --bind (127.0.0.1) unless others must see the site.")


def _preview_links(live: LiveSite, origin: str) -> list[str]:
    """Private circles' links on this server, so organisers can preview them."""
    from ..private.share_links import circle_links

    if live.site is None or not any(c.is_private for c in live.site.circles):
        return []
    private = [link for link in circle_links(live.site.project, live.site.circles, origin) if link.is_private]
    shown = [f"  {link.slug}: {link.url}" for link in private[:PREVIEW_LINKS]]
    if len(private) > PREVIEW_LINKS:
        shown.append(f"  ...and {len(private) - PREVIEW_LINKS} more (`circlepress links --base-url {origin}"
                     f"{live.site.project.base_path}` lists them all)")
    return ["Private circles on this server:"] + shown
