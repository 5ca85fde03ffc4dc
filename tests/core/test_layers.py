"""The layers of docs/architecture.md, read from the code's own imports.

- ``lifeline.core`` is the vocabulary: it imports only itself, the standard library
  and msgspec (no I/O, nothing of ours above it);
- nothing imports ``lifeline.roles`` (the composition root) but the CLI, and the
  product CLI imports no test tooling (``bench``, ``tests``);
- there is no import cycle among the project's modules;
- no production file is over 400 lines.

Imports are read with ``ast`` (module level, ``if TYPE_CHECKING:`` blocks excluded:
they never run); ``from pkg import name`` counts as an import of ``pkg.name`` when
that is a module of ours, else of ``pkg``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lifeline", "ingest", "alerts", "api", "simulators", "store", "bench")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements that run at import (TYPE_CHECKING blocks left out)."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                stack.append(child)


def _imports(module: str) -> set[str]:
    """Every module ``module`` imports at run time (ours and others', top names)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in MODULES else base)
    return names


def _ours(name: str) -> str | None:
    """The module of ours ``name`` is (or is inside), or None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


GRAPH = {
    module: {m for n in _imports(module) if (m := _ours(n)) and m != module} for module in MODULES
}


def test_the_core_imports_only_itself_the_standard_library_and_msgspec() -> None:
    core = [m for m in MODULES if m == "lifeline.core" or m.startswith("lifeline.core.")]
    assert len(core) > 10
    offenders = {}
    for module in core:
        bad = sorted(
            name
            for name in _imports(module)
            if not (
                name.split(".")[0] in sys.stdlib_module_names
                or name.split(".")[0] == "msgspec"
                or name == "lifeline.core"
                or name.startswith("lifeline.core.")
            )
        )
        if bad:
            offenders[module] = bad
    assert offenders == {}


def test_only_the_cli_imports_the_composition_root_and_the_cli_imports_no_test_tooling() -> None:
    importers = {
        module
        for module, targets in GRAPH.items()
        if any(t.startswith("lifeline.roles") for t in targets)
        and not module.startswith(("lifeline.roles", "lifeline.cli"))
    }
    assert importers == set()
    cli = [m for m in MODULES if m.startswith("lifeline.cli")]
    tooling = {
        module: sorted(n for n in _imports(module) if n.split(".")[0] in ("bench", "tests"))
        for module in cli
    }
    assert {m: t for m, t in tooling.items() if t} == {}


def test_there_is_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


def test_no_production_file_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in MODULES.values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
