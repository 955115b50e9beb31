"""A Markdown report of a run, fit for a CI job summary (``mlpsel report RUN --format md``).

GitHub-flavoured Markdown: pipe tables, no HTML, no images, so it reads the same in a job
summary (``$GITHUB_STEP_SUMMARY``), a pull-request comment or a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

STATUS_MARKS = {"finished": "✅", "running": "⏳", "interrupted": "⚠️", "incomplete": "⚠️",
                "failed": "❌"}


def escape(value: Any) -> str:
    """A table cell: pipes escaped, newlines flattened."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
                   align: Sequence[str] | None = None) -> str:
    """A pipe table; ``align`` holds ``"left"`` or ``"right"`` per column."""
    align = align or ["left"] * len(header)
    rule = ["---:" if side == "right" else "---" for side in align]
    lines = ["| " + " | ".join(escape(cell) for cell in header) + " |",
             "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _examination_table(report: RunReport) -> str:
    """A curve or biasvar run's table: each grid point's settings and numbers."""
    table = report.examination
    if table is None:
        return ""
    parameters = [c for c in table.columns if c.startswith("param_")]
    numbers = [c for c in EXAMINATION_COLUMNS[report.kind] if c in table.columns
               and table[c].notna().any()]
    header = ["trial", *(c.removeprefix("param_") for c in parameters), *numbers]
    rows = [[f"`{row['trial_id']}`", *(format_parameter(row[c]) for c in parameters),
             *(format_score(row[c]) for c in numbers)] for row in table.to_dict("records")]
    return markdown_table(header, rows, ["left"] * (1 + len(parameters)) + ["right"] *
                          len(numbers))


def _not_available(what: str) -> str:
    return f"_{what}: not available yet._"


def _overview(report: RunReport) -> str:
    grid = report.n_grid_points
    rows = [
        ("command", f"`{report.command_line}`"),
        ("dataset", report.dataset or MISSING),
        ("folds" if report.kind == "cv" else "split", split_description(report)),
        ("grid", (f"{grid} grid points" if grid is not None else MISSING)
         + (f" over {', '.join(f'`{k}`' for k in report.varying_parameter_keys)}"
            if report.varying_parameter_keys else "")),
        ("selection metric", f"{metric_label(report.selection_metric)} "
         + ("(higher is better)" if report.higher_is_better else "(lower is better)")),
        ("seed", format_parameter(report.seed)),
        ("started", report.started or MISSING),
        ("time taken", format_seconds(report.seconds)),
        ("status", f"{STATUS_MARKS.get(report.status, '')} {report.status}".strip()),
    ]
    return markdown_table(["", ""], rows)


def _ranking(report: RunReport) -> str:
    results = report.results
    metric = report.selection_metric
    others = [f"validation_{m}" for m in VALIDATION_METRICS if f"validation_{m}" != metric]
    splits = "1 holdout split" if report.n_splits == 1 else f"{report.n_splits} splits"
    rounds = ["round"] if report.is_halving else []
    header = ["rank", *rounds, "trial", *short_parameter_labels(report.parameter_keys),
              f"{metric_label(metric)} (mean ± std)", *[metric_label(o) for o in others],
              "best epoch", "fit s", "status"]
    align = ["right", *["left"] * len(rounds), "left", *["left"] * len(report.parameter_keys),
             "right", *["right"] * len(others), "right", "right", "left"]
    rows = []
    for values in results.to_dict("records"):
        is_best = report.is_chosen(values)
        std = values[f"std_{metric}"]
        score = format_score(values[f"mean_{metric}"]) + " ± " + format_score(std)
        cells = [str(values[report.rank_column]),
                 *([round_label(values)] if rounds else []), f"`{values['trial_id']}`"]
        cells += [format_parameter(values[f"param_{key}"]) for key in report.parameter_keys]
        cells += [f"**{score}**" if is_best else score]
        cells += [format_score(values[f"mean_{other}"]) for other in others]
        cells += [format_score(values["mean_best_epoch"], 1 if report.n_splits > 1 else 0),
                  format_score(values["mean_fit_seconds"], 2),
                  values["status"] + (" ★ chosen" if is_best else "")
                  + tied_mark(values, is_best)]
        rows.append(cells)
    partial = "" if report.results_complete else " — partial, from the trials finished so far"
    return (f"### Grid points ranked by {metric_label(metric)}{partial}\n\n"
            f"Validation scores are the mean ± standard deviation over {splits} "
            "(— where there is only one).\n\n" + markdown_table(header, rows, align))


def _chosen(report: RunReport) -> str:
    if report.best_trial_id is None:
        return "### Chosen network\n\n" + _not_available("Chosen network")
    label = "Chosen on validation" if report.best_is_final else "Best so far on validation"
    parameters = ", ".join(f"`{key}={format_parameter(value)}`"
                           for key, value in report.best_params.items())
    lines = [f"### {label}: `{report.best_trial_id}`", "", parameters or MISSING, ""]
    best = report.best_row
    if best is not None:
        metric = report.selection_metric
        std = best[f"std_{metric}"]
        lines += [f"{metric_label(metric)}: {format_score(best[f'mean_{metric}'])}"
                  + ("" if is_missing(std) else f" ± {format_score(std)}"), ""]
    for sentence in (nested_sentence(report), threshold_sentence(report)):
        if sentence:
            lines += [sentence, ""]
    scores = report.test_scores
    if not scores:
        lines.append(_not_available("Test set scores"))
    else:
        present = [(key, label) for key, label in TEST_SCORE_LABELS if key in scores]
        lines += ["Test set, scored once:", "",
                  markdown_table([label for _, label in present],
                                 [[format_score(scores[key]) for key, _ in present]],
                                 ["right"] * len(present))]
        interval = accuracy_interval(scores, report.split_sizes.get("test"))
        if interval:
            lines += ["", f"Test accuracy{interval}."]
    return "\n".join(lines)


def _confusion(report: RunReport) -> str:
    title = "### Confusion matrix (rows: true class, columns: predicted)\n\n"
    if report.confusion is None:
        return title + _not_available("Confusion matrix")
    names = report.class_names
    confusion = report.confusion
    rows = []
    for i, name in enumerate(names):
        cells = [f"**{name}**"]
        cells += [f"**{confusion[i, j]}**" if i == j else str(confusion[i, j]) if confusion[i, j]
                  else "·" for j in range(len(names))]
        rows.append(cells)
    table = title + markdown_table(["true \\ predicted", *names], rows,
                                   ["left", *["right"] * len(names)])
    binary = two_by_two(report)
    if binary is not None:
        header, cells = binary
        table += ("\n\nAt the decision threshold, actual by predicted:\n\n"
                  + markdown_table(header, cells, ["left", "right", "right", "right"]))
    return table


def _per_class(report: RunReport) -> str:
    title = "### Per class on the test set\n\n"
    if report.per_class is None:
        return title + _not_available("Per-class precision, recall and F1")
    curves = report.precision_recall_curves
    average_precision = ({str(c["class"]): c["average_precision"] for c in curves}
                         if curves else {})
    rows = [[str(row["class"]), format_score(row["precision"]), format_score(row["recall"]),
             format_score(row["f1"]), str(row["support"]),
             format_score(average_precision.get(str(row["class"])))]
            for row in report.per_class.to_dict("records")]
    return title + markdown_table(
        ["class", "precision", "recall", "F1", "support", "average precision"], rows,
        ["left", "right", "right", "right", "right", "right"])


def _failed(report: RunReport) -> str:
    failed = report.failed_trials
    if report.results is None:
        return ""
    if not len(failed):
        return "### Trials that failed\n\nNone."
    rows = [[f"`{row['trial_id']}`", row["status"], row["error"] or MISSING]
            for row in failed.to_dict("records")]
    return "### Trials that failed\n\n" + markdown_table(["trial", "status", "error"], rows)


def render_markdown(report: RunReport) -> str:
    """The whole report as GitHub-flavoured Markdown (ends with a newline)."""
    mark = STATUS_MARKS.get(report.status, "")
    parts = [f"## mlpsel {report.command} `{report.run_id}` {mark}".rstrip(), _overview(report)]
    note = status_note(report)
    if note:
        parts.append(f"> **{note}**")
    parts += [f"> could not read {problem}" for problem in report.problems]
    if report.readings:
        title = ("Learning curves against training-set size" if report.kind == "curve"
                 else "Bias and variance")
        parts.append(f"### {title}\n\n" + "\n".join(
            f"- `{trial_id}`: {reading}" for trial_id, reading in report.readings.items()))
        parts.append(_examination_table(report))
        return "\n\n".join(part for part in parts if part) + "\n"
    parts.append(_ranking(report) if report.results is not None
                 else "### Grid points\n\n" + _not_available("Ranking of grid points"))
    parts += [_chosen(report), _confusion(report), _per_class(report), _failed(report)]
    return "\n\n".join(part for part in parts if part) + "\n"
