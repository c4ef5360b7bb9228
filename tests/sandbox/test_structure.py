"""The sandbox's shape: it borrows nothing of syncd's reading of Bokio, and its imports form a tree.

Both checks read the source (every import statement, also inside functions and ``TYPE_CHECKING``
blocks), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import syncd.sandbox

SANDBOX = Path(syncd.sandbox.__file__).parent
ROOT = SANDBOX.parent.parent
ALLOWED_FROM_SYNCD = frozenset({"syncd.domain.money", "syncd.domain.references", "syncd.errors"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    """Whether ``name`` is a module or package of this source tree."""
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported(path: Path) -> Iterator[str]:
    """Every syncd module ``path`` imports, resolved to modules (``from pkg import mod`` -> ``pkg.mod``)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "syncd")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "syncd":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if is_module(candidate) else base


def sandbox_imports() -> dict[str, set[str]]:
    """Module -> the syncd modules it imports, for every module of ``syncd.sandbox``."""
    return {module_name(path): set(imported(path)) for path in sorted(SANDBOX.rglob("*.py"))}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or ``None`` for a tree (a DAG)."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        stack.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


def test_the_sandbox_imports_from_syncd_only_money_references_and_errors() -> None:
    foreign = {
        f"{module} imports {target}"
        for module, targets in sandbox_imports().items()
        for target in targets
        if not target.startswith("syncd.sandbox") and target not in ALLOWED_FROM_SYNCD
    }
    assert not foreign, sorted(foreign)


def test_the_import_reader_sees_lazy_imports_and_resolves_submodules() -> None:
    graph = sandbox_imports()
    assert "syncd.sandbox.strict" in graph["syncd.sandbox.core"]  # imported inside a method
    assert "syncd.sandbox.rules" in graph["syncd.sandbox.journal"]  # from syncd.sandbox import rules
    assert "syncd.domain.money" in graph["syncd.sandbox.rules"]
    assert "syncd.sandbox.routes.company" in graph["syncd.sandbox.routes"]


def test_the_sandbox_modules_import_each_other_as_a_tree() -> None:
    graph = {
        module: {t for t in targets if t.startswith("syncd.sandbox")}
        for module, targets in sandbox_imports().items()
    }
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_names_a_circle_and_passes_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
