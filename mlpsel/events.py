"""Progress events: plain data that the pipeline and the executors emit and the CLI draws.

Nothing here knows a screen. The library reports progress by calling ``on_event(event)`` with one
of these; whoever called the library decides what to show (``mlpsel.progress`` draws them with
rich). Every field is a plain value, so an event can cross a process boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DownloadProgress:
    """``done`` of ``total`` bytes of ``file_name`` fetched (``total`` None when unknown)."""

    file_name: str
    done: int
    total: int | None


@dataclass(frozen=True)
class RunStarted:
    """A run folder was made (or an interrupted one is continued) and its tasks are about to run.

    Attributes
    ----------
    run_id, path : str
    n_tasks : int
        Tasks of the sweep (grid points × validation splits), a refit not counted.
    epochs : int
        Epochs each task trains for (``training.epochs``).
    splits_per_grid_point : int
        1 for holdout; folds × repeats for k-fold: a grid point's mean is known once all are.
    continued : bool
    """

    run_id: str
    path: str
    n_tasks: int
    epochs: int
    splits_per_grid_point: int
    continued: bool


@dataclass(frozen=True)
class ExecutorStarted:
    """Where the trials will run, in one sentence (e.g. the Dask scheduler and its workers)."""

    description: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know before the sweep starts, in one sentence (e.g. training
    sets smaller than a mini-batch); shown even with ``--quiet``."""

    text: str


@dataclass(frozen=True)
class ClusterStatus:
    """The cluster's workers and how many of the sweep's trials each is running now."""

    running: dict[str, int]


@dataclass(frozen=True)
class TaskStarted:
    task_id: str
    total_epochs: int


@dataclass(frozen=True)
class EpochFinished:
    """One epoch of a task ended: its training loss and, when it has one, validation accuracy."""

    task_id: str
    epoch: int
    total_epochs: int
    train_loss: float
    validation_accuracy: float | None


@dataclass(frozen=True)
class TaskFinished:
    """A task ended and its result is stored (``resumed``: it was found stored already).

    ``refit`` marks the final fit of the chosen grid point on all training data, which is not a
    trial of the sweep and has no validation score.
    """

    task_id: str
    result: dict[str, Any]
    refit: bool = False
    resumed: bool = False


Event = (DownloadProgress | RunStarted | ExecutorStarted | ClusterStatus | TaskStarted
         | EpochFinished | TaskFinished)
EventHandler = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The handler used when nobody listens."""
