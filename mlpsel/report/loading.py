"""Read a run folder into one :class:`RunReport`, whatever state the run is in.

Every report format (terminal, Markdown, JSON, HTML) renders a ``RunReport``; none of them reads
files. The results table is the grid-point table of :mod:`mlpsel.results`, built from the stored
result of every task by the same function that wrote the run's own tables, so a report ranks
exactly as the run chose; a holdout run is the one-split case, without standard deviations.

A run that is still running, was interrupted or failed is read as far as its files go: a missing
or unreadable file leaves its part of the report empty (``None`` or ``{}``) and the renderers say
"not available yet"; the table then holds the tasks finished so far (a grid point whose splits
are not all done is ``incomplete``, without a mean).

:func:`report_from_study` makes the same ``RunReport`` from a study that just ran, without
reading its files back.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlpsel import metrics, results
from mlpsel.config import flatten_search, search_space
from mlpsel.store import (
    BIASVAR_TABLE,
    HISTORY_FILE,
    LEARNING_CURVE_TABLE,
    RESULT_FILE,
    RUN_INFO_FIELDS,
    TRIAL_RESULTS,
    RunFolder,
    TaskId,
    is_inside,
    process_alive,
    read_json,
    wrong_fields,
)

# The validation scores every trial reports, by suffix (``validation_<suffix>``).
VALIDATION_METRICS = metrics.VALIDATION_SCORES
# The test scores of the chosen network as reports show them: (key, label), in summary order.
TEST_SCORE_LABELS = tuple((f"test_{name}", metrics.SCORES[name].label)
                          for name in metrics.TEST_SCORES)
FINISHED = "finished"
EXAMINATIONS = ("curve", "biasvar")  # commands that examine and choose nothing
EXAMINATION_TABLES = {"curve": LEARNING_CURVE_TABLE, "biasvar": BIASVAR_TABLE}
# The columns the reports show of each examination's table.
# summary.json's top-level fields the reports read, and the JSON types each may have
SUMMARY_FIELDS: dict[str, tuple[type, ...]] = {
    "run_id": (str,), "command": (str,), "dataset": (str,), "split": (dict,),
    "n_grid_points": (int,), "selection_metric": (str,), "best": (dict,), "test": (dict,),
    "seconds": (int, float), "readings": (dict,), "threshold": (dict,), "folds": (int,),
    "repeats": (int,), "train_sizes": (list,),
}
EXAMINATION_COLUMNS = {
    "curve": ("train_size", "mean_train_error", "std_train_error", "mean_validation_error",
              "std_validation_error"),
    "biasvar": ("loss", "bias", "variance", "unbiased_variance", "biased_variance",
                "net_variance", "noise", "error_against_truth"),
}



@dataclass(frozen=True)
class RelatedRun:
    """A ``curve`` or ``biasvar`` run of the same experiment: its picture and readings."""

    kind: str
    run_id: str
    picture: bytes | None
    readings: dict[str, str]


SAME_EXPERIMENT = ("seed", "dataset", "model", "training", "search")
"""The config sections two runs must share to be the same experiment seen another way."""


def related_runs(run: RunFolder, config: Mapping[str, Any]) -> list[RelatedRun]:
    """The newest finished ``curve`` and ``biasvar`` runs in ``run``'s folder whose config has
    the same :data:`SAME_EXPERIMENT` sections (they may differ in folds, sizes or rounds)."""
    import yaml

    from mlpsel.store import BIASVAR_FIGURE, LEARNING_CURVE_FIGURE, list_runs

    figures = {"curve": LEARNING_CURVE_FIGURE, "biasvar": BIASVAR_FIGURE}
    found: dict[str, RelatedRun] = {}
    for other in list_runs(run.path.parent):  # newest first; linked run folders left out
        try:
            if not all(is_inside(path, other.path) for path in (
                    other.run_json, other.config_yaml, other.summary_json)):
                continue  # a file linked from elsewhere is not read
            info = json.loads(other.run_json.read_text(encoding="utf-8"))
            if not isinstance(info, dict) or info.get("command") not in figures or \
                    info["command"] in found or info.get("status") != FINISHED:
                continue
            other_config = yaml.safe_load(other.config_yaml.read_text(encoding="utf-8")) or {}
            summary = json.loads(other.summary_json.read_text(encoding="utf-8"))
            picture_path = other.figure(figures[info["command"]])
            picture = (picture_path.read_bytes() if picture_path.is_file()
                       and is_inside(picture_path, other.path) else None)
        except (OSError, ValueError, yaml.YAMLError):
            continue
        if not isinstance(other_config, dict) or not isinstance(summary, dict) or any(
                other_config.get(key) != config.get(key) for key in SAME_EXPERIMENT):
            continue
        readings = summary.get("readings")
        found[info["command"]] = RelatedRun(
            info["command"], other.run_id, picture,
            dict(readings) if isinstance(readings, dict) else {})
    return [found[kind] for kind in ("curve", "biasvar") if kind in found]


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
        ``"holdout"``, ``"cv"`` or ``"curve"`` (a learning curve: no ranking and no test; its
        readings are in :attr:`readings`, its table in ``learning_curve.csv``).
    selection_metric : str
        E.g. ``validation_accuracy``; :attr:`higher_is_better` says its direction.
    results : DataFrame or None
        The grid-point table of :mod:`mlpsel.results`, best rank first: ``trial_id``,
        ``param_<key>``..., ``split<k>_validation_<m>``, ``mean_validation_<m>``,
        ``std_validation_<m>`` (missing for holdout) for ``m`` in accuracy, loss, macro_f1 and
        ``k < n_splits``; ``mean_train_loss``, ``mean_train_accuracy``, ``mean_fit_seconds``,
        ``mean_best_epoch``, ``status``, ``error``, and the rank (:attr:`rank_column`).
    results_complete : bool
        False while some grid point has not finished all its splits.
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
    examination : DataFrame or None
        A ``curve`` run's ``learning_curve.csv`` or a ``biasvar`` run's ``biasvar.csv``.
    related : list of RelatedRun
        For a ``train`` or ``cv`` run: the newest finished ``curve`` and ``biasvar`` runs of the
        same experiment beside it (see :func:`related_runs`), so one page shows overfitting
        against epochs, complexity, training-set size, and bias and variance.
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
    examination: pd.DataFrame | None = None
    related: list[RelatedRun] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``failed``, ``interrupted`` or ``incomplete`` (a file could
        not be written) as ``run.json`` records it."""
        return str(self.info.get("status") or "unknown")

    @property
    def process_gone(self) -> bool:
        """True when ``run.json`` says running but its process on this host has exited.

        Only knowable when ``run.json`` records ``pid`` and ``host`` and the host is this one.
        """
        if self.status != "running":
            return False
        return process_alive(self.info.get("pid"), self.info.get("host")) is False

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
        return results.higher_is_better(self.selection_metric)

    @property
    def readings(self) -> dict[str, str]:
        """A ``curve`` run's reading of every grid point (``summary.json``), else empty."""
        return dict(self.summary.get("readings") or {})

    @property
    def rank_column(self) -> str:
        """``rank_<selection metric>``: the rank column of :attr:`results`."""
        return f"rank_{self.selection_metric}"

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
            return list(search_space(self.config))
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
    def is_halving(self) -> bool:
        """True for successive halving: the table has a row per candidate and round."""
        return self.results is not None and "iter" in self.results.columns

    def is_chosen(self, row: Mapping[str, Any]) -> bool:
        """True for the chosen grid point's row (in successive halving, its last round's)."""
        if row.get("trial_id") != self.best_trial_id:
            return False
        return not self.is_halving or row.get("iter") == self.results["iter"].max()

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
        """Rows of :attr:`results` that failed or diverged (may be empty)."""
        if self.results is None:
            return pd.DataFrame(columns=["trial_id", "status", "error"])
        return self.results[~self.results["status"].isin(["ok", results.INCOMPLETE])]

    @cached_property
    def threshold_curve(self) -> pd.DataFrame | None:
        """A binary task's ``best/pr_curve.csv`` (precision and recall against the decision
        threshold, on validation and test), or None."""
        path = self.run.pr_curve_csv
        if not self.summary.get("threshold") or not path.is_file() or \
                not is_inside(path, self.run.path):
            return None
        try:
            return pd.read_csv(path)
        except (OSError, ValueError):
            return None

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
    """Reads files of a run, recording the ones that exist but cannot be parsed, and those
    that lead outside the run folder ``root`` through a symbolic link (never read)."""

    def __init__(self, root: Path | None = None) -> None:
        self.problems: list[str] = []
        self.root = root

    def contains(self, path: Path) -> bool:
        """True when ``path`` may be read: it lies in the run folder, links followed; else a
        problem is recorded."""
        if self.root is None or is_inside(path, self.root):
            return True
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) \
            else str(path)
        self.problems.append(f"{shown}: a symbolic link pointing outside the run folder; "
                             "not read")
        return False

    def _guard(self, path: Path, read: Any) -> Any:
        if not path.is_file() or not self.contains(path):
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
        if value is not None and not isinstance(value, dict):
            self.problems.append(f"{path.name}: not a JSON object but {type(value).__name__}")
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
    reader = _Reader(run.path)
    info = _known_types(reader, run.run_json.name, reader.json(run.run_json), RUN_INFO_FIELDS)
    config = reader.yaml(run.config_yaml)
    summary = _known_types(reader, run.summary_json.name, reader.json(run.summary_json),
                           SUMMARY_FIELDS)
    environment = reader.json(run.env_json)
    command = info.get("command") or summary.get("command")
    kind = (command if command in EXAMINATIONS else
            "cv" if command == "cv" or run.cv_results_csv.is_file() else "holdout")
    metric = (summary.get("selection_metric")
              or (config.get("selection") or {}).get("metric")
              or "validation_accuracy")

    finished = sweep_results(run, reader)
    if kind in EXAMINATIONS:  # no grid-point ranking: learning_curve.csv or biasvar.csv
        frame, complete, n_splits = None, bool(summary), planned_splits(info, config, "cv")[1]
        finished = {}
    else:
        frame, complete, n_splits = _load_results(run, reader, info, config, kind, metric,
                                                  finished)
    best_trial_id = (summary.get("best") or {}).get("trial_id")
    if best_trial_id is None and frame is not None:
        ok = frame[frame["status"] == "ok"]
        best_trial_id = str(ok.iloc[0]["trial_id"]) if len(ok) else None

    confusion, class_names = _load_confusion(run, reader)
    per_class = reader.csv(run.per_class_csv, dtype={"class": str})
    predictions = reader.csv(run.predictions_csv)
    if not class_names and per_class is not None:
        class_names = tuple(per_class["class"].astype(str))
    if per_class is None and confusion is not None:
        per_class = metrics.per_class_table(confusion, class_names or None)

    test_scores = dict(summary.get("test") or {})
    if not test_scores and confusion is not None and confusion.sum() > 0:
        scores = metrics.summary_from_confusion(confusion)
        test_scores = {f"test_{name}": value for name, value in scores.items()
                       if name != "weighted_f1"}

    histories = _load_histories(run, reader, finished, frame)
    examination = None
    if kind in EXAMINATIONS:
        examination = reader.csv(run.table(EXAMINATION_TABLES[kind]))
    return RunReport(
        run=run, info=info, config=config, summary=summary, environment=environment, kind=kind,
        selection_metric=metric, results=frame, results_complete=complete, n_splits=n_splits,
        histories=histories, per_class=per_class, confusion=confusion,
        class_names=tuple(class_names), predictions=predictions, test_scores=test_scores,
        best_trial_id=best_trial_id, problems=reader.problems, examination=examination,
        related=related_runs(run, config) if kind not in EXAMINATIONS and config else [],
    )


def _known_types(reader: _Reader, name: str, values: dict[str, Any],
                 fields: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """``values`` without its known fields of the wrong type (each recorded as a problem)."""
    wrong = wrong_fields(values, fields)
    if not wrong:
        return values
    reader.problems.append(f"{name}: {'; '.join(wrong)} (left out)")
    return {key: value for key, value in values.items()
            if key not in fields or not wrong_fields({key: value}, fields)}


def _load_confusion(run: RunFolder,
                    reader: _Reader) -> tuple[np.ndarray | None, tuple[str, ...]]:
    frame = reader.csv(run.confusion_matrix_csv, index_col=0)
    if frame is None or frame.shape[0] != frame.shape[1] or frame.empty:
        return None, ()
    return frame.to_numpy(dtype=np.int64), tuple(str(c) for c in frame.columns)


def planned_splits(info: Mapping[str, Any], config: Mapping[str, Any],
                   kind: str) -> tuple[int, int]:
    """``(folds per repeat, validation splits per grid point)`` of a run: ``(1, 1)`` for
    holdout."""
    if kind != "cv":
        return 1, 1
    configured = config.get("cv") if isinstance(config.get("cv"), dict) else {}
    folds = info.get("folds", configured.get("folds")) or 1
    repeats = info.get("repeats", configured.get("repeats")) or 1
    return int(folds), int(folds) * int(repeats)


def sweep_results(run: RunFolder, reader: _Reader) -> dict[str, dict[str, Any]]:
    """``task id → result`` of every finished task of the sweep (refits and nested CV's tasks
    inside outer folds left out)."""
    finished = {}
    try:
        for path in trial_files(run, RESULT_FILE, reader):
            finished[path.parent.name] = read_json(path)
    except (OSError, ValueError) as error:
        reader.problems.append(f"{TRIAL_RESULTS}: {type(error).__name__}: {error}")
        return {}
    finished = {task_id: result for task_id, result in finished.items()
                if isinstance(result, dict)}
    # nested CV's tasks inside an outer fold belong to nested_results.csv, not the ranking
    return {task_id: result for task_id, result in finished.items()
            if not TaskId.parse(task_id).refit and TaskId.parse(task_id).outer is None}


def trial_files(run: RunFolder, name: str, reader: _Reader | None = None) -> list[Path]:
    """``trials/*/<name>`` of ``run`` in task-id order, leaving out (as a problem of
    ``reader``) what a symbolic link leads outside the run folder: a linked ``trials/`` is not
    even listed."""
    reader = reader or _Reader(run.path)
    if not run.trials_dir.is_dir() or not reader.contains(run.trials_dir):
        return []
    return [path for path in sorted(run.trials_dir.glob(f"*/{name}"))
            if path.is_file() and reader.contains(path)]


def results_frame(rows: list[dict[str, Any]], metric: str) -> pd.DataFrame:
    """The grid-point rows as a table, best rank first (successive halving: the last round
    first, ranked within each round)."""
    frame = pd.DataFrame(rows)
    if "iter" in frame.columns:
        return frame.sort_values(["iter", f"rank_{metric}", "trial_id"],
                                 ascending=[False, True, True],
                                 kind="stable").reset_index(drop=True)
    return frame.sort_values([f"rank_{metric}", "trial_id"], kind="stable").reset_index(drop=True)


def last_round_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A successive-halving table cut to its last round (every candidate trained the full
    epochs); any other table as it is."""
    if "iter" not in frame.columns:
        return frame
    return frame[frame["iter"] == frame["iter"].max()].reset_index(drop=True)


def round_label(row: Mapping[str, Any]) -> str:
    """A halving row's round: ``2 (9 epochs)``."""
    return f"{row['iter']} ({row['n_resources']} epochs)"


def _load_results(run: RunFolder, reader: _Reader, info: dict[str, Any], config: dict[str, Any],
                  kind: str, metric: str,
                  finished: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame | None, bool, int]:
    """The results table, whether every grid point has all its splits, and the splits."""
    folds, n_splits = planned_splits(info, config, kind)
    if not finished:
        return None, False, n_splits
    try:
        sizes = info.get("split_sizes")
        tabulate = (results.halving_rows if any("iter" in r for r in finished.values())
                    else results.grid_point_rows)
        rows = tabulate(finished.values(), n_splits=n_splits, folds=folds, metric=metric,
                        split_sizes=tuple(sizes) if sizes and kind == "cv" else None)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        reader.problems.append(f"{TRIAL_RESULTS}: {type(error).__name__}: {error}")
        return None, False, n_splits
    planned = info.get("n_grid_points")
    complete = (all(row["status"] != results.INCOMPLETE for row in rows)
                and (planned is None or len(rows) >= int(planned)))
    return results_frame(rows, metric), complete, n_splits


def grid_point_histories(run: RunFolder, finished: Mapping[str, Mapping[str, Any]],
                         read_csv: Callable[[Path], pd.DataFrame | None]
                         ) -> dict[str, pd.DataFrame]:
    """Grid point id → its learning curve (:func:`mlpsel.results.mean_history` of its tasks'
    histories, in split order), in grid order; the refit is left out.

    Parameters
    ----------
    finished : mapping
        Task id → stored result (for the grid order).
    read_csv : callable
        Reads one ``history.csv``; None when it cannot.
    """
    by_grid_point: dict[str, dict[tuple[int, int], pd.DataFrame]] = {}
    for history_path in trial_files(run, HISTORY_FILE):
        task = TaskId.parse(history_path.parent.name)
        if task.refit or task.outer is not None:
            continue  # a refit (no validation), or nested CV's work inside an outer fold
        frame = read_csv(history_path)
        if frame is None or "epoch" not in frame or frame.empty:
            continue  # unreadable, or a trial that diverged in its first epoch
        position = (task.repeat or 0, task.fold or 0)
        splits = by_grid_point.setdefault(task.grid_point_id, {})
        # successive halving: each round's task holds the whole history so far; keep the longest
        if position not in splits or len(frame) > len(splits[position]):
            splits[position] = frame
    index = {str(r.get("grid_point_id")): r.get("grid_point_index") for r in finished.values()}
    order = sorted(by_grid_point, key=lambda gp: (
        index[gp] if isinstance(index.get(gp), int) else math.inf, gp))
    return {gp: results.mean_history([frame for _, frame in sorted(by_grid_point[gp].items())])
            for gp in order}


def _load_histories(run: RunFolder, reader: _Reader, finished: dict[str, dict[str, Any]],
                    frame: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Grid point id → learning curve, best rank first."""
    histories = grid_point_histories(run, finished, reader.csv)
    if frame is not None:
        order = {trial_id: position for position, trial_id in enumerate(frame["trial_id"])}
        histories = dict(sorted(histories.items(),
                                key=lambda item: (order.get(item[0], len(order)), item[0])))
    return histories


def report_from_study(result: Any) -> RunReport:
    """The :class:`RunReport` of a study that just ran (a :class:`mlpsel.study.StudyResult`),
    from what it holds: no file is read back."""
    summary = result.summary
    metric = summary["selection_metric"]
    evaluation = result.evaluation
    return RunReport(
        run=result.run, info=result.info, config=result.config, summary=summary,
        environment=result.environment, kind="cv" if summary["command"] == "cv" else "holdout",
        selection_metric=metric, results=results_frame(result.rows, metric),
        results_complete=True, n_splits=result.splits_per_grid_point, histories={},
        per_class=evaluation.per_class, confusion=evaluation.confusion,
        class_names=result.class_names, predictions=None, test_scores=dict(summary["test"]),
        best_trial_id=summary["best"]["trial_id"],
    )


# ---------------------------------------------------------------------------------------------
# Formatting shared by every report format


def flatten_config(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"training": {"epochs": 3}}`` → ``{"training.epochs": 3}``.

    The ``search`` section's keys are dotted already: ``search.training.learning_rate``.
    """
    flat: dict[str, Any] = {}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted != "search":
            flat.update(flatten_config(value, dotted + "."))
        elif dotted == "search" and isinstance(value, dict):
            flat.update(flatten_search(value))
        else:
            flat[dotted] = value
    return flat

MISSING = "—"


def threshold_sentence(report: RunReport) -> str | None:
    """A binary task's decision threshold and its 2×2 counts on the test set, or None."""
    chosen = report.summary.get("threshold")
    if not chosen:
        return None
    how = {"fixed": "fixed", "max_f1": "chosen on validation for the highest F1",
           "recall": f"chosen on validation for recall ≥ {chosen.get('target')}",
           "precision": f"chosen on validation for precision ≥ {chosen.get('target')}"}
    test = chosen.get("test") or {}
    return (f"Decision threshold t = {format_score(chosen.get('threshold'))} "
            f"({how.get(chosen.get('rule'), chosen.get('rule'))}); class "
            f"{chosen.get('positive_class')} where ŷ ≥ t. On the test set: TP {test.get('tp')}, "
            f"FN {test.get('fn')}, FP {test.get('fp')}, TN {test.get('tn')}; recall TP/(TP+FN) "
            f"{format_score(test.get('recall'))}, precision TP/(TP+FP) "
            f"{format_score(test.get('precision'))}.")


def two_by_two(report: RunReport) -> tuple[list[str], list[list[str]]] | None:
    """A binary task's test counts at the chosen threshold as the course lays them out:
    header and rows of actual positive / negative by predicted positive / negative, with
    totals; None for other runs."""
    chosen = report.summary.get("threshold")
    if not chosen or not chosen.get("test"):
        return None
    c = chosen["test"]
    positive = chosen.get("positive_class")
    negative = next((n for n in report.class_names if n != positive), "rest")
    header = ["", f"predicted {positive}", f"predicted {negative}", "total"]
    rows = [[f"actual {positive}", c["tp"], c["fn"], c["tp"] + c["fn"]],
            [f"actual {negative}", c["fp"], c["tn"], c["fp"] + c["tn"]],
            ["total", c["tp"] + c["fp"], c["fn"] + c["tn"],
             c["tp"] + c["fp"] + c["fn"] + c["tn"]]]
    return header, [[str(cell) for cell in row] for row in rows]


def nested_sentence(report: RunReport) -> str | None:
    """Nested CV's verdict in one sentence, or None for a run without outer folds."""
    nested = (report.summary.get("best") or {}).get("nested")
    if not nested:
        return None
    metric = report.selection_metric
    outer = len(nested.get("outer_scores") or [])
    return (f"Nested CV over {outer} outer folds: {metric_label(metric)} "
            f"{format_score(nested.get(f'mean_{metric}'))} ± "
            f"{format_score(nested.get(f'std_{metric}'))} (the choosing procedure's estimate), "
            f"against {format_score(nested.get(f'non_nested_best_{metric}'))} for the best "
            f"inner score: optimism {format_score(nested.get('optimism'))}; the final choice "
            f"won {nested.get('final_choice_won')} outer folds (nested_results.csv).")


def accuracy_interval(scores: Mapping[str, Any], n_test: Any = None) -> str:
    """`` (95% Wilson interval 0.9472–0.9703 from 1,000 test images)`` where the run recorded
    it: how much the test set can tell (1% of a small table cannot tell much)."""
    interval = scores.get("test_accuracy_interval")
    if not interval or len(interval) != 2:
        return ""
    backing = f" from {n_test:,} test images" if isinstance(n_test, (int, np.integer)) else ""
    return f" (95% Wilson interval {interval[0]:.4f}–{interval[1]:.4f}{backing})"


def tied_mark(values: Mapping[str, Any], is_best: bool) -> str:
    """`` ≈ best`` for a grid point the corrected t-test cannot tell from the best."""
    tied = values.get("tied_with_best")
    return " ≈ best" if not is_best and not is_missing(tied) and bool(tied) else ""


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
        "incomplete": "This run stopped because a file could not be written"
                      + (f" ({report.info['error']})" if report.info.get("error") else "")
                      + "; run the same command again to continue it.",
        "failed": "This run failed" + (f": {report.info['error']}." if report.info.get("error")
                                       else "."),
    }
    return reasons.get(status, f"This run's status is '{status}'.") + done
