"""Imports point one way: from the CLI down to the network and the data, never back.

Each module is read with ``ast`` (nothing is imported) and may import only modules of a lower
layer, or of its own package (``mlpsel.nn.*`` among themselves, for instance).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlpsel"

# Lowest first. A module belongs to the longest name here that prefixes it.
LAYERS = [
    ["mlpsel.errors"],
    ["mlpsel.nn", "mlpsel.data", "mlpsel.splits", "mlpsel.metrics", "mlpsel.report.plots"],
    ["mlpsel.config", "mlpsel.store"],
    ["mlpsel.search"],
    ["mlpsel.experiment"],
    ["mlpsel.executor"],
    ["mlpsel.selection", "mlpsel.report.progress", "mlpsel.report.loading"],
    ["mlpsel.report.terminal", "mlpsel.report.markdown", "mlpsel.report.json_report",
     "mlpsel.report.html"],
    ["mlpsel.report.runs"],
    ["mlpsel.cli"],
    ["mlpsel.__main__", "mlpsel"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def owner(name: str) -> str:
    candidates = [known for known in RANK if name == known or name.startswith(known + ".")]
    return max(candidates, key=len)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlpsel"):
            folder = PACKAGE.parent / node.module.replace(".", "/")
            for alias in node.names:  # ``from mlpsel.report import plots`` imports a module
                is_module = (folder / f"{alias.name}.py").exists() or (folder / alias.name).is_dir()
                names.add(f"{node.module}.{alias.name}" if is_module else node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("mlpsel"))
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_down(path):
    importer = owner(module_name(path))
    for imported in imported_modules(path):
        target = owner(imported)
        if target == importer or importer == "mlpsel":
            continue
        assert RANK[target] < RANK[importer], f"{importer} imports {imported} (a higher layer)"


def test_every_module_has_a_layer():
    for path in MODULES:
        assert owner(module_name(path)) in RANK
