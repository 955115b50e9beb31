"""The trial executor: runs tasks (grid point × fold) and stores each result the moment it ends.

A task's result is written to ``trials/<task-id>/result.json`` last, after its history and model,
so a task whose ``result.json`` exists is finished and is never run again (resume).

Progress is reported as events through ``on_event``; the executor never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlpsel.data import Dataset
from mlpsel.experiment import run_trial
from mlpsel.nn import EpochRecord
from mlpsel.search import GridPoint
from mlpsel.store import RunFolder, write_csv, write_json


@dataclass(frozen=True)
class Task:
    """One training job: a grid point trained on one train part, scored on one validation part.

    Attributes
    ----------
    task_id : str
        Folder name under ``trials/``: the grid point id, plus ``-r<repeat>f<fold>`` in k-fold.
    grid_point : GridPoint
    train_index, validation_index : ndarray of int
        Rows of the training images.
    repeat, fold : int or None
        Position in a (repeated) k-fold; ``None`` for a holdout split.
    save_model : bool
        Keep ``model.npz`` (holdout: the chosen trial's network is the final model).
    """

    task_id: str
    grid_point: GridPoint
    train_index: np.ndarray
    validation_index: np.ndarray | None
    repeat: int | None = None
    fold: int | None = None
    save_model: bool = False


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


def execute_task(task: Task, dataset: Dataset, run: RunFolder,
                 on_event: Callable[[Event], None] | None = None) -> dict[str, Any]:
    """Train one task and store its history, model and result; return the result."""
    values = task.grid_point.values
    total_epochs = values["training"]["epochs"]
    emit = on_event or (lambda event: None)
    emit(TaskStarted(task.task_id, total_epochs))
    outcome = run_trial(
        values, dataset, task.train_index, task.validation_index,
        on_epoch=lambda record: emit(EpochFinished(task.task_id, record, total_epochs)),
    )
    folder = run.trial_dir(task.task_id)
    write_csv(folder / "history.csv", pd.DataFrame(outcome.history, columns=HISTORY_COLUMNS))
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


HISTORY_COLUMNS = ["epoch", "train_loss", "train_accuracy", "validation_loss",
                   "validation_accuracy", "learning_rate", "seconds"]


def run_tasks(tasks: Sequence[Task], dataset: Dataset, run: RunFolder, *,
              on_event: Callable[[Event], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run every task not already finished in ``run``; return ``task id → result``.

    Finished tasks (their ``result.json`` exists) are loaded, not trained again.
    """
    emit = on_event or (lambda event: None)
    finished = run.finished_trial_results()
    results: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if task.task_id in finished:
            results[task.task_id] = finished[task.task_id]
            emit(TaskFinished(task.task_id, finished[task.task_id], resumed=True))
            continue
        results[task.task_id] = execute_task(task, dataset, run, emit)
    return results
