"""Live progress of a sweep, drawn with rich from the executor's events.

In a terminal: a bar over all trials (done / total, elapsed, time left) and one for the current
trial's epochs (loss, validation accuracy). Without a terminal (CI logs): one plain line per
finished trial, no bar noise. Quiet: nothing.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mlpsel.executor import EpochFinished, Event, TaskFinished, TaskStarted


class SweepProgress:
    """Draws executor events; use as a context manager around the sweep.

    Parameters
    ----------
    console : Console
    total_trials : int
    quiet : bool
        Draw nothing.
    """

    def __init__(self, console: Console, total_trials: int, *, quiet: bool = False) -> None:
        self.console = console
        self.total_trials = total_trials
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self.done = 0
        self.failed = 0
        self.progress: Progress | None = None
        self.epoch_bars: dict[str, Any] = {}
        if self.live:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                console=console, transient=False,
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
        if isinstance(event, TaskStarted) and self.progress is not None:
            self.epoch_bars[event.task_id] = self.progress.add_task(
                f"  {event.task_id}", total=event.total_epochs, status="")
        elif isinstance(event, EpochFinished) and self.progress is not None:
            record = event.record
            status = f"loss {record.train_loss:.4f}"
            if record.validation_accuracy is not None:
                status += f"  validation accuracy {record.validation_accuracy:.4f}"
            bar = self.epoch_bars.get(event.task_id)
            if bar is not None:
                self.progress.update(bar, completed=record.epoch, status=status)
        elif isinstance(event, TaskFinished):
            self._finished(event)

    def _finished(self, event: TaskFinished) -> None:
        self.done += 1
        result = event.result
        if result["status"] != "ok":
            self.failed += 1
        accuracy = result.get("validation_accuracy")
        shown = f"validation accuracy {accuracy:.4f}" if accuracy is not None else ""
        if result["status"] != "ok":
            shown = f"[red]{result['status']}[/]: {result.get('error')}"
        seconds = result.get("fit_seconds") or 0.0
        resumed = " (stored earlier)" if event.resumed else ""
        line = (f"trial {self.done}/{self.total_trials} {event.task_id}: {shown} "
                f"({seconds:.1f} s){resumed}")
        if self.progress is not None:
            bar = self.epoch_bars.pop(event.task_id, None)
            if bar is not None:
                self.progress.remove_task(bar)
            failed = f"[red]{self.failed} failed[/]" if self.failed else ""
            self.progress.update(self.trials_bar, completed=self.done, status=failed)
            self.progress.console.print(line, highlight=False)
        else:
            self.console.print(line, highlight=False, soft_wrap=True)
