"""The ``mlpsel`` command: parse options, call the library, render the results.

Exit codes (the one map from error kinds to codes):

====  ===================================================================
0     success
1     no trial succeeded, or a ``--fail-under`` threshold was not met
2     bad usage, bad config, bad data, or a run that does not exist
130   interrupted (Ctrl-C); the run folder says how to resume
====  ===================================================================
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mlpsel.errors import MlpselError

EXIT_OK = 0
EXIT_NO_RESULT = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    help="Model selection for NumPy back-propagation MLPs: grids from YAML, honest validation, "
    "one look at the test set.",
)

ConfigArgument = Annotated[
    Path | None,
    typer.Argument(help="YAML config; default: ./mlpsel.yaml, else the packaged quick start.",
                   show_default=False),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting, e.g. --set training.learning_rate=0.01 or "
                 "--set search.model.hidden_layers='[[64],[128]]'. Repeatable.",
                 show_default=False),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="MLPSEL_DATA_DIR",
                 help="Folder holding <name>/<IDX files> of full datasets; else the cache, "
                 "else a download.",
                 show_default=False),
]
RunsDirOption = Annotated[
    Path, typer.Option("--runs-dir", envvar="MLPSEL_RUNS_DIR", help="Where run folders go."),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the final summary line."),
]


@app.callback()
def _commands() -> None:
    """Model selection for NumPy back-propagation MLPs (see 'mlpsel COMMAND --help')."""


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:  # CI logs: wide enough for the tables, no bars
        console = Console(highlight=False, width=max(console.width, 140))
    return console


def _error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(error: MlpselError) -> typer.Exit:
    _error_console().print(f"[bold red]error:[/] {error}", markup=True)
    return typer.Exit(error.exit_code)


@app.command()
def train(
    config: ConfigArgument = None,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    quiet: QuietOption = False,
) -> None:
    """Holdout model selection: train every grid point, choose on validation, test once."""
    from mlpsel.config import load_config
    from mlpsel.report.progress import SweepProgress
    from mlpsel.report.terminal import selection_summary
    from mlpsel.selection import run_holdout

    console = _console()
    progress_holder: dict[str, SweepProgress] = {}

    def on_run_created(run, n_trials: int, epochs: int) -> None:
        if not quiet:
            console.print(f"run [bold]{run.run_id}[/]: {n_trials} grid points × {epochs} epochs "
                          f"→ {run.path}")
        progress_holder["view"] = SweepProgress(console, n_trials, quiet=quiet).__enter__()

    def on_event(event) -> None:
        progress_holder["view"](event)

    try:
        resolved = load_config(config, set_values or [])
        try:
            result = run_holdout(
                resolved, runs_dir=runs_dir, data_dir=str(data_dir) if data_dir else None,
                argv=sys.argv[1:], on_event=on_event, on_run_created=on_run_created,
                on_download=_download_progress(console, quiet),
            )
        finally:
            if "view" in progress_holder:
                progress_holder["view"].__exit__(None, None, None)
    except MlpselError as error:
        raise _fail(error) from None
    except KeyboardInterrupt:
        _error_console().print("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None

    import pandas as pd

    summary = result.summary
    if not quiet:
        per_class = pd.read_csv(result.run.best_dir / "per_class.csv")
        console.print(selection_summary(result.trials, summary, per_class))
    test = summary["test"]
    console.print(
        f"{result.run.run_id}: chose {summary['best']['trial_id']} "
        f"({summary['selection_metric']} {summary['best'][summary['selection_metric']]:.4f}); "
        f"test accuracy {test['test_accuracy']:.4f}; {summary['seconds']:.1f} s"
    )


def _download_progress(console: Console, quiet: bool):
    """A progress callback for dataset downloads (a rich bar per file)."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    state: dict[str, object] = {}

    def on_download(file_name: str, done: int, total: int | None) -> None:
        if quiet:
            return
        if "progress" not in state:
            progress = Progress(*Progress.get_default_columns(), DownloadColumn(),
                                TransferSpeedColumn(), console=console, transient=True)
            progress.start()
            state["progress"] = progress
        progress = state["progress"]
        bars = state.setdefault("bars", {})
        if file_name not in bars:
            bars[file_name] = progress.add_task(f"downloading {file_name}", total=total)
        progress.update(bars[file_name], completed=done)
        if total is not None and done >= total:
            progress.stop() if all(
                t.finished for t in progress.tasks) else None

    return on_download


def main() -> None:
    """Entry point of the ``mlpsel`` script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C outside a command
        sys.exit(EXIT_INTERRUPTED)
