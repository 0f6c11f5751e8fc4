"""Reading YAML and front matter safely, keeping each value's line and column beside it.

Every scalar is read as text (or None when empty or `null`): the schema decides what
a value becomes, so `no`, `on`, `10:00` and bare dates never change type behind the
user's back. Nothing is constructed from tags, and a key given twice is an error.
Anchors, aliases and `<<` merge keys work; an alias inside its own value, or aliases
that expand past MAX_VALUES values, are errors rather than a hang.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import yaml

from .errors import CirclepressError, Location, Problem

_NULLS = {"", "~", "null", "Null", "NULL"}
_CORE = "tag:yaml.org,2002:"
_MERGE = _CORE + "merge"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")}
# Aliases can make a small file expand enormously ("billion laughs"); no real file needs this many values.
MAX_VALUES = 50_000
MAX_FILE_BYTES = 1_000_000  # a circle.yaml, a markdown page or the config; each value at most MAX_TEXT characters
MAX_TEXT = 10_000
MAX_EXPANDED = 2 * MAX_FILE_BYTES  # characters in all of a file's values, each alias counted where it is used
_OPENERS = {"a flow mapping": "the '{{' on line {line}, column {column}: is it closed with '}}'?",
            "a flow sequence": "the '[' on line {line}, column {column}: is it closed with ']'?",
            "a quoted scalar": "the quoted text that starts on line {line}: is its quote closed?",
            "a simple key": "line {line}: does the key end with ':'?"}
_PROBLEM_HINTS = {"'\\t'": "indent with spaces; YAML does not allow tabs",
                  "mapping values are not allowed": "quote a value that contains ': ', or check the indentation",
                  "undefined alias": "mark the value to reuse with '&name' before writing '*name'",
                  "inside the value it names": "an alias can only repeat a value that is complete above it",
                  "found another document": "keep one document: remove the second '---' line"}

# Refused in every value: control characters, line and paragraph separators and invisible format
# characters (bidirectional controls such as U+202E reorder the text around them on a page).
# Kept: tab, line break, the joiners emoji and some scripts need, and the soft hyphen.
_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}
_KEPT = {"\t", "\n", "\u200c", "\u200d", "\u00ad"}

Key = tuple[Any, ...]


def invisible_at(text: str) -> int | None:
    """The index of the first control or invisible character in `text` that a value may not hold."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return None
    return next((i for i, c in enumerate(text) if c not in _KEPT and unicodedata.category(c) in _HIDDEN), None)


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


def _shown_tag(tag: str) -> str:
    """A tag as the user wrote it: `!!python/object` rather than its expanded form."""
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _syntax_hint(exc: yaml.MarkedYAMLError, line_offset: int) -> str:
    """A fix for a YAML syntax error, pointing back to where an unclosed construct began."""
    problem = exc.problem or ""
    hint = next((h for key, h in _PROBLEM_HINTS.items() if key in problem), "check indentation, colons and quotes")
    context, mark = exc.context or "", exc.context_mark
    if not context.startswith("while ") or mark is None or exc.problem_mark is None \
            or mark.line == exc.problem_mark.line:
        return hint
    what = re.sub(r"^while (parsing|scanning) ", "", context)
    line, column = mark.line + 1 + line_offset, mark.column + 1
    opener = _OPENERS.get(what, f"{what} that starts on line {{line}}")
    return "check " + opener.format(line=line, column=column)


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing an alias used inside the value it names (which never ends)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.composing: set[str] = set()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent) and self.peek_event().anchor in self.composing:
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"the alias '*{event.anchor}' is used inside the value it names", event.start_mark)
        return super().compose_node(parent, index)

    def compose_sequence_node(self, anchor: str | None) -> Any:
        return self._composing(anchor, super().compose_sequence_node)

    def compose_mapping_node(self, anchor: str | None) -> Any:
        return self._composing(anchor, super().compose_mapping_node)

    def _composing(self, anchor: str | None, compose: Any) -> Any:
        if anchor is None:
            return compose(anchor)
        self.composing.add(anchor)
        try:
            return compose(anchor)
        finally:
            self.composing.discard(anchor)


if yaml.__with_libyaml__:
    class _FastLoader(yaml.CSafeLoader):
        """libyaml's parser without implicit typing: every plain value is read as text (the schema
        types it), so no value is matched against the resolver's patterns."""

        def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode:
                return _MERGE if implicit[0] and value == "<<" else _CORE + "str"
            return _CORE + ("seq" if kind is yaml.SequenceNode else "map")


class _TooLarge(Exception):
    """Raised inside the reader when aliases expand past MAX_VALUES values or MAX_EXPANDED characters."""


class _Reader:
    """Turns a composed YAML node tree into plain data and a position table."""

    def __init__(self, path: str, line_offset: int):
        self.path = path
        self.offset = line_offset
        self.values: dict[Key, tuple[int, int]] = {}
        self.keys: dict[Key, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.chars = 0

    def pos(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def fail(self, node: yaml.Node, message: str, hint: str) -> None:
        self.problems.append(_problem(self.path, node.start_mark, message, hint, self.offset))

    def read(self, node: yaml.Node, at: Key) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge(f"the file expands to more than {MAX_VALUES} values")
        self.values[at] = self.pos(node)
        if node.tag not in _ALLOWED_TAGS:
            self.fail(node, f"YAML tag '{_shown_tag(node.tag)}' is not allowed",
                      "remove the tag and write a plain value")
            return None
        if isinstance(node, yaml.ScalarNode):
            if not node.style and node.value in _NULLS:
                return None
            self.chars += len(node.value)
            if self.chars > MAX_EXPANDED:
                raise _TooLarge(f"the file expands to more than {MAX_EXPANDED:,} characters")
            name = next((f"'{part}'" for part in reversed(at) if isinstance(part, str)), "the value")
            if len(node.value) > MAX_TEXT:
                self.fail(node, f"{name} is {len(node.value):,} characters long; at most {MAX_TEXT:,} are allowed",
                          "shorten it, or move long text into a markdown page")
            elif (i := invisible_at(node.value)) is not None:
                char = node.value[i]
                self.fail(node, f"{name} holds {char.encode('unicode_escape').decode()} "
                          f"({unicodedata.name(char, 'a control character').lower()}) at character {i + 1}",
                          "delete it: invisible and direction-changing characters make text show other than it reads")
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, at + (i,)) for i, item in enumerate(node.value)]
        return self.read_mapping(node, at)

    def read_mapping(self, node: yaml.MappingNode, at: Key) -> dict[str, Any]:
        """Keys given in the mapping itself, over any merged in with `<<: *name`."""
        out = self.read_merges(node, at)
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a key must be plain text", "write the key as a single word")
                continue
            name = key_node.value
            if name in explicit:
                first = self.keys[at + (name,)]
                self.fail(key_node, f"duplicate key '{name}'",
                          f"it is already set on line {first[0]}; keep one of them")
                continue
            explicit.add(name)
            self.keys[at + (name,)] = self.pos(key_node)
            out[name] = self.read(value_node, at + (name,))
        return out

    def read_merges(self, node: yaml.MappingNode, at: Key) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                continue
            for merged in self.merge_sources(value_node):
                out.update({k: v for k, v in self.read_mapping(merged, at).items() if k not in out})
        return out

    def merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        """The mappings a `<<` key merges: one alias, or a list of them (earlier ones win)."""
        found = []
        for source in node.value if isinstance(node, yaml.SequenceNode) else [node]:
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, "'<<' can only merge a mapping", "write '<<: *name', where '&name' marks a mapping")
            else:
                found.append(source)
        return found


def _compose(text: str) -> Any:
    """The node tree: libyaml's fast parser when the text has no anchors or aliases, else the
    pure-Python loader, which also words syntax errors best and guards alias loops."""
    if yaml.__with_libyaml__ and "*" not in text and "&" not in text:
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass  # report it as the pure-Python loader describes it
    return yaml.compose(text, Loader=_Loader)


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> Document:
    """Parse one YAML document safely; raise CirclepressError listing every problem."""
    too_deep = CirclepressError([Problem(Location(path, 1 + line_offset, 1), "values are nested too deeply",
                                         "use fewer levels of '[', '{' and indentation")])
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and not exc.context.startswith("while "):
            what = f"{exc.context}, {exc.problem}"  # e.g. 'expected a single document..., but found another'
        raise CirclepressError([_problem(path, mark, f"invalid YAML: {what}",
                                         _syntax_hint(exc, line_offset), line_offset)]) from None
    except yaml.YAMLError as exc:
        raise CirclepressError([_problem(path, None, f"invalid YAML: {exc}", "", line_offset)]) from None
    except RecursionError:
        raise too_deep from None
    if root is None:
        return Document(path, None, {(): (1 + line_offset, 1)})
    reader = _Reader(path, line_offset)
    try:
        data = reader.read(root, ())
    except RecursionError:
        raise too_deep from None
    except _TooLarge as exc:
        raise CirclepressError([_problem(path, root.start_mark, str(exc), "use fewer '*' aliases",
                                         line_offset)]) from None
    if reader.problems:
        raise CirclepressError(list(dict.fromkeys(reader.problems)))  # an alias can repeat a problem
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


def escaping_link(path: Path, folder: Path, shown: str) -> Problem | None:
    """A problem when `path` (a link, or inside a linked folder) resolves outside `folder`."""
    try:
        if path.resolve(strict=True).is_relative_to(folder.resolve(strict=True)):
            return None
        where = f"outside {folder.name}/"
    except (OSError, RuntimeError):  # a dangling or looping link
        where = "which does not lead to a file"
    return Problem(Location(shown), f"is a link to '{os.readlink(path) if path.is_symlink() else path.resolve()}', "
                   f"{where}, so it is not published", f"copy it into {folder.name}/ instead of linking to it")


def published_files(folder: Path, shown: Callable[[Path], str], *, within: Path | None = None,
                    hidden: tuple[str, ...] = (".", "_")) -> tuple[list[tuple[PurePosixPath, Path]], list[Problem]]:
    """The files under `folder` by relative path, skipping names that start with `hidden`, and a
    problem for each link that resolves outside `within` (default `folder`) and each linked
    folder: neither is ever followed."""
    files: list[tuple[PurePosixPath, Path]] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        rel = PurePosixPath(path.relative_to(folder).as_posix())
        if any(part.startswith(hidden) for part in rel.parts):
            continue
        if (escape := escaping_link(path, within or folder, shown(path))) is not None:
            problems.append(escape)
        elif path.is_symlink() and path.is_dir():
            problems.append(Problem(Location(shown(path)), f"is a link to the folder '{os.readlink(path)}', "
                                    "which is not followed, so nothing in it is published",
                                    f"copy the folder into {(within or folder).name}/ instead of linking to it"))
        elif path.is_file():
            files.append((rel, path))
    return files, problems


def read_text(path: Path, shown: str) -> str:
    """Read a UTF-8 source file, reporting undecodable bytes with their position (and a file
    that cannot be read: gone since it was listed, say, during an editor's save)."""
    return decode_text(read_source_bytes(path, shown), shown)


def read_at_most(path: Path, limit: int) -> bytes:
    """The first `limit` bytes of a file, and one more if there are more: to the limit, not to the
    end, since a device (/dev/zero, or a link to it) has no end. Raises OSError."""
    with path.open("rb") as file:
        return file.read(limit + 1)


def read_source_bytes(path: Path, shown: str) -> bytes:
    """A source file's bytes, or a located problem when it cannot be read. Read to twice the size
    limit at most (a sealed file is a little larger than its text): decode_text refuses what is over."""
    try:
        return read_at_most(path, 2 * MAX_FILE_BYTES)
    except OSError as exc:
        raise CirclepressError([Problem(Location(shown), f"cannot read the file: {exc.strerror or exc}",
                                        "check that it is a file you can read, then build again")]) from None


def decode_text(data: bytes, shown: str) -> str:
    """A source file's bytes as text (a sealed file's once opened), held to the size limit and UTF-8."""
    if len(data) > MAX_FILE_BYTES:
        raise CirclepressError([Problem(Location(shown, data.count(b"\n", 0, MAX_FILE_BYTES + 1) + 1, 1),
                                        f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB, the most a source "
                                        "file may hold; this line is past it",
                                        "split it, or shorten long values")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise CirclepressError([Problem(Location(shown, line, column), "the file is not valid UTF-8",
                                        "save it with UTF-8 encoding")]) from None
