"""The package's shape: the gate never imports the simulator, and its modules import each other without cycles.

Imports are read from the source (module level and inside functions alike), so a cycle
hidden behind a late import still counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "controller" / "qrgate"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import x` imports the submodule x
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {m for m in imports_of(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_the_package_was_found():
    assert len(MODULES) > 50, f"only {len(MODULES)} modules under {PACKAGE}"
    assert "qrgate.policy.decide" in GRAPH and "qrgate.ledger" in GRAPH["qrgate.policy.presence"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_gate_module_imports_the_simulator(name):
    simulator = sorted(m for m in imports_of(MODULES[name]) if m == "gatesim" or m.startswith("gatesim."))
    assert not simulator, f"{name} imports {simulator}: the gate must run without the simulator"


def find_cycle() -> list[str] | None:
    """One import cycle among the package's own modules (a package's __init__ excluded as a parent)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            # importing a.b runs a/__init__ first; that parent edge is not a design dependency
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(GRAPH):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_inside_the_package():
    cycle = find_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    GRAPH["qrgate.model"].add("qrgate.ledger")  # the ledger imports model: now a cycle
    try:
        assert find_cycle() is not None
    finally:
        GRAPH["qrgate.model"].discard("qrgate.ledger")
