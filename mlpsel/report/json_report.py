"""A machine-readable summary of a run (``mlpsel report RUN --format json``).

Only plain JSON types: numbers, strings, lists, dicts and ``null`` for anything missing (NaN
included), so ``json.dumps(render_json(report), allow_nan=False)`` always works.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from mlpsel.report.loading import VALIDATION_METRICS, RunReport, is_missing, status_note

FORMAT_VERSION = 1


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays as Python types and NaN/inf as None."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parameter_value(cell: Any) -> Any:
    """A ``param_<key>`` cell as its value: ``"[64, 32]"`` (as CSV stores lists) → ``[64, 32]``."""
    if isinstance(cell, str) and cell.startswith("["):
        try:
            return json.loads(cell)
        except ValueError:
            return cell
    return cell


def _ranking(report: RunReport) -> list[dict[str, Any]] | None:
    if report.results is None:
        return None
    rows = []
    split_names = [f"split{k}" for k in range(report.n_splits)]
    for values in report.results.to_dict("records"):
        row: dict[str, Any] = {
            "rank": values[report.rank_column],
            "trial_id": values["trial_id"],
            "params": {key: parameter_value(values[f"param_{key}"])
                       for key in report.parameter_keys},
            "chosen": values["trial_id"] == report.best_trial_id,
        }
        for name in VALIDATION_METRICS:
            metric = f"validation_{name}"
            row[metric] = {
                "mean": values[f"mean_{metric}"],
                "std": values[f"std_{metric}"],
                "splits": [values.get(f"{split}_{metric}") for split in split_names],
            }
        for column in ("train_loss", "train_accuracy", "best_epoch", "fit_seconds"):
            row[column] = values[f"mean_{column}"]
        if report.n_splits == 1 and not is_missing(row["best_epoch"]):
            row["best_epoch"] = int(row["best_epoch"])  # one trial's epoch, not a mean
        row["status"] = values["status"]
        row["error"] = values["error"] or None
        rows.append(row)
    return rows


def render_json(report: RunReport) -> dict[str, Any]:
    """The run as a JSON-ready dict.

    Keys: ``format_version``, ``run_id``, ``path``, ``status``, ``status_note``, ``complete``,
    ``command``, ``argv``, ``kind`` (holdout, cv, curve or biasvar), ``dataset``, ``split``,
    ``folds``, ``n_splits``, ``n_grid_points``, ``seed``, ``started``, ``seconds``,
    ``selection_metric``, ``higher_is_better``, ``best`` (trial id, params, validation mean, std),
    ``ranking`` (one entry per grid point, best first), ``test`` (test-set scores),
    ``per_class`` (class, precision, recall, f1, support, average_precision),
    ``confusion_matrix`` (``class_names``, ``counts`` with rows true and columns predicted),
    ``failed_trials``, ``readings`` and ``examination`` (a curve or biasvar run's reading per
    grid point and its table's rows), ``available`` (which sections have data) and
    ``problems``.
    Missing parts are ``null``.
    """
    folds = report.folds
    best_row = report.best_row
    metric = report.selection_metric
    best = None
    if report.best_trial_id is not None:
        best = {
            "trial_id": report.best_trial_id,
            "params": report.best_params,
            "final": report.best_is_final,
            metric: {"mean": best_row[f"mean_{metric}"] if best_row else
                     (report.summary.get("best") or {}).get(metric),
                     "std": best_row[f"std_{metric}"] if best_row else None},
        }
    curves = report.precision_recall_curves
    average_precision = ({str(curve["class"]): curve["average_precision"] for curve in curves}
                         if curves else {})
    per_class = None
    if report.per_class is not None:
        per_class = [{**row, "class": str(row["class"]),
                      "average_precision": average_precision.get(str(row["class"]))}
                     for row in report.per_class.to_dict("records")]
    confusion = None
    if report.confusion is not None:
        confusion = {"class_names": list(report.class_names), "counts": report.confusion}
    failed = [{"trial_id": row["trial_id"], "status": row["status"], "error": row["error"]}
              for row in report.failed_trials.to_dict("records")]
    summary = {
        "format_version": FORMAT_VERSION,
        "run_id": report.run_id,
        "path": str(report.run.path),
        "status": report.status,
        "status_note": status_note(report),
        "complete": report.is_finished and report.results_complete,
        "command": report.command,
        "argv": list(report.info.get("argv") or []),
        "kind": report.kind,
        "dataset": report.dataset,
        "split": report.split_sizes or None,
        "folds": {"folds": folds[0], "repeats": folds[1]} if folds else None,
        "n_splits": report.n_splits,
        "n_grid_points": report.n_grid_points,
        "seed": report.seed,
        "started": report.started,
        "seconds": report.seconds,
        "selection_metric": metric,
        "higher_is_better": report.higher_is_better,
        "best": best,
        "ranking": _ranking(report),
        "test": report.test_scores or None,
        "per_class": per_class,
        "confusion_matrix": confusion,
        "failed_trials": failed,
        "readings": report.readings or None,  # curve and biasvar runs
        "examination": (report.examination.to_dict("records")
                        if report.examination is not None else None),
        "available": {
            "ranking": report.results is not None,
            "histories": bool(report.histories),
            "test": bool(report.test_scores),
            "confusion_matrix": report.confusion is not None,
            "per_class": report.per_class is not None,
            "predictions": report.predictions is not None,
        },
        "problems": list(report.problems),
    }
    return plain(summary)
