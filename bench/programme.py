"""A synthetic programme for benchmarks: N circles made from a fixed seed, plus the stock handbook."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Amara", "Jonas", "Priya", "Tomás", "Mei", "Nadia", "Lucía", "Ben", "Sofia", "Kwame", "Ines", "Omar",
         "Hana", "Felix", "Zara", "Mateo", "Leila", "Arjun", "Elena", "Yusuf"]
LAST = ["Okafor", "Lindqvist", "Raman", "Herrera", "Tanaka", "Haddad", "Fernández", "Adeyemi", "Marchetti",
        "Mensah", "Silva", "Novak", "Kim", "Bauer", "Ali", "Rossi", "Dubois", "Sato", "Moreau", "Costa"]
DEPARTMENTS = ["Cell Imaging", "Bioinformatics", "Systems Oncology", "Haematology", "Proteomics", "Stem Cells"]
TOPICS = ["Networking beyond your field", "Supervising students", "Funding for independence",
          "Science communication", "Careers outside the lab", "Writing a first grant", "Negotiating a position",
          "Work and life", "Leading a meeting", "Peer review"]
ZONES = ["Europe/London", "Europe/Madrid", "America/New_York", "Europe/Berlin"]


def bench_key(i: int) -> str:
    """Circle i's fixed access.key (from its number, not the random stream: the circles stay as they were)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"circlepress bench key {i}".encode()).digest()).rstrip(b"=").decode()


def circle_yaml(i: int, rng: random.Random) -> str:
    start = date(2027, 1, 4) + timedelta(days=rng.randrange(0, 60))
    ids = [f"m{j}" for j in range(10)]
    members = "\n".join(f"  - {{id: {m}, name: {rng.choice(FIRST)} {rng.choice(LAST)}, role: Postdoc, "
                        f"department: {rng.choice(DEPARTMENTS)}}}" for m in ids)
    sessions = []
    for s in range(12):
        day = start + timedelta(days=14 + 28 * s)
        leaders = ", ".join(rng.sample(ids, 1 + (s % 2)))
        sessions.append(f"  - {{date: {day.isoformat()}, topic: {rng.choice(TOPICS)}, facilitators: [{leaders}]}}")
    # every member leads at least once: the first ten sessions rotate through them
    sessions = [line.replace(line[line.index("facilitators: [") + 15:line.index("]}")], ids[k])
                if k < 10 else line for k, line in enumerate(sessions)]
    topics = "\n".join(f"  - {{title: {t}, proposed_by: {rng.choice(ids)}}}" for t in rng.sample(TOPICS, 4))
    return f"""name: Circle {i:04d}
description: A synthetic circle for benchmarks.
visibility: {"private" if i % 2 else "public"}
timezone: {rng.choice(ZONES)}
term: {{start: {start.isoformat()}, months: 12}}
defaults: {{start: "16:00", duration: 90, place: Seminar room {i % 7}}}
members:
{members}
sessions:
{chr(10).join(sessions)}
topics:
{topics}
progress:
  find-a-starting-group: {{status: done, note: Started.}}
  make-a-calendar: {{status: in-progress}}
links:
  chat: https://chat.example.org/circle-{i:04d}
  evaluation: https://forms.example.org/circle-{i:04d}
access: {{key: {bench_key(i)}}}
"""


def make_programme(root: Path, circles: int, seed: int = 2027) -> Path:
    """Write N circles under root/sites (the handbook is the stock one)."""
    rng = random.Random(seed)
    for i in range(circles):
        folder = root / "sites" / f"circle-{i:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "circle.yaml").write_text(circle_yaml(i, rng), "utf-8")
    (root / "circlepress.yaml").write_text("title: Benchmark programme\nbase_url: /bench/\n", "utf-8")
    return root
