"""Running `circlepress serve` in a subprocess for tests and the latency benchmark."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


class Server:
    """`circlepress serve --port 0` on a project; knows its URL and reads its state."""

    def __init__(self, root: Path, *args: str, env: dict | None = None):
        cmd = [sys.executable, "-c", "from circlepress.cli import main; main()", "serve", "--root", str(root),
               "--port", "0", *args]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                match = re.match(r"Serving (http://\S+) ", line)
                if match:
                    self.url = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30) or not self.url:
            self.stop()
            raise AssertionError("the server did not start:\n" + "\n".join(self.lines))
        self.origin = re.match(r"(http://[^/]+)", self.url).group(1)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """(status, headers, body) of a path under the base URL (or starting with '/')."""
        url = self.origin + path if path.startswith("/") else self.url + path
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def state(self) -> dict:
        return json.loads(self.get("/__circlepress/status")[2])

    def wait_for(self, condition, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if condition(state):
                return state
            time.sleep(0.02)
        raise AssertionError(f"timed out; last state {self.state()}\n" + "\n".join(self.lines[-20:]))

    def stop(self, sig: int | None = None) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig) if sig else self.proc.terminate()
        return self.proc.wait(timeout=15)
