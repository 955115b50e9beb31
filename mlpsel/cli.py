"""The ``mlpsel`` command: parse options, call the library, render the results.

Exit codes (the one map from error kinds to codes):

====  ===================================================================
0     success
1     no trial succeeded, or a ``--fail-under`` threshold was not met
2     bad usage, bad config, bad data, or a run that does not exist
130   interrupted (Ctrl-C); finished trials are stored and the run can be continued
====  ===================================================================
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mlpsel.errors import ConfigError, MlpselError

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
                 "else a download.", show_default=False),
]
RunsDirOption = Annotated[
    Path, typer.Option("--runs-dir", envvar="MLPSEL_RUNS_DIR", help="Where run folders go."),
]
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Trials trained at once, in worker processes "
                 "[default: the number of cores].", show_default=False),
]
BlasThreadsOption = Annotated[
    int, typer.Option("--blas-threads", min=1, help="BLAS threads per trial. Results are "
                      "bit-identical for the same value, whatever --jobs is."),
]
ResumeOption = Annotated[
    str | None,
    typer.Option("--resume", help="Continue this run (id, prefix, path or 'latest'); without it, "
                 "an interrupted run of the same command and config is continued.",
                 show_default=False),
]
SmokeOption = Annotated[
    bool, typer.Option("--smoke", help="The whole pipeline on a tiny slice (1,000 training "
                       "images, 1 epoch, at most 2 grid points, 2 folds): a check for CI."),
]
FailUnderOption = Annotated[
    list[str] | None,
    typer.Option("--fail-under", help="METRIC=VALUE: exit 1 when the chosen network's test "
                 "METRIC (accuracy, macro_f1, macro_precision, macro_recall) is below VALUE. "
                 "Repeatable.", show_default=False),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the final summary line."),
]

TEST_METRICS = ("accuracy", "macro_f1", "macro_precision", "macro_recall")


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


def parse_fail_under(conditions: list[str]) -> dict[str, float]:
    """``["accuracy=0.9"]`` → ``{"test_accuracy": 0.9}``; a bad condition is a ConfigError."""
    thresholds = {}
    for condition in conditions:
        name, _, raw = condition.partition("=")
        name = name.strip().removeprefix("test_")
        try:
            value = float(raw)
        except ValueError:
            value = None
        if name not in TEST_METRICS or value is None:
            raise ConfigError(f"'{condition}' is not METRIC=VALUE with METRIC one of "
                              f"{', '.join(TEST_METRICS)}, e.g. accuracy=0.9",
                              key="--fail-under")
        thresholds[f"test_{name}"] = value
    return thresholds


def _select(command: str, config_path: Path | None, set_values: list[str] | None,
            data_dir: Path | None, runs_dir: Path, jobs: int | None, blas_threads: int,
            resume: str | None, smoke: bool, fail_under: list[str] | None, quiet: bool,
            extra_overrides: list[str]) -> None:
    """The shared body of ``train`` and ``cv``."""
    from mlpsel.config import SELECTION_METRICS, load_config, smoke_config
    from mlpsel.executor import default_jobs
    from mlpsel.report.progress import SweepProgress
    from mlpsel.selection import Callbacks, run_cv, run_holdout

    console = _console()
    views: list[SweepProgress] = []
    try:
        thresholds = parse_fail_under(fail_under or [])
        config = load_config(config_path, [*(set_values or []), *extra_overrides])
        if smoke:
            config = smoke_config(config)
        metric = config["selection.metric"]
        splits = 1 if command == "train" else config["cv.folds"] * config["cv.repeats"]

        def on_run_created(run: Any, n_trials: int, epochs: int, continued: bool) -> None:
            if not quiet:
                verb = "continuing" if continued else "run"
                console.print(f"{verb} [bold]{run.run_id}[/]: {n_trials} trials × {epochs} "
                              f"epochs → {run.path}")
            views.append(SweepProgress(console, n_trials, metric=metric,
                                       higher_is_better=SELECTION_METRICS[metric],
                                       splits_per_grid_point=splits, quiet=quiet).__enter__())

        callbacks = Callbacks(on_event=lambda event: views[-1](event),
                              on_run_created=on_run_created,
                              on_download=_download_progress(console, quiet))
        select = run_holdout if command == "train" else run_cv
        try:
            result = select(config, runs_dir=runs_dir,
                            data_dir=str(data_dir) if data_dir else None,
                            jobs=jobs or default_jobs(), blas_threads=blas_threads,
                            resume=resume, argv=sys.argv[1:], callbacks=callbacks)
        finally:
            for view in views:
                view.__exit__(None, None, None)
    except (MlpselError, KeyboardInterrupt) as error:
        code = error.exit_code if isinstance(error, MlpselError) else EXIT_INTERRUPTED
        if code == EXIT_INTERRUPTED:
            again = shlex.join(["mlpsel", *sys.argv[1:]])
            _error_console().print(f"interrupted: finished trials are stored; run the same "
                                   f"command again to continue ({again})")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        raise _fail(error) from None

    summary = result.summary
    if not quiet:
        from mlpsel.report.loading import load_run_report
        from mlpsel.report.terminal import selection_summary

        console.print(selection_summary(load_run_report(result.run)))
    console.print(summary_line(summary), highlight=False, soft_wrap=True)
    failed = {name: summary["test"][name] for name, limit in thresholds.items()
              if summary["test"][name] < limit}
    if failed:
        _error_console().print("fail-under: " + ", ".join(
            f"{name} {value:.4f} < {thresholds[name]}" for name, value in failed.items()))
        raise typer.Exit(EXIT_NO_RESULT)


def summary_line(summary: dict[str, Any]) -> str:
    """The one line ``--quiet`` prints."""
    metric = summary["selection_metric"]
    best = summary["best"]
    if summary["command"] == "cv":
        chosen = (f"mean {metric} {best[f'mean_{metric}']:.4f} ± {best[f'std_{metric}']:.4f} "
                  f"over {summary['folds'] * summary['repeats']} folds")
    else:
        chosen = f"{metric} {best[metric]:.4f}"
    return (f"{summary['run_id']}: chose {best['trial_id']} ({chosen}); test accuracy "
            f"{summary['test']['test_accuracy']:.4f}; {summary['seconds']:.1f} s")


@app.command()
def train(
    config: ConfigArgument = None,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    jobs: JobsOption = None,
    blas_threads: BlasThreadsOption = 1,
    resume: ResumeOption = None,
    smoke: SmokeOption = False,
    fail_under: FailUnderOption = None,
    quiet: QuietOption = False,
) -> None:
    """Holdout model selection: train every grid point, choose on validation, test once."""
    _select("train", config, set_values, data_dir, runs_dir, jobs, blas_threads, resume, smoke,
            fail_under, quiet, [])


@app.command()
def cv(
    config: ConfigArgument = None,
    folds: Annotated[int | None, typer.Option("--folds", "-k", min=2, help="k of k-fold "
                                              "[default: cv.folds of the config, 5].",
                                              show_default=False)] = None,
    repeats: Annotated[int | None, typer.Option("--repeats", min=1, help="Repeated k-fold with "
                                                "a new shuffle each repeat [default: cv.repeats, "
                                                "1].", show_default=False)] = None,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    jobs: JobsOption = None,
    blas_threads: BlasThreadsOption = 1,
    resume: ResumeOption = None,
    smoke: SmokeOption = False,
    fail_under: FailUnderOption = None,
    quiet: QuietOption = False,
) -> None:
    """k-fold cross-validation: choose on the mean over folds, refit on all training data,
    test once."""
    extra = []
    if folds is not None:
        extra.append(f"cv.folds={folds}")
    if repeats is not None:
        extra.append(f"cv.repeats={repeats}")
    _select("cv", config, set_values, data_dir, runs_dir, jobs, blas_threads, resume, smoke,
            fail_under, quiet, extra)


@app.command()
def report(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, a run folder, or "
                                       "'latest'.")] = "latest",
    output_format: Annotated[str, typer.Option(
        "--format", "-f", help="terminal | md (Markdown, e.g. for a CI job summary) | json | "
        "html (writes report.html into the run folder)")] = "terminal",
    runs_dir: RunsDirOption = Path("runs"),
) -> None:
    """Report a run: what was run, the ranking, the chosen network's test scores, per class."""
    from mlpsel.report.loading import load_run_report
    from mlpsel.store import resolve_run

    formats = ("terminal", "md", "json", "html")
    try:
        if output_format not in formats:
            raise ConfigError(f"unknown format '{output_format}'; valid: {', '.join(formats)}",
                              key="--format")
        folder = resolve_run(run, runs_dir)
        loaded = load_run_report(folder)
    except MlpselError as error:
        raise _fail(error) from None
    if output_format == "terminal":
        from mlpsel.report.terminal import render_terminal

        _console().print(render_terminal(loaded))
    elif output_format == "md":
        from mlpsel.report.markdown import render_markdown

        sys.stdout.write(render_markdown(loaded))
    elif output_format == "json":
        import json

        from mlpsel.report.json_report import render_json

        sys.stdout.write(json.dumps(render_json(loaded), indent=2, allow_nan=False) + "\n")
    else:
        from mlpsel.report.html import write_html

        print(write_html(loaded))


@app.command()
def runs(runs_dir: RunsDirOption = Path("runs")) -> None:
    """List the runs, newest first: id, start, command, dataset, grid points, scores, status."""
    from mlpsel.report.runs import runs_table

    _console().print(runs_table(runs_dir))


@app.command()
def compare(
    first: Annotated[str, typer.Argument(help="Run A (id, prefix, folder or 'latest').")],
    second: Annotated[str, typer.Argument(help="Run B.")],
    runs_dir: RunsDirOption = Path("runs"),
) -> None:
    """Two runs side by side: settings that differ, scores, per-class recall differences."""
    from mlpsel.report.runs import compare_runs
    from mlpsel.store import resolve_run

    try:
        folders = resolve_run(first, runs_dir), resolve_run(second, runs_dir)
    except MlpselError as error:
        raise _fail(error) from None
    _console().print(compare_runs(*folders))


def _download_progress(console: Console, quiet: bool):
    """A progress callback for dataset downloads: one rich bar per file."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    progress = Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(),
                        console=console, transient=True)
    bars: dict[str, Any] = {}
    drawing = {"live": False}

    def on_download(file_name: str, done: int, total: int | None) -> None:
        if quiet:
            return
        if not drawing["live"]:
            progress.start()
            drawing["live"] = True
        if file_name not in bars:
            bars[file_name] = progress.add_task(f"downloading {file_name}", total=total)
        progress.update(bars[file_name], completed=done)
        if total is not None and done >= total:
            progress.stop()
            drawing["live"] = False

    return on_download


def main() -> None:
    """Entry point of the ``mlpsel`` script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C outside a command
        sys.exit(EXIT_INTERRUPTED)
