"""The one pipeline: a config in, a finished run folder out, whatever the strategy.

    resolve the config and load the data
    → the strategy plans tasks            (it may plan in rounds: plan, see results, plan more)
    → the executor runs them              (each result stored the moment it ends)
    → the strategy builds the results table and chooses, on validation data alone
    → refit, if the strategy asks
    → the chosen network is scored once on the test set
    → tables, ``best/``, figures, ``summary.json``

An interrupted run of the same command and config is continued, not started over: the executor
skips every task whose result is stored.

What a strategy must provide (see :class:`mlpsel.strategies.Strategy`)
-----------------------------------------------------------------------
``command``
    The CLI command it serves (``train``, ``cv``); ``run.json`` records it and resume matches it.
``points``, ``splits_per_grid_point``, ``n_tasks``, ``metric``
    The grid points, validation splits per grid point and tasks of the sweep, for progress and
    the summary; the selection metric.
``__init__(config, dataset)``
    Make the splits; raise :class:`mlpsel.errors.SplitError` when they cannot be made (before
    any run folder exists).
``run_details()``, ``summary_fields()``
    What ``run.json`` and ``summary.json`` say about the design.
``prepare(run)``
    Files to store before any task runs (k-fold: ``folds.npz``).
``plan(finished) → tasks``
    The next round of tasks given every result so far; ``[]`` ends the sweep.
``rows(finished) → rows``
    The ranked grid-point table (:func:`mlpsel.results.grid_point_rows`), plain rows, so that the
    choice and the refit happen before pandas is imported.
``choose(rows, finished) → Choice``
    The chosen grid point, an optional refit task, and whose model is tested.
``tables(rows, finished)``
    Table name → DataFrame, for the store to write.
``best_summary(choice, rows, finished)``
    ``summary.json``'s ``best``.

Figures are drawn by whoever calls the pipeline (they belong to the report), through an object
with ``draw(run, stage, chosen)`` and ``wait()``: stage ``"selection"`` once the tables and the
trials' histories are stored, stage ``"test"`` once ``best/`` is; the pipeline calls them so that
figures can be drawn while the test set is scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlpsel.config import Config
from mlpsel.data import Dataset, load_dataset
from mlpsel.errors import Interrupted, MlpselError, NoSuccessfulTrial
from mlpsel.events import DownloadProgress, EventHandler, RunStarted, ignore
from mlpsel.executor import LocalExecutor
from mlpsel.experiment import Evaluation, evaluate
from mlpsel.results import status_counts
from mlpsel.splits import holdout_split
from mlpsel.store import RunFolder, load_model, start_or_continue
from mlpsel.strategies import STRATEGIES, Choice, Strategy

if TYPE_CHECKING:
    import pandas as pd


class Executor(Protocol):
    def run(self, tasks: Any, dataset: Dataset, run: RunFolder,
            on_event: EventHandler | None = None) -> dict[str, dict[str, Any]]: ...


class Figures(Protocol):
    def draw(self, run: RunFolder, stage: str, chosen: str) -> None: ...

    def wait(self) -> None: ...


@dataclass
class StudyOptions:
    """How to run a study (everything but the config).

    Attributes
    ----------
    runs_dir : Path
        Where run folders go.
    data_dir : str or None
        A folder holding ``<dataset>/<IDX files>``; else the cache, else a download.
    jobs, blas_threads : int
        Trials at once, and BLAS threads per trial (see :mod:`mlpsel.executor`).
    resume : str or None
        A run to continue (id, prefix, path, ``latest``); without it, an interrupted run of the
        same command and config is continued.
    argv : list of str
        The command line, recorded in ``run.json``.
    """

    runs_dir: Path = field(default_factory=lambda: Path("runs"))
    data_dir: str | None = None
    jobs: int = 1
    blas_threads: int = 1
    resume: str | None = None
    argv: list[str] = field(default_factory=list)


@dataclass
class StudyResult:
    """A finished study: its run folder and what it wrote, as the pipeline holds it.

    Attributes
    ----------
    run : RunFolder
    info, config, environment, summary : dict
        What ``run.json``, ``config.yaml``, ``env.json`` and ``summary.json`` hold.
    rows : list of dict
        The ranked grid-point table (:mod:`mlpsel.results`).
    splits_per_grid_point : int
    evaluation : Evaluation
        The chosen network scored once on the test set.
    class_names : tuple of str
    resumed_trials : int
        Tasks found finished in the run folder and not trained again.
    """

    run: RunFolder
    info: dict[str, Any]
    config: dict[str, Any]
    environment: dict[str, Any]
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    splits_per_grid_point: int
    evaluation: Evaluation
    class_names: tuple[str, ...]
    resumed_trials: int = 0


def load_run_data(config: Config, *, data_dir: str | None = None,
                  on_event: EventHandler = ignore) -> Dataset:
    """Load the config's dataset and cut it to ``dataset.train_subset`` / ``test_subset``.

    A subset is a stratified sample drawn with the config's seed, so a smoke run sees every class.
    """
    spec = config["dataset"]
    reference: str | dict = {"path": spec["path"]} if spec["path"] else spec["name"]
    dataset = load_dataset(reference, data_dir=data_dir,
                           progress=lambda name, done, total: on_event(
                               DownloadProgress(name, done, total)))
    train_images, train_labels = dataset.train_images, dataset.train_labels
    test_images, test_labels = dataset.test_images, dataset.test_labels
    seed = config["seed"]
    if spec["train_subset"] is not None and spec["train_subset"] < len(train_labels):
        _, keep = holdout_split(train_labels, spec["train_subset"], seed=seed, stratify=True)
        train_images, train_labels = train_images[keep], train_labels[keep]
    if spec["test_subset"] is not None and spec["test_subset"] < len(test_labels):
        _, keep = holdout_split(test_labels, spec["test_subset"], seed=seed, stratify=True)
        test_images, test_labels = test_images[keep], test_labels[keep]
    return Dataset(
        name=dataset.name, train_images=train_images, train_labels=train_labels,
        test_images=test_images, test_labels=test_labels, class_names=dataset.class_names,
        source=dataset.source,
    )


def run_study(command: str, config: Config, options: StudyOptions | None = None, *,
              on_event: EventHandler | None = None, figures: Figures | None = None,
              executor: Executor | None = None,
              strategy: Callable[[Config, Dataset], Strategy] | None = None) -> StudyResult:
    """Run the strategy of ``command`` (``train``, ``cv``) over ``config`` into a run folder.

    Everything that can be wrong with the config or the data is found before the run folder is
    created.

    Parameters
    ----------
    on_event : callable, optional
        Receives :mod:`mlpsel.events` (downloads, the run's start, tasks and epochs).
    figures : optional
        Draws the run's figures (see the module docstring); none are drawn without it.
    executor : optional
        Runs the tasks; default :class:`mlpsel.executor.LocalExecutor` with the options' jobs and
        BLAS threads.
    strategy : optional
        Overrides the strategy ``command`` names.

    Raises
    ------
    MlpselError
        Bad data or an impossible split; :class:`NoSuccessfulTrial` when nothing could be chosen
        or the refit failed; :class:`Interrupted` on Ctrl-C (finished tasks are stored).
    """
    options = options or StudyOptions()
    emit = on_event or ignore
    started = time.perf_counter()
    dataset = load_run_data(config, data_dir=options.data_dir, on_event=emit)
    plan = (strategy or STRATEGIES[command])(config, dataset)
    start = start_or_continue(
        options.runs_dir, plan.command, config, resume=options.resume,
        blas_threads=options.blas_threads, jobs=options.jobs, argv=options.argv,
        dataset=dataset.name, details=plan.run_details())
    run = start.run
    emit(RunStarted(run.run_id, str(run.path), plan.n_tasks, config["training.epochs"],
                    plan.splits_per_grid_point, start.continued))
    executor = executor or LocalExecutor(options.jobs, options.blas_threads)
    try:
        result = _select_and_test(plan, run, config, dataset, executor, emit, figures, started)
    except (KeyboardInterrupt, Interrupted) as error:
        run.update_run_info(status="interrupted", error=str(error) or "interrupted")
        raise
    except MlpselError as error:
        run.update_run_info(status="failed", error=str(error))
        raise
    result.environment = start.environment
    return result


def _select_and_test(plan: Strategy, run: RunFolder, config: Config, dataset: Dataset,
                     executor: Executor, emit: EventHandler, figures: Figures | None,
                     started: float) -> StudyResult:
    plan.prepare(run)
    stored_before = len(run.finished_trial_results())
    finished: dict[str, dict[str, Any]] = {}
    while tasks := plan.plan(finished):
        finished.update(executor.run(tasks, dataset, run, emit))
    rows = plan.rows(finished)

    # The refit is chosen and trained before pandas is imported (about 40 MB resident, on top of
    # the training images), and the tables are written after it; when nothing can be chosen the
    # tables are written before the error.
    try:
        choice = plan.choose(rows, finished)
    except NoSuccessfulTrial:
        _write_tables(run, plan.tables(rows, finished))
        raise
    try:
        refit_result = _refit(choice, dataset, run, executor, emit)
    finally:
        # training is over: free the training images before pandas, the test set and figures
        dataset = dataset.without_train_images()
        _write_tables(run, plan.tables(rows, finished))
    if refit_result is not None and refit_result["status"] != "ok":
        raise NoSuccessfulTrial(f"the refit of {choice.grid_point.grid_point_id} on all training "
                                f"data {refit_result['status']}: {refit_result['error']}")

    chosen = choice.grid_point.grid_point_id
    if figures is not None:
        figures.draw(run, "selection", chosen)
    network = load_model(run.trial_model(choice.model_task))
    evaluation = evaluate(network, dataset.test_images, dataset.test_labels, dataset.class_names)
    run.write_best(network, evaluation.probabilities, evaluation.predictions, evaluation.labels,
                   evaluation.confusion, evaluation.per_class, dataset.class_names)
    if figures is not None:
        figures.draw(run, "test", chosen)
        figures.wait()

    summary = {
        "run_id": run.run_id,
        "command": plan.command,
        "dataset": dataset.name,
        **plan.summary_fields(),
        "n_grid_points": len(plan.points),
        "trial_status_counts": status_counts(finished.values()),
        "selection_metric": plan.metric,
        "best": plan.best_summary(choice, rows, finished),
        "test": evaluation.scores,
        "seconds": round(time.perf_counter() - started, 3),
    }
    run.write_summary(summary)
    info = run.update_run_info(status="finished", seconds=summary["seconds"])
    return StudyResult(run, info, config.values, {}, summary, rows,
                       plan.splits_per_grid_point, evaluation, dataset.class_names,
                       resumed_trials=stored_before)


def _refit(choice: Choice, dataset: Dataset, run: RunFolder, executor: Executor,
           emit: EventHandler) -> dict[str, Any] | None:
    if choice.refit is None:
        return None
    return executor.run([choice.refit], dataset, run, emit)[choice.refit.task_id]


def _write_tables(run: RunFolder, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        run.write_table(name, frame)
