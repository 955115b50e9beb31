"""Classification metrics: accuracy, confusion matrix, precision/recall/F1, log loss, PR curves.

Rows are samples, as in scikit-learn. Labels are integers ``0 .. n_classes - 1``. The confusion
matrix follows scikit-learn: ``C[i, j]`` counts samples of true class ``i`` predicted as class
``j``, so a row sums to the class's support and a column to how often the class was predicted.

Names say their direction: ``*_score`` is higher-is-better, ``*_loss`` lower-is-better.

A ratio whose denominator is zero (precision of a class never predicted, recall of a class absent
from ``y_true``) is 0.0, as scikit-learn's ``zero_division=0``; nothing is warned or printed.

Malformed arguments (mismatched lengths, labels out of range) are programming errors, not user
mistakes, and raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCORES",
    "TEST_SCORES",
    "VALIDATION_SCORES",
    "Score",
    "accuracy_score",
    "average_precision_score",
    "classification_summary",
    "confusion_matrix",
    "log_loss",
    "one_vs_rest_pr_curves",
    "per_class_table",
    "precision_recall_curve",
    "precision_recall_f1",
    "summary_from_confusion",
]


@dataclass(frozen=True)
class Score:
    """A score mlpsel reports: its name in columns and files, its label, its direction."""

    name: str
    label: str
    higher_is_better: bool


# The one table of score names. Columns and files prefix them with the data they were measured
# on: ``validation_accuracy``, ``mean_validation_loss``, ``test_macro_f1``.
SCORES: dict[str, Score] = {score.name: score for score in (
    Score("accuracy", "accuracy", True),
    Score("macro_precision", "macro precision", True),
    Score("macro_recall", "macro recall", True),
    Score("macro_f1", "macro F1", True),
    Score("loss", "loss", False),
)}
# What every trial reports on its validation part, in the order of the results columns.
VALIDATION_SCORES = ("accuracy", "loss", "macro_f1")
# What the chosen network reports on the test set, in the order of ``summary.json``.
TEST_SCORES = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "loss")


def _as_label_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check two label vectors are 1-D, non-empty, of integers and of equal length."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D, got shapes {y_true.shape} and {y_pred.shape}"
        )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {y_true.shape[0]} and "
            f"{y_pred.shape[0]}"
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty; a metric needs at least one sample")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
            raise ValueError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    return y_true, y_pred


def _divide_or_zero(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` in float64, with 0.0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    result = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape), dtype=np.float64)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of samples whose predicted label equals the true one.

    Parameters
    ----------
    y_true : np.ndarray, shape (N,), int
        True class labels.
    y_pred : np.ndarray, shape (N,), int
        Predicted class labels.

    Returns
    -------
    float
        ``mean(y_true == y_pred)``, in [0, 1].
    """
    y_true, y_pred = _as_label_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Count each (true class, predicted class) pair.

    Parameters
    ----------
    y_true : np.ndarray, shape (N,), int
        True class labels in ``0 .. n_classes - 1``.
    y_pred : np.ndarray, shape (N,), int
        Predicted class labels in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes (10 for MNIST); classes absent from both vectors still get a row and
        a column.

    Returns
    -------
    np.ndarray, shape (n_classes, n_classes), int64
        ``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``; sums to ``N``.
    """
    y_true, y_pred = _as_label_pair(y_true, y_pred)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    n_classes = int(n_classes)
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= n_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"{name} holds label {bad}, outside 0 .. {n_classes - 1} for {n_classes} classes"
            )
    pair_code = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)  # (N,)
    counts = np.bincount(pair_code, minlength=n_classes * n_classes)  # (n_classes²,)
    return counts.reshape(n_classes, n_classes).astype(np.int64)  # (n_classes, n_classes)


def _as_confusion(confusion: np.ndarray) -> np.ndarray:
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1] or confusion.size == 0:
        raise ValueError(
            f"a confusion matrix must be square (n_classes, n_classes), got shape {confusion.shape}"
        )
    if np.any(confusion < 0):
        raise ValueError("a confusion matrix holds counts, but this one has negative entries")
    return confusion


def precision_recall_f1(
    confusion: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix.

    With ``TP = C[c, c]``, ``FN`` the rest of row ``c`` and ``FP`` the rest of column ``c``::

        precision = TP / (TP + FP)          (column: of the samples predicted c, how many are c)
        recall    = TP / (TP + FN)          (row: of the samples of class c, how many were found)
        F1        = 2·TP / (2·TP + FP + FN) (= 2·precision·recall / (precision + recall))
        support   = TP + FN                 (row sum)

    A zero denominator gives 0.0 (scikit-learn's ``zero_division=0``).

    Parameters
    ----------
    confusion : np.ndarray, shape (n_classes, n_classes), int
        ``C[i, j]`` = samples of true class ``i`` predicted as ``j``.

    Returns
    -------
    precision : np.ndarray, shape (n_classes,), float64
    recall : np.ndarray, shape (n_classes,), float64
    f1 : np.ndarray, shape (n_classes,), float64
    support : np.ndarray, shape (n_classes,), int64
    """
    confusion = _as_confusion(confusion).astype(np.int64)  # (n_classes, n_classes)
    true_positives = np.diag(confusion)  # (n_classes,)
    support = confusion.sum(axis=1)  # (n_classes,) row sums: TP + FN
    predicted = confusion.sum(axis=0)  # (n_classes,) column sums: TP + FP
    false_negatives = support - true_positives  # (n_classes,)
    false_positives = predicted - true_positives  # (n_classes,)
    precision = _divide_or_zero(true_positives, predicted)  # TP / (TP + FP)
    recall = _divide_or_zero(true_positives, support)  # TP / (TP + FN)
    f1 = _divide_or_zero(
        2 * true_positives, 2 * true_positives + false_positives + false_negatives
    )  # 2·TP / (2·TP + FP + FN)
    return precision, recall, f1, support


def per_class_table(
    confusion: np.ndarray, class_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """The per-class table: one row per class with its precision, recall, F1 and support.

    Parameters
    ----------
    confusion : np.ndarray, shape (n_classes, n_classes), int
        ``C[i, j]`` = samples of true class ``i`` predicted as ``j``.
    class_names : sequence of str, length n_classes, optional
        Names for the ``class`` column; by default ``"0" .. str(n_classes - 1)``.

    Returns
    -------
    pandas.DataFrame, shape (n_classes, 5)
        Columns ``class`` (str), ``precision``, ``recall``, ``f1`` (float64) and ``support``
        (int64), in class order.
    """
    import pandas as pd
    precision, recall, f1, support = precision_recall_f1(confusion)
    n_classes = support.shape[0]
    if class_names is None:
        class_names = [str(class_index) for class_index in range(n_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != n_classes:
        raise ValueError(
            f"class_names has {len(class_names)} names but the confusion matrix has "
            f"{n_classes} classes"
        )
    return pd.DataFrame(
        {
            "class": class_names,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support.astype(np.int64),
        }
    )


def summary_from_confusion(confusion: np.ndarray) -> dict[str, float]:
    """Accuracy and the macro and weighted averages of the per-class scores.

    Macro averages weigh every one of the ``n_classes`` classes equally, including a class with no
    samples (which contributes 0.0 recall and F1), as scikit-learn does when given
    ``labels=range(n_classes)``. ``weighted_f1`` weighs each class's F1 by its support.

    Parameters
    ----------
    confusion : np.ndarray, shape (n_classes, n_classes), int
        ``C[i, j]`` = samples of true class ``i`` predicted as ``j``; must not be all zeros.

    Returns
    -------
    dict[str, float]
        Keys ``accuracy``, ``macro_precision``, ``macro_recall``, ``macro_f1``, ``weighted_f1``.
    """
    confusion = _as_confusion(confusion)
    total = int(confusion.sum())
    if total == 0:
        raise ValueError("the confusion matrix counts no samples")
    precision, recall, f1, support = precision_recall_f1(confusion)
    return {
        "accuracy": float(np.trace(confusion) / total),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "weighted_f1": float(np.sum(f1 * support) / total),
    }


def classification_summary(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> dict[str, float]:
    """Accuracy, macro precision/recall/F1 and weighted F1 of a set of predictions.

    Parameters
    ----------
    y_true : np.ndarray, shape (N,), int
        True class labels in ``0 .. n_classes - 1``.
    y_pred : np.ndarray, shape (N,), int
        Predicted class labels in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes averaged over (see :func:`summary_from_confusion`).

    Returns
    -------
    dict[str, float]
        Keys ``accuracy``, ``macro_precision``, ``macro_recall``, ``macro_f1``, ``weighted_f1``.
    """
    return summary_from_confusion(confusion_matrix(y_true, y_pred, n_classes))


def log_loss(y_true: np.ndarray, probabilities: np.ndarray, *, eps: float = 1e-15) -> float:
    """Mean cross-entropy of the true class: ``-mean(log p[i, y_true[i]])``.

    The probability of the true class is clipped to ``[eps, 1]`` before the log, so a confident
    wrong prediction costs ``-log(eps)`` (about 34.5 for the default) instead of infinity.
    Computed in float64 whatever the input dtype.

    Parameters
    ----------
    y_true : np.ndarray, shape (N,), int
        True class labels in ``0 .. K - 1``.
    probabilities : np.ndarray, shape (N, K), float
        Predicted class probabilities, one row per sample (rows should sum to 1; not checked).
    eps : float, default 1e-15
        Smallest probability taken.

    Returns
    -------
    float
        The mean loss, ``>= 0``.
    """
    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or y_true.shape[0] != probabilities.shape[0]:
        raise ValueError(
            f"log_loss needs y_true (N,) and probabilities (N, K), got {y_true.shape} and "
            f"{probabilities.shape}"
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty; a metric needs at least one sample")
    if not np.issubdtype(y_true.dtype, np.integer):
        raise ValueError(f"y_true must hold integer class labels, got dtype {y_true.dtype}")
    n_classes = probabilities.shape[1]
    if y_true.min() < 0 or y_true.max() >= n_classes:
        raise ValueError(
            f"y_true holds labels outside 0 .. {n_classes - 1} (probabilities has "
            f"{n_classes} columns)"
        )
    rows = np.arange(y_true.shape[0])
    true_class_probability = probabilities[rows, y_true].astype(np.float64)  # (N,)
    clipped = np.clip(true_class_probability, eps, 1.0)  # (N,)
    return float(-np.mean(np.log(clipped)))


def _as_binary_pair(y_true_binary: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true_binary = np.asarray(y_true_binary)
    scores = np.asarray(scores)
    if y_true_binary.ndim != 1 or scores.shape != y_true_binary.shape:
        raise ValueError(
            f"y_true_binary and scores must be 1-D of the same length, got shapes "
            f"{y_true_binary.shape} and {scores.shape}"
        )
    if y_true_binary.shape[0] == 0:
        raise ValueError("y_true_binary is empty; a curve needs at least one sample")
    if not np.all((y_true_binary == 0) | (y_true_binary == 1)):
        raise ValueError("y_true_binary must hold only 0 and 1 (or False and True)")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite numbers")
    return y_true_binary.astype(bool), scores


def precision_recall_curve(
    y_true_binary: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of the rule ``score >= threshold`` at every distinct score.

    Same semantics as ``sklearn.metrics.precision_recall_curve`` (``drop_intermediate=False``):
    the thresholds are the distinct scores, ascending; ``precision[k]`` and ``recall[k]`` belong to
    ``thresholds[k]``; a last point ``(precision, recall) = (1, 0)`` with no threshold closes the
    curve. Tied scores move together, as one threshold. If ``y_true_binary`` has no positives,
    recall is 1.0 at every threshold (scikit-learn warns; this does not).

    Parameters
    ----------
    y_true_binary : np.ndarray, shape (N,), bool or {0, 1}
        1 for the positive class (one-vs-rest: ``y_true == c``).
    scores : np.ndarray, shape (N,), float
        Higher means more likely positive (e.g. the predicted probability of class ``c``).

    Returns
    -------
    precision : np.ndarray, shape (T + 1,), float64
        ``TP / (TP + FP)`` at each threshold, then 1.0.
    recall : np.ndarray, shape (T + 1,), float64
        ``TP / n_positive`` at each threshold (non-increasing), then 0.0.
    thresholds : np.ndarray, shape (T,)
        The ``T`` distinct scores, ascending, in the dtype of ``scores``.
    """
    positive, scores = _as_binary_pair(y_true_binary, scores)
    order = np.argsort(scores, kind="stable")[::-1]  # (N,) highest score first
    sorted_scores = scores[order]  # (N,)
    sorted_positive = positive[order]  # (N,)
    # The last sample of each run of equal scores: predicting positive for score >= that value
    # takes the whole run at once.
    run_ends = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1])  # (T - 1,)
    run_ends = np.concatenate([run_ends, [sorted_scores.shape[0] - 1]])  # (T,)
    true_positives = np.cumsum(sorted_positive, dtype=np.int64)[run_ends]  # (T,) descending order
    predicted_positive = run_ends + 1  # (T,) TP + FP
    precision = true_positives / predicted_positive  # (T,) TP / (TP + FP); never 0 / 0
    n_positive = int(true_positives[-1])
    if n_positive == 0:
        recall = np.ones(true_positives.shape[0], dtype=np.float64)  # (T,)
    else:
        recall = true_positives / n_positive  # (T,) TP / (TP + FN)
    # Reverse so the thresholds ascend and recall falls, then close the curve at (P, R) = (1, 0).
    precision = np.concatenate([precision[::-1], [1.0]]).astype(np.float64)  # (T + 1,)
    recall = np.concatenate([recall[::-1], [0.0]]).astype(np.float64)  # (T + 1,)
    thresholds = sorted_scores[run_ends][::-1].copy()  # (T,)
    return precision, recall, thresholds


def average_precision_score(y_true_binary: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision–recall step curve, without interpolation.

    ``AP = Σ_n (R_n − R_{n−1}) · P_n`` over the thresholds from highest to lowest (``R_0 = 0``), as
    ``sklearn.metrics.average_precision_score``: each gain in recall is weighted by the precision
    at which it was reached. 0.0 if ``y_true_binary`` has no positives.

    Parameters
    ----------
    y_true_binary : np.ndarray, shape (N,), bool or {0, 1}
        1 for the positive class.
    scores : np.ndarray, shape (N,), float
        Higher means more likely positive.

    Returns
    -------
    float
        Average precision in [0, 1].
    """
    precision, recall, _ = precision_recall_curve(y_true_binary, scores)
    # recall falls along the arrays, so -diff(recall) is each threshold's gain R_n − R_{n−1}.
    # Rounding can push a perfect ranking's sum a hair past 1; the area is bounded by [0, 1].
    return float(min(1.0, max(0.0, -np.sum(np.diff(recall) * precision[:-1]))))


def one_vs_rest_pr_curves(
    y_true: np.ndarray, probabilities: np.ndarray
) -> list[dict[str, np.ndarray | float]]:
    """The precision–recall curve of each class against the rest.

    Class ``c``'s curve treats ``y_true == c`` as positive and ``probabilities[:, c]`` as the score.

    Parameters
    ----------
    y_true : np.ndarray, shape (N,), int
        True class labels in ``0 .. K - 1``.
    probabilities : np.ndarray, shape (N, K), float
        Predicted class probabilities (any per-class scores will do).

    Returns
    -------
    list of dict, length K
        Entry ``c`` has ``precision`` (T_c + 1,), ``recall`` (T_c + 1,), ``thresholds`` (T_c,) as
        :func:`precision_recall_curve`, and ``average_precision`` (float) as
        :func:`average_precision_score`.
    """
    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or y_true.shape[0] != probabilities.shape[0]:
        raise ValueError(
            f"one_vs_rest_pr_curves needs y_true (N,) and probabilities (N, K), got "
            f"{y_true.shape} and {probabilities.shape}"
        )
    curves: list[dict[str, np.ndarray | float]] = []
    for class_index in range(probabilities.shape[1]):
        is_class = y_true == class_index  # (N,)
        scores = probabilities[:, class_index]  # (N,)
        precision, recall, thresholds = precision_recall_curve(is_class, scores)
        average_precision = float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
        curves.append(
            {
                "precision": precision,
                "recall": recall,
                "thresholds": thresholds,
                "average_precision": average_precision,
            }
        )
    return curves
