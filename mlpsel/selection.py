"""Model selection from a config to a finished run folder.

Holdout (``mlpsel train``): split the official training set into train and validation parts, train
one network per grid point on the train part, choose the best on the validation metric alone, then
score that network once on the official test set. The test set never influences the choice.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlpsel.config import SELECTION_METRICS, Config
from mlpsel.data import Dataset
from mlpsel.errors import MlpselError
from mlpsel.executor import Event, Task, run_tasks
from mlpsel.experiment import (
    confusion_frame,
    evaluate,
    holdout_indices,
    load_run_data,
    predictions_frame,
)
from mlpsel.nn import MLP
from mlpsel.report import plots
from mlpsel.search import GridPoint, ParameterGrid, grid_points
from mlpsel.store import (
    RunFolder,
    create_run,
    read_json,
    write_csv,
    write_figure,
    write_json,
    write_text,
)


class NoSuccessfulTrial(MlpselError):
    """Every trial failed or diverged: nothing to choose (exit code 1)."""

    exit_code = 1


@dataclass
class SelectionResult:
    """A finished model selection.

    Attributes
    ----------
    run : RunFolder
    summary : dict
        What ``summary.json`` holds.
    trials : DataFrame
        What ``trials.csv`` holds, one row per trial.
    """

    run: RunFolder
    summary: dict[str, Any]
    trials: pd.DataFrame


def environment_info(seed: int) -> dict[str, Any]:
    """Python, NumPy and BLAS versions, CPU, seed and git commit, for ``env.json``."""
    from threadpoolctl import threadpool_info

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "blas": [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()
        ],
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "seed": seed,
        "git_commit": _git_commit(),
    }
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                   timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def rank_scores(scores: pd.Series, higher_is_better: bool) -> pd.Series:
    """Rank 1 = best; missing scores (failed trials) rank last; ties share the lower rank."""
    ranks = scores.rank(ascending=not higher_is_better, method="min", na_option="bottom")
    return ranks.astype(int)


def trials_frame(points: list[GridPoint], results: dict[str, dict[str, Any]], metric: str,
                 grid: ParameterGrid) -> pd.DataFrame:
    """One row per holdout trial: ``param_<key>``, validation scores, epochs, seconds, status."""
    rows = []
    for point in points:
        result = results[point.grid_point_id]
        row: dict[str, Any] = {"trial_id": point.grid_point_id}
        for key in grid.keys:
            row[f"param_{key}"] = _cell(point.params[key])
        for column in ("validation_accuracy", "validation_loss", "validation_macro_f1",
                       "train_loss", "train_accuracy", "best_epoch", "epochs_run", "fit_seconds"):
            row[column] = result.get(column)
        row["status"] = result["status"]
        row["error"] = result.get("error") or ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    ok = frame["status"] == "ok"
    frame[f"rank_{metric}"] = rank_scores(frame[metric].where(ok), SELECTION_METRICS[metric])
    return frame


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, list) else value


def choose_best(frame: pd.DataFrame, metric: str) -> int:
    """Row position of the best successful trial (ties go to the earlier grid point)."""
    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        raise NoSuccessfulTrial("no trial succeeded: " + "; ".join(
            f"{row.trial_id}: {row.status} ({row.error})" for row in frame.itertuples()
        ))
    scores = ok[metric].to_numpy(dtype=float)
    best = int(np.argmax(scores)) if SELECTION_METRICS[metric] else int(np.argmin(scores))
    return int(ok.index[best])


def write_best(run: RunFolder, network: MLP, dataset: Dataset) -> dict[str, float]:
    """Score ``network`` once on the test set and write ``best/`` and ``confusion_matrix.png``."""
    evaluation = evaluate(network, dataset.test_images, dataset.test_labels, dataset.class_names)
    best = run.best_dir
    network.save(best / "model.npz")
    write_csv(best / "predictions.csv", predictions_frame(evaluation, dataset.class_names))
    write_csv(best / "confusion_matrix.csv",
              confusion_frame(evaluation.confusion, dataset.class_names), index=True)
    write_csv(best / "per_class.csv", evaluation.per_class)
    write_figure(run.path / "confusion_matrix.png",
                 plots.confusion_matrix_figure(evaluation.confusion, dataset.class_names))
    return evaluation.scores


def run_holdout(
    config: Config,
    *,
    runs_dir: Path,
    data_dir: str | None = None,
    argv: list[str] | None = None,
    on_event: Callable[[Event], None] | None = None,
    on_run_created: Callable[[RunFolder, int, int], None] | None = None,
    on_download: Callable[[str, int, int | None], None] | None = None,
) -> SelectionResult:
    """Holdout model selection: the work of ``mlpsel train``.

    Everything that can be wrong with the config or the data is checked before the run folder
    is created.

    Parameters
    ----------
    on_run_created : callable, optional
        Called as ``(run, n_trials, epochs_per_trial)`` once the run folder exists.

    Raises
    ------
    MlpselError
        Bad data or an impossible split (exit code 2); :class:`NoSuccessfulTrial` (exit code 1).
    """
    started = time.perf_counter()
    values = config.values
    metric = values["selection"]["metric"]
    dataset = load_run_data(values, data_dir=data_dir, progress=on_download)
    train_index, validation_index = holdout_indices(dataset.train_labels, values)
    points = grid_points(config)
    grid = ParameterGrid(config.search)

    run = create_run(runs_dir, config.name, "train", argv)
    write_text(run.config_yaml, config.to_yaml())
    write_json(run.env_json, environment_info(values["seed"]))
    run.update_run_info(dataset=dataset.name, n_grid_points=len(points), split={
        "train": len(train_index), "validation": len(validation_index),
        "test": len(dataset.test_labels)})
    if on_run_created is not None:
        on_run_created(run, len(points), values["training"]["epochs"])

    try:
        tasks = [Task(p.grid_point_id, p, train_index, validation_index, save_model=True)
                 for p in points]
        results = run_tasks(tasks, dataset, run, on_event=on_event)
        frame = trials_frame(points, results, metric, grid)
        write_csv(run.trials_csv, frame)
        histories = {
            p.grid_point_id: pd.read_csv(run.trial_dir(p.grid_point_id) / "history.csv")
            for p in points
        }
        best_row = choose_best(frame, metric)
        best_point = points[best_row]
        write_figure(run.path / "learning_curves.png",
                     plots.learning_curves_figure(histories, best_point.grid_point_id))
        network = MLP.load(run.trial_dir(best_point.grid_point_id) / "model.npz")
        test_scores = write_best(run, network, dataset)
    except NoSuccessfulTrial as error:
        run.update_run_info(status="failed", error=str(error))
        raise
    except KeyboardInterrupt:
        run.update_run_info(status="interrupted")
        raise

    summary = {
        "run_id": run.run_id,
        "command": "train",
        "dataset": dataset.name,
        "split": {"train": len(train_index), "validation": len(validation_index),
                  "test": len(dataset.test_labels)},
        "n_grid_points": len(points),
        "trial_status_counts": frame["status"].value_counts().to_dict(),
        "selection_metric": metric,
        "best": {
            "trial_id": best_point.grid_point_id,
            "params": best_point.params,
            metric: float(frame.loc[best_row, metric]),
            "validation_accuracy": float(frame.loc[best_row, "validation_accuracy"]),
            "best_epoch": int(frame.loc[best_row, "best_epoch"]),
        },
        "test": test_scores,
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_json(run.summary_json, summary)
    run.update_run_info(status="finished", seconds=summary["seconds"])
    return SelectionResult(run, summary, frame)


def load_summary(run: RunFolder) -> dict[str, Any]:
    return read_json(run.summary_json) if run.summary_json.is_file() else {}
