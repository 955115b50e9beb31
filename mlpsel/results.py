"""Per-task results → the per-grid-point table, its ranking, and the choice. Pure: no files.

A *task result* is what one trained task reports (``result.json``): ``task_id``,
``grid_point_id``, ``grid_point_index``, ``repeat``, ``fold``, ``params``, ``status``, ``error``
and its scores (``validation_accuracy``, ``validation_loss``, ``validation_macro_f1``,
``train_loss``, ``train_accuracy``, ``best_epoch``, ``epochs_run``, ``fit_seconds``).

The *grid-point table* has one row per grid point with scikit-learn's ``cv_results_`` columns
(the inner split is called "validation"; "test" is kept for the final held-out set)::

    trial_id, param_<key>...,
    split<k>_validation_<m>..., mean_validation_<m>, std_validation_<m>   for m in accuracy, loss,
                                                                          macro_f1; k < n_splits
    mean_train_loss, mean_train_accuracy, mean_fit_seconds, mean_best_epoch, status, error,
    rank_<selection metric>

Split ``k`` of repeat ``r``, fold ``f`` is ``k = r × folds + f`` (holdout: the one split 0). The
rules, the same for a finished run and for one read while it runs:

- a mean is given only when every split has a value; the standard deviation (population, as
  scikit-learn's) only when there are several splits;
- a grid point is ``ok`` when all its splits are; otherwise it carries the first failure, or is
  ``incomplete`` while splits are still missing;
- rank 1 is the best ``ok`` grid point; ties share the lower rank; the rest rank last.

The run writer and every report use these functions; nothing else aggregates folds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.metrics import SCORES, VALIDATION_SCORES

if TYPE_CHECKING:
    import pandas as pd

VALIDATION_METRICS = tuple(f"validation_{name}" for name in VALIDATION_SCORES)
TRAIN_METRICS = ("train_loss", "train_accuracy")
INCOMPLETE = "incomplete"


def higher_is_better(metric: str) -> bool:
    """``validation_accuracy`` → True, ``validation_loss`` → False (see :data:`SCORES`)."""
    return SCORES[metric.removeprefix("mean_").removeprefix("validation_")].higher_is_better


def split_index(result: Mapping[str, Any], folds: int) -> int:
    """``repeat × folds + fold`` of a k-fold task; 0 for a holdout trial."""
    return int(result.get("repeat") or 0) * folds + int(result.get("fold") or 0)


def table_cell(value: Any) -> Any:
    """A parameter value as a table cell: lists (layer widths) as their text."""
    return str(value) if isinstance(value, list) else value


def _mean(values: Sequence[Any]) -> float | None:
    """The mean when every value is there, else None."""
    if not values or any(value is None for value in values):
        return None
    return float(np.mean([float(value) for value in values]))


def grid_point_rows(results: Iterable[Mapping[str, Any]], *, n_splits: int, folds: int = 1,
                    metric: str = "validation_accuracy",
                    split_sizes: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The ranked grid-point table (see the module docstring) as plain rows, in grid order.

    Parameters
    ----------
    results : iterable of dict
        Task results of the sweep (no refit); several per grid point in k-fold.
    n_splits : int
        Validation splits per grid point (folds × repeats; 1 for holdout).
    folds : int
        Folds per repeat, to place each result at its split.
    metric : str
        The selection metric, e.g. ``validation_accuracy``: ranks on ``mean_<metric>``.
    split_sizes : (n_train, n_validation), optional
        Samples trained and validated on per split; with several splits, every grid point is
        compared with the best (:func:`compare_with_best`).
    """
    groups: dict[str, dict[str, Any]] = {}
    for result in results:
        group = groups.setdefault(str(result["grid_point_id"]), {
            "index": result.get("grid_point_index"), "params": result.get("params") or {},
            "splits": [None] * n_splits})
        group["splits"][split_index(result, folds)] = result
    ordered = sorted(groups.items(), key=lambda item: (
        item[1]["index"] if item[1]["index"] is not None else math.inf, item[0]))
    rows = [_grid_point_row(grid_point_id, group["params"], group["splits"])
            for grid_point_id, group in ordered]
    rows = rank_rows(rows, metric)
    if split_sizes is not None and n_splits > 1:
        compare_with_best(rows, metric, n_splits, *split_sizes)
    return rows


def halving_rows(results: Iterable[Mapping[str, Any]], *, n_splits: int, folds: int = 1,
                 metric: str = "validation_accuracy",
                 split_sizes: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """Successive halving's table: one row per candidate and round, as scikit-learn's halving
    search writes ``cv_results_``: :func:`grid_point_rows` of each round's results (ranked and
    compared within the round), with ``iter`` (the round, from 0) and ``n_resources`` (the
    epochs every candidate of the round was trained to) first after ``trial_id``; rounds in
    order, grid order within a round."""
    by_round: dict[int, list[Mapping[str, Any]]] = {}
    for result in results:
        by_round.setdefault(int(result["iter"]), []).append(result)
    rows = []
    for iteration in sorted(by_round):
        budget = by_round[iteration][0]["n_resources"]
        for row in grid_point_rows(by_round[iteration], n_splits=n_splits, folds=folds,
                                   metric=metric, split_sizes=split_sizes):
            rows.append({"trial_id": row.pop("trial_id"), "iter": iteration,
                         "n_resources": budget, **row})
    return rows


def last_round(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Positions of the rows of the last round of a halving table (every row without
    ``iter``)."""
    rounds = [row.get("iter") for row in rows]
    if any(value is None for value in rounds):
        return list(range(len(rows)))
    last = max(rounds, default=0)
    return [position for position, value in enumerate(rounds) if value == last]


def compare_with_best(rows: list[dict[str, Any]], metric: str, n_splits: int, n_train: int,
                      n_validation: int, alpha: float = 0.05) -> list[dict[str, Any]]:
    """Add ``t_vs_best``, ``p_vs_best``, ``p_vs_best_holm`` and ``tied_with_best`` to every row.

    Each ``ok`` grid point is compared with the best by the corrected resampled t-test
    (:func:`mlpsel.stats.corrected_resampled_t`) on its split scores; the p values are
    Holm-adjusted over the compared grid points; a grid point is tied with the best when its
    adjusted p ≥ ``alpha``. The best row has t = 0, p = 1 and is tied with itself.
    """
    from mlpsel.stats import corrected_resampled_t, holm

    for row in rows:
        row.update(t_vs_best=None, p_vs_best=None, p_vs_best_holm=None, tied_with_best=None)
    ok = [row for row in rows if row["status"] == "ok"]
    if not ok:
        return rows
    best = rows[choose_best(rows, metric)]
    sign = 1.0 if higher_is_better(metric) else -1.0
    best_scores = [best[f"split{k}_{metric}"] for k in range(n_splits)]
    others = [row for row in ok if row is not best]
    for row in others:
        differences = [sign * (b - row[f"split{k}_{metric}"])
                       for k, b in enumerate(best_scores)]
        row["t_vs_best"], row["p_vs_best"] = corrected_resampled_t(differences, n_train,
                                                                   n_validation)
    for row, adjusted in zip(others, holm([row["p_vs_best"] for row in others]), strict=True):
        row["p_vs_best_holm"] = adjusted
        row["tied_with_best"] = adjusted >= alpha
    best.update(t_vs_best=0.0, p_vs_best=1.0, p_vs_best_holm=1.0, tied_with_best=True)
    return rows


def _grid_point_row(grid_point_id: str, params: Mapping[str, Any],
                    splits: list[Mapping[str, Any] | None]) -> dict[str, Any]:
    present = [result for result in splits if result is not None]
    row: dict[str, Any] = {"trial_id": grid_point_id}
    for key, value in params.items():
        row[f"param_{key}"] = table_cell(value)
    for name in VALIDATION_METRICS:
        values = [result.get(name) if result is not None else None for result in splits]
        for k, value in enumerate(values):
            row[f"split{k}_{name}"] = value
        mean = _mean(values)
        row[f"mean_{name}"] = mean
        row[f"std_{name}"] = (float(np.std([float(v) for v in values]))
                              if mean is not None and len(values) > 1 else None)
        if len(values) > 1:  # the standard error of the mean across splits, std(ddof=1)/√J
            row[f"se_{name}"] = (float(np.std([float(v) for v in values], ddof=1)
                                       / math.sqrt(len(values))) if mean is not None else None)
    for name in TRAIN_METRICS:
        row[f"mean_{name}"] = _mean([result.get(name) if result is not None else None
                                     for result in splits])
    row["mean_fit_seconds"] = float(np.mean([r.get("fit_seconds") or 0.0 for r in present]))
    best_epochs = [r["best_epoch"] for r in present if r.get("best_epoch")]
    row["mean_best_epoch"] = float(np.mean(best_epochs)) if best_epochs else None
    failures = [r for r in present if r["status"] != "ok"]
    if failures:
        row["status"] = failures[0]["status"]
        error = failures[0].get("error")
        row["error"] = f"{failures[0]['task_id']}: {error}" if len(splits) > 1 else error or ""
    else:
        row["status"] = "ok" if len(present) == len(splits) else INCOMPLETE
        row["error"] = ""
    return row


def rank_rows(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Set ``rank_<metric>`` on every row from ``mean_<metric>`` (see :func:`rank_scores`)."""
    scores = [row[f"mean_{metric}"] if row["status"] == "ok" else None for row in rows]
    for row, rank in zip(rows, rank_scores(scores, higher_is_better(metric)), strict=True):
        row[f"rank_{metric}"] = rank
    return rows


def rank_scores(scores: Sequence[float | None], higher_is_better: bool) -> list[int]:
    """Rank 1 = best; ties share the lower rank; missing (None or NaN) scores all rank last,
    together (pandas' ``rank(method="min", na_option="bottom")``)."""
    valid = [float(s) for s in scores if s is not None and not math.isnan(float(s))]
    ranks = []
    for score in scores:
        if score is None or math.isnan(float(score)):
            ranks.append(len(valid) + 1)
        elif higher_is_better:
            ranks.append(1 + sum(other > float(score) for other in valid))
        else:
            ranks.append(1 + sum(other < float(score) for other in valid))
    return ranks


def choose_best(rows: Sequence[Mapping[str, Any]], metric: str) -> int:
    """Position of the best ``ok`` grid point in ``rows`` by ``mean_<metric>`` (ties go to the
    earlier one).

    Raises
    ------
    NoSuccessfulTrial
        No grid point is ``ok``.
    """
    from mlpsel.errors import NoSuccessfulTrial

    ok = [position for position, row in enumerate(rows) if row["status"] == "ok"]
    if not ok:
        raise NoSuccessfulTrial("no trial succeeded: " + "; ".join(
            f"{row['trial_id']}: {row['status']} ({row['error']})" for row in rows))
    scores = np.array([rows[position][f"mean_{metric}"] for position in ok], dtype=float)
    best = int(np.argmax(scores)) if higher_is_better(metric) else int(np.argmin(scores))
    return ok[best]


def choose_one_se(rows: Sequence[Mapping[str, Any]], metric: str,
                  complexity: Sequence[float]) -> int:
    """The one-standard-error rule: the simplest ``ok`` grid point whose mean is within one
    standard error (std(ddof=1)/√J of the best grid point's split scores) of the best mean.

    ``complexity[i]`` orders row i (smaller is simpler); ties go to the better mean, then the
    earlier row.
    """
    best = choose_best(rows, metric)
    best_mean, se = rows[best][f"mean_{metric}"], rows[best].get(f"se_{metric}")
    if se is None:
        raise ValueError("the one-SE rule needs several validation splits (k-fold)")
    sign = 1.0 if higher_is_better(metric) else -1.0
    within = [i for i, row in enumerate(rows) if row["status"] == "ok"
              and sign * (best_mean - row[f"mean_{metric}"]) <= se]
    return min(within, key=lambda i: (complexity[i], -sign * rows[i][f"mean_{metric}"], i))


def status_counts(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``status → count`` over task results, most common first."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


# ---------------------------------------------------------------------------------------------
# Tables as written


def cv_results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``cv_results.csv``: the grid-point table without the training-set means."""
    import pandas as pd

    drop = [f"mean_{name}" for name in TRAIN_METRICS]
    return pd.DataFrame(rows).drop(columns=drop)


def holdout_trials_frame(results: Sequence[Mapping[str, Any]],
                         rows: Sequence[Mapping[str, Any]], metric: str) -> pd.DataFrame:
    """Holdout ``trials.csv``: one row per trial (= grid point), its own scores and its rank.

    ``results`` and ``rows`` are in the same (grid) order.
    """
    import pandas as pd

    table = []
    for result, row in zip(results, rows, strict=True):
        line: dict[str, Any] = {"trial_id": row["trial_id"]}
        line.update({key: value for key, value in row.items() if key.startswith("param_")})
        if "iter" in row:  # successive halving: the round and its epochs
            line.update(iter=row["iter"], n_resources=row["n_resources"])
        for column in (*VALIDATION_METRICS, *TRAIN_METRICS, "best_epoch", "epochs_run",
                       "fit_seconds"):
            line[column] = result.get(column)
        line["status"] = result["status"]
        line["error"] = result.get("error") or ""
        line[f"rank_{metric}"] = row[f"rank_{metric}"]
        table.append(line)
    return pd.DataFrame(table)


def task_frame(results: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """k-fold ``trials.csv``: every task result as stored, without its parameters."""
    import pandas as pd

    return pd.DataFrame([dict(result) for result in results]).drop(columns=["params"])


# ---------------------------------------------------------------------------------------------
# Learning curves


def mean_history(histories: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """A grid point's learning curve: its one history, or the per-epoch mean of several folds'
    (epochs a fold did not reach are left out of that epoch's mean)."""
    import pandas as pd

    frames = [history for history in histories if not history.empty]
    if len(histories) == 1:
        return histories[0]
    if not frames:
        return pd.DataFrame(columns=["epoch"])
    return pd.concat(frames).groupby("epoch", as_index=False).mean(numeric_only=True)


# ---------------------------------------------------------------------------------------------
# Learning curves against training-set size


def _validation_error(result: Mapping[str, Any] | None) -> float | None:
    """1 − accuracy; for regression (no accuracy) the mean squared error."""
    if result is None or result["status"] != "ok":
        return None
    if result.get("validation_accuracy") is not None:
        return 1.0 - result["validation_accuracy"]
    return result.get("validation_loss")


def learning_curve_rows(results: Iterable[Mapping[str, Any]], *, n_splits: int,
                        folds: int = 1) -> list[dict[str, Any]]:
    """``learning_curve.csv``: one row per grid point and training-set size, in grid and size
    order: ``trial_id``, ``param_<key>``..., ``train_size``, ``split<k>_train_error``,
    ``split<k>_validation_error`` (error = 1 − accuracy, or the mean squared error for
    regression; training error on the subset trained on), ``mean_/std_train_error``,
    ``mean_/std_validation_error`` (population std across the splits; a mean only when every
    split has a value), ``fit_seconds`` (the mean), ``status``.
    """
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for result in results:
        key = (str(result["grid_point_id"]), int(result["train_size"]))
        group = groups.setdefault(key, {"index": result.get("grid_point_index"),
                                        "params": result.get("params") or {},
                                        "splits": [None] * n_splits})
        group["splits"][split_index(result, folds)] = result
    rows = []
    for (grid_point_id, size), group in sorted(groups.items(), key=lambda item: (
            item[1]["index"] if item[1]["index"] is not None else math.inf, item[0])):
        splits = group["splits"]
        row: dict[str, Any] = {"trial_id": grid_point_id}
        row.update({f"param_{key}": table_cell(value) for key, value in group["params"].items()})
        row["train_size"] = size
        errors = {
            "train_error": [r.get("train_error") if r and r["status"] == "ok" else None
                            for r in splits],
            "validation_error": [_validation_error(r) for r in splits],
        }
        for name, values in errors.items():
            for k, value in enumerate(values):
                row[f"split{k}_{name}"] = value
        for name, values in errors.items():
            mean = _mean(values)
            row[f"mean_{name}"] = mean
            row[f"std_{name}"] = (float(np.std([float(v) for v in values]))
                                  if mean is not None and len(values) > 1 else None)
        present = [r for r in splits if r is not None]
        row["fit_seconds"] = float(np.mean([r.get("fit_seconds") or 0.0 for r in present]))
        failures = [r for r in present if r["status"] != "ok"]
        row["status"] = (failures[0]["status"] if failures
                         else "ok" if len(present) == len(splits) else INCOMPLETE)
        rows.append(row)
    return rows
