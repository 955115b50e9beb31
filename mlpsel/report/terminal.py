"""Terminal reports (rich renderables): the end of ``mlpsel train`` and ``mlpsel report``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rich.color import Color
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from mlpsel.report.loading import (
    EXAMINATION_COLUMNS,
    MISSING,
    TEST_SCORE_LABELS,
    VALIDATION_METRICS,
    RunReport,
    accuracy_interval,
    format_parameter,
    format_score,
    format_seconds,
    is_missing,
    metric_label,
    nested_sentence,
    round_label,
    short_parameter_labels,
    split_description,
    status_note,
    threshold_sentence,
    tied_mark,
    two_by_two,
)


def _format(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def per_class_table(per_class: pd.DataFrame) -> Table:
    table = Table(title="Per class on the test set", title_justify="left")
    for column in ("class", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for values in per_class.to_dict("records"):
        table.add_row(str(values["class"]), _format(values["precision"]),
                      _format(values["recall"]), _format(values["f1"]), str(values["support"]))
    return table


# ---------------------------------------------------------------------------------------------
# The full report of a run folder (``mlpsel report RUN``)

STATUS_STYLES = {"finished": "bold green", "running": "bold yellow", "interrupted": "bold yellow",
                 "incomplete": "bold yellow", "failed": "bold red"}


def _not_available(what: str) -> Text:
    return Text(f"{what}: not available yet", style="dim italic")


def run_overview_table(report: RunReport) -> Table:
    """What was run: command, dataset, split or folds, grid size, seed, time taken, status."""
    table = Table(title=f"Run {report.run_id}", title_justify="left", show_header=False,
                  box=None, padding=(0, 2, 0, 0))
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("command", report.command_line)
    table.add_row("dataset", report.dataset or MISSING)
    table.add_row("folds" if report.kind == "cv" else "split", split_description(report))
    grid = report.n_grid_points
    table.add_row("grid", (f"{grid} grid points" if grid is not None else MISSING)
                  + (f" over {', '.join(report.varying_parameter_keys)}"
                     if report.varying_parameter_keys else ""))
    table.add_row("selection metric", metric_label(report.selection_metric)
                  + (" (higher is better)" if report.higher_is_better else " (lower is better)"))
    table.add_row("seed", format_parameter(report.seed))
    table.add_row("started", report.started or MISSING)
    table.add_row("time taken", format_seconds(report.seconds))
    table.add_row("status", Text(report.status, style=STATUS_STYLES.get(report.status, "bold")))
    return table


def ranking_table(report: RunReport) -> Table:
    """The ranking of grid points: validation metric mean ± std across folds, rank, fit time."""
    results = report.results
    metric = report.selection_metric
    others = [f"validation_{m}" for m in VALIDATION_METRICS if f"validation_{m}" != metric]
    splits = "1 holdout split" if report.n_splits == 1 else f"{report.n_splits} splits"
    title = (f"Grid points ranked by {metric_label(metric)} (validation scores: mean ± std "
             f"over {splits}; ★ chosen"
             + ("; ≈ best: tied with it by the corrected t-test, Holm p ≥ 0.05"
                if report.n_splits > 1 else "") + ")")
    if not report.results_complete:
        title += " — partial"
    table = Table(title=title, title_justify="left")
    table.add_column("rank", justify="right")
    if report.is_halving:
        table.add_column("round", no_wrap=True)
    table.add_column("trial", no_wrap=True)
    for label in short_parameter_labels(report.parameter_keys):
        table.add_column(label, overflow="fold")
    table.add_column(metric_label(metric).removeprefix("validation "), justify="right")
    table.add_column("± std", justify="right")
    for other in others:
        table.add_column(metric_label(other).removeprefix("validation "), justify="right")
    table.add_column("best epoch", justify="right")
    table.add_column("fit s", justify="right")
    table.add_column("status", no_wrap=True)
    for values in results.to_dict("records"):
        is_best = report.is_chosen(values)
        cells = [str(values[report.rank_column]),
                 *([round_label(values)] if report.is_halving else []), values["trial_id"]]
        cells += [format_parameter(values[f"param_{key}"]) for key in report.parameter_keys]
        cells += [format_score(values[f"mean_{metric}"]), format_score(values[f"std_{metric}"])]
        cells += [format_score(values[f"mean_{other}"]) for other in others]
        cells += [format_score(values["mean_best_epoch"], 1 if report.n_splits > 1 else 0),
                  format_score(values["mean_fit_seconds"], 2)]
        ok = values["status"] == "ok"
        cells.append(Text(values["status"] + (" ★" if is_best else "")
                          + tied_mark(values, is_best),
                          style=None if ok else "red"))
        table.add_row(*cells, style="bold green" if is_best else None)
    return table


def chosen_network_text(report: RunReport) -> Text:
    """The chosen grid point, its validation score and its test scores."""
    text = Text()
    best = report.best_row
    label = "Chosen on validation" if report.best_is_final else "Best so far on validation"
    text.append(f"{label}: ", style="bold")
    parameters = ", ".join(f"{key}={format_parameter(value)}"
                           for key, value in report.best_params.items())
    text.append(f"{report.best_trial_id} {parameters}\n")
    if best is not None:
        metric = report.selection_metric
        std = best[f"std_{metric}"]
        text.append(f"{metric_label(metric)} {format_score(best[f'mean_{metric}'])}"
                    + ("" if is_missing(std) else f" ± {format_score(std)}") + "\n")
    for sentence in (nested_sentence(report), threshold_sentence(report)):
        if sentence:
            text.append(f"{sentence}\n")
    scores = report.test_scores
    if not scores:
        text.append(_not_available("Test set scores"))
        return text
    text.append("Test set (scored once): ", style="bold")
    text.append("  ".join(f"{label} {format_score(scores.get(key))}" for key, label in
                          TEST_SCORE_LABELS if key in scores))
    interval = accuracy_interval(scores, report.split_sizes.get("test"))
    if interval:
        text.append(f"\ntest accuracy{interval}")
    return text


def _share_style(share: float, is_diagonal: bool) -> Style:
    """White → blue (diagonal) or white → red (errors) by the share of the true class."""
    share = min(1.0, max(0.0, share))
    if is_diagonal:
        target = (33, 102, 172)
    else:
        share = min(1.0, share * 4)  # errors are small shares: make them visible
        target = (203, 24, 29)
    red, green, blue = (round(255 + (t - 255) * share) for t in target)
    return Style(bgcolor=Color.from_rgb(red, green, blue),
                 color="white" if share > 0.55 else "black")


def confusion_table(confusion: np.ndarray, class_names: tuple[str, ...]) -> Table:
    """``confusion[i, j]`` (true i, predicted j) with each cell coloured by its row share."""
    table = Table(title="Confusion matrix on the test set (rows: true class, columns: predicted;"
                  " colour: share of the row)", title_justify="left")
    table.add_column("true \\ predicted", style="bold")
    for name in class_names:
        table.add_column(name, justify="right")
    table.add_column("recall", justify="right")
    row_totals = confusion.sum(axis=1)  # (K,)
    for i, name in enumerate(class_names):
        cells: list[Any] = [name]
        for j in range(len(class_names)):
            share = confusion[i, j] / row_totals[i] if row_totals[i] else 0.0
            cells.append(Text(str(int(confusion[i, j])), style=_share_style(share, i == j)))
        cells.append(format_score(confusion[i, i] / row_totals[i] if row_totals[i] else None))
        table.add_row(*cells)
    return table


def failed_trials_table(failed: pd.DataFrame) -> Table:
    table = Table(title="Trials that failed", title_justify="left")
    table.add_column("trial")
    table.add_column("status", style="red")
    table.add_column("error", overflow="fold")
    for values in failed.to_dict("records"):
        table.add_row(values["trial_id"], values["status"], values["error"] or MISSING)
    return table


def render_terminal(report: RunReport) -> Group:
    """The whole report of a run as one rich renderable (``mlpsel report RUN``).

    Sections whose files are missing (a run still running or interrupted) say
    "not available yet" instead.
    """
    parts: list[Any] = [run_overview_table(report)]
    note = status_note(report)
    if note:
        parts.append(Text(note, style=STATUS_STYLES.get(report.status, "bold")))
    for problem in report.problems:
        parts.append(Text(f"could not read {problem}", style="red"))
    if report.readings:
        parts.append(readings_text(report))
        if report.examination is not None:
            parts.append(examination_table(report))
        return Group(*parts)
    if report.results is None:
        parts.append(_not_available("Ranking of grid points"))
    else:
        parts.append(ranking_table(report))
    parts.append(chosen_network_text(report) if report.best_trial_id
                 else _not_available("Chosen network"))
    if report.confusion is None:
        parts.append(_not_available("Confusion matrix"))
    else:
        parts.append(confusion_table(report.confusion, report.class_names))
        binary = two_by_two(report)
        if binary is not None:
            header, cells = binary
            table = Table(title="At the decision threshold, actual by predicted (test set)",
                          title_justify="left")
            for i, label in enumerate(header):
                table.add_column(label, justify="left" if i == 0 else "right")
            for row in cells:
                table.add_row(*row)
            parts.append(table)
    if report.per_class is None:
        parts.append(_not_available("Per-class precision, recall and F1"))
    else:
        parts.append(per_class_table(report.per_class))
    failed = report.failed_trials
    if len(failed):
        parts.append(failed_trials_table(failed))
    elif report.results is not None:
        parts.append(Text("No trial failed.", style="dim"))
    return Group(*parts)


def readings_text(report: RunReport) -> Text:
    """A learning curve's reading of every grid point (see the README's rule)."""
    if not report.readings:
        return _not_available("Learning-curve readings")
    title = ("Learning curves against training-set size (learning_curve.csv, learning_curve.png)"
             if report.kind == "curve" else "Bias and variance (biasvar.csv, biasvar.png)")
    text = Text(f"{title}:\n", style="bold")
    for trial_id, reading in report.readings.items():
        text.append(f"{trial_id}: {reading}\n", style=None)
    return text


def examination_table(report: RunReport) -> Table:
    """A curve or biasvar run's table (the columns of the Markdown report)."""
    frame = report.examination
    parameters = [c for c in frame.columns if c.startswith("param_")]
    numbers = [c for c in EXAMINATION_COLUMNS[report.kind] if c in frame.columns
               and frame[c].notna().any()]
    table = Table(title=f"{report.kind} table", title_justify="left")
    for column in ("trial", *(c.removeprefix("param_") for c in parameters)):
        table.add_column(column)
    for column in numbers:
        table.add_column(column.replace("_", " "), justify="right")
    for row in frame.to_dict("records"):
        table.add_row(row["trial_id"], *(format_parameter(row[c]) for c in parameters),
                      *(format_score(row[c]) for c in numbers))
    return table


def selection_summary(report: RunReport) -> Group:
    """What ``mlpsel train`` and ``mlpsel cv`` print at the end: the ranking, the chosen
    network with its test scores, the per-class table, and the trials that failed."""
    parts: list[Any] = [ranking_table(report), chosen_network_text(report)]
    if report.per_class is not None:
        parts.append(per_class_table(report.per_class))
    failed = report.failed_trials
    if len(failed):
        parts.append(failed_trials_table(failed))
    return Group(*parts)
