"""The ``mlpsel`` command: parse options, call the library, render the results.

Each command forwards to one library call (:func:`mlpsel.study.run_study` for ``train`` and
``cv``, :mod:`mlpsel.report` for the rest) and draws what comes back; live progress is drawn here
from the library's events. Errors are printed as one line and turned into an exit code by the one
map below (:data:`EXIT_CODES`):

====  ===========================================================================================
0     success
1     no trial succeeded, a worker died, or a ``--fail-under`` threshold was not met
2     bad usage, bad config, bad data, a run that does not exist or is damaged, a sweep past a
      size limit without ``--yes``, or a file that cannot be written (the run is then marked
      ``incomplete`` and the same command continues it)
130   interrupted (Ctrl-C); finished trials are stored and the run can be continued
143   terminated (SIGTERM): as 130 (worker processes die with the main process, even at kill -9)
129   hung up (SIGHUP: the terminal went away): as 130
====  ===========================================================================================
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mlpsel.errors import (
    ConfigError,
    Interrupted,
    MlpselError,
    NoSuccessfulTrial,
    RunAlreadyFinished,
    TrialError,
    WorkerDied,
)
from mlpsel.metrics import SCORES, TEST_SCORES
from mlpsel.version import __version__

EXIT_OK = 0
EXIT_NO_RESULT = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM: stopped as Ctrl-C stops, at a SIGTERM (SIGHUP: 129)

# The one map from error kinds to exit codes: the first class an error is an instance of wins.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (Interrupted, EXIT_INTERRUPTED),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
    (NoSuccessfulTrial, EXIT_NO_RESULT),
    (WorkerDied, EXIT_NO_RESULT),
    (TrialError, EXIT_NO_RESULT),
    (MlpselError, EXIT_BAD_INPUT),
)


def exit_code(error: BaseException) -> int:
    """The exit code of an error (see :data:`EXIT_CODES`)."""
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))

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


class ExecutorName(str, Enum):
    local = "local"
    dask = "dask"


ExecutorOption = Annotated[
    ExecutorName | None,
    typer.Option("--executor", help="Where trials run: local (worker processes here) or dask "
                 "(a Dask cluster; needs mlpsel[dask]) [default: the config's executor:, local].",
                 show_default=False),
]
AddressOption = Annotated[
    str | None,
    typer.Option("--address", help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies "
                 "--executor dask). With --executor dask and no address, DASK_SCHEDULER_ADDRESS "
                 "or else a local Dask cluster.", show_default=False),
]
SchedulerFileOption = Annotated[
    Path | None,
    typer.Option("--scheduler-file", help="With --executor dask: the scheduler's JSON file "
                 "('dask scheduler --scheduler-file FILE').", show_default=False),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Run a sweep past a size limit (over 1,000 trials, "
                       "roughly 12 hours, 10 GB or the free disk space).")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the trials that would run and what they would "
                       "cost (time, disk), and exit; nothing is trained or written.")]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the final summary line."),
]

# --fail-under takes the test scores where higher is better.
TEST_METRICS = tuple(name for name in TEST_SCORES if SCORES[name].higher_is_better)


class ReportFormat(str, Enum):
    terminal = "terminal"
    md = "md"
    json = "json"
    html = "html"


def _print_version(value: bool) -> None:
    if value:
        print(f"mlpsel {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _commands(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Model selection for NumPy back-propagation MLPs (see 'mlpsel COMMAND --help')."""


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:  # CI logs: wide enough for the tables, no bars
        console = Console(highlight=False, width=max(console.width, 140))
    return console


def _error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class _SigtermStop:
    """While a sweep runs, SIGTERM (and SIGHUP: the terminal went away) stops it as Ctrl-C does
    (the run is marked interrupted, finished trials are kept); ``received`` is the signal that
    arrived, if one did. ``restore()`` puts back the old handlers."""

    SIGNALS = (signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self.previous[number] = signal.signal(number, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.received = signum
        raise KeyboardInterrupt

    def __bool__(self) -> bool:
        return self.received is not None

    @property
    def exit_code(self) -> int:
        """128 + the signal: 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + int(self.received or 0)

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""

    def restore(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _fail(error: MlpselError) -> typer.Exit:
    from rich.markup import escape

    _error_console().print(f"[bold red]error:[/] {escape(str(error))}", markup=True)
    return typer.Exit(exit_code(error))


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


@dataclass
class SelectionArguments:
    """The options ``train`` and ``cv`` share, as the user gave them."""

    config_path: Path | None
    set_values: list[str]
    data_dir: Path | None
    runs_dir: Path
    jobs: int | None
    blas_threads: int
    resume: str | None
    smoke: bool
    fail_under: list[str]
    quiet: bool
    executor: ExecutorName | None = None
    address: str | None = None
    scheduler_file: Path | None = None
    yes: bool = False
    dry_run: bool = False


class SweepView:
    """Draws the events of one study: downloads, the run's start, then the sweep's progress."""

    def __init__(self, console: Console, metric: str, quiet: bool) -> None:
        self.console = console
        self.metric = metric
        self.quiet = quiet
        self.download = _download_progress(console, quiet)
        self.progress: Any = None

    def __call__(self, event: Any) -> None:
        from mlpsel.events import DownloadProgress, ExecutorStarted, Notice, RunStarted
        from mlpsel.progress import SweepProgress
        from mlpsel.results import higher_is_better

        if isinstance(event, DownloadProgress):
            self.download(event.file_name, event.done, event.total)
        elif isinstance(event, ExecutorStarted):  # never on a cluster silently, even --quiet
            _error_console().print(event.description)
        elif isinstance(event, Notice):
            _error_console().print(event.text)
        elif isinstance(event, RunStarted):
            if not self.quiet:
                verb = "continuing" if event.continued else "run"
                self.console.print(f"{verb} [bold]{event.run_id}[/]: {event.n_tasks} trials × "
                                   f"{event.epochs} epochs → {event.path}")
            self.close()
            self.progress = SweepProgress(
                self.console, event.n_tasks, metric=self.metric,
                higher_is_better=higher_is_better(self.metric),
                splits_per_grid_point=event.splits_per_grid_point, quiet=self.quiet).__enter__()
        elif self.progress is not None:
            self.progress(event)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)
            self.progress = None


def _select(command: str, arguments: SelectionArguments, extra_overrides: list[str]) -> None:
    """The shared body of ``train`` and ``cv``: parse, run the study, render."""
    from mlpsel.config import load_config, smoke_config
    from mlpsel.executor import default_jobs
    from mlpsel.report.figures import RunFigures
    from mlpsel.study import StudyOptions, run_study

    console = _console()
    terminated = _SigtermStop()
    try:
        thresholds = parse_fail_under(arguments.fail_under)
        if arguments.data_dir is not None and not arguments.data_dir.is_dir():
            raise ConfigError(f"no such folder '{arguments.data_dir}' (from --data-dir or "
                              "MLPSEL_DATA_DIR); give a folder holding <name>/<IDX files>, or "
                              "leave it out to use the cache or a download")
        config = load_config(arguments.config_path, [*arguments.set_values, *extra_overrides])
        if arguments.smoke:
            config = smoke_config(config)
        jobs = arguments.jobs or default_jobs()
        options = StudyOptions(
            runs_dir=arguments.runs_dir,
            data_dir=str(arguments.data_dir) if arguments.data_dir else None, jobs=jobs,
            blas_threads=arguments.blas_threads, resume=arguments.resume, argv=sys.argv[1:],
            executor=(arguments.executor.value if arguments.executor else
                      "dask" if arguments.address or arguments.scheduler_file else None),
            address=arguments.address,
            scheduler_file=str(arguments.scheduler_file) if arguments.scheduler_file else None,
            assume_yes=arguments.yes, dry_run=arguments.dry_run)
        if arguments.dry_run:
            from mlpsel.study import plan_study

            _print_dry_run(console, plan_study(command, config, options,
                                               on_event=SweepView(console, "", True)))
            return
        view = SweepView(console, config["selection.metric"], arguments.quiet)
        try:
            result = run_study(command, config, options, on_event=view,
                               figures=RunFigures(parallel=jobs > 1))
        finally:
            view.close()
    except RunAlreadyFinished as finished:
        console.print(str(finished), highlight=False, soft_wrap=True)
        return
    except (MlpselError, KeyboardInterrupt) as error:
        if exit_code(error) == EXIT_INTERRUPTED:
            again = shlex.join(["mlpsel", *sys.argv[1:]])
            how = f"terminated ({terminated.name})" if terminated else "interrupted"
            _error_console().print(f"{how}: finished trials are stored; run the same "
                                   f"command again to continue ({again})")
            raise typer.Exit(terminated.exit_code if terminated else EXIT_INTERRUPTED) from None
        raise _fail(error) from None
    finally:
        terminated.restore()

    summary = result.summary
    if not arguments.quiet and result.evaluation is None:
        for trial_id, reading in summary.get("readings", {}).items():
            console.print(f"{trial_id}: {reading}", highlight=False, soft_wrap=True)
    elif not arguments.quiet:
        from mlpsel.report.loading import report_from_study
        from mlpsel.report.terminal import selection_summary

        console.print(selection_summary(report_from_study(result)))
    console.print(summary_line(summary), highlight=False, soft_wrap=True)
    missing = [name for name in thresholds if name not in summary["test"]]
    if missing:
        raise _fail(ConfigError(f"this run has no {', '.join(missing)} (a regression run is "
                                "scored by its squared error)", key="--fail-under"))
    failed = {name: summary["test"][name] for name, limit in thresholds.items()
              if summary["test"][name] < limit}
    if failed:
        _error_console().print("fail-under: " + ", ".join(
            f"{name} {value:.4f} < {thresholds[name]}" for name, value in failed.items()))
        raise typer.Exit(EXIT_NO_RESULT)


DRY_RUN_ROWS = 40


def _print_dry_run(console: Console, planned: Any) -> None:
    """``--dry-run``: the tasks the sweep would train (the first :data:`DRY_RUN_ROWS`), their
    sizes, and the estimate with the limits it passes."""
    from rich.table import Table

    from mlpsel.budget import limits_passed

    strategy = planned.strategy
    tasks = strategy.listed_tasks()
    table = Table(title=f"{strategy.command}: the trials that would run", title_justify="left")
    for column in ("task", "settings", "train rows", "validation rows", "epochs"):
        table.add_column(column, justify="right" if "rows" in column or column == "epochs"
                         else "left")
    for task in tasks[:DRY_RUN_ROWS]:
        settings = ", ".join(f"{key.split('.')[-1]}={value}"
                             for key, value in task.grid_point.params.items())
        n_validation = len(task.validation_index) if task.validation_index is not None else 0
        table.add_row(task.task_id, settings or "(the config's)", f"{len(task.train_index):,}",
                      f"{n_validation:,}", str(task.total_epochs))
    console.print(table)
    if len(tasks) > DRY_RUN_ROWS:
        console.print(f"… and {len(tasks) - DRY_RUN_ROWS:,} more")
    estimate = planned.estimate
    console.print(f"dry run: {estimate.describe()}; nothing was trained or written",
                  highlight=False, soft_wrap=True)
    passed = limits_passed(estimate)
    if passed:
        console.print(f"past the limits ({', '.join(passed)}): it would need --yes",
                      highlight=False, soft_wrap=True)


def summary_line(summary: dict[str, Any]) -> str:
    """The one line ``--quiet`` prints."""
    if summary["command"] == "biasvar":
        return (f"{summary['run_id']}: bias and variance of {summary['n_grid_points']} grid "
                f"points over {summary['rounds']} rounds of {summary['train_size']} samples; "
                f"{summary['seconds']:.1f} s")
    if summary["command"] == "curve":
        verdicts = [text.split(":", 1)[0] for text in summary["readings"].values()]
        return (f"{summary['run_id']}: learning curves of {summary['n_grid_points']} grid points "
                f"at {len(summary['train_sizes'])} sizes × {summary['folds'] * summary['repeats']}"
                f" folds ({', '.join(verdicts)}); {summary['seconds']:.1f} s")
    metric = summary["selection_metric"]
    best = summary["best"]
    if summary["command"] == "cv":
        chosen = (f"mean {metric} {best[f'mean_{metric}']:.4f} ± {best[f'std_{metric}']:.4f} "
                  f"over {summary['folds'] * summary['repeats']} folds")
    else:
        chosen = f"{metric} {best[metric]:.4f}"
    test = summary["test"]
    scored = (f"test accuracy {test['test_accuracy']:.4f}" if "test_accuracy" in test
              else f"test squared error {test['test_loss']:.4f}")
    return f"{summary['run_id']}: chose {best['trial_id']} ({chosen}); {scored}; " \
           f"{summary['seconds']:.1f} s"


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
    executor: ExecutorOption = None,
    address: AddressOption = None,
    scheduler_file: SchedulerFileOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Holdout model selection: train every grid point, choose on validation, test once."""
    _select("train", SelectionArguments(config, set_values or [], data_dir, runs_dir, jobs,
                                        blas_threads, resume, smoke, fail_under or [], quiet,
                                        executor, address, scheduler_file, yes, dry_run), [])


@app.command()
def cv(
    config: ConfigArgument = None,
    folds: Annotated[int | None, typer.Option("--folds", "-k", min=2, help="k of k-fold "
                                              "[default: cv.folds of the config, 5].",
                                              show_default=False)] = None,
    repeats: Annotated[int | None, typer.Option("--repeats", min=1, help="Repeated k-fold with "
                                                "a new shuffle each repeat [default: cv.repeats, "
                                                "1].", show_default=False)] = None,
    outer_folds: Annotated[int | None, typer.Option(
        "--outer-folds", min=2, help="Nested CV: K outer folds, each choosing by the inner "
        "k-fold and scoring its choice on the outer fold (nested_results.csv) [default: "
        "cv.outer_folds, 0: off].", show_default=False)] = None,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    jobs: JobsOption = None,
    blas_threads: BlasThreadsOption = 1,
    resume: ResumeOption = None,
    smoke: SmokeOption = False,
    fail_under: FailUnderOption = None,
    quiet: QuietOption = False,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    scheduler_file: SchedulerFileOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """k-fold cross-validation: choose on the mean over folds, refit on all training data,
    test once (with --outer-folds: nested CV says how far to trust the choice)."""
    extra = []
    if folds is not None:
        extra.append(f"cv.folds={folds}")
    if repeats is not None:
        extra.append(f"cv.repeats={repeats}")
    if outer_folds is not None:
        extra.append(f"cv.outer_folds={outer_folds}")
    _select("cv", SelectionArguments(config, set_values or [], data_dir, runs_dir, jobs,
                                     blas_threads, resume, smoke, fail_under or [], quiet,
                                     executor, address, scheduler_file, yes, dry_run), extra)


@app.command()
def curve(
    config: ConfigArgument = None,
    train_sizes: Annotated[str | None, typer.Option(
        "--train-sizes", help="Training-set sizes, fractions of each fold's training part "
        "(0.1,0.25,0.5,1.0) or counts (1000,5000) [default: curve.train_sizes].",
        show_default=False)] = None,
    folds: Annotated[int | None, typer.Option("--folds", "-k", min=2, help="k of k-fold "
                                              "[default: cv.folds of the config, 5].",
                                              show_default=False)] = None,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    jobs: JobsOption = None,
    blas_threads: BlasThreadsOption = 1,
    resume: ResumeOption = None,
    smoke: SmokeOption = False,
    quiet: QuietOption = False,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    scheduler_file: SchedulerFileOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Learning curves: error against training-set size for every grid point, on every fold, and
    a reading (high bias, high variance, converged). The test set is not touched."""
    extra = []
    if train_sizes is not None:
        extra.append(f"curve.train_sizes=[{train_sizes}]")
    if folds is not None:
        extra.append(f"cv.folds={folds}")
    _select("curve", SelectionArguments(config, set_values or [], data_dir, runs_dir, jobs,
                                        blas_threads, resume, smoke, [], quiet, executor,
                                        address, scheduler_file, yes, dry_run), extra)


@app.command()
def biasvar(
    config: ConfigArgument = None,
    rounds: Annotated[int | None, typer.Option("--rounds", min=2, help="Training sets per grid "
                                               "point [default: biasvar.rounds, 20].",
                                               show_default=False)] = None,
    train_size: Annotated[int | None, typer.Option("--train-size", min=1, help="Samples per "
                                                   "training set [default: biasvar.train_size]."
                                                   , show_default=False)] = None,
    bootstrap: Annotated[bool, typer.Option("--bootstrap", help="Draw each training set with "
                                            "replacement instead of disjoint sets.")] = False,
    set_values: SetOption = None,
    data_dir: DataDirOption = None,
    runs_dir: RunsDirOption = Path("runs"),
    jobs: JobsOption = None,
    blas_threads: BlasThreadsOption = 1,
    resume: ResumeOption = None,
    smoke: SmokeOption = False,
    quiet: QuietOption = False,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    scheduler_file: SchedulerFileOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Bias and variance: every grid point trained on many independent training sets, each
    round predicting the validation part; 0-1 loss = bias + net variance (Domingos 2000).
    The test set is not touched."""
    extra = []
    if rounds is not None:
        extra.append(f"biasvar.rounds={rounds}")
    if train_size is not None:
        extra.append(f"biasvar.train_size={train_size}")
    if bootstrap:
        extra.append("biasvar.bootstrap=true")
    _select("biasvar", SelectionArguments(config, set_values or [], data_dir, runs_dir, jobs,
                                          blas_threads, resume, smoke, [], quiet, executor,
                                          address, scheduler_file, yes, dry_run), extra)


@app.command()
def report(
    run: Annotated[str, typer.Argument(help="A run id, a unique prefix of one, a run folder, or "
                                       "'latest'.")] = "latest",
    output_format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="terminal | md (Markdown, e.g. for a CI job summary) | json | "
        "html (a self-contained page, written into the run folder)")] = ReportFormat.terminal,
    runs_dir: RunsDirOption = Path("runs"),
) -> None:
    """Report a run: what was run, the ranking, the chosen network's test scores, per class."""
    from mlpsel.report.loading import load_run_report
    from mlpsel.store import resolve_run

    try:
        loaded = load_run_report(resolve_run(run, runs_dir))
    except MlpselError as error:
        raise _fail(error) from None
    if output_format is ReportFormat.terminal:
        from mlpsel.report.terminal import render_terminal

        _console().print(render_terminal(loaded))
    elif output_format is ReportFormat.md:
        from mlpsel.report.markdown import render_markdown

        sys.stdout.write(render_markdown(loaded))
    elif output_format is ReportFormat.json:
        import json

        from mlpsel.report.json_report import render_json

        sys.stdout.write(json.dumps(render_json(loaded), indent=2, allow_nan=False) + "\n")
    else:
        from mlpsel.report.html import write_html

        try:
            path = write_html(loaded)
        except MlpselError as error:
            raise _fail(error) from None
        print(path)


@app.command()
def runs(runs_dir: RunsDirOption = Path("runs")) -> None:
    """List the runs, newest first: id, start, command, dataset, grid points, scores, status."""
    from mlpsel.report.runs import runs_table

    try:
        table = runs_table(runs_dir)
    except MlpselError as error:
        raise _fail(error) from None
    _console().print(table)


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
        view = compare_runs(*folders)
    except MlpselError as error:
        raise _fail(error) from None
    _console().print(view)


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
    """Entry point of the ``mlpsel`` script: a usage mistake (an unknown option or command, a
    value out of range) is one line on stderr with exit 2, as every other bad input."""
    if len(sys.argv) <= 1:  # bare 'mlpsel': the help
        app()
    try:
        code = app(standalone_mode=False)
    except typer.exceptions.TyperException as error:  # Click's usage errors, as Typer has them
        message = " ".join(str(getattr(error, "format_message", error.__str__)()).split())
        context = getattr(error, "ctx", None)
        where = f" (see '{context.command_path} --help')" if context is not None else ""
        _error_console().print(f"error: {message}{where}", markup=False)
        code = getattr(error, "exit_code", EXIT_BAD_INPUT)
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C outside a sweep
        code = EXIT_INTERRUPTED
    sys.exit(code or EXIT_OK)
