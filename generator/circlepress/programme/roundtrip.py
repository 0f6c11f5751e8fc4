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


def _take_tail(node) -> list:
    """Detach the blank lines and comments that follow the last entry of a block `node` (ruamel keeps
    them on the deepest last key or item, so a session appended after it would inherit them)."""
    taken: list = []
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        if getattr(node.ca, "end", None):
            taken, node.ca.end = list(node.ca.end), []
            return taken
        last = list(node.keys())[-1] if isinstance(node, CommentedMap) else len(node) - 1
        slot = node.ca.items.get(last)
        pos = 2 if isinstance(node, CommentedMap) else 0
        if slot and len(slot) > pos and slot[pos] is not None:
            taken = [slot[pos]]
            slot[pos] = None
            return taken
        node = node[last]
    return taken


def _put_tail(data: CommentedMap, key: str, node: CommentedSeq, tail: list) -> None:
    """Put the detached lines back after the (new) last entry of `node`."""
    if not tail:
        return
    last = node[-1] if len(node) else None
    if isinstance(last, CommentedMap) and len(last) and not last.fa.flow_style():
        last_key = list(last.keys())[-1]
        if not isinstance(last[last_key], (CommentedMap, CommentedSeq)) or last[last_key].fa.flow_style():
            slot = last.ca.items.setdefault(last_key, [None, None, None, None])
            slot[2] = tail[0]
            return
    keys = list(data.keys())
    following = keys[keys.index(key) + 1] if keys.index(key) + 1 < len(keys) else None
    if following is None:
        node.ca.end = tail
        return
    token = tail[0]
    token.value = token.value[1:] if token.value.startswith("\n") else token.value  # the seq's own newline
    slot = data.ca.items.setdefault(following, [None, None, None, None])
    slot[1] = [token] + (slot[1] or [])


def with_facilitators(text: str, assignments: tuple[Assignment, ...], per_session: int | None = None) -> str:
    """`text` with each assignment written into its session (added for a repeat-rule date), and with
    `planning.facilitators_per_session` set to `per_session` when given (so the next plan uses it)."""
    yaml = _yaml()
    data = yaml.load(text)
    if per_session is not None:
        planning = data.get("planning")
        if not isinstance(planning, dict):
            planning = CommentedMap()
            planning.fa.set_flow_style()
            data["planning"] = planning
        planning["facilitators_per_session"] = per_session
    sessions = data.get("sessions")
    if sessions is None:
        sessions = data["sessions"] = CommentedSeq()
    tail = _take_tail(sessions)  # the blank line before `topics:` stays after the last session
    by_key = {str(s.get("moved_from") or s.get("date")): s for s in sessions if isinstance(s, dict)}
    for assignment in assignments:
        session = by_key.get(assignment.key)
        if session is None:
            session = CommentedMap(date=assignment.date)
            session.fa.set_flow_style()
            sessions.append(session)
            by_key[assignment.key] = session
        session["facilitators"] = _flow(assignment.facilitators)
    _put_tail(data, "sessions", sessions, tail)
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
