"""Imports run one way between the package's folders, and no folder's imports come back to it.

The rule (rank: a module may import its own folder, the package root's `__version__`, and folders
of a LOWER rank only; folders of the same rank do not import each other):
  5  __main__        `python -m circlepress`
  4  cli             the commands
  3  live            serve, watch, build --watch, edit
  2  build, scaffold from a loaded programme to files; `new`
  1  private, calendar, evaluation  keys, sealing, share links; ICS and the rota; evaluation rounds and
                     their form links (all may use programme)
  0  programme       reading the inputs: imports nothing above it
Imports under `if TYPE_CHECKING:` are for type hints only and are not counted."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "generator" / "circlepress"
RANK = {"__init__": 6, "__main__": 5, "cli": 4, "live": 3, "build": 2, "scaffold": 2, "private": 1, "calendar": 1,
        "evaluation": 1, "programme": 0}


def _folder(module: str) -> str | None:
    """`circlepress.build.load` -> `build`; the root package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every runtime import of circlepress in one file."""
    package = list(path.relative_to(PACKAGE.parent).parts[:-1])  # ["circlepress", "build"]
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else []))
            if node.module:
                found.append((node.lineno, target))
            else:  # `from . import x`: x is a module or a name of the package
                folder = PACKAGE.parent.joinpath(*target.split("."))
                found += [(node.lineno, f"{target}.{a.name}" if (folder / f"{a.name}.py").exists()
                           or (folder / a.name).is_dir() else target) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in found if m == "circlepress" or m.startswith("circlepress.")]


def _edges():
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _folder(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for line, target in _imports(path):
            yield path, line, source, _folder(target)


def test_every_module_is_in_a_known_folder():
    unknown = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if _folder(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) not in RANK}
    assert not unknown, f"modules outside the layers (add their folder to RANK): {sorted(unknown)}"


def test_no_import_runs_up_a_layer_or_sideways():
    bad = [f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {target}"
           for path, line, source, target in _edges()
           if source and target and source != target and RANK[target] >= RANK[source]]
    assert not bad, "imports against the layer rule:\n" + "\n".join(bad)


def test_no_cycle_between_folders():
    graph: dict[str, set[str]] = {}
    for _, _, source, target in _edges():
        if source and target and source != target:
            graph.setdefault(source, set()).add(target)
    seen, path = set(), []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in seen:
            return None
        seen.add(node)
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if cycle := visit(nxt):
                return cycle
        path.pop()
        return None

    cycles = [c for n in sorted(graph) if (c := visit(n))]
    assert not cycles, f"an import cycle between folders: {' -> '.join(cycles[0])}"
