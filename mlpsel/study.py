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
``choose(rows, finished) → Choice or None``
    The chosen grid point, an optional refit task, and whose model is tested; None for a
    strategy that examines rather than chooses (a learning curve: tables, figures and
    ``readings(rows)`` in the summary, no refit, no test).
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

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from mlpsel import thresholds
from mlpsel.budget import MAX_TRIALS, SweepEstimate, estimate_sweep, limits_passed
from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import (
    Interrupted,
    MlpselError,
    NoSuccessfulTrial,
    StorageError,
    SweepTooLarge,
)
from mlpsel.events import EventHandler, ExecutorStarted, Notice, RunStarted, ignore
from mlpsel.executor import LocalExecutor, default_jobs
from mlpsel.experiment import Evaluation, evaluate, load_run_data
from mlpsel.results import status_counts
from mlpsel.search import count_points
from mlpsel.store import RunFolder, load_model, run_identity, start_or_continue
from mlpsel.strategies import Choice, Strategy, strategy_for

if TYPE_CHECKING:
    import pandas as pd


class Executor(Protocol):
    def run(self, tasks: Any, dataset: Dataset, run: RunFolder,
            on_event: EventHandler | None = None) -> dict[str, dict[str, Any]]: ...


class Figures(Protocol):
    def draw(self, run: RunFolder, stage: str, chosen: str | None) -> None: ...

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
    executor, address, scheduler_file : str or None
        Where the trials run: ``local`` or ``dask`` (with a scheduler address or file; neither
        starts a LocalCluster); None takes the config's ``executor:`` section.
    refit_blas_threads : int or None
        BLAS threads of the refit, which runs alone; default every core (``max(blas_threads,
        cores)``). Recorded in ``run.json`` before the refit starts; a continued run keeps it.
    assume_yes : bool
        Run a sweep that passes a size limit of :mod:`mlpsel.budget` (``--yes``).
    dry_run : bool
        Only :func:`plan_study` is meant (``--dry-run``): its size limit does not apply.
    """

    runs_dir: Path = field(default_factory=lambda: Path("runs"))
    data_dir: str | None = None
    jobs: int = 1
    blas_threads: int = 1
    resume: str | None = None
    argv: list[str] = field(default_factory=list)
    executor: str | None = None
    address: str | None = None
    scheduler_file: str | None = None
    refit_blas_threads: int | None = None
    assume_yes: bool = False
    dry_run: bool = False


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
    evaluation : Evaluation or None
        The chosen network scored once on the test set (None when the strategy chose nothing).
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
    evaluation: Evaluation | None
    class_names: tuple[str, ...]
    resumed_trials: int = 0


def run_study(command: str, config: Config, options: StudyOptions | None = None, *,
              on_event: EventHandler | None = None, figures: Figures | None = None,
              executor: Executor | None = None,
              strategy: Callable[[Config, Dataset], Strategy] | None = None) -> StudyResult:
    """Run the strategy of ``command`` (``train``, ``cv``, ``curve``, ``biasvar``; see
    :data:`mlpsel.strategies.STRATEGIES`) over ``config`` into a run folder.

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
    planned = plan_study(command, config, options, on_event=emit, strategy=strategy)
    plan, dataset = planned.strategy, planned.dataset
    passed = limits_passed(planned.estimate)
    if passed and not options.assume_yes:
        raise SweepTooLarge(f"this sweep is {planned.estimate.describe()} ({', '.join(passed)}); "
                            "give --yes to run it, or --dry-run to list its trials")
    cluster = None
    if executor is None:
        executor, cluster = _make_executor(plan.command, config, options, emit)
    try:
        try:
            start = start_or_continue(
                options.runs_dir, plan.command, config, resume=options.resume,
                blas_threads=options.blas_threads, jobs=options.jobs, argv=options.argv,
                dataset=dataset.name, details=plan.run_details())
        except OSError as error:
            raise StorageError.from_os_error(error, "cannot create the run folder") from None
        run = start.run
        emit(RunStarted(run.run_id, str(run.path), plan.n_tasks, config["training.epochs"],
                        plan.splits_per_grid_point, start.continued))
        try:
            result = _select_and_test(plan, run, config, dataset, executor, emit, figures,
                                      started, options)
        except (KeyboardInterrupt, Interrupted) as error:
            _mark(run, status="interrupted", error=str(error) or "interrupted",
                  **_executor_record(executor))
            raise
        except OSError as error:
            stored = StorageError.from_os_error(
                error, "cannot write", "the run is marked incomplete and its finished trials "
                "are kept; fix that and run the same command again to continue")
            _mark(run, status="incomplete", error=str(stored), **_executor_record(executor))
            raise stored from None
        except MlpselError as error:
            _mark(run, status="failed", error=str(error), **_executor_record(executor))
            raise
    finally:
        if cluster is not None:
            cluster.close()
    result.environment = start.environment
    return result


MAX_POINTS_TO_PLAN = 100 * MAX_TRIALS
"""A search of more points is refused (without ``--yes``) before the data is loaded: making its
grid alone would take a while."""


@dataclass
class StudyPlan:
    """A study made ready but not run: its data, its strategy (tasks planned) and what the sweep
    will cost (:class:`mlpsel.budget.SweepEstimate`)."""

    strategy: Strategy
    dataset: Dataset
    estimate: SweepEstimate


def plan_study(command: str, config: Config, options: StudyOptions | None = None, *,
               on_event: EventHandler | None = None,
               strategy: Callable[[Config, Dataset], Strategy] | None = None) -> StudyPlan:
    """Load the data, make the strategy's splits and plan, and estimate the sweep's cost; no run
    folder is made (what ``--dry-run`` shows, and the first step of :func:`run_study`).

    Raises
    ------
    SweepTooLarge
        The search has over :data:`MAX_POINTS_TO_PLAN` points and ``assume_yes`` is off:
        refused before the data is loaded or the grid made (a smaller sweep past a limit is
        refused by :func:`run_study`, with its estimate).
    ConfigError
        A mini-batch larger than a training part (``train``, ``cv``).
    """
    options = options or StudyOptions()
    emit = on_event or ignore
    n_points = count_points(config)
    if n_points > MAX_POINTS_TO_PLAN and not options.assume_yes:
        raise SweepTooLarge(f"the search has {n_points:,} points, too many to plan (over "
                            f"{MAX_POINTS_TO_PLAN:,}; a sweep over {MAX_TRIALS:,} trials needs "
                            "--yes); give --yes to run it, or search fewer values")
    dataset = load_run_data(config, data_dir=options.data_dir, on_event=emit)
    plan = (strategy or strategy_for(command, config))(config, dataset)
    for notice in (check_batch_sizes(plan, config), _check_jobs(config, options)):
        if notice:
            emit(Notice(notice))
    tasks = plan.planned_tasks()
    # best/: the chosen model and predictions.csv (a probability of every class per test row)
    best_bytes = 24 * len(dataset.test_labels) * max(2, dataset.n_outputs) + max(
        (task.model_bytes for task in tasks), default=0)
    estimate = estimate_sweep(tasks, jobs=options.jobs, runs_dir=options.runs_dir,
                              extra_bytes=best_bytes)
    return StudyPlan(plan, dataset, estimate)


def check_batch_sizes(plan: Strategy, config: Config) -> str | None:
    """A mini-batch larger than a task's training part is a mistake in ``train`` and ``cv``
    (ConfigError, before any run folder); a learning curve or a bias–variance study, whose small
    training sets are the point, trains those in one batch and says so (the returned notice).
    """
    tasks = plan.listed_tasks()
    too_small = [(task, len(task.train_index)) for task in tasks
                 if task.spec.training.batch_size > len(task.train_index)]
    if not too_small:
        return None
    task, rows = min(too_small, key=lambda pair: pair[1])
    batch = task.spec.training.batch_size
    searched = "training.batch_size" in config.search
    if plan.command in ("curve", "biasvar"):
        return (f"note: {len(too_small)} of {len(tasks)} tasks train on fewer samples than "
                f"training.batch_size ({batch}), down to {rows}: each is trained in one batch "
                "of all its samples")
    key = "search.training.batch_size" if searched else "training.batch_size"
    raise config.error(key, f"{batch} samples per mini-batch, but the training part of "
                       f"{task.task_id} holds {rows}; give at most {rows}")


def _check_jobs(config: Config, options: StudyOptions) -> str | None:
    """The local executor never runs more trials at once than the cores allow (jobs × BLAS
    threads ≤ cores): say so when asked for more, rather than quietly run fewer."""
    name = options.executor or config.executor["name"]
    cores = default_jobs()
    if name != "local" or options.jobs * options.blas_threads <= cores:
        return None
    workers = max(1, cores // options.blas_threads)
    return (f"note: --jobs {options.jobs} × --blas-threads {options.blas_threads} is more than "
            f"the {cores} cores here: at most {workers} trial{'s' if workers != 1 else ''} "
            "train at once")


def _mark(run: RunFolder, **fields: Any) -> None:
    """Record how the run ended in ``run.json``, if the file system still lets us: the error
    that brought it here is the one to report."""
    try:
        run.update_run_info(**fields)
    except OSError:
        pass


def _make_executor(command: str, config: Config, options: StudyOptions,
                   emit: EventHandler) -> tuple[Executor, Any]:
    """The executor the options (else the config's ``executor:`` section) name, and the Dask
    cluster connection to close afterwards (None for the local executor)."""
    settings = dict(config.executor)
    if options.executor is not None:
        settings["name"] = options.executor
    settings["address"] = options.address or settings.get("address")
    settings["scheduler_file"] = options.scheduler_file or settings.get("scheduler_file")
    if settings["name"] != "dask":
        return LocalExecutor(options.jobs, options.blas_threads), None
    from mlpsel.dask_executor import DaskExecutor, connect

    cluster = connect(settings["address"], settings["scheduler_file"],
                      blas_threads=options.blas_threads)
    emit(ExecutorStarted(cluster.description))
    identity = run_identity(command, config, options.blas_threads)
    return DaskExecutor(cluster, config, identity, blas_threads=options.blas_threads,
                        data_dir=options.data_dir), cluster


def _executor_record(executor: Any) -> dict[str, Any]:
    """``run.json``'s ``executor`` field where the trials did not run locally."""
    describe = getattr(executor, "describe", None)
    return {"executor": describe()} if describe is not None else {}


def _select_and_test(plan: Strategy, run: RunFolder, config: Config, dataset: Dataset,
                     executor: Executor, emit: EventHandler, figures: Figures | None,
                     started: float, options: StudyOptions) -> StudyResult:
    plan.prepare(run)
    run.update_run_info(**_executor_record(executor))
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
    if choice is None:
        return _examination(plan, run, config, dataset, finished, rows, figures, started)
    try:
        refit_result = _refit(choice, dataset, run, executor, emit, options)
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
    threshold = (_decision_threshold(plan, choice, run, dataset, config)
                 if network.output == "sigmoid" else None)
    evaluation = evaluate(network, dataset.test_images, dataset.test_labels, dataset.class_names,
                          threshold=threshold["threshold"] if threshold else None)
    run.write_best(network, evaluation.probabilities, evaluation.predictions, evaluation.labels,
                   evaluation.confusion, evaluation.per_class, dataset.class_names)
    if config["keep.trial_models"] == "chosen":  # best/model.npz is written: the rest can go
        run.discard_trial_models(keep=choice.model_task)
    if threshold is not None:
        threshold = _write_threshold(run, threshold, evaluation, dataset)
    if figures is not None:
        figures.draw(run, "test", chosen)
        figures.wait()

    summary = _summary(plan, run, dataset, finished, started,
                       {"selection_metric": plan.metric,
                        "best": plan.best_summary(choice, rows, finished),
                        "test": evaluation.scores,
                        **({"threshold": threshold} if threshold is not None else {})})
    run.write_summary(summary)
    info = run.update_run_info(status="finished", seconds=summary["seconds"],
                               **_executor_record(executor))
    return StudyResult(run, info, config.values, {}, summary, rows,
                       plan.splits_per_grid_point, evaluation, dataset.class_names,
                       resumed_trials=stored_before)


def _summary(plan: Strategy, run: RunFolder, dataset: Dataset,
             finished: dict[str, dict[str, Any]], started: float,
             outcome: dict[str, Any]) -> dict[str, Any]:
    """``summary.json``: what was run, the strategy's design, the trials' statuses, then the
    ``outcome`` (the choice and its test scores, or an examination's readings), the time."""
    return {
        "run_id": run.run_id,
        "command": plan.command,
        "dataset": dataset.name,
        **plan.summary_fields(),
        "n_grid_points": len(plan.points),
        "trial_status_counts": status_counts(finished.values()),
        **outcome,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _examination(plan: Strategy, run: RunFolder, config: Config, dataset: Dataset,
                 finished: dict[str, dict[str, Any]], rows: list[dict[str, Any]],
                 figures: Figures | None, started: float) -> StudyResult:
    """The end of a strategy that chooses nothing (a learning curve): tables, figures, readings;
    no refit, and the test set is not touched."""
    _write_tables(run, plan.tables(rows, finished))
    if figures is not None:
        figures.draw(run, "selection", None)
        figures.wait()
    summary = _summary(plan, run, dataset, finished, started,
                       {"readings": plan.readings(rows)})
    run.write_summary(summary)
    info = run.update_run_info(status="finished", seconds=summary["seconds"])
    return StudyResult(run, info, config.values, {}, summary, rows, plan.splits_per_grid_point,
                       None, dataset.class_names)


def _refit(choice: Choice, dataset: Dataset, run: RunFolder, executor: Executor,
           emit: EventHandler, options: StudyOptions) -> dict[str, Any] | None:
    """Run the refit the strategy asked for, alone, on every core (the BLAS threads recorded in
    ``run.json`` first, so that a continued run refits with the same and gives the same bits)."""
    if choice.refit is None:
        return None
    threads = run.read_run_info().get("refit_blas_threads") or options.refit_blas_threads or \
        max(options.blas_threads, default_jobs())
    run.update_run_info(refit_blas_threads=threads)
    refit = dataclasses.replace(choice.refit, blas_threads=threads)
    return executor.run([refit], dataset, run, emit)[refit.task_id]


def _decision_threshold(plan: Strategy, choice: Choice, run: RunFolder, dataset: Dataset,
                        config: Config) -> dict[str, Any]:
    """A binary task's decision threshold, chosen on the validation scores of the chosen grid
    point alone (its holdout trial, or every fold's out-of-fold scores): ``rule``, ``target``,
    ``threshold`` and the validation labels and scores it was chosen on."""
    tasks = plan.choice_tasks(choice)
    labels = np.concatenate([dataset.train_labels[task.validation_index] for task in tasks])
    scores = np.concatenate([run.read_validation_scores(task.id) for task in tasks])
    rule, target = thresholds.rule_of(config["threshold"])
    return {"rule": rule, "target": target,
            "threshold": thresholds.choose_threshold(labels, scores, rule, target),
            "validation_scores": (labels, scores)}


def _write_threshold(run: RunFolder, chosen: dict[str, Any], evaluation: Evaluation,
                     dataset: Dataset) -> dict[str, Any]:
    """``best/threshold.json``, ``pr_curve.csv`` and ``confusion_2x2.csv``; returns what
    ``threshold.json`` holds (also ``summary.json``'s ``threshold``)."""
    t = chosen["threshold"]
    validation = chosen["validation_scores"]
    test = (evaluation.labels, evaluation.probabilities[:, 1])
    negative, positive = dataset.class_names
    on_test = thresholds.counts_at(*test, t)
    record = {"rule": chosen["rule"], "target": chosen["target"], "threshold": t,
              "positive_class": positive,
              "validation": _finite(thresholds.counts_at(*validation, t).as_dict()),
              "test": _finite(on_test.as_dict())}
    run.write_threshold(record, thresholds.pr_curve_frame(validation, test),
                        thresholds.confusion_2x2_frame(on_test, positive, negative))
    return record


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """NaN (an undefined precision or recall) as None, for JSON."""
    return {key: None if isinstance(value, float) and value != value else value
            for key, value in values.items()}


def _write_tables(run: RunFolder, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        run.write_table(name, frame)
