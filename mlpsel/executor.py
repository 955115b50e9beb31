"""The trial executor: runs tasks (grid point × fold) serially or in worker processes, and stores
each result the moment it ends.

A task's result is written to ``trials/<task-id>/result.json`` last, after its history and model,
so a task whose ``result.json`` exists is finished and is never run again: rerunning an
interrupted sweep continues it.

Parallelism is across trials. Each trial's matrix products run on ``blas_threads`` BLAS threads
(default 1), whatever ``jobs`` is: OpenBLAS rounds differently with a different thread count, so
fixing it per trial makes the numbers of a trial the same with ``--jobs 1`` or ``--jobs 8``. With
``jobs × blas_threads`` never above the cores, the workers do not fight over them.

Worker processes are forked, so they share the parent's dataset without loading or copying it.
Progress is reported as events through ``on_event``; the executor never prints.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from mlpsel.data import Dataset
from mlpsel.errors import MlpselError
from mlpsel.experiment import run_trial
from mlpsel.nn import EpochRecord
from mlpsel.search import GridPoint
from mlpsel.store import RunFolder, write_json, write_rows_csv

HISTORY_COLUMNS = ["epoch", "train_loss", "train_accuracy", "validation_loss",
                   "validation_accuracy", "learning_rate", "seconds"]


@dataclass(frozen=True)
class Task:
    """One training job: a grid point trained on one train part, scored on one validation part.

    Attributes
    ----------
    task_id : str
        Folder name under ``trials/``: the grid point id, plus ``-r<repeat>f<fold>`` in k-fold,
        or ``refit-<grid point id>`` for the final fit on all training data.
    grid_point : GridPoint
    train_index : ndarray of int, shape (n_train,)
        Rows of the training images to train on.
    validation_index : ndarray of int, shape (n_validation,), or None
        Rows to score on; ``None`` for a refit.
    repeat, fold : int or None
        Position in a (repeated) k-fold; ``None`` otherwise.
    save_model : bool
        Keep ``model.npz`` (the holdout choice and the refit are the final model).
    epochs : int or None
        Overrides ``training.epochs`` (a refit uses the epochs the folds chose).
    """

    task_id: str
    grid_point: GridPoint
    train_index: np.ndarray
    validation_index: np.ndarray | None
    repeat: int | None = None
    fold: int | None = None
    save_model: bool = False
    epochs: int | None = None

    @property
    def total_epochs(self) -> int:
        return self.epochs or self.grid_point.values["training"]["epochs"]


@dataclass(frozen=True)
class TaskStarted:
    task_id: str
    total_epochs: int


@dataclass(frozen=True)
class EpochFinished:
    task_id: str
    record: EpochRecord
    total_epochs: int


@dataclass(frozen=True)
class TaskFinished:
    task_id: str
    result: dict[str, Any]
    resumed: bool = False


Event = TaskStarted | EpochFinished | TaskFinished


class Interrupted(MlpselError):
    """The sweep was stopped (Ctrl-C) before every task finished; finished ones are stored."""

    exit_code = 130


class WorkerDied(MlpselError):
    """A worker process ended without a result; finished trials are stored (exit code 1)."""

    exit_code = 1


def execute_task(task: Task, dataset: Dataset, run: RunFolder,
                 on_event: Callable[[Event], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Any] | None:
    """Train one task and store its history, model and result; return the result.

    Returns ``None``, storing nothing, when ``should_stop`` ended the training early: the task
    is then still to do.
    """
    emit = on_event or (lambda event: None)
    emit(TaskStarted(task.task_id, task.total_epochs))
    outcome = run_trial(
        task.grid_point.values, dataset, task.train_index, task.validation_index,
        epochs=task.epochs, should_stop=should_stop,
        on_epoch=lambda record: emit(EpochFinished(task.task_id, record, task.total_epochs)),
    )
    if outcome.status == "interrupted":
        return None
    folder = run.trial_dir(task.task_id)
    write_rows_csv(folder / "history.csv", outcome.history, HISTORY_COLUMNS)
    if task.save_model and outcome.network is not None:
        outcome.network.save(folder / "model.npz")
    result = {
        "task_id": task.task_id,
        "grid_point_id": task.grid_point.grid_point_id,
        "grid_point_index": task.grid_point.index,
        "repeat": task.repeat,
        "fold": task.fold,
        "params": task.grid_point.params,
        "status": outcome.status,
        "error": outcome.error,
        **outcome.scores,
    }
    write_json(run.trial_result(task.task_id), result)
    emit(TaskFinished(task.task_id, result))
    return result


def run_tasks(tasks: Sequence[Task], dataset: Dataset, run: RunFolder, *, jobs: int = 1,
              blas_threads: int = 1,
              on_event: Callable[[Event], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run every task not already finished in ``run``; return ``task id → result``.

    Parameters
    ----------
    jobs : int
        Worker processes; 1 runs the tasks in this process.
    blas_threads : int
        BLAS threads for each trial's matrix products.

    Raises
    ------
    Interrupted
        On Ctrl-C, after the workers stopped; every finished task is stored.
    """
    emit = on_event or (lambda event: None)
    finished = run.finished_trial_results()
    results: dict[str, dict[str, Any]] = {}
    pending = []
    for task in tasks:
        if task.task_id in finished:
            results[task.task_id] = finished[task.task_id]
            emit(TaskFinished(task.task_id, finished[task.task_id], resumed=True))
        else:
            pending.append(task)
    # jobs × BLAS threads never above the cores, and never more workers than trials
    jobs = max(1, min(jobs, default_jobs() // blas_threads, len(pending)))
    if jobs == 1:
        with threadpool_limits(blas_threads):
            for task in pending:
                try:
                    results[task.task_id] = execute_task(task, dataset, run, emit)
                except KeyboardInterrupt:
                    raise Interrupted(_interrupted_message(results, tasks)) from None
    else:
        results.update(_run_in_processes(pending, dataset, run, jobs, blas_threads, emit))
        if len(results) < len(tasks):
            raise Interrupted(_interrupted_message(results, tasks))
    return {task.task_id: results[task.task_id] for task in tasks}


def _interrupted_message(results: dict[str, Any], tasks: Sequence[Task]) -> str:
    return f"interrupted with {len(results)} of {len(tasks)} trials finished and stored"


# ---------------------------------------------------------------------------------------------
# Worker processes. The parent puts the shared state in ``_WORKER_STATE`` before forking.

_WORKER_STATE: dict[str, Any] = {}


def _start_worker(blas_threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    _WORKER_STATE["blas_limit"] = threadpool_limits(blas_threads)


def _work(task: Task) -> dict[str, Any] | None:
    events: Any = _WORKER_STATE["events"]
    stop: Any = _WORKER_STATE["stop"]
    return execute_task(task, _WORKER_STATE["dataset"], _WORKER_STATE["run"],
                        on_event=events.put, should_stop=stop.is_set)


def _run_in_processes(tasks: Sequence[Task], dataset: Dataset, run: RunFolder, jobs: int,
                      blas_threads: int,
                      emit: Callable[[Event], None]) -> dict[str, dict[str, Any]]:
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    stop = context.Event()
    _WORKER_STATE.update(dataset=dataset, run=run, events=events, stop=stop)
    results: dict[str, dict[str, Any]] = {}

    def drain(timeout: float = 0.0) -> None:
        try:
            emit(events.get(timeout=timeout) if timeout else events.get_nowait())
            while True:
                emit(events.get_nowait())
        except queue.Empty:
            pass

    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                   initargs=(blas_threads,))
    # Longest first, so that no worker is left with a long trial while the others idle at the end.
    by_cost = sorted(tasks, key=estimated_cost, reverse=True)
    futures: dict[Future, Task] = {executor.submit(_work, task): task for task in by_cost}
    try:
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, timeout=0.05, return_when=FIRST_COMPLETED)
            drain()
            for future in done:
                results.update(_collect(future, futures[future], run, emit))
        drain(timeout=0.01)  # the last events may still be on their way through the queue
    except KeyboardInterrupt:
        stop.set()  # workers end after their current epoch and store nothing unfinished
        for future in futures:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
        drain(timeout=0.05)
        for future, task in futures.items():
            if future.done() and not future.cancelled() and task.task_id not in results:
                results.update(_collect(future, task, run, emit))
        return results
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _WORKER_STATE.clear()
        events.close()
    return results


def estimated_cost(task: Task) -> float:
    """Multiply-adds of the trial's training, up to a constant: weights × images × epochs."""
    values = task.grid_point.values
    widths = [784, *values["model"]["hidden_layers"], 10]  # only the order matters
    weights = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=False))
    return float(weights * len(task.train_index) * task.total_epochs)


def _collect(future: Future, task: Task, run: RunFolder,
             emit: Callable[[Event], None]) -> dict[str, dict[str, Any]]:
    """The result of a finished future; a crashed worker becomes a stored ``failed`` result."""
    try:
        result = future.result()
    except BrokenProcessPool:
        # A worker died (killed, or out of memory): the task is not done; store nothing.
        raise WorkerDied(
            f"a worker process died while training {task.task_id} (out of memory, or killed); "
            "finished trials are stored: rerun the same command to continue"
        ) from None
    except Exception as error:  # raised outside run_trial's own error handling
        result = {
            "task_id": task.task_id, "grid_point_id": task.grid_point.grid_point_id,
            "grid_point_index": task.grid_point.index, "repeat": task.repeat, "fold": task.fold,
            "params": task.grid_point.params, "status": "failed",
            "error": f"{type(error).__name__}: {error}".strip(),
        }
        write_json(run.trial_result(task.task_id), result)
        emit(TaskFinished(task.task_id, result))
    return {} if result is None else {task.task_id: result}


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
