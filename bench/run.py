"""circlepress against its peers, at programme scale. One command:

    python bench/run.py                      # N = 10, 100 and 1,000 circles
    python bench/run.py --sizes 10 --quick   # what CI runs, so the benchmark never breaks

For each N it makes a synthetic programme (fixed seed: 10 members, 12 sessions and 4 topics per
circle, every second circle private, plus the stock handbook) and times, each in a fresh process:
a cold build, a no-op rebuild, and a rebuild after one circle's YAML changed, with the peak memory
of the build and its workers; in a running `circlepress build --watch`, the time from saving one
circle's YAML to the changed files written; and in a running `circlepress serve`, to the reload event. It then builds a markdown corpus with the same page count and a
similar page size with MkDocs and Pelican (installed by this script into bench/.venv) and with a
pure-Python floor (markdown-it-py + one Jinja template + a write per page, on every core), and
prints seconds per page and the ratios. Cold builds of circlepress and the floor alternate and are
repeated (--repeat, median shown), each into a new folder, because writing (and deleting) thousands
of small files takes a varying time on a shared machine. The table is also written as JSON. Timing is asserted nowhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from programme import make_programme

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
PEERS = ["mkdocs==1.6.1", "pelican==4.12.0", "markdown==3.7"]
MEASURE = """
import resource, sys, atexit
def peak():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write(f"\\nPEAK_KB {own + kids}\\n")
atexit.register(peak)
sys.argv[0] = "bench"
{call}
"""


def timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, timeout: float = 3600,
          python: str = sys.executable, call: str = "from circlepress.cli import main; main()") -> dict:
    """Run a Python command in a fresh process: wall seconds and peak memory (own + workers)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([python, "-c", MEASURE.replace("{call}", call), *cmd], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "note": f"timed out after {timeout:.0f} s"}
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    peak = re.search(r"PEAK_KB (\d+)", done.stderr)
    return {"seconds": seconds, "peak_mb": int(peak.group(1)) / 1024 if peak else None}


ENV = {"SOURCE_DATE_EPOCH": "1800000000"}


def retopic(text: str, label: str) -> str:
    """The circle's YAML with its first session's topic set to `label` (an edit as an organiser makes;
    replaced, not prepended, so a long run stays within the 200-character limit of a topic)."""
    return re.sub(r"topic: [^,}]*", f"topic: {label} topic", text, count=1)


def cold_build(root: Path, out: Path) -> dict:
    """A build from nothing into a new folder (deleting the last one first would time the file
    system's clean-up of it too: on this machine's disk that is slow and varies a lot), with no
    build state and no compiled templates (Jinja keeps them under TMPDIR)."""
    shutil.rmtree(root / ".circlepress", ignore_errors=True)
    scratch = out.with_name(out.name + "-tmp")
    scratch.mkdir()
    os.sync()  # earlier runs' writes land before the clock starts
    try:
        return timed(["build", "--root", str(root), "--out", str(out)], env={**ENV, "TMPDIR": str(scratch)})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def rebuild_runs(root: Path, out: Path, edits: int) -> dict:
    """No-op and one-circle-changed rebuilds (medians of `edits` each), after a cold build into `out`."""
    build = ["build", "--root", str(root), "--out", str(out)]
    noop = [timed(build, env=ENV) for _ in range(edits)]
    circle = root / "sites/circle-0000/circle.yaml"
    one = []
    for n in range(edits):
        circle.write_text(retopic(circle.read_text(), f"Changed {n}"))
        one.append(timed(build, env=ENV))
    pages = sum(1 for _ in out.rglob("*.html"))
    size = sum(p.stat().st_size for p in out.rglob("*.html")) / max(pages, 1)
    return {"pages": pages, "avg_page_bytes": round(size), "noop": median_run(noop), "one_circle": median_run(one)}


def median_run(runs: list[dict]) -> dict:
    """The run with the median time, with every run's seconds beside it."""
    done = sorted((r for r in runs if r.get("seconds") is not None), key=lambda r: r["seconds"])
    if not done:
        return runs[0]
    return {**done[(len(done) - 1) // 2], "runs": [round(r["seconds"], 3) for r in runs if r.get("seconds")]}


SERVE_EDITS = 10


def serve_run(root: Path) -> dict:
    """Save one circle's YAML while `circlepress serve` runs: time to the reload event (median)."""
    from serve_latency import Events

    proc = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "serve", "--root",
                             str(root), "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, env={**os.environ, **ENV})
    try:
        url, said = "", []
        for line in proc.stderr:
            said.append(line)
            match = re.match(r"Serving (http://\S+) ", line)
            if match:
                url = match.group(1)
                break
        if not url:
            raise SystemExit("circlepress serve did not start:\n" + "".join(said[-20:]))
        rebuilt: list[float] = []  # what the server reports for each rebuild

        def read_log() -> None:
            for line in proc.stderr:
                found = re.match(r"Rebuilt in (\d+) ms", line)
                if found:
                    rebuilt.append(int(found.group(1)) / 1000)

        threading.Thread(target=read_log, daemon=True).start()
        events = Events(re.match(r"(http://[^/]+)", url).group(1))
        events.start()
        time.sleep(0.5)
        seen = events.arrived[-1][1]["build"]
        circle = root / "sites/circle-0000/circle.yaml"
        page = url + "circles/circle-0000/calendar/"
        waits = []
        for n in range(SERVE_EDITS):
            text = retopic(circle.read_text(), f"Served {n}")
            time.sleep(0.3)  # as between two saves
            start = time.perf_counter()
            circle.write_text(text)
            arrived, state = events.wait_new(seen)
            seen = state["build"]
            waits.append(arrived - start)
            assert f"Served {n} " in urllib.request.urlopen(page).read().decode(), "the page did not change"
        time.sleep(0.2)
        return {"seconds": statistics.median(waits), "max_seconds": max(waits), "edits": SERVE_EDITS,
                "rebuild_seconds": statistics.median(rebuilt) if rebuilt else None}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def watch_run(root: Path, out: Path) -> dict:
    """Save one circle's YAML while `circlepress build --watch` runs: time from the save to the
    build's report, printed once the changed files are written and the state saved (median)."""
    proc = subprocess.Popen([sys.executable, "-c", "from circlepress.cli import main; main()", "build", "--watch",
                             "--root", str(root), "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **ENV})
    try:
        lines: list[tuple[float, str]] = []
        said = threading.Condition()

        def read_log() -> None:
            for line in proc.stdout:
                with said:
                    lines.append((time.perf_counter(), line))
                    said.notify_all()

        def next_line(after: int, pattern: str) -> tuple[float, re.Match]:
            with said:
                while True:
                    for arrived, line in lines[after:]:
                        if re.match(pattern, line):
                            return arrived, re.match(pattern, line)
                    if not said.wait(60):
                        raise SystemExit("circlepress build --watch stopped reporting:\n" +
                                         "".join(line for _, line in lines[-20:]))

        threading.Thread(target=read_log, daemon=True).start()
        next_line(0, r"(Nothing changed|Built)")
        next_line(1, r"(Nothing changed|Built)")  # the look for saves made during the first build
        circle = root / "sites/circle-0000/circle.yaml"
        page = out / "circles/circle-0000/calendar/index.html"
        waits, builds = [], []
        for n in range(SERVE_EDITS):
            text = retopic(circle.read_text(), f"Watched {n}")
            time.sleep(0.3)  # as between two saves
            seen = len(lines)
            start = time.perf_counter()
            circle.write_text(text)
            arrived, match = next_line(seen, r"Built .* in ([\d.]+) s")
            waits.append(arrived - start)
            builds.append(float(match.group(1)))
            assert f"Watched {n} " in page.read_text(), "the page was not written"
        return {"seconds": statistics.median(waits), "max_seconds": max(waits), "edits": SERVE_EDITS,
                "rebuild_seconds": statistics.median(builds)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def make_corpus(root: Path, pages: int) -> None:
    """`pages` markdown pages of the handbook's size, for every peer the same files."""
    steps = sorted((REPO / "content/steps").glob("*.md"))
    bodies = [re.sub(r"(?s)^---.*?---\n", "", p.read_text()).replace("{{<", "").replace(">}}", "") for p in steps]
    docs = root / "docs"
    for i in range(pages):
        folder = docs / f"section-{i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = f"Title: Page {i:05d}\nDate: 2027-01-01\n\n# Page {i:05d}\n\n{bodies[i % len(bodies)]}"
        (folder / f"page-{i:05d}.md").write_text(text)


FLOOR = r'''
import sys, os
from pathlib import Path
from multiprocessing import Pool
from markdown_it import MarkdownIt
from jinja2 import Template
TEMPLATE = Template("<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ title }}</title>"
                    "<link rel=stylesheet href=../style.css></head><body><nav>{{ nav }}</nav>"
                    "<main>{{ body }}</main></body></html>")
md = MarkdownIt("commonmark")
def one(path):
    text = Path(path).read_text()
    out = Path(sys.argv[2]) / Path(path).relative_to(sys.argv[1]).with_suffix(".html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(TEMPLATE.render(title=out.stem, nav="", body=md.render(text)))
if __name__ == "__main__":
    files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*.md"))
    with Pool(os.cpu_count()) as pool:
        pool.map(one, files, chunksize=64)
'''


def ensure_peers() -> str:
    python = str(VENV / "bin" / "python")
    if not (VENV / "bin" / "mkdocs").exists() or not (VENV / "bin" / "pelican").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *PEERS], check=True)
    return python


def floor_run(root: Path, out: Path, timeout: float) -> dict:
    os.sync()
    return timed([str(root / "docs"), str(out)], call=f"exec(open({str(root / 'floor.py')!r}).read())", timeout=timeout)


def peer_runs(root: Path, timeout: float) -> dict:
    python = ensure_peers()
    results = {}
    (root / "mkdocs.yml").write_text("site_name: Benchmark\nuse_directory_urls: true\n")
    results["mkdocs"] = timed(["build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(root / "mkdocs-out")],
                              python=python, call="from mkdocs.__main__ import cli; cli()", timeout=timeout)
    (root / "pelicanconf.py").write_text("SITENAME = 'Benchmark'\nTIMEZONE = 'UTC'\nFEED_ALL_ATOM = None\n"
                                         "CATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
                                         "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n")
    results["pelican"] = timed([str(root / "docs"), "-o", str(root / "pelican-out"), "-s",
                                str(root / "pelicanconf.py"), "-q"], python=python,
                               call="from pelican import main; main()", timeout=timeout)
    return results


SHARES = r"""
import sys, time
from pathlib import Path
import circlepress.build.assemble as assemble, circlepress.private.keys as privacy
spent = {"seal": 0.0, "calendar": 0.0}
def timing(function, key):
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.process_time() - start
    return timed
privacy.Sealer.seal = timing(privacy.Sealer.seal, "seal")
assemble.make_calendar = timing(assemble.make_calendar, "calendar")
from circlepress.build.pipeline import build
from circlepress.programme.config import load_project
start = time.process_time()
build(load_project(Path(sys.argv[1])), jobs=1)
total = time.process_time() - start
print(f"SHARES {spent['seal'] / total:.4f} {spent['calendar'] / total:.4f}")
"""


def shares(root: Path) -> dict:
    """Share of a one-process cold build's CPU time spent sealing private pages and making
    calendars (every ICS file and data: URL), timed around the two functions that do it (CPU
    time, so the disk's varying speed does not move the shares)."""
    shutil.rmtree(root / ".circlepress", ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", SHARES, str(root)], capture_output=True, text=True,
                          env={**os.environ, **ENV})
    match = re.search(r"SHARES ([\d.]+) ([\d.]+)", done.stdout)
    return {"sealing": float(match.group(1)), "calendars": float(match.group(2))} if match else {}


def per_page(run: dict, pages: int) -> float | None:
    return run["seconds"] / pages if run.get("seconds") else None


def main() -> None:
    parser = argparse.ArgumentParser(description="circlepress benchmark against MkDocs, Pelican and a floor")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--quick", action="store_true", help="skip MkDocs and Pelican (no installs)")
    parser.add_argument("--repeat", type=int, default=3, help="cold builds (and floor runs) per size; median shown")
    parser.add_argument("--peer-timeout", type=float, default=1200)
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"circlepress-bench-{n}-"))
        try:
            programme = make_programme(work / "programme", n)
            colds, floors = [], []
            corpus = None
            for r in range(args.repeat):  # alternate, so both meet the same machine
                out = work / f"out-{r}"
                colds.append(cold_build(programme, out))
                if corpus is None:
                    corpus = work / "corpus"
                    make_corpus(corpus, sum(1 for _ in out.rglob("*.html")))
                    (corpus / "floor.py").write_text(FLOOR)
                floors.append(floor_run(corpus, work / f"floor-{r}", args.peer_timeout))
            ours = {"cold": median_run(colds), **rebuild_runs(programme, out, args.repeat),
                    "watch": watch_run(programme, out), "serve": serve_run(programme), "shares": shares(programme)}
            peers = {"floor": median_run(floors), **({} if args.quick else peer_runs(corpus, args.peer_timeout))}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append({"circles": n, **ours, "peers": peers})
        print_row(rows[-1])
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
              "repeat": args.repeat, "rows": rows}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(rows)
    print(f"\nJSON: {args.json}")


def ms(value: float | None) -> str:
    return f"{value * 1000:.2f}" if value is not None else "-"


def print_row(row: dict) -> None:
    print(f"N={row['circles']}: {row['pages']} pages, cold {row['cold']['seconds']:.2f} s", file=sys.stderr)


def print_table(rows: list[dict]) -> None:
    print("\ncirclepress (seconds, medians; peak MB of a cold build and its workers)")
    print(f"{'circles':>8} {'pages':>7} {'cold s':>8} {'no-op s':>8} {'one s':>8} {'watch s':>8} {'serve s':>8} "
          f"{'peak MB':>8} {'ms/page':>8}")
    for r in rows:
        print(f"{r['circles']:>8} {r['pages']:>7} {r['cold']['seconds']:>8.2f} {r['noop']['seconds']:>8.2f} "
              f"{r['one_circle']['seconds']:>8.2f} {r['watch']['seconds']:>8.2f} {r['serve']['seconds']:>8.2f} "
              f"{r['cold']['peak_mb']:>8.0f} {ms(per_page(r['cold'], r['pages'])):>8}")
    print("(one s: `circlepress build` after one circle's YAML changed, a fresh process; watch s: the same edit "
          "in a running `circlepress build --watch`, from saving the file to its report, the files written; "
          "serve s: in a running `circlepress serve`, to the reload event; both with the 80 ms debounce)")
    for r in rows:
        own = [f"{r[k]['rebuild_seconds'] * 1000:.0f}" if r[k].get("rebuild_seconds") is not None else "-"
               for k in ("watch", "serve")]
        print(f"N={r['circles']}: after a one-circle edit, `build --watch`'s own build {own[0]} ms, the dev "
              f"server's own rebuild {own[1]} ms (medians of {r['serve']['edits']})")
    print("\nPer page, same page count (ms/page; ratio = circlepress / peer, below 1 is faster)")
    print(f"{'circles':>8} {'circlepress':>12} {'floor':>8} {'ratio':>6} {'mkdocs':>8} {'ratio':>6} "
          f"{'pelican':>8} {'ratio':>6}")
    for r in rows:
        ours = per_page(r["cold"], r["pages"])
        cells = [f"{r['circles']:>8}", f"{ms(ours):>12}"]
        for peer in ("floor", "mkdocs", "pelican"):
            theirs = per_page(r["peers"].get(peer, {}), r["pages"])
            cells += [f"{ms(theirs):>8}", f"{(ours / theirs):>6.2f}" if theirs else f"{'-':>6}"]
        print(" ".join(cells))
    for r in rows:
        if r.get("shares"):
            print(f"N={r['circles']}: sealing private pages {r['shares']['sealing']:.1%} and making calendars "
                  f"{r['shares']['calendars']:.1%} of a one-process cold build's CPU time")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = (last["cold"]["seconds"] / first["cold"]["seconds"]) / (last["pages"] / first["pages"])
        print(f"\nGrowth: {last['pages'] / first['pages']:.0f}x the pages took "
              f"{last['cold']['seconds'] / first['cold']['seconds']:.1f}x the time ({growth:.2f} of linear).")


if __name__ == "__main__":
    main()
