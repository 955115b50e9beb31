"""mlpsel: model selection for pure-NumPy back-propagation MLPs, from the command line.

The library can be used on its own::

    from pathlib import Path
    from mlpsel import load_config, run_holdout, run_cv

    config = load_config("configs/quickstart.yaml", ["training.epochs=5"])
    result = run_holdout(config, runs_dir=Path("runs"))
    print(result.summary["test"]["test_accuracy"])

``run_holdout`` and ``run_cv`` are :func:`mlpsel.study.run_study` with the run's figures drawn
(the pipeline itself never draws); so can the network (:mod:`mlpsel.nn`) and the data loaders
(:mod:`mlpsel.data`) be used alone. The names below are imported on first use, so
``import mlpsel`` (and ``mlpsel --help``) stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlpsel.version import __version__

_LAZY = {
    "load_config": "mlpsel.config",
    "run_study": "mlpsel.study",
    "load_dataset": "mlpsel.data",
    "MLP": "mlpsel.nn",
}
__all__ = ["__version__", "run_cv", "run_holdout", *_LAZY]


def run_holdout(config: Any, *, runs_dir: Path = Path("runs"), **options: Any) -> Any:
    """Holdout selection (``mlpsel train``); ``options`` are those of
    :class:`mlpsel.study.StudyOptions` (data_dir, jobs, blas_threads, resume, argv)."""
    return _run("train", config, runs_dir, options)


def run_cv(config: Any, *, runs_dir: Path = Path("runs"), **options: Any) -> Any:
    """k-fold selection with a refit (``mlpsel cv``); options as :func:`run_holdout`."""
    return _run("cv", config, runs_dir, options)


def _run(command: str, config: Any, runs_dir: Path, options: dict[str, Any]) -> Any:
    from mlpsel.report.figures import RunFigures
    from mlpsel.study import StudyOptions, run_study

    study_options = StudyOptions(runs_dir=Path(runs_dir), **options)
    return run_study(command, config, study_options,
                     figures=RunFigures(parallel=study_options.jobs > 1))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlpsel' has no attribute {name!r}")
