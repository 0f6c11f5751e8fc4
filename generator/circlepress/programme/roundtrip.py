"""Editing `circle.yaml` in place, keeping its comments, key order and layout (ruamel.yaml)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

if TYPE_CHECKING:  # the planner's type only: editing the YAML needs nothing from the planner
    from ..calendar.rota import Assignment


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style `circlepress new circle` writes
    return yaml


def _flow(items: Iterable[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def with_facilitators(text: str, assignments: tuple[Assignment, ...]) -> str:
    """`text` with each assignment written into its session (added for a repeat-rule date)."""
    yaml = _yaml()
    data = yaml.load(text)
    sessions = data.get("sessions")
    if sessions is None:
        sessions = data["sessions"] = CommentedSeq()
    by_key = {str(s.get("moved_from") or s.get("date")): s for s in sessions if isinstance(s, dict)}
    for assignment in assignments:
        session = by_key.get(assignment.key)
        if session is None:
            session = CommentedMap(date=assignment.date)
            session.fa.set_flow_style()
            sessions.append(session)
            by_key[assignment.key] = session
        session["facilitators"] = _flow(assignment.facilitators)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def with_key(text: str, key: str) -> str:
    """`text` with `access.key` set to `key` (and the retired `access.version` dropped)."""
    yaml = _yaml()
    data = yaml.load(text)
    access = data.get("access")
    if not isinstance(access, dict):
        access = data["access"] = CommentedMap()
    access.pop("version", None)
    access["key"] = key
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
