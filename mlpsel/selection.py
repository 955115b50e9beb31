"""Model selection from a config to a finished run folder.

Holdout (``mlpsel train``): split the official training set into train and validation parts,
train one network per grid point on the train part, choose the best on the validation metric
alone, then score that network once on the official test set.

k-fold (``mlpsel cv``): train every grid point on k−1 folds and validate it on the remaining one,
for every fold (and every repeat); choose the grid point with the best mean validation metric,
showing its spread across folds; refit that configuration on the whole training set and score it
once on the test set. In both, the test set never influences the choice.

Both run on the same executor (holdout is the one-split case), and both continue an interrupted
run of the same command and config instead of starting over.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from mlpsel.config import SELECTION_METRICS, Config, leaf_keys
from mlpsel.data import Dataset
from mlpsel.errors import ConfigError, MlpselError
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
from mlpsel.search import GridPoint, ParameterGrid, grid_points, stable_id
from mlpsel.splits import StratifiedKFold
from mlpsel.store import (
    RunFolder,
    atomic_open,
    create_run,
    list_runs,
    resolve_run,
    write_csv,
    write_figure,
    write_json,
    write_text,
)

if TYPE_CHECKING:
    import pandas as pd

VALIDATION_METRICS = ("validation_accuracy", "validation_loss", "validation_macro_f1")


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
    results : DataFrame
        One row per grid point: ``trials.csv`` (holdout) or ``cv_results.csv`` (k-fold).
    resumed_trials : int
        Trials found finished in the run folder and not trained again.
    """

    run: RunFolder
    summary: dict[str, Any]
    results: pd.DataFrame
    resumed_trials: int = 0


@dataclass
class Callbacks:
    """How the library reports progress to whoever draws it (the CLI)."""

    on_event: Callable[[Event], None] | None = None
    on_run_created: Callable[[RunFolder, int, int, bool], None] | None = None
    on_download: Callable[[str, int, int | None], None] | None = None


# ---------------------------------------------------------------------------------------------
# The environment


def environment_info(seed: int, blas_threads: int, jobs: int) -> dict[str, Any]:
    """Python, NumPy and BLAS versions, CPU, seed and git commit, for ``env.json``."""
    from threadpoolctl import threadpool_info

    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "blas": [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()
        ],
        "blas_threads_per_trial": blas_threads,
        "jobs": jobs,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "seed": seed,
        "git_commit": _git_commit(),
    }


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
    return (completed.stdout.strip() or None) if completed.returncode == 0 else None


# ---------------------------------------------------------------------------------------------
# Resume


def run_identity(command: str, config: Config, blas_threads: int) -> str:
    """What must match for a run to be continued: command, resolved config, BLAS threads."""
    return stable_id({"command": command, "config": config.values, "blas_threads": blas_threads},
                     length=16)


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    flat = {key: _get(values, key) for key in leaf_keys()}
    for key, candidates in values.get("search", {}).items():
        flat[f"search.{key}"] = candidates
    return flat


def _get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old → new`` for every setting that differs."""
    old_flat, new_flat = _flatten(old), _flatten(new)
    return [f"{key}: {old_flat.get(key)!r} → {new_flat.get(key)!r}"
            for key in sorted(set(old_flat) | set(new_flat))
            if old_flat.get(key) != new_flat.get(key)]


def _process_alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_run_to_continue(runs_dir: Path, command: str, config: Config, blas_threads: int,
                         resume: str | None) -> RunFolder | None:
    """The run to continue: ``resume`` if given (refused if its config differs), else the newest
    unfinished run of the same command and config whose process is gone; ``None`` for a new run.
    """
    identity = run_identity(command, config, blas_threads)
    if resume is not None:
        run = resolve_run(resume, runs_dir)
        info = run.read_run_info()
        if info.get("command") != command:
            raise ConfigError(f"run {run.run_id} is a '{info.get('command')}' run; resume it "
                              f"with 'mlpsel {info.get('command')}'", key="--resume")
        if info.get("identity") != identity:
            stored = {}
            if run.config_yaml.is_file():
                stored = yaml.safe_load(run.config_yaml.read_text(encoding="utf-8"))
            differences = config_differences(stored or {}, config.values)
            if info.get("blas_threads") != blas_threads:
                differences.append(f"--blas-threads: {info.get('blas_threads')} → {blas_threads}")
            raise ConfigError(
                f"run {run.run_id} was made with other settings, so its trials cannot be reused: "
                + "; ".join(differences[:6]) + (" …" if len(differences) > 6 else "")
                + ". Drop --resume to start a new run", key="--resume")
        return run
    for run in list_runs(runs_dir):
        info = run.read_run_info()
        if (info.get("identity") == identity and info.get("status") in ("running", "interrupted")
                and not _process_alive(info.get("pid"), info.get("host"))):
            return run
    return None


# ---------------------------------------------------------------------------------------------
# Results tables


def rank_scores(scores: pd.Series, higher_is_better: bool) -> pd.Series:
    """Rank 1 = best; missing scores (failed grid points) rank last; ties share the lower rank."""
    ranks = scores.rank(ascending=not higher_is_better, method="min", na_option="bottom")
    return ranks.astype(int)


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, list) else value


def holdout_rows(points: list[GridPoint], results: dict[str, dict[str, Any]],
                 grid: ParameterGrid) -> list[dict[str, Any]]:
    """The rows of ``trials.csv``: one per grid point with ``param_<key>``, validation scores,
    status (see :func:`results_frame`)."""
    rows = []
    for point in points:
        result = results[point.grid_point_id]
        row: dict[str, Any] = {"trial_id": point.grid_point_id}
        for key in grid.keys:
            row[f"param_{key}"] = _cell(point.params[key])
        for column in (*VALIDATION_METRICS, "train_loss", "train_accuracy", "best_epoch",
                       "epochs_run", "fit_seconds"):
            row[column] = result.get(column)
        row["status"] = result["status"]
        row["error"] = result.get("error") or ""
        rows.append(row)
    return rows


def cv_frame(points: list[GridPoint], tasks_by_point: dict[str, list[Task]],
             results: dict[str, dict[str, Any]], metric: str, grid: ParameterGrid) -> pd.DataFrame:
    """``cv_results.csv``: one row per grid point, scikit-learn's ``cv_results_`` columns.

    ``split<k>_validation_<m>`` per split k (k = repeat × folds + fold), ``mean_validation_<m>``
    and ``std_validation_<m>`` (population standard deviation across splits, as scikit-learn),
    ``rank_<metric>``, ``mean_fit_seconds``, ``mean_best_epoch``, ``status`` and ``error``. A grid
    point is ``ok`` when all its splits are; otherwise it carries the first failure.
    """
    return results_frame(cv_rows(points, tasks_by_point, results, grid), f"mean_{metric}",
                         metric)


def cv_rows(points: list[GridPoint], tasks_by_point: dict[str, list[Task]],
            results: dict[str, dict[str, Any]], grid: ParameterGrid) -> list[dict[str, Any]]:
    """The rows of ``cv_results.csv`` before ranking (see :func:`cv_frame`)."""
    rows = []
    for point in points:
        split_results = [results[task.task_id] for task in tasks_by_point[point.grid_point_id]]
        row: dict[str, Any] = {"trial_id": point.grid_point_id}
        for key in grid.keys:
            row[f"param_{key}"] = _cell(point.params[key])
        for name in VALIDATION_METRICS:
            values = [r.get(name) for r in split_results]
            for k, value in enumerate(values):
                row[f"split{k}_{name}"] = value
            finite = [float(v) for v in values if v is not None]
            complete = len(finite) == len(values)
            row[f"mean_{name}"] = float(np.mean(finite)) if complete else None
            row[f"std_{name}"] = float(np.std(finite)) if complete else None
        row["mean_fit_seconds"] = float(np.mean([r.get("fit_seconds") or 0.0
                                                 for r in split_results]))
        best_epochs = [r["best_epoch"] for r in split_results if r.get("best_epoch")]
        row["mean_best_epoch"] = float(np.mean(best_epochs)) if best_epochs else None
        failures = [r for r in split_results if r["status"] != "ok"]
        row["status"] = failures[0]["status"] if failures else "ok"
        row["error"] = (f"{failures[0]['task_id']}: {failures[0].get('error')}"
                        if failures else "")
        rows.append(row)
    return rows


def results_frame(rows: list[dict[str, Any]], score_column: str, metric: str) -> pd.DataFrame:
    """The rows as a table, with ``rank_<metric>`` ranking the successful ones by
    ``score_column`` (see :func:`rank_scores`)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    ok = frame["status"] == "ok"
    frame[f"rank_{metric}"] = rank_scores(frame[score_column].where(ok).astype(float),
                                          SELECTION_METRICS[metric])
    return frame


def choose_best(rows: list[dict[str, Any]], score_column: str, metric: str) -> int:
    """Position of the best successful grid point among ``rows`` (ties go to the earlier one).

    Plain rows, not a table, so that CV chooses its refit before pandas is imported.
    """
    ok = [position for position, row in enumerate(rows) if row["status"] == "ok"]
    if not ok:
        raise NoSuccessfulTrial("no trial succeeded: " + "; ".join(
            f"{row['trial_id']}: {row['status']} ({row['error']})" for row in rows))
    scores = np.array([rows[position][score_column] for position in ok], dtype=float)
    best = int(np.argmax(scores)) if SELECTION_METRICS[metric] else int(np.argmin(scores))
    return ok[best]


# ---------------------------------------------------------------------------------------------
# Shared steps


class FigureDrawing:
    """Draws figures into the run folder, in forked processes when ``parallel`` (a sweep that
    used several workers has cores to spare while the test set is scored), else here.

    A figure whose process fails is drawn again here, so a figure is never missing.
    """

    def __init__(self, parallel: bool) -> None:
        self.parallel = parallel
        self.pending: list[tuple[Any, Path, Callable[..., Any], tuple, dict]] = []

    def draw(self, path: Path, build: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not self.parallel:
            write_figure(path, build(*args, **kwargs))
            return
        process = multiprocessing.get_context("fork").Process(
            target=_draw_figure, args=(path, build, args, kwargs), daemon=True)
        process.start()
        self.pending.append((process, path, build, args, kwargs))

    def wait(self) -> None:
        for process, path, build, args, kwargs in self.pending:
            process.join(timeout=300)
            if process.exitcode != 0:
                process.kill()
                write_figure(path, build(*args, **kwargs))
        self.pending.clear()


def _draw_figure(path: Path, build: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    write_figure(path, build(*args, **kwargs))


def write_best(run: RunFolder, network: MLP, dataset: Dataset,
               figures: FigureDrawing | None = None) -> dict[str, float]:
    """Score ``network`` once on the test set; write ``best/`` and ``confusion_matrix.png``."""
    evaluation = evaluate(network, dataset.test_images, dataset.test_labels, dataset.class_names)
    (figures or FigureDrawing(parallel=False)).draw(
        run.path / "confusion_matrix.png", plots.confusion_matrix_figure, evaluation.confusion,
        dataset.class_names)
    best = run.best_dir
    network.save(best / "model.npz")
    write_csv(best / "predictions.csv", predictions_frame(evaluation, dataset.class_names))
    write_csv(best / "confusion_matrix.csv",
              confusion_frame(evaluation.confusion, dataset.class_names), index=True)
    write_csv(best / "per_class.csv", evaluation.per_class)
    return evaluation.scores


def _start_or_continue(command: str, config: Config, dataset: Dataset, *, runs_dir: Path,
                       resume: str | None, blas_threads: int, jobs: int, argv: list[str] | None,
                       details: dict[str, Any]) -> tuple[RunFolder, bool]:
    run = find_run_to_continue(runs_dir, command, config, blas_threads, resume)
    continued = run is not None
    if run is None:
        run = create_run(runs_dir, config.name, command, argv)
        write_text(run.config_yaml, config.to_yaml())
    write_json(run.env_json, environment_info(config.values["seed"], blas_threads, jobs))
    run.update_run_info(
        status="running", identity=run_identity(command, config, blas_threads),
        blas_threads=blas_threads, jobs=jobs, pid=os.getpid(), host=socket.gethostname(),
        dataset=dataset.name, continued=continued, **details,
    )
    return run, continued


def _finish(run: RunFolder, summary: dict[str, Any]) -> None:
    write_json(run.summary_json, summary)
    run.update_run_info(status="finished", seconds=summary["seconds"])


def _histories(run: RunFolder, task_ids: list[str]) -> dict[str, pd.DataFrame]:
    import pandas as pd
    return {task_id: pd.read_csv(run.trial_dir(task_id) / "history.csv") for task_id in task_ids}


def _guarded(run: RunFolder, work: Callable[[], SelectionResult]) -> SelectionResult:
    """Run ``work``; mark the run failed or interrupted when it ends early."""
    try:
        return work()
    except NoSuccessfulTrial as error:
        run.update_run_info(status="failed", error=str(error))
        raise
    except (KeyboardInterrupt, MlpselError) as error:
        interrupted = isinstance(error, KeyboardInterrupt) or error.exit_code == 130
        run.update_run_info(status="interrupted" if interrupted else "failed",
                            error=str(error) or "interrupted")
        raise


# ---------------------------------------------------------------------------------------------
# Holdout


def run_holdout(config: Config, *, runs_dir: Path, data_dir: str | None = None,
                jobs: int = 1, blas_threads: int = 1, resume: str | None = None,
                argv: list[str] | None = None,
                callbacks: Callbacks | None = None) -> SelectionResult:
    """Holdout model selection: the work of ``mlpsel train``.

    Everything that can be wrong with the config or the data is checked before the run folder
    is created.

    Raises
    ------
    MlpselError
        Bad data or an impossible split (exit code 2); :class:`NoSuccessfulTrial` (exit code 1).
    """
    callbacks = callbacks or Callbacks()
    started = time.perf_counter()
    values = config.values
    metric = values["selection"]["metric"]
    dataset = load_run_data(values, data_dir=data_dir, progress=callbacks.on_download)
    train_index, validation_index = holdout_indices(dataset.train_labels, values)
    points = grid_points(config)
    grid = ParameterGrid(config.search)
    split = {"train": len(train_index), "validation": len(validation_index),
             "test": len(dataset.test_labels)}
    run, continued = _start_or_continue(
        "train", config, dataset, runs_dir=runs_dir, resume=resume, blas_threads=blas_threads,
        jobs=jobs, argv=argv, details={"n_grid_points": len(points), "split": split})
    if callbacks.on_run_created is not None:
        callbacks.on_run_created(run, len(points), values["training"]["epochs"], continued)

    def work() -> SelectionResult:
        nonlocal dataset
        tasks = [Task(p.grid_point_id, p, train_index, validation_index, save_model=True)
                 for p in points]
        stored_before = len(run.finished_trial_results())
        results = run_tasks(tasks, dataset, run, jobs=jobs, blas_threads=blas_threads,
                            on_event=callbacks.on_event)
        # training is over: free the training images before the tables, the test evaluation
        # and the figure processes
        dataset = dataset.without_train_images()
        rows = holdout_rows(points, results, grid)
        frame = results_frame(rows, metric, metric)
        write_csv(run.trials_csv, frame)
        best_row = choose_best(rows, metric, metric)
        best_point = points[best_row]
        histories = _histories(run, [p.grid_point_id for p in points])
        figures = FigureDrawing(parallel=jobs > 1)
        figures.draw(run.path / "learning_curves.png", plots.learning_curves_figure, histories,
                     best_point.grid_point_id)
        network = MLP.load(run.trial_dir(best_point.grid_point_id) / "model.npz")
        test_scores = write_best(run, network, dataset, figures)
        figures.wait()
        summary = {
            "run_id": run.run_id,
            "command": "train",
            "dataset": dataset.name,
            "split": split,
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
        _finish(run, summary)
        return SelectionResult(run, summary, frame, resumed_trials=stored_before)

    return _guarded(run, work)


# ---------------------------------------------------------------------------------------------
# k-fold cross-validation


def _write_folds(run: RunFolder, assignment: np.ndarray, labels: np.ndarray) -> None:
    """``folds.npz``: ``fold_assignment`` (repeats, N) — the fold of every training image in every
    repeat — and the ``labels`` (N,) it was made from."""
    with atomic_open(run.folds_npz, "wb") as f:
        np.savez(f, fold_assignment=assignment, labels=labels)


def refit_epochs(values: dict[str, Any], best_epochs: list[int]) -> int:
    """Epochs for the refit: the configured number, or with early stopping the mean best epoch
    the folds found (rounded, at least 1)."""
    if values["training"]["early_stopping_patience"] > 0 and best_epochs:
        return max(1, int(round(float(np.mean(best_epochs)))))
    return values["training"]["epochs"]


def run_cv(config: Config, *, runs_dir: Path, data_dir: str | None = None, jobs: int = 1,
           blas_threads: int = 1, resume: str | None = None, argv: list[str] | None = None,
           callbacks: Callbacks | None = None) -> SelectionResult:
    """k-fold model selection, then a refit on all training data: the work of ``mlpsel cv``.

    Folds, repeats and stratification come from ``cv.*`` in the config.
    """
    callbacks = callbacks or Callbacks()
    started = time.perf_counter()
    values = config.values
    metric = values["selection"]["metric"]
    cv = values["cv"]
    dataset = load_run_data(values, data_dir=data_dir, progress=callbacks.on_download)
    splitter = StratifiedKFold(cv["folds"], n_repeats=cv["repeats"], stratify=cv["stratify"],
                               seed=values["seed"])
    assignment = splitter.fold_assignment(dataset.train_labels)  # (repeats, N)
    points = grid_points(config)
    grid = ParameterGrid(config.search)
    n_splits = splitter.get_n_splits()
    run, continued = _start_or_continue(
        "cv", config, dataset, runs_dir=runs_dir, resume=resume, blas_threads=blas_threads,
        jobs=jobs, argv=argv, details={"n_grid_points": len(points), "folds": cv["folds"],
                                       "repeats": cv["repeats"]})
    if callbacks.on_run_created is not None:
        callbacks.on_run_created(run, len(points) * n_splits, values["training"]["epochs"],
                                 continued)

    def work() -> SelectionResult:
        nonlocal dataset
        _write_folds(run, assignment, dataset.train_labels)
        tasks_by_point: dict[str, list[Task]] = {}
        for point in points:
            tasks_by_point[point.grid_point_id] = [
                Task(f"{point.grid_point_id}-r{repeat}f{fold}", point, train_index,
                     validation_index, repeat=repeat, fold=fold)
                for repeat, fold, train_index, validation_index in splitter.split(
                    dataset.train_labels)
            ]
        tasks = [task for point_tasks in tasks_by_point.values() for task in point_tasks]
        stored_before = len(run.finished_trial_results())
        results = run_tasks(tasks, dataset, run, jobs=jobs, blas_threads=blas_threads,
                            on_event=callbacks.on_event)
        rows = cv_rows(points, tasks_by_point, results, grid)

        def write_tables() -> pd.DataFrame:
            import pandas as pd

            frame = results_frame(rows, f"mean_{metric}", metric)
            write_csv(run.cv_results_csv, frame)
            write_csv(run.trials_csv, pd.DataFrame([results[task.task_id] for task in tasks])
                      .drop(columns=["params"]))
            return frame

        # The refit is chosen and trained before pandas is imported here (about 40 MB resident,
        # on top of the training images), and the tables are written after it; when no grid
        # point succeeded there is no refit, and the tables are written before the error.
        try:
            best_row = choose_best(rows, f"mean_{metric}", metric)
        except NoSuccessfulTrial:
            write_tables()
            raise
        best_point = points[best_row]
        best_tasks = tasks_by_point[best_point.grid_point_id]
        epochs = refit_epochs(best_point.values,
                              [results[t.task_id].get("best_epoch") or 0 for t in best_tasks])
        refit = Task(f"refit-{best_point.grid_point_id}", best_point,
                     np.arange(len(dataset.train_labels)), None, save_model=True, epochs=epochs)
        try:
            refit_result = run_tasks([refit], dataset, run, jobs=1, blas_threads=blas_threads,
                                     on_event=callbacks.on_event)[refit.task_id]
        finally:
            # training is over: free the training images before pandas, the test evaluation
            # and the figures
            dataset = dataset.without_train_images()
            frame = write_tables()
        if refit_result["status"] != "ok":
            raise NoSuccessfulTrial(f"the refit of {best_point.grid_point_id} on all training "
                                    f"data {refit_result['status']}: {refit_result['error']}")
        histories = {
            point.grid_point_id: _mean_history(_histories(
                run, [t.task_id for t in tasks_by_point[point.grid_point_id]]).values())
            for point in points
        }
        figures = FigureDrawing(parallel=jobs > 1)
        figures.draw(run.path / "learning_curves.png", plots.learning_curves_figure, histories,
                     best_point.grid_point_id)
        figures.draw(run.path / "cv_spread.png", plots.cv_spread_figure, frame,
                     metric="validation_accuracy", n_splits=n_splits,
                     best_id=best_point.grid_point_id)
        network = MLP.load(run.trial_dir(refit.task_id) / "model.npz")
        test_scores = write_best(run, network, dataset, figures)
        figures.wait()
        summary = {
            "run_id": run.run_id,
            "command": "cv",
            "dataset": dataset.name,
            "folds": cv["folds"],
            "repeats": cv["repeats"],
            "stratify": cv["stratify"],
            "split": {"train": len(dataset.train_labels), "test": len(dataset.test_labels)},
            "n_grid_points": len(points),
            "trial_status_counts": dict(Counter(r["status"] for r in results.values())
                                        .most_common()),
            "selection_metric": metric,
            "best": {
                "trial_id": best_point.grid_point_id,
                "params": best_point.params,
                f"mean_{metric}": float(frame.loc[best_row, f"mean_{metric}"]),
                f"std_{metric}": float(frame.loc[best_row, f"std_{metric}"]),
                "mean_validation_accuracy": float(frame.loc[best_row,
                                                            "mean_validation_accuracy"]),
                "std_validation_accuracy": float(frame.loc[best_row, "std_validation_accuracy"]),
                "refit_epochs": epochs,
            },
            "test": test_scores,
            "seconds": round(time.perf_counter() - started, 3),
        }
        _finish(run, summary)
        return SelectionResult(run, summary, frame, resumed_trials=stored_before)

    return _guarded(run, work)


def _mean_history(histories: Any) -> pd.DataFrame:
    """Per-epoch mean of several folds' histories (epochs a fold did not reach are left out)."""
    import pandas as pd
    frames = [h for h in histories if not h.empty]
    if not frames:
        return pd.DataFrame(columns=["epoch"])
    return pd.concat(frames).groupby("epoch", as_index=False).mean(numeric_only=True)
