"""The benchmark runs end to end at N = 10 (peers included), so it never breaks. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO


def test_the_benchmark_runs_and_reports_every_figure(tmp_path):
    report = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(REPO / "bench/run.py"), "--sizes", "10", "--repeat", "1",
                           "--json", str(report)],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (row,) = json.loads(report.read_text())["rows"]
    assert row["circles"] == 10 and row["pages"] > 150
    for run in ("cold", "noop", "one_circle"):
        assert row[run]["seconds"] > 0 and row[run]["peak_mb"] > 0
    assert row["serve"]["seconds"] > 0 and row["serve"]["edits"] > 0
    assert row["watch"]["seconds"] > row["watch"]["rebuild_seconds"] > 0
    assert 0 < row["shares"]["sealing"] < 1 and 0 < row["shares"]["calendars"] < 1
    for peer in ("floor", "mkdocs", "pelican"):
        assert row["peers"][peer]["seconds"] > 0, row["peers"][peer]
    assert "Per page, same page count" in done.stdout and "mkdocs" in done.stdout
