"""Imports point one way: from the CLI down to the network and the data, never back.

Each module is read with ``ast`` (nothing is imported; imports inside functions and under
``TYPE_CHECKING`` count too) and may import only modules of a lower layer, or of its own
package (``mlpsel.nn.*`` among themselves, for instance). On top of the order, the never-list:
the math knows no files, screen or scheduling; data knows no screen; splits and metrics work on
labels, not networks; a report never trains; storage and a trial know no screen; the pipeline
never imports a report; nothing below the CLI prints.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlpsel"

# Lowest first. A module belongs to the longest name here that prefixes it.
LAYERS = [
    ["mlpsel.version", "mlpsel.errors", "mlpsel.events", "mlpsel.atomic", "mlpsel.processes"],
    ["mlpsel.nn", "mlpsel.data", "mlpsel.splits", "mlpsel.metrics", "mlpsel.stats",
     "mlpsel.thresholds"],
    ["mlpsel.config"],
    ["mlpsel.search"],
    ["mlpsel.experiment", "mlpsel.results", "mlpsel.store", "mlpsel.budget"],
    ["mlpsel.executor"],
    ["mlpsel.dask_executor"],
    ["mlpsel.strategies.base"],
    ["mlpsel.strategies"],
    ["mlpsel.study"],
    ["mlpsel.report.plots", "mlpsel.report.loading"],
    ["mlpsel.report.figures", "mlpsel.report.terminal", "mlpsel.report.markdown",
     "mlpsel.report.json_report", "mlpsel.report.html"],
    ["mlpsel.report.runs"],
    ["mlpsel.report"],
    ["mlpsel.progress"],
    ["mlpsel.cli"],
    ["mlpsel.__main__", "mlpsel"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

SCREEN = ("rich", "matplotlib", "typer", "mlpsel.report", "mlpsel.progress", "mlpsel.cli")
FILES = ("os.path", "pathlib", "tempfile", "shutil", "zipfile", "csv", "mlpsel.atomic",
         "mlpsel.store", "mlpsel.data")
SCHEDULING = ("multiprocessing", "concurrent", "threading", "dask", "mlpsel.executor",
              "mlpsel.study", "mlpsel.strategies")
TRAINING = ("mlpsel.nn", "mlpsel.experiment", "mlpsel.executor", "mlpsel.strategies",
            "mlpsel.study")
PIPELINE = ("mlpsel.experiment", "mlpsel.results", "mlpsel.store", "mlpsel.executor",
            "mlpsel.strategies", "mlpsel.study")
NEVER = [
    # (modules, what they may never import, why)
    (("mlpsel.nn",), FILES + SCREEN + SCHEDULING, "the math knows no files, screen or scheduling"),
    (("mlpsel.data",), SCREEN, "data knows no screen"),
    (("mlpsel.splits", "mlpsel.metrics", "mlpsel.stats", "mlpsel.thresholds"),
     ("mlpsel.nn", "mlpsel.experiment"), "splits and metrics work on labels, not networks"),
    (("mlpsel.report",), TRAINING, "a report never trains"),
    (("mlpsel.store",), SCREEN, "storage knows no screen"),
    (("mlpsel.experiment",), SCREEN, "a trial knows no screen"),
    (PIPELINE, SCREEN, "the pipeline never imports a report"),
]
MAY_PRINT = ("mlpsel.cli", "mlpsel.progress")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def owner(name: str) -> str:
    candidates = [known for known in RANK if name == known or name.startswith(known + ".")]
    return max(candidates, key=len)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (mlpsel's own and third-party), by full name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            folder = PACKAGE.parent / node.module.replace(".", "/")
            for alias in node.names:  # ``from mlpsel.report import plots`` imports a module
                is_module = (folder / f"{alias.name}.py").exists() or (folder / alias.name).is_dir()
                names.add(f"{node.module}.{alias.name}" if is_module else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


MODULES = sorted(PACKAGE.rglob("*.py"))
IDS = [str(p.relative_to(PACKAGE.parent)) for p in MODULES]


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_imports_point_down(path):
    importer = owner(module_name(path))
    for imported in imported_modules(path):
        if not imported.startswith("mlpsel"):
            continue
        target = owner(imported)
        if target == importer or importer == "mlpsel":
            continue
        assert RANK[target] < RANK[importer], f"{importer} imports {imported} (a higher layer)"


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_never_list(path):
    name = module_name(path)
    for modules, forbidden, why in NEVER:
        if not within(name, modules):
            continue
        for imported in imported_modules(path):
            if within(imported, modules):
                continue  # a package among its own modules
            assert not within(imported, forbidden), f"{name} imports {imported}: {why}"


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_nothing_below_the_cli_prints(path):
    if within(module_name(path), MAY_PRINT):
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "print", f"{module_name(path)} prints (line {node.lineno})"
        if isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr"):
            assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), (
                f"{module_name(path)} writes to sys.{node.attr} (line {node.lineno})")


def test_every_module_has_a_layer():
    for path in MODULES:
        assert owner(module_name(path)) in RANK


def test_the_layers_are_the_ones_the_rules_name():
    """A rule that names a module that does not exist would hold vacuously."""
    names = {module_name(path) for path in MODULES}
    for modules, forbidden, _ in NEVER:
        for prefix in modules + tuple(f for f in forbidden if f.startswith("mlpsel")):
            assert any(within(name, (prefix,)) for name in names), prefix
    # and the never-list does catch a forbidden import
    tree = "from mlpsel.executor import LocalExecutor\n"
    fake = PACKAGE.parent / "tests_never_probe.py"
    try:
        fake.write_text(tree)
        assert "mlpsel.executor" in imported_modules(fake)
    finally:
        fake.unlink()


RUN_FOLDER_NAME = re.compile(
    r"\b(run|config|env|trials|cv_results|folds|summary|model|predictions|confusion_matrix|"
    r"per_class|history|result|learning_curves|cv_spread|report)\.(json|yaml|csv|npz|png|html)\b"
    r"|\btrials/|\bbest/")


def _docstrings(tree: ast.AST) -> set[int]:
    bodies = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, bodies) and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_no_run_folder_file_name_is_spelled_outside_the_store(path):
    """Docstrings may describe the run folder; code takes its paths from mlpsel.store."""
    if module_name(path) == "mlpsel.store":
        assert RUN_FOLDER_NAME.search(path.read_text())  # the pattern does find names
        return
    tree = ast.parse(path.read_text())
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            assert not RUN_FOLDER_NAME.search(node.value), (
                f"{module_name(path)} line {node.lineno} spells {node.value!r}")
