"""Imports point one way (STYLE.md): retention → consent → ledger → privacy → accounts, wiring apart.

Read from the source with ``ast`` (imports inside functions count too: a lazy import is still a
dependency), so a new module is covered without being listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["accounts", "privacy", "ledger", "consent", "retention"]  # each may import only those before it
WIRING = "softhelpers"


def _modules() -> dict[str, Path]:
    modules = {}
    for package in [*LAYERS, WIRING]:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imports(path: Path, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found |= {name for name in names if name in known}
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def test_a_lower_app_never_imports_a_higher_one_nor_the_wiring():
    wrong = []
    for module, imported in _graph().items():
        app = module.split(".")[0]
        if app == WIRING:
            continue
        allowed = set(LAYERS[: LAYERS.index(app) + 1])
        wrong += [(module, target) for target in imported if target.split(".")[0] not in allowed]
    assert wrong == []


def test_no_module_imports_itself_back_through_others():
    graph = _graph()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for target in graph.get(module, ()):
            if target == path[0]:
                cycles.append([*path, target])
            elif target not in path and len(path) < 8:
                visit(target, [*path, target])

    for module in graph:
        visit(module, [module])
    assert cycles == []
