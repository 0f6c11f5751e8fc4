"""Edit-to-reloaded latency of `circlepress serve` on a 100-circle programme.

Makes a programme of N circles (the public example circle, renamed; every second one private),
starts `circlepress serve`, listens to its live-reload events like an open tab, then edits one
circle's session topic again and again. For each edit it measures the time from writing the file
to having the reload event *and* the changed page fetched over HTTP. Prints the figures; asserts
nothing. Run: python bench/serve_latency.py [--circles 100] [--edits 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from programme import bench_key  # beside this script: python puts its folder on the path

REPO = Path(__file__).resolve().parents[1]


def make_programme(root: Path, circles: int) -> None:
    template = (REPO / "sites/imaging-and-data/circle.yaml").read_text()
    for i in range(circles):
        text = template.replace("name: Imaging and Data Circle", f"name: Circle {i:04d}")
        if i % 2:
            text = text.replace("visibility: public", "visibility: private") + f"access: {{key: {bench_key(i)}}}\n"
        (root / "sites" / f"circle-{i:04d}").mkdir(parents=True)
        (root / "sites" / f"circle-{i:04d}" / "circle.yaml").write_text(text)
    (root / "circlepress.yaml").write_text("title: Benchmark programme\nbase_url: /repo/\n")


class Events(threading.Thread):
    """Reads the server-sent events a tab would receive; records when each new state arrives."""

    def __init__(self, origin: str):
        super().__init__(daemon=True)
        host, port = origin.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port))
        self.arrived: list[tuple[float, dict]] = []
        self.cond = threading.Condition()

    def run(self) -> None:
        self.conn.request("GET", "/__circlepress/events")
        response = self.conn.getresponse()
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("data: "):
                with self.cond:
                    self.arrived.append((time.perf_counter(), json.loads(line[6:])))
                    self.cond.notify_all()

    def wait_new(self, seen: int, timeout: float = 10.0) -> tuple[float, dict]:
        """The first state after build `seen` (builds are numbered upwards)."""
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                fresh = [(t, s) for t, s in self.arrived if s["build"] > seen and not s["errors"]]
                if fresh:
                    return fresh[0]
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError("no reload event")
                self.cond.wait(left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circles", type=int, default=100)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="circlepress-bench-"))
    make_programme(work, args.circles)
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "serve",
                             "--root", str(work), "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = first_build = ""
        for line in proc.stderr:
            first_build = first_build or (line.strip() if line.startswith("Built") else "")
            match = re.match(r"Serving (http://\S+) ", line)
            if match:
                url = match.group(1)
                break
        log: list[str] = []
        threading.Thread(target=lambda: [log.append(line) for line in proc.stderr], daemon=True).start()
        origin = re.match(r"(http://[^/]+)", url).group(1)
        events = Events(origin)
        events.start()
        time.sleep(0.5)
        seen = events.arrived[-1][1]["build"]
        circle = work / "sites/circle-0000/circle.yaml"
        page = url + "circles/circle-0000/calendar/"
        latencies, notified = [], []
        for n in range(args.edits):
            text = circle.read_text()
            topic = f"Careers outside the lab, take {n}"
            text = re.sub(r"topic: Careers outside the lab[^\n]*", f"topic: {topic}", text)
            time.sleep(0.3)  # let the previous rebuild settle, as between two saves
            start = time.perf_counter()
            circle.write_text(text)
            arrived, state = events.wait_new(seen)
            seen = state["build"]
            body = urllib.request.urlopen(page).read().decode()
            done = time.perf_counter()
            assert topic in body, "the page did not change"
            notified.append(arrived - start)
            latencies.append(done - start)
        print(f"circlepress serve, {args.circles} circles ({args.circles // 2} private); {first_build}")
        print(f"one-circle edit -> reload event: median {statistics.median(notified) * 1000:.0f} ms, "
              f"max {max(notified) * 1000:.0f} ms")
        print(f"one-circle edit -> reloaded page fetched: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p90 {statistics.quantiles(latencies, n=10)[-1] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
              f"({args.edits} edits; includes the {80} ms debounce)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
