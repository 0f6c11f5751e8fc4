"""Reading YAML and front matter safely, keeping each value's line and column beside it.

Every scalar is read as text (or None when empty or `null`): the schema decides what
a value becomes, so `no`, `on`, `10:00` and bare dates never change type behind the
user's back. Nothing is constructed from tags, and a key given twice is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CirclepressError, Location, Problem

_NULLS = {"", "~", "null", "Null", "NULL"}
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")}

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Document:
    """Plain data read from YAML, with where each value and each key came from."""

    path: str
    data: Any
    values: dict[Key, tuple[int, int]] = field(default_factory=dict, repr=False)
    keys: dict[Key, tuple[int, int]] = field(default_factory=dict, repr=False)

    def locate(self, loc: Key, *, key: bool = False) -> Location:
        """The location of the value (or the key) at `loc`, or of its nearest known parent."""
        loc = tuple(loc)
        table = self.keys if key else self.values
        while loc:
            if loc in table:
                return Location(self.path, *table[loc])
            if loc in self.values:
                return Location(self.path, *self.values[loc])
            loc = loc[:-1]
        return Location(self.path, *self.values.get((), (1, 1)))


def _problem(path: str, mark: Any, message: str, hint: str = "", line_offset: int = 0) -> Problem:
    line = (mark.line + 1 + line_offset) if mark is not None else 1
    column = (mark.column + 1) if mark is not None else 1
    return Problem(Location(path, line, column), message, hint)


class _Reader:
    """Turns a composed YAML node tree into plain data and a position table."""

    def __init__(self, path: str, line_offset: int):
        self.path = path
        self.offset = line_offset
        self.values: dict[Key, tuple[int, int]] = {}
        self.keys: dict[Key, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def pos(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def read(self, node: yaml.Node, at: Key) -> Any:
        self.values[at] = self.pos(node)
        if node.tag not in _ALLOWED_TAGS:
            self.problems.append(_problem(
                self.path, node.start_mark, f"YAML tag '{node.tag}' is not allowed",
                "remove the tag and write a plain value", self.offset))
            return None
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and node.value in _NULLS:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, at + (i,)) for i, item in enumerate(node.value)]
        return self.read_mapping(node, at)

    def read_mapping(self, node: yaml.MappingNode, at: Key) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(_problem(
                    self.path, key_node.start_mark, "a key must be plain text",
                    "write the key as a single word", self.offset))
                continue
            name = key_node.value
            if name in out:
                first = self.keys[at + (name,)]
                self.problems.append(_problem(
                    self.path, key_node.start_mark, f"duplicate key '{name}'",
                    f"it is already set on line {first[0]}; keep one of them", self.offset))
                continue
            self.keys[at + (name,)] = self.pos(key_node)
            out[name] = self.read(value_node, at + (name,))
        return out


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> Document:
    """Parse one YAML document safely; raise CirclepressError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        raise CirclepressError([_problem(path, mark, f"invalid YAML: {what}",
                                         "check indentation, colons and quotes", line_offset)]) from None
    except yaml.YAMLError as exc:
        raise CirclepressError([_problem(path, None, f"invalid YAML: {exc}")]) from None
    if root is None:
        return Document(path, None, {(): (1 + line_offset, 1)})
    reader = _Reader(path, line_offset)
    data = reader.read(root, ())
    if reader.problems:
        raise CirclepressError(reader.problems)
    return Document(path, data, reader.values, reader.keys)


@dataclass(frozen=True)
class FrontMatter:
    """A markdown file split into its front matter and its body."""

    meta: Document
    body: str
    body_line: int  # 1-based line of the body's first line in the file


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split `---`-delimited YAML front matter from a markdown body."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(Document(path, {}, {(): (1, 1)}), text, 1)
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            meta = load_yaml("".join(lines[1:number]), path, line_offset=1)
            if meta.data is None:
                meta = Document(path, {}, {(): (1, 1)})
            return FrontMatter(meta, "".join(lines[number + 1:]), number + 2)
    raise CirclepressError([Problem(Location(path, 1, 1), "front matter is not closed",
                                    "add a line with only --- after the front matter")])


def read_text(path: Path, shown: str) -> str:
    """Read a UTF-8 source file, reporting undecodable bytes with their position."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise CirclepressError([Problem(Location(shown, line, column), "the file is not valid UTF-8",
                                        "save it with UTF-8 encoding")]) from None
