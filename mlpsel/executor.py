"""Executors: run tasks (grid point × validation split) serially or in worker processes, and
store each result the moment it ends.

An executor has one method, ``run(tasks, dataset, run, on_event) → {task id: result}``: it runs
every task not already finished in the run folder and returns the results of all of them, in the
order given. :class:`LocalExecutor` is the one on this machine; others (a cluster) provide the
same method.

A task's result is stored in ``trials/<task-id>/`` last, after its history and model (see
:meth:`mlpsel.store.RunFolder.write_task`), so a task whose result exists is finished and is never
run again: rerunning an interrupted sweep continues it.

Parallelism is across trials. Each trial's matrix products run on ``blas_threads`` BLAS threads
(default 1), whatever ``jobs`` is: OpenBLAS rounds differently with a different thread count, so
fixing it per trial makes the numbers of a trial the same with ``--jobs 1`` or ``--jobs 8``. With
``jobs × blas_threads`` never above the cores, the workers do not fight over them.

Worker processes are forked, so they share the parent's dataset without loading or copying it.
Progress is reported as :mod:`mlpsel.events` through ``on_event``; the executor never prints.
"""

from __future__ import annotations

import dataclasses
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
from mlpsel.errors import Interrupted, WorkerDied
from mlpsel.events import EpochFinished, EventHandler, TaskFinished, TaskStarted, ignore
from mlpsel.experiment import HISTORY_COLUMNS, run_trial
from mlpsel.nn import EpochRecord
from mlpsel.processes import die_with_parent
from mlpsel.search import GridPoint, TrialSpec
from mlpsel.store import RunFolder, TaskId


@dataclass(frozen=True)
class Task:
    """One training job: a grid point trained on one train part, scored on one validation part.

    Attributes
    ----------
    id : TaskId
        Names the task's folder under ``trials/`` (see :class:`mlpsel.store.TaskId`).
    grid_point : GridPoint
    train_index : ndarray of int, shape (n_train,)
        Rows of the training images to train on.
    validation_index : ndarray of int, shape (n_validation,), or None
        Rows to score on; ``None`` for a refit.
    save_model : bool
        Keep ``model.npz`` (the holdout choice and the refit are the final model).
    epochs : int or None
        Overrides ``training.epochs`` (a refit uses the epochs the folds chose).
    blas_threads : int or None
        Overrides the executor's BLAS threads for this task: the refit runs alone, so it uses
        every core (the number is recorded in ``run.json``, so a resumed run gives the same bits).
    score_train : bool
        Also score the network on its own training rows (a learning curve's training error).
    seed : int or None
        Overrides the grid point's seed (initialisation and batch order): each bias–variance
        round has its own.
    keep_predictions : bool
        Store the predicted class of every validation row (``predictions.npy``).
    continue_from : TaskId or None
        A finished task of the same grid point and rows, fewer epochs, whose stored checkpoint
        this task continues (successive halving); its training then runs on to ``epochs``.
    keep_checkpoint : bool
        Store where the training stopped (``checkpoint.npz``), for a task to continue it.
    iteration : int or None
        Successive halving's round (``iter`` in the results).
    """

    id: TaskId
    grid_point: GridPoint
    train_index: np.ndarray
    validation_index: np.ndarray | None
    save_model: bool = False
    epochs: int | None = None
    blas_threads: int | None = None
    score_train: bool = False
    seed: int | None = None
    keep_predictions: bool = False
    continue_from: TaskId | None = None
    keep_checkpoint: bool = False
    iteration: int | None = None

    @property
    def task_id(self) -> str:
        return str(self.id)

    @property
    def spec(self) -> TrialSpec:
        """The trial's settings, with the task's own seed where it has one."""
        spec = self.grid_point.spec
        return spec if self.seed is None else dataclasses.replace(spec, seed=self.seed)

    @property
    def total_epochs(self) -> int:
        return self.epochs or self.grid_point.spec.training.epochs

    @property
    def epochs_to_train(self) -> int:
        """The epochs this task trains itself: all, or those beyond the checkpoint it
        continues."""
        done = (self.continue_from.epochs or 0) if self.continue_from is not None else 0
        return self.total_epochs - done

    def result_fields(self) -> dict[str, Any]:
        """The fields of the result that say which task it is."""
        fields = {"task_id": self.task_id, "grid_point_id": self.grid_point.grid_point_id,
                  "grid_point_index": self.grid_point.index, "repeat": self.id.repeat,
                  "fold": self.id.fold, "params": self.grid_point.params}
        if self.id.train_size is not None:
            fields["train_size"] = self.id.train_size
        if self.id.round is not None:
            fields["round"] = self.id.round
            fields["seed"] = self.spec.seed
        if self.id.outer is not None:
            fields["outer_fold"] = self.id.outer
        if self.iteration is not None:
            fields["iter"] = self.iteration
            fields["n_resources"] = self.total_epochs
        return fields


def execute_task(task: Task, dataset: Dataset, run: RunFolder,
                 on_event: EventHandler | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Any] | None:
    """Train one task and store its history, model and result; return the result.

    Returns ``None``, storing nothing, when ``should_stop`` ended the training early: the task
    is then still to do.
    """
    emit = on_event or ignore
    emit(TaskStarted(task.task_id, task.total_epochs))

    def on_epoch(record: EpochRecord) -> None:
        emit(EpochFinished(task.task_id, record.epoch, task.total_epochs, record.train_loss,
                           record.validation_accuracy))

    start = run.read_checkpoint(task.continue_from) if task.continue_from is not None else None
    outcome = run_trial(
        task.spec, dataset, task.train_index, task.validation_index,
        epochs=task.epochs, should_stop=should_stop, on_epoch=on_epoch,
        score_train=task.score_train, start=start, keep_checkpoint=task.keep_checkpoint,
    )
    if outcome.status == "interrupted":
        return None
    result = {**task.result_fields(), "status": outcome.status, "error": outcome.error,
              **outcome.scores}
    run.write_task(task.id, result, outcome.history, HISTORY_COLUMNS,
                   outcome.network if task.save_model else None,
                   outcome.validation_predictions if task.keep_predictions else None,
                   outcome.checkpoint, outcome.validation_scores)
    emit(TaskFinished(task.task_id, result, refit=task.id.refit))
    return result


class LocalExecutor:
    """Runs tasks on this machine: in this process (``jobs`` 1) or in forked worker processes.

    Parameters
    ----------
    jobs : int
        Worker processes; 1 runs the tasks in this process.
    blas_threads : int
        BLAS threads for each trial's matrix products.
    """

    def __init__(self, jobs: int = 1, blas_threads: int = 1) -> None:
        self.jobs = jobs
        self.blas_threads = blas_threads

    def __repr__(self) -> str:
        return f"LocalExecutor(jobs={self.jobs}, blas_threads={self.blas_threads})"

    def run(self, tasks: Sequence[Task], dataset: Dataset, run: RunFolder,
            on_event: EventHandler | None = None) -> dict[str, dict[str, Any]]:
        """Run every task not already finished in ``run``; return ``task id → result``.

        Raises
        ------
        Interrupted
            On Ctrl-C, after the workers stopped; every finished task is stored.
        WorkerDied
            A worker process ended without a result.
        """
        blas_threads = self.blas_threads
        emit = on_event or ignore
        results, pending = stored_results(tasks, run, emit)
        # a task with its own BLAS threads runs alone, here, after the others
        alone = [task for task in pending if task.blas_threads]
        pending = [task for task in pending if not task.blas_threads]
        # jobs × BLAS threads never above the cores, and never more workers than trials
        jobs = max(1, min(self.jobs, default_jobs() // blas_threads, len(pending)))
        if jobs > 1:
            results.update(_run_in_processes(pending, dataset, run, jobs, blas_threads, emit))
            if len(results) < len(tasks) - len(alone):
                raise Interrupted(_interrupted_message(results, tasks))
            pending = []
        for task in pending + alone:
            with threadpool_limits(task.blas_threads or blas_threads):
                try:
                    results[task.task_id] = execute_task(task, dataset, run, emit)
                except KeyboardInterrupt:
                    raise Interrupted(_interrupted_message(results, tasks)) from None
        return {task.task_id: results[task.task_id] for task in tasks}


def stored_results(tasks: Sequence[Task], run: RunFolder,
                   emit: EventHandler) -> tuple[dict[str, dict[str, Any]], list[Task]]:
    """The results of ``tasks`` already stored in ``run`` (announced as resumed), and the tasks
    still to run."""
    finished = run.finished_trial_results()
    results: dict[str, dict[str, Any]] = {}
    pending = []
    for task in tasks:
        if task.task_id in finished:
            results[task.task_id] = finished[task.task_id]
            emit(TaskFinished(task.task_id, finished[task.task_id], refit=task.id.refit,
                              resumed=True))
        else:
            pending.append(task)
    return results, pending


def _interrupted_message(results: dict[str, Any], tasks: Sequence[Task]) -> str:
    return f"interrupted with {len(results)} of {len(tasks)} trials finished and stored"


# ---------------------------------------------------------------------------------------------
# Worker processes. The parent puts the shared state in ``_WORKER_STATE`` before forking.

_WORKER_STATE: dict[str, Any] = {}


def _start_worker(blas_threads: int) -> None:
    # the parent decides what Ctrl-C, SIGTERM and SIGHUP mean (a terminal's signals reach the
    # whole process group): it stops the workers after their epoch
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    die_with_parent()
    _WORKER_STATE["blas_limit"] = threadpool_limits(blas_threads)


def _work(task: Task) -> dict[str, Any] | None:
    events: Any = _WORKER_STATE["events"]
    stop: Any = _WORKER_STATE["stop"]
    return execute_task(task, _WORKER_STATE["dataset"], _WORKER_STATE["run"],
                        on_event=events.put, should_stop=stop.is_set)


def _run_in_processes(tasks: Sequence[Task], dataset: Dataset, run: RunFolder, jobs: int,
                      blas_threads: int,
                      emit: EventHandler) -> dict[str, dict[str, Any]]:
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
    """Multiply-adds of the trial's training, up to a constant: weights × images × epochs (a
    continued task: the epochs beyond its checkpoint)."""
    widths = [784, *task.grid_point.spec.model.hidden_layers, 10]  # only the order matters
    weights = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=False))
    return float(weights * len(task.train_index) * task.epochs_to_train)


def _collect(future: Future, task: Task, run: RunFolder,
             emit: EventHandler) -> dict[str, dict[str, Any]]:
    """The result of a finished future; a crashed worker becomes a stored ``failed`` result."""
    try:
        result = future.result()
    except BrokenProcessPool:
        # A worker died (killed, or out of memory): the task is not done; store nothing.
        raise WorkerDied(
            f"a worker process died while training {task.task_id} (out of memory, or killed); "
            "finished trials are stored: rerun the same command to continue"
        ) from None
    except OSError:  # the run folder cannot be written: a storage fault, not a failed trial
        raise
    except Exception as error:  # raised outside run_trial's own error handling
        result = {**task.result_fields(), "status": "failed",
                  "error": f"{type(error).__name__}: {error}".strip()}
        run.write_task(task.id, result)
        emit(TaskFinished(task.task_id, result, refit=task.id.refit))
    return {} if result is None else {task.task_id: result}


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
