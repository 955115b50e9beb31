"""mlpsel: model selection for pure-NumPy back-propagation MLPs, from the command line.

The library can be used on its own::

    from pathlib import Path
    from mlpsel import load_config, run_holdout, run_cv

    config = load_config("configs/quickstart.yaml", ["training.epochs=5"])
    result = run_holdout(config, runs_dir=Path("runs"))
    print(result.summary["test"]["test_accuracy"])

and so can the network (:mod:`mlpsel.nn`) and the data loaders (:mod:`mlpsel.data`). The names
below are imported on first use, so ``import mlpsel`` (and ``mlpsel --help``) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_config": "mlpsel.config",
    "run_holdout": "mlpsel.selection",
    "run_cv": "mlpsel.selection",
    "load_dataset": "mlpsel.data",
    "MLP": "mlpsel.nn",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlpsel' has no attribute {name!r}")
