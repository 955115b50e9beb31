"""Figures: learning curves and confusion matrices (matplotlib, imported only when drawing).

Each function returns a matplotlib ``Figure``; saving it is the caller's job
(:func:`mlpsel.store.write_figure` writes it atomically).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def learning_curves_figure(histories: Mapping[str, pd.DataFrame], best_id: str) -> Any:
    """Loss and accuracy against epoch, train against validation.

    Left two panels: the chosen trial (train solid, validation dashed) — the course's picture of
    over- and under-fitting. Right panel: validation accuracy of every grid point, best highlighted.

    Parameters
    ----------
    histories : mapping of trial id to DataFrame
        Each with columns epoch, train_loss, train_accuracy, validation_loss, validation_accuracy.
    best_id : str
        The chosen trial.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 4.2))
    loss_axes, accuracy_axes, all_axes = figure.subplots(1, 3)
    best = histories[best_id]
    for axes, quantity, label in ((loss_axes, "loss", "cross-entropy loss"),
                                  (accuracy_axes, "accuracy", "accuracy")):
        axes.plot(best["epoch"], best[f"train_{quantity}"], "o-", label="train")
        if best[f"validation_{quantity}"].notna().any():
            axes.plot(best["epoch"], best[f"validation_{quantity}"], "s--", label="validation")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.set_title(f"chosen network {best_id}: {quantity}")
        axes.grid(alpha=0.3)
        axes.legend()
    for trial_id, history in histories.items():
        if history.empty:
            continue
        is_best = trial_id == best_id
        all_axes.plot(history["epoch"], history["validation_accuracy"],
                      linewidth=2.5 if is_best else 1.0, alpha=1.0 if is_best else 0.55,
                      label=f"{trial_id} (chosen)" if is_best else trial_id,
                      zorder=3 if is_best else 2)
    all_axes.set_xlabel("epoch")
    all_axes.set_ylabel("validation accuracy")
    all_axes.set_title("every grid point: validation accuracy")
    all_axes.grid(alpha=0.3)
    if len(histories) <= 12:
        all_axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def confusion_matrix_figure(confusion: np.ndarray, class_names: tuple[str, ...]) -> Any:
    """Heatmap of ``confusion[i, j]`` (true class i predicted as j): counts, coloured by row share.

    Parameters
    ----------
    confusion : ndarray of int, shape (K, K)
    class_names : tuple of str, length K
    """
    from matplotlib.figure import Figure

    n_classes = len(class_names)
    row_totals = confusion.sum(axis=1, keepdims=True)
    row_share = np.divide(confusion, row_totals, out=np.zeros(confusion.shape, dtype=float),
                          where=row_totals > 0)  # (K, K)
    size = max(5.0, 0.55 * n_classes + 2)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.subplots()
    image = axes.imshow(row_share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(n_classes):
        for j in range(n_classes):
            if confusion[i, j]:
                axes.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                          color="white" if row_share[i, j] > 0.5 else "black")
    axes.set_xticks(range(n_classes), labels=class_names, rotation=45 if n_classes > 10 else 0)
    axes.set_yticks(range(n_classes), labels=class_names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    accuracy = np.trace(confusion) / max(1, confusion.sum())
    axes.set_title(f"confusion matrix on the test set (accuracy {accuracy:.2%})")
    figure.colorbar(image, ax=axes, label="share of the true class (recall on the diagonal)")
    figure.tight_layout()
    return figure
