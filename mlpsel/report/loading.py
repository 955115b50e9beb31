"""Read a run folder into one :class:`RunReport`, whatever state the run is in.

Every report format (terminal, Markdown, JSON, HTML) renders a ``RunReport``; none of them reads
files. Holdout runs (``mlpsel train``: ``trials.csv``) and k-fold runs (``mlpsel cv``:
``cv_results.csv``) are normalised into one results frame, so a holdout run is simply the
one-fold case whose standard deviations are missing.

A run that is still running, was interrupted or failed is read as far as its files go: a missing
or unreadable file leaves its part of the report empty (``None`` or ``{}``) and the renderers say
"not available yet". While the results table has not been written, it is rebuilt from the
``result.json`` of every trial that finished.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import socket
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlpsel import metrics
from mlpsel.config import SELECTION_METRICS
from mlpsel.store import RunFolder

# The validation scores every trial reports, by suffix (``validation_<suffix>``).
VALIDATION_METRICS = ("accuracy", "loss", "macro_f1")
FINISHED = "finished"
SPLIT_COLUMN = re.compile(r"^split(\d+)_validation_accuracy$")
REFIT_PREFIX = "refit-"
FOLD_TASK = re.compile(r"^(?P<grid_point>.+)-r(?P<repeat>\d+)f(?P<fold>\d+)$")


@dataclass
class RunReport:
    """Everything a report shows about one run, read once from its folder.

    Attributes
    ----------
    run : RunFolder
    info : dict
        ``run.json``: command, argv, status, started, dataset, split, seconds.
    config : dict
        ``config.yaml``, the resolved config (empty if absent).
    summary : dict
        ``summary.json`` (empty until the run has finished).
    environment : dict
        ``env.json``.
    kind : str
        ``"holdout"`` or ``"cv"``.
    selection_metric : str
        E.g. ``validation_accuracy``; :attr:`higher_is_better` says its direction.
    results : DataFrame or None
        One row per grid point, best rank first, with columns ``trial_id``, ``param_<key>``...,
        ``mean_validation_<m>``, ``std_validation_<m>`` (NaN for holdout) and
        ``split<k>_validation_<m>`` for ``m`` in accuracy, loss, macro_f1 and ``k < n_splits``;
        ``train_loss``, ``train_accuracy`` (holdout only, else NaN), ``rank``, ``fit_seconds``,
        ``best_epoch``, ``status``, ``error``.
    results_complete : bool
        False when ``results`` was rebuilt from the trials finished so far.
    n_splits : int
        Validation splits per grid point: 1 for holdout, folds × repeats for k-fold.
    histories : dict of str to DataFrame
        Grid point id → per-epoch ``train_loss``, ``train_accuracy``, ``validation_loss``,
        ``validation_accuracy`` (k-fold: the mean over folds at each epoch; the refit on all
        training data, ``trials/refit-<id>/``, has no validation curve and is left out).
    per_class : DataFrame or None
        ``best/per_class.csv``: class, precision, recall, f1, support.
    confusion : ndarray of int, shape (K, K), or None
        ``C[i, j]`` = test samples of true class i predicted as j.
    class_names : tuple of str, length K
    predictions : DataFrame or None
        ``best/predictions.csv``: test_index, true_label, predicted_label, probability_<class>...
    test_scores : dict
        ``test_accuracy``, ``test_macro_precision``, ``test_macro_recall``, ``test_macro_f1``
        (and ``test_loss`` when known); empty until the chosen network has been tested.
    best_trial_id : str or None
        The chosen grid point (while running: the best so far, see :attr:`best_is_final`).
    problems : list of str
        Files that exist but could not be read.
    """

    run: RunFolder
    info: dict[str, Any]
    config: dict[str, Any]
    summary: dict[str, Any]
    environment: dict[str, Any]
    kind: str
    selection_metric: str
    results: pd.DataFrame | None
    results_complete: bool
    n_splits: int
    histories: dict[str, pd.DataFrame]
    per_class: pd.DataFrame | None
    confusion: np.ndarray | None
    class_names: tuple[str, ...]
    predictions: pd.DataFrame | None
    test_scores: dict[str, float]
    best_trial_id: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``failed`` or ``interrupted`` as ``run.json`` records it."""
        return str(self.info.get("status") or "unknown")

    @property
    def process_gone(self) -> bool:
        """True when ``run.json`` says running but its process on this host has exited.

        Only knowable when ``run.json`` records ``pid`` and ``host`` and the host is this one.
        """
        pid, host = self.info.get("pid"), self.info.get("host")
        if self.status != "running" or not isinstance(pid, int) or host != socket.gethostname():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # e.g. PermissionError: the process exists under another user
            return False
        return False

    @property
    def is_finished(self) -> bool:
        return self.status == FINISHED

    @property
    def command(self) -> str:
        return str(self.info.get("command") or self.summary.get("command") or "?")

    @property
    def command_line(self) -> str:
        """The command as typed, e.g. ``mlpsel train configs/quickstart.yaml --set a=1``."""
        argv = self.info.get("argv") or [self.command]
        return "mlpsel " + shlex.join(str(argument) for argument in argv)

    @property
    def dataset(self) -> str | None:
        name = self.info.get("dataset") or self.summary.get("dataset")
        if name is None:
            configured = self.config.get("dataset")
            name = configured.get("name") if isinstance(configured, dict) else configured
        return name

    @property
    def seed(self) -> int | None:
        return self.config.get("seed", self.environment.get("seed"))

    @property
    def seconds(self) -> float | None:
        value = self.info.get("seconds", self.summary.get("seconds"))
        return float(value) if value is not None else None

    @property
    def started(self) -> str | None:
        return self.info.get("started")

    @property
    def higher_is_better(self) -> bool:
        return SELECTION_METRICS.get(self.selection_metric, True)

    @property
    def metric_suffix(self) -> str:
        """``accuracy`` for ``validation_accuracy``: the part after ``validation_``."""
        return self.selection_metric.removeprefix("validation_")

    @property
    def n_grid_points(self) -> int | None:
        value = self.info.get("n_grid_points", self.summary.get("n_grid_points"))
        if value is None and self.results is not None:
            value = len(self.results)
        return int(value) if value is not None else None

    @property
    def split_sizes(self) -> dict[str, int]:
        """Holdout: ``train``, ``validation``, ``test`` sizes; k-fold: whatever was recorded."""
        return dict(self.info.get("split") or self.summary.get("split") or {})

    @property
    def folds(self) -> tuple[int, int] | None:
        """``(folds, repeats)`` of a k-fold run, else None."""
        if self.kind != "cv":
            return None
        configured = self.config.get("cv") or {}
        folds = self.summary.get("folds", self.info.get("folds", configured.get("folds")))
        repeats = self.summary.get("repeats", self.info.get("repeats",
                                                            configured.get("repeats", 1)))
        if folds is None:
            return None
        return int(folds), int(repeats or 1)

    @property
    def parameter_keys(self) -> list[str]:
        """The searched settings, e.g. ``["model.hidden_layers", "training.learning_rate"]``."""
        if self.results is None:
            return list((self.config.get("search") or {}).keys())
        return [c.removeprefix("param_") for c in self.results.columns if c.startswith("param_")]

    @property
    def varying_parameter_keys(self) -> list[str]:
        """The searched settings that take more than one value in the results."""
        if self.results is None:
            return []
        return [key for key in self.parameter_keys
                if self.results[f"param_{key}"].astype(str).nunique() > 1]

    @property
    def best_is_final(self) -> bool:
        """True when the best trial is the run's recorded choice, not the best so far."""
        return bool(self.summary.get("best"))

    @property
    def best_row(self) -> dict[str, Any] | None:
        if self.results is None or self.best_trial_id is None:
            return None
        rows = self.results[self.results["trial_id"] == self.best_trial_id]
        return rows.iloc[0].to_dict() if len(rows) else None

    @property
    def best_params(self) -> dict[str, Any]:
        best = self.summary.get("best") or {}
        if "params" in best:
            return dict(best["params"])
        row = self.best_row
        if row is None:
            return {}
        return {key: row[f"param_{key}"] for key in self.parameter_keys}

    @property
    def failed_trials(self) -> pd.DataFrame:
        """Rows of :attr:`results` whose status is not ``ok`` (may be empty)."""
        if self.results is None:
            return pd.DataFrame(columns=["trial_id", "status", "error"])
        return self.results[self.results["status"] != "ok"]

    @cached_property
    def precision_recall_curves(self) -> list[dict[str, Any]] | None:
        """One-vs-rest precision–recall curve of every class on the test set, or None.

        From the predicted probabilities in ``best/predictions.csv``, moving the decision
        threshold (:func:`mlpsel.metrics.one_vs_rest_pr_curves`). Entry ``c`` has ``class``,
        ``precision`` (T_c + 1,), ``recall`` (T_c + 1,), ``thresholds`` (T_c,),
        ``average_precision``.
        """
        if self.predictions is None:
            return None
        columns = [f"probability_{name}" for name in self.class_names]
        if not self.class_names or not set(columns) <= set(self.predictions.columns):
            columns = [c for c in self.predictions.columns if c.startswith("probability_")]
        if not columns or "true_label" not in self.predictions:
            return None
        probabilities = self.predictions[columns].to_numpy(dtype=np.float64)  # (N, K)
        labels = self.predictions["true_label"].to_numpy(dtype=np.int64)  # (N,)
        curves = metrics.one_vs_rest_pr_curves(labels, probabilities)
        for column, curve in zip(columns, curves, strict=True):
            curve["class"] = column.removeprefix("probability_")
        return curves


# ---------------------------------------------------------------------------------------------
# Reading


class _Reader:
    """Reads files of a run, recording the ones that exist but cannot be parsed."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def _guard(self, path: Path, read: Any) -> Any:
        if not path.is_file():
            return None
        try:
            return read(path)
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
            self.problems.append(f"{path.name}: {type(error).__name__}: {error}")
            return None
        except Exception as error:  # noqa: BLE001 - e.g. yaml.YAMLError; a report never crashes
            self.problems.append(f"{path.name}: {type(error).__name__}: {error}")
            return None

    def json(self, path: Path) -> dict[str, Any]:
        value = self._guard(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
        return value if isinstance(value, dict) else {}

    def yaml(self, path: Path) -> dict[str, Any]:
        import yaml

        value = self._guard(path, lambda p: yaml.safe_load(p.read_text(encoding="utf-8")))
        return value if isinstance(value, dict) else {}

    def csv(self, path: Path, **options: Any) -> pd.DataFrame | None:
        return self._guard(path, lambda p: pd.read_csv(p, **options))


def load_run_report(run: RunFolder) -> RunReport:
    """Read ``run`` into a :class:`RunReport`; never raises for missing or broken files.

    Parameters
    ----------
    run : RunFolder
        E.g. from :func:`mlpsel.store.resolve_run`.
    """
    reader = _Reader()
    info = reader.json(run.run_json)
    config = reader.yaml(run.config_yaml)
    summary = reader.json(run.summary_json)
    environment = reader.json(run.env_json)
    command = info.get("command") or summary.get("command")
    kind = "cv" if command == "cv" or run.cv_results_csv.is_file() else "holdout"
    metric = (summary.get("selection_metric")
              or (config.get("selection") or {}).get("metric")
              or "validation_accuracy")

    results, complete, n_splits = _load_results(run, reader, kind, metric)
    best_trial_id = (summary.get("best") or {}).get("trial_id")
    if best_trial_id is None and results is not None:
        ok = results[results["status"] == "ok"]
        best_trial_id = str(ok.iloc[0]["trial_id"]) if len(ok) else None

    confusion, class_names = _load_confusion(run, reader)
    per_class = reader.csv(run.best_dir / "per_class.csv", dtype={"class": str})
    predictions = reader.csv(run.best_dir / "predictions.csv")
    if not class_names and per_class is not None:
        class_names = tuple(per_class["class"].astype(str))
    if per_class is None and confusion is not None:
        per_class = metrics.per_class_table(confusion, class_names or None)

    test_scores = dict(summary.get("test") or {})
    if not test_scores and confusion is not None and confusion.sum() > 0:
        scores = metrics.summary_from_confusion(confusion)
        test_scores = {f"test_{name}": value for name, value in scores.items()
                       if name != "weighted_f1"}

    histories = _load_histories(run, reader, kind, results)
    return RunReport(
        run=run, info=info, config=config, summary=summary, environment=environment, kind=kind,
        selection_metric=metric, results=results, results_complete=complete, n_splits=n_splits,
        histories=histories, per_class=per_class, confusion=confusion,
        class_names=tuple(class_names), predictions=predictions, test_scores=test_scores,
        best_trial_id=best_trial_id, problems=reader.problems,
    )


def _load_confusion(run: RunFolder,
                    reader: _Reader) -> tuple[np.ndarray | None, tuple[str, ...]]:
    frame = reader.csv(run.best_dir / "confusion_matrix.csv", index_col=0)
    if frame is None or frame.shape[0] != frame.shape[1] or frame.empty:
        return None, ()
    return frame.to_numpy(dtype=np.int64), tuple(str(c) for c in frame.columns)


def _load_results(run: RunFolder, reader: _Reader, kind: str,
                  metric: str) -> tuple[pd.DataFrame | None, bool, int]:
    """The normalised results frame, whether it is complete, and the number of splits."""
    if kind == "cv":
        frame = reader.csv(run.cv_results_csv)
        if frame is not None:
            return normalise_cv_results(frame, metric), True, _count_splits(frame)
    else:
        frame = reader.csv(run.trials_csv)
        if frame is not None:
            return normalise_holdout_trials(frame, metric), True, 1
    try:
        finished = run.finished_trial_results()
    except (OSError, ValueError) as error:
        reader.problems.append(f"trials/*/result.json: {type(error).__name__}: {error}")
        finished = {}
    frame = results_from_trial_results(finished.values(), metric)
    if frame is None:
        return None, False, 1
    return frame, False, _count_splits(frame)


def _count_splits(frame: pd.DataFrame) -> int:
    return max(1, sum(bool(SPLIT_COLUMN.match(str(c))) for c in frame.columns))


def _finish_frame(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Fill missing columns, compute ``rank`` if absent, order rows best first."""
    for column in ("train_loss", "train_accuracy", "fit_seconds", "best_epoch"):
        if column not in frame:
            frame[column] = np.nan
    for column in ("status", "error"):
        if column not in frame:
            frame[column] = "ok" if column == "status" else ""
    frame["status"] = frame["status"].fillna("unknown").astype(str)
    frame["error"] = frame["error"].astype(object).fillna("").astype(str)
    frame["trial_id"] = frame["trial_id"].astype(str)
    mean_column = f"mean_{metric}"
    if "rank" not in frame or frame["rank"].isna().any():
        scores = frame[mean_column].where(frame["status"] == "ok")
        frame["rank"] = scores.rank(ascending=not SELECTION_METRICS.get(metric, True),
                                    method="min", na_option="bottom")
    frame["rank"] = frame["rank"].astype(int)
    parameters = [c for c in frame.columns if c.startswith("param_")]
    splits = sorted((c for c in frame.columns if re.match(r"^split\d+_validation_", c)),
                    key=lambda c: (int(re.match(r"^split(\d+)_", c).group(1)), c))
    means = [f"{kind}_validation_{m}" for m in VALIDATION_METRICS for kind in ("mean", "std")]
    ordered = (["trial_id", *parameters, *means, *splits, "train_loss", "train_accuracy",
                "rank", "fit_seconds", "best_epoch", "status", "error"])
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    return frame.sort_values(["rank", "trial_id"], kind="stable").reset_index(drop=True)


def normalise_holdout_trials(trials: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``trials.csv`` → the common results frame (one split, standard deviations NaN).

    Parameters
    ----------
    trials : DataFrame
        As :func:`mlpsel.selection.trials_frame` writes it.
    metric : str
        The selection metric, e.g. ``validation_accuracy``.
    """
    frame = trials.copy()
    for name in VALIDATION_METRICS:
        column = f"validation_{name}"
        values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        frame[f"mean_{column}"] = values.astype(float)
        frame[f"std_{column}"] = np.nan
        frame[f"split0_{column}"] = values.astype(float)
    if f"rank_{metric}" in frame:
        frame["rank"] = frame[f"rank_{metric}"]
    drop = [f"validation_{name}" for name in VALIDATION_METRICS]
    drop += [c for c in frame.columns if c.startswith("rank_")]
    return _finish_frame(frame.drop(columns=[c for c in drop if c in frame]), metric)


def normalise_cv_results(cv_results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``cv_results.csv`` → the common results frame.

    Parameters
    ----------
    cv_results : DataFrame
        One row per grid point: ``param_*``, ``split<k>_validation_<m>``, ``mean_validation_<m>``,
        ``std_validation_<m>``, ``rank_<metric>``, ``mean_fit_seconds``, ``mean_best_epoch``,
        ``status``, ``error``.
    metric : str
        The selection metric, e.g. ``validation_accuracy``.
    """
    frame = cv_results.copy()
    renames = {"mean_fit_seconds": "fit_seconds", "mean_best_epoch": "best_epoch"}
    frame = frame.rename(columns={k: v for k, v in renames.items() if k in frame})
    for name in VALIDATION_METRICS:
        for kind in ("mean", "std"):
            column = f"{kind}_validation_{name}"
            if column not in frame:
                frame[column] = np.nan
    if f"rank_{metric}" in frame:
        frame["rank"] = frame[f"rank_{metric}"]
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("rank_")])
    return _finish_frame(frame, metric)


def results_from_trial_results(results: Any, metric: str) -> pd.DataFrame | None:
    """The results frame rebuilt from ``result.json`` dicts (a run still running).

    Results are grouped by ``grid_point_id``; a grid point's status is ``ok`` only when every
    fold finished ``ok``. Results without validation scores (a refit) are ignored.

    Returns
    -------
    DataFrame or None
        None when no trial has finished.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        if result.get("status") == "ok" and result.get("validation_accuracy") is None:
            continue  # a refit on all training data: no validation score
        grid_point = str(result.get("grid_point_id") or result.get("task_id"))
        groups.setdefault(grid_point, []).append(result)
    if not groups:
        return None
    rows = []
    for grid_point, folds in sorted(groups.items()):
        folds = sorted(folds, key=lambda r: (r.get("repeat") or 0, r.get("fold") or 0))
        row: dict[str, Any] = {"trial_id": grid_point}
        for key, value in (folds[0].get("params") or {}).items():
            row[f"param_{key}"] = str(value) if isinstance(value, list) else value
        for name in VALIDATION_METRICS:
            values = np.array([_float(r.get(f"validation_{name}")) for r in folds])
            for index, value in enumerate(values):
                row[f"split{index}_validation_{name}"] = value
            finite = values[np.isfinite(values)]
            row[f"mean_validation_{name}"] = float(finite.mean()) if finite.size else np.nan
            row[f"std_validation_{name}"] = (float(finite.std()) if finite.size > 1
                                             else np.nan)
        if len(folds) == 1:
            row["train_loss"] = _float(folds[0].get("train_loss"))
            row["train_accuracy"] = _float(folds[0].get("train_accuracy"))
        row["fit_seconds"] = _mean_of_finite([_float(r.get("fit_seconds")) for r in folds])
        row["best_epoch"] = _mean_of_finite([_float(r.get("best_epoch")) for r in folds])
        bad = [r for r in folds if r.get("status") != "ok"]
        row["status"] = bad[0].get("status", "failed") if bad else "ok"
        row["error"] = "; ".join(str(r.get("error") or "") for r in bad)
        rows.append(row)
    return _finish_frame(pd.DataFrame(rows), metric)


def _mean_of_finite(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return sum(finite) / len(finite) if finite else math.nan


def _float(value: Any) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _load_histories(run: RunFolder, reader: _Reader, kind: str,
                    results: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Grid point id → per-epoch history (k-fold: the mean over folds at each epoch)."""
    trials_dir = run.path / "trials"
    if not trials_dir.is_dir():
        return {}
    per_grid_point: dict[str, list[pd.DataFrame]] = {}
    direct: dict[str, pd.DataFrame] = {}
    for history_path in sorted(trials_dir.glob("*/history.csv")):
        frame = reader.csv(history_path)
        if frame is None or "epoch" not in frame or frame.empty:
            continue  # unreadable, or a trial that diverged in its first epoch
        task_id = history_path.parent.name
        match = FOLD_TASK.match(task_id)
        if task_id.startswith(REFIT_PREFIX):
            continue  # the chosen grid point retrained on all training data: no validation
        if match:
            per_grid_point.setdefault(match.group("grid_point"), []).append(frame)
        else:
            direct[task_id] = frame
    histories: dict[str, pd.DataFrame] = {}
    for grid_point, frames in per_grid_point.items():
        combined = pd.concat(frames, ignore_index=True)
        numeric = combined.select_dtypes("number")
        histories[grid_point] = numeric.groupby("epoch", as_index=False).mean()
    for task_id, frame in direct.items():
        histories.setdefault(task_id, frame)  # k-fold: fold means win over a refit's history
    if results is not None:  # best first, as the ranking
        order = {trial_id: position for position, trial_id in enumerate(results["trial_id"])}
        histories = dict(sorted(histories.items(),
                                key=lambda item: (order.get(item[0], len(order)), item[0])))
    return histories


# ---------------------------------------------------------------------------------------------
# Formatting shared by every report format

MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None and NaN."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_score(value: Any, digits: int = 4) -> str:
    """A score with ``digits`` decimals; ``—`` when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}f}"
    return str(value)


def format_parameter(value: Any) -> str:
    """A hyperparameter value as a person writes it: ``0.1``, ``[64, 32]``, ``relu``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def format_seconds(value: Any) -> str:
    """``4.1 s``, ``2 min 03 s``, ``1 h 02 min``; ``—`` when missing."""
    if is_missing(value):
        return MISSING
    seconds = float(value)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def metric_label(metric: str) -> str:
    """``validation_macro_f1`` → ``validation macro F1``."""
    return metric.replace("_", " ").replace("macro f1", "macro F1")


def short_parameter_labels(keys: list[str]) -> list[str]:
    """The last part of each dotted key (``hidden_layers``), the whole key where that clashes."""
    last = [key.rsplit(".", 1)[-1] for key in keys]
    return [name if last.count(name) == 1 else key for name, key in zip(last, keys, strict=True)]


def split_description(report: RunReport) -> str:
    """``train 5,000 · validation 1,000 · test 1,000`` or ``5 folds × 2 repeats · test 1,000``."""
    sizes = report.split_sizes
    folds = report.folds
    parts = []
    if folds is not None:
        number, repeats = folds
        parts.append(f"{number} folds × {repeats} repeat{'s' if repeats != 1 else ''}")
        sizes = {k: v for k, v in sizes.items() if k != "validation"}
    elif report.kind == "cv":
        parts.append(f"{report.n_splits} validation splits")
    parts += [f"{name} {value:,}" for name, value in sizes.items()
              if isinstance(value, (int, np.integer))]
    return " · ".join(parts) or MISSING


def status_note(report: RunReport) -> str | None:
    """A sentence for a run that has not finished, else None."""
    status = report.status
    if status == FINISHED:
        return None
    done = ""
    if report.results is not None and not report.results_complete:
        total = report.n_grid_points
        done = f" {len(report.results)} of {total if total is not None else '?'} grid points " \
               "have finished so far; results are partial."
    if report.process_gone:
        return (f"This run is marked running, but its process ({report.info['pid']} on "
                f"{report.info['host']}) has exited: it was probably killed.{done}")
    reasons = {
        "running": "This run is still running (or stopped without recording why).",
        "interrupted": "This run was interrupted before it finished.",
        "failed": "This run failed" + (f": {report.info['error']}." if report.info.get("error")
                                       else "."),
    }
    return reasons.get(status, f"This run's status is '{status}'.") + done
