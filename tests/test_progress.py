"""Live progress drawn from events: the log lines without a terminal, the cluster's workers."""

from __future__ import annotations

import io

from rich.console import Console

from mlpsel.events import ClusterStatus, TaskFinished, TaskStarted
from mlpsel.progress import SweepProgress


def log_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


def result(task_id: str, grid_point: str, accuracy: float | None, status: str = "ok") -> dict:
    return {"task_id": task_id, "grid_point_id": grid_point, "status": status,
            "validation_accuracy": accuracy, "fit_seconds": 1.5, "error": None}


def test_log_lines_best_so_far_and_the_refit():
    console, buffer = log_console()
    progress = SweepProgress(console, 4, splits_per_grid_point=2)
    with progress:
        for task_id, accuracy in (("000-a-r0f0", 0.8), ("000-a-r0f1", 0.9),
                                  ("001-b-r0f0", 0.7), ("001-b-r0f1", 0.6)):
            progress(TaskStarted(task_id, 3))
            progress(TaskFinished(task_id, result(task_id, task_id[:5], accuracy)))
        progress(TaskFinished("refit-000-a", result("refit-000-a", "000-a", None), refit=True))
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "trial 1/4 000-a-r0f0: validation accuracy 0.8000 (1.5 s)"
    assert lines[-1] == "refit refit-000-a on all training data (1.5 s)"
    assert progress.done == 4 and progress.best_so_far() == "best so far 000-a: 0.8500 ± 0.0500"


def test_the_cluster_line_names_each_worker_and_its_running_trials():
    console, buffer = log_console()
    progress = SweepProgress(console, 2)
    progress(ClusterStatus({"tcp://127.0.0.1:4001": 1, "tcp://127.0.0.1:4002": 0}))
    progress(ClusterStatus({"tcp://127.0.0.1:4001": 0, "tcp://127.0.0.1:4002": 1}))  # same set
    assert progress.cluster_line() == "2 workers: 127.0.0.1:4001 0, 127.0.0.1:4002 1"
    # a log gets one line when the set of workers changes, not on every update
    assert buffer.getvalue().splitlines() == ["Dask: 2 workers: 127.0.0.1:4001 1, 127.0.0.1:4002 0"]
