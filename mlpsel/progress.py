"""Live progress of a sweep, drawn with rich from :mod:`mlpsel.events` (the CLI's side).

In a terminal: a bar over all trials (done / running / failed of total, best so far as
mean ± std, elapsed, time left) and one bar per running trial's epochs. Without a terminal (CI
logs): one plain line per finished trial, no bar noise. Quiet: nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mlpsel.events import ClusterStatus, EpochFinished, Event, TaskFinished, TaskStarted


class SweepProgress:
    """Draws task events; use as a context manager around the sweep.

    Parameters
    ----------
    console : Console
    total_trials : int
        Trials in the sweep (grid points × splits).
    metric : str
        The selection metric, e.g. ``validation_accuracy``.
    higher_is_better : bool
    splits_per_grid_point : int
        1 for holdout; folds × repeats for k-fold. A grid point's mean ± std is known once all
        its splits are.
    quiet : bool
        Draw nothing.
    """

    def __init__(self, console: Console, total_trials: int, *, metric: str = "validation_accuracy",
                 higher_is_better: bool = True, splits_per_grid_point: int = 1,
                 quiet: bool = False) -> None:
        self.console = console
        self.total_trials = total_trials
        self.metric = metric
        self.higher_is_better = higher_is_better
        self.splits_per_grid_point = splits_per_grid_point
        self.quiet = quiet
        self.done = 0
        self.failed = 0
        self.running: set[str] = set()
        self.scores: dict[str, list[float]] = defaultdict(list)
        self.best: tuple[str, float, float] | None = None
        self.cluster: dict[str, int] = {}
        self.progress: Progress | None = None
        self.epoch_bars: dict[str, Any] = {}
        if console.is_terminal and not quiet:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=console,
            )
            self.trials_bar = self.progress.add_task("trials", total=total_trials, status="")

    def __enter__(self) -> SweepProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, ClusterStatus):
            self._cluster(event)
        elif isinstance(event, TaskStarted):
            self.running.add(event.task_id)
            if self.progress is not None:
                self.epoch_bars[event.task_id] = self.progress.add_task(
                    f"  {event.task_id}", total=event.total_epochs, status="")
                self._update_overall()
        elif isinstance(event, EpochFinished) and self.progress is not None:
            status = f"loss {event.train_loss:.4f}"
            if event.validation_accuracy is not None:
                status += f"  validation accuracy {event.validation_accuracy:.4f}"
            bar = self.epoch_bars.get(event.task_id)
            if bar is not None:
                self.progress.update(bar, completed=event.epoch, status=status)
        elif isinstance(event, TaskFinished):
            self._finished(event)

    def cluster_line(self) -> str:
        """``2 workers: 127.0.0.1:4101 1, 127.0.0.1:4102 1`` (trials running on each)."""
        if not self.cluster:
            return ""
        shown = ", ".join(f"{worker.removeprefix('tcp://')} {count}"
                          for worker, count in sorted(self.cluster.items()))
        return f"{len(self.cluster)} workers: {shown}"

    def _cluster(self, event: ClusterStatus) -> None:
        changed = set(event.running) != set(self.cluster)
        self.cluster = dict(event.running)
        if self.progress is not None:
            self._update_overall()
        elif changed:  # a log: one line when the workers change
            self.console.print(f"Dask: {self.cluster_line()}", highlight=False, soft_wrap=True)

    def best_so_far(self) -> str:
        if self.best is None:
            return ""
        grid_point_id, mean, std = self.best
        spread = f" ± {std:.4f}" if self.splits_per_grid_point > 1 else ""
        return f"best so far {grid_point_id}: {mean:.4f}{spread}"

    def _update_overall(self) -> None:
        if self.progress is None:
            return
        parts = [f"{len(self.running)} running"]
        if self.failed:
            parts.append(f"[red]{self.failed} failed[/]")
        if self.best is not None:
            parts.append(self.best_so_far())
        if self.cluster:
            parts.append(self.cluster_line())
        self.progress.update(self.trials_bar, completed=self.done, status="  ".join(parts))

    def _record_score(self, result: dict[str, Any]) -> None:
        grid_point_id = result.get("grid_point_id")
        if result["status"] != "ok" or grid_point_id is None:
            return
        scores = self.scores[grid_point_id]
        scores.append(float(result[self.metric]))
        if len(scores) == self.splits_per_grid_point:
            mean, std = float(np.mean(scores)), float(np.std(scores))
            better = self.best is None or (
                mean > self.best[1] if self.higher_is_better else mean < self.best[1])
            if better:
                self.best = (grid_point_id, mean, std)

    def _finished(self, event: TaskFinished) -> None:
        result = event.result
        self.running.discard(event.task_id)
        if event.refit:  # the refit on all training data: not a trial of the sweep
            seconds = result.get("fit_seconds") or 0.0
            outcome = "" if result["status"] == "ok" else \
                f": [red]{result['status']}[/]: {result.get('error')}"
            line = f"refit {event.task_id} on all training data ({seconds:.1f} s){outcome}"
        else:
            self.done += 1
            if result["status"] != "ok":
                self.failed += 1
            self._record_score(result)
            if result["status"] == "ok":
                shown = f"{self.metric.replace('_', ' ')} {result[self.metric]:.4f}"
            else:
                shown = f"[red]{result['status']}[/]: {result.get('error')}"
            seconds = result.get("fit_seconds") or 0.0
            resumed = " (stored earlier)" if event.resumed else ""
            line = (f"trial {self.done}/{self.total_trials} {event.task_id}: {shown} "
                    f"({seconds:.1f} s){resumed}")
        if self.progress is not None:
            bar = self.epoch_bars.pop(event.task_id, None)
            if bar is not None:
                self.progress.remove_task(bar)
            self._update_overall()
            self.progress.console.print(line, highlight=False)
        else:
            self.console.print(line, highlight=False, soft_wrap=True)
