"""Decision thresholds of a binary task: precision and recall as the threshold moves, and the
threshold chosen on validation data for a target.

A sample is predicted positive when its score ŷ (the sigmoid unit's output, the estimated
probability of the positive class) is at least the threshold t. Raising t predicts fewer
positives, so

* TP(t) and FP(t) never grow, and **recall** TP/(TP+FN) never grows: it falls in steps from 1;
* **precision** TP/(TP+FP) has no such rule: removing a positive prediction that was right
  lowers it, removing a wrong one raises it, so it can go down and up as t grows.

The candidates for t are the distinct scores themselves: between two of them nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlpsel.errors import ThresholdNotMet

if TYPE_CHECKING:
    import pandas as pd

RULES = ("fixed", "max_f1", "recall", "precision")


@dataclass(frozen=True)
class Counts:
    """The 2×2 confusion table at one threshold: actual positive/negative × predicted."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        """TP/(TP+FP); NaN when nothing is predicted positive."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        """TP/(TP+FN); NaN when there is no positive sample."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        """2·TP / (2·TP + FP + FN)."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else math.nan

    def as_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def counts_at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> Counts:
    """The 2×2 table of ``labels`` (N,) 0/1 against ``scores`` (N,) ≥ ``threshold``."""
    predicted = scores >= threshold
    positive = labels == 1
    tp = int(np.count_nonzero(predicted & positive))
    fp = int(np.count_nonzero(predicted & ~positive))
    fn = int(np.count_nonzero(~predicted & positive))
    return Counts(tp, fp, fn, len(labels) - tp - fp - fn)


def curve(labels: np.ndarray, scores: np.ndarray,
          thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Precision and recall (and TP, FP) at every threshold, in one sort.

    Parameters
    ----------
    labels : ndarray of 0/1, shape (N,)
    scores : ndarray, shape (N,)
    thresholds : ndarray, shape (T,)

    Returns
    -------
    dict of ndarray, each shape (T,)
        ``tp``, ``fp``, ``precision`` (NaN where nothing is predicted positive), ``recall``.
    """
    order = np.sort(scores)  # (N,) ascending
    positives = np.sort(scores[labels == 1])  # (P,)
    # predicted positive at t: scores ≥ t, i.e. those from the first index ≥ t on
    predicted = len(order) - np.searchsorted(order, thresholds, side="left")  # (T,)
    tp = len(positives) - np.searchsorted(positives, thresholds, side="left")  # (T,)
    fp = predicted - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), np.nan)
        recall = tp / len(positives) if len(positives) else np.full(len(thresholds), np.nan)
    return {"tp": tp, "fp": fp, "precision": precision, "recall": recall}


def choose_threshold(labels: np.ndarray, scores: np.ndarray, rule: str,
                     target: float | None = None) -> float:
    """The threshold a rule picks on (validation) ``labels`` and ``scores``.

    ``fixed``: ``target`` itself. ``max_f1``: the threshold of the highest F1 (ties: the highest
    such threshold). ``recall``: the highest threshold whose recall is at least ``target``.
    ``precision``: the lowest threshold whose precision is at least ``target``.

    Raises
    ------
    ThresholdNotMet
        No threshold reaches the target (saying the best that was reached), or the validation
        labels hold no positive sample.
    """
    if rule == "fixed":
        return float(target)
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    if not np.any(labels == 1):
        raise ThresholdNotMet("the validation part holds no sample of the positive class: no "
                              "threshold can be chosen on it")
    candidates = np.unique(scores)  # (T,) ascending
    table = curve(labels, scores, candidates)
    precision, recall = table["precision"], table["recall"]
    if rule == "max_f1":
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(precision + recall > 0,
                          2 * precision * recall / (precision + recall), 0.0)
        best = np.flatnonzero(f1 == np.nanmax(f1))
        return float(candidates[best[-1]])
    if rule == "recall":
        meeting = np.flatnonzero(recall >= target - 1e-12)
        return float(candidates[meeting[-1]])  # recall(min score) = 1: never empty
    if rule == "precision":
        meeting = np.flatnonzero(precision >= target - 1e-12)
        if not len(meeting):
            best = int(np.nanargmax(precision))
            raise ThresholdNotMet(
                f"no threshold reaches precision {target} on the validation part (the highest "
                f"is {precision[best]:.4f}, at threshold {candidates[best]:.4g}): lower "
                "threshold.choose.precision or choose by recall or max_f1")
        return float(candidates[meeting[0]])
    raise ValueError(f"unknown threshold rule {rule!r}; valid: {', '.join(RULES)}")


def rule_of(setting: Mapping[str, object]) -> tuple[str, float | None]:
    """``(rule, target)`` of a config's ``threshold`` section: ``choose: max_f1``,
    ``choose: {recall: r}``, ``choose: {precision: p}``, else ``fixed``."""
    choose = setting.get("choose")
    if choose is None:
        return "fixed", float(setting["fixed"])
    if choose == "max_f1":
        return "max_f1", None
    ((name, target),) = dict(choose).items()
    return str(name), float(target)


def pr_curve_frame(validation: tuple[np.ndarray, np.ndarray],
                   test: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """``pr_curve.csv``: at every distinct validation score (the candidate thresholds),
    precision and recall on the validation part and on the test set; ``(labels, scores)``
    pairs."""
    import pandas as pd

    thresholds = np.unique(validation[1])  # (T,) ascending
    on_validation = curve(*validation, thresholds)
    on_test = curve(*test, thresholds)
    return pd.DataFrame({"threshold": thresholds,
                         "validation_precision": on_validation["precision"],
                         "validation_recall": on_validation["recall"],
                         "test_precision": on_test["precision"],
                         "test_recall": on_test["recall"]})


def confusion_2x2_frame(counts: Counts, positive: str, negative: str) -> pd.DataFrame:
    """The 2×2 table as the course lays it out: actual positive / negative (rows) by predicted
    positive / negative (columns), with totals."""
    import pandas as pd

    rows = {f"actual {positive}": [counts.tp, counts.fn, counts.tp + counts.fn],
            f"actual {negative}": [counts.fp, counts.tn, counts.fp + counts.tn],
            "total": [counts.tp + counts.fp, counts.fn + counts.tn,
                      counts.tp + counts.fp + counts.fn + counts.tn]}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[
        f"predicted {positive}", f"predicted {negative}", "total"])
