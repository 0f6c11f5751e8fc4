"""How long `circlepress report` takes for a large programme: N synthetic circles (bench/programme.py),
each with R rounds of 5-10 responses to the default questionnaire in one plain CSV, timed end to end
(a fresh process, as a coordinator runs it) and by stage in this process.

    python bench/report.py [--circles 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "generator")]

from programme import make_programme  # noqa: E402

from circlepress.build.load import load_site  # noqa: E402
from circlepress.build.report import render_report  # noqa: E402
from circlepress.evaluation.aggregate import circle_labels, summarise  # noqa: E402
from circlepress.evaluation.questionnaire import Kind, load_questionnaire  # noqa: E402
from circlepress.evaluation.responses import read_responses  # noqa: E402
from circlepress.evaluation.rounds import circle_folder, rounds  # noqa: E402
from circlepress.programme.config import load_project  # noqa: E402


def answer(question, rng: random.Random) -> str:
    if question.kind is Kind.SCALE:
        return str(rng.choice((2, 3, 4, 4, 5, 5)))
    if question.kind is Kind.YES_NO:
        return rng.choice(("Yes", "Yes", "No"))
    if question.kind is Kind.CHOICE:
        return rng.choice(question.choices)
    return rng.choice(("", "More time for each topic", "The pairs exercise, again"))


def write_answers(path: Path, root: Path, n_rounds: int, seed: int = 12) -> int:
    rng, questionnaire = random.Random(seed), load_questionnaire(root)
    rows = ["circle,round," + ",".join(q.id for q in questionnaire.questions)]
    for folder in sorted(p.name for p in (root / "sites").iterdir()):
        for number in range(1, n_rounds + 1):
            for _ in range(rng.randint(5, 10)):
                cells = [answer(q, rng) for q in questionnaire.questions]
                rows.append(f"{folder},{number}," + ",".join(f'"{c}"' for c in cells))
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return len(rows) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_programme(Path(tmp) / "programme", args.circles)
        answers, out = Path(tmp) / "answers.csv", Path(tmp) / "report.html"
        n = write_answers(answers, root, args.rounds)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "circlepress", "report", str(answers), "--out", str(out),
                               "--root", str(root), "--date", "2027-07-01"], capture_output=True, text=True,
                              env={"PYTHONPATH": str(HERE.parent / "generator")})
        whole = time.perf_counter() - started
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        t0 = time.perf_counter()
        project = load_project(root)
        circles = load_site(project).circles
        t1 = time.perf_counter()
        questionnaire = load_questionnaire(root)
        responses = read_responses([answers], questionnaire, {circle_folder(c): len(rounds(c)) for c in circles})
        t2 = time.perf_counter()
        report = summarise(questionnaire, responses, circle_labels(circles))
        t3 = time.perf_counter()
        html = render_report(project, report)
        t4 = time.perf_counter()
        print(f"{args.circles} circles, {args.rounds} rounds, {n} responses "
              f"({answers.stat().st_size / 1e6:.2f} MB of CSV)")
        print(f"circlepress report, a fresh process: {whole:.2f} s; report {out.stat().st_size / 1e3:.0f} KB")
        print(f"  load the programme {t1 - t0:.2f} s, read the CSV {t2 - t1:.2f} s, "
              f"aggregate {t3 - t2:.3f} s, render {t4 - t3:.3f} s ({len(html) / 1e3:.0f} KB)")


if __name__ == "__main__":
    main()
