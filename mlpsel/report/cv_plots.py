"""The fold-spread figure of a k-fold run (matplotlib, imported only when drawing)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def cv_spread_figure(frame: pd.DataFrame, *, metric: str, n_splits: int, best_id: str) -> Any:
    """Validation ``metric`` of every grid point in every fold: a box per grid point with each
    fold's value drawn as a dot over it, the chosen grid point highlighted.

    The course's point: the spread across folds tells how far to trust the mean.

    Parameters
    ----------
    frame : DataFrame
        ``cv_results.csv``: ``trial_id`` and ``split<k>_<metric>`` for k < ``n_splits``.
    metric : str
        e.g. ``validation_accuracy``.
    n_splits : int
    best_id : str
        The chosen grid point's ``trial_id``.
    """
    from matplotlib.figure import Figure

    columns = [f"split{k}_{metric}" for k in range(n_splits)]
    labels = list(frame["trial_id"])
    values = [frame.loc[i, columns].to_numpy(dtype=float) for i in frame.index]  # each (n_splits,)
    values = [v[np.isfinite(v)] for v in values]
    figure = Figure(figsize=(max(6.0, 0.9 * len(labels) + 2), 4.5))
    axes = figure.subplots()
    positions = np.arange(1, len(labels) + 1)
    drawable = [(p, v) for p, v in zip(positions, values, strict=True) if len(v)]
    if drawable:
        axes.boxplot([v for _, v in drawable], positions=[p for p, _ in drawable], widths=0.5,
                     showfliers=False)
    jitter = np.random.default_rng(0)
    for position, fold_values, label in zip(positions, values, labels, strict=True):
        is_best = label == best_id
        x = position + jitter.uniform(-0.12, 0.12, size=len(fold_values))
        axes.scatter(x, fold_values, s=28 if is_best else 18, zorder=3,
                     color="tab:red" if is_best else "tab:blue", alpha=0.85)
    axes.set_xticks(positions, labels=[f"{label}\n(chosen)" if label == best_id else label
                                       for label in labels], rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(metric.replace("_", " "))
    axes.set_title(f"{metric.replace('_', ' ')} across {n_splits} folds, per grid point")
    axes.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return figure
