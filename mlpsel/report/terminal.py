"""Terminal tables (rich renderables) for a finished selection."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text


def _format(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def trials_table(frame: pd.DataFrame, metric: str, best_trial_id: str | None) -> Table:
    """The ranking of grid points: parameters, validation scores (mean ± std across folds in a
    k-fold run), epochs, seconds, status."""
    parameter_columns = [c for c in frame.columns if c.startswith("param_")]
    rank_column = f"rank_{metric}"
    folds = f"mean_{metric}" in frame.columns
    table = Table(title=f"Grid points ranked by {'mean ' if folds else ''}{metric}",
                  title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("trial")
    for column in parameter_columns:
        table.add_column(column.removeprefix("param_"))
    for column in ("validation accuracy", "validation loss", "best epoch", "fit seconds"):
        table.add_column(column, justify="right")
    table.add_column("status")
    for values in frame.sort_values([rank_column, "trial_id"]).to_dict("records"):
        is_best = values["trial_id"] == best_trial_id
        cells = [str(values[rank_column]), values["trial_id"]]
        cells += [_format(values[c]) for c in parameter_columns]
        if folds:
            cells += [
                f"{_format(values['mean_validation_accuracy'])} ± "
                f"{_format(values['std_validation_accuracy'])}",
                f"{_format(values['mean_validation_loss'])} ± "
                f"{_format(values['std_validation_loss'])}",
                _format(values["mean_best_epoch"], 1), _format(values["mean_fit_seconds"], 2),
            ]
        else:
            cells += [_format(values["validation_accuracy"]), _format(values["validation_loss"]),
                      _format(values["best_epoch"]), _format(values["fit_seconds"], 2)]
        status = values["status"] if values["status"] == "ok" else f"[red]{values['status']}[/]"
        cells.append(status)
        table.add_row(*cells, style="bold green" if is_best else None)
    return table


def test_scores_text(summary: dict[str, Any]) -> Text:
    best = summary["best"]
    test = summary["test"]
    text = Text()
    text.append("Chosen on validation: ", style="bold")
    text.append(f"{best['trial_id']} {best['params']}\n")
    text.append("Test set (scored once): ", style="bold")
    text.append(
        f"accuracy {test['test_accuracy']:.4f}  macro precision {test['test_macro_precision']:.4f}"
        f"  macro recall {test['test_macro_recall']:.4f}  macro F1 {test['test_macro_f1']:.4f}"
    )
    return text


def per_class_table(per_class: pd.DataFrame) -> Table:
    table = Table(title="Per class on the test set", title_justify="left")
    for column in ("class", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for values in per_class.to_dict("records"):
        table.add_row(str(values["class"]), _format(values["precision"]),
                      _format(values["recall"]), _format(values["f1"]), str(values["support"]))
    return table


def selection_summary(frame: pd.DataFrame, summary: dict[str, Any],
                      per_class: pd.DataFrame | None = None) -> Group:
    """Everything ``mlpsel train`` prints at the end."""
    parts: list[Any] = [trials_table(frame, summary["selection_metric"],
                                     summary["best"]["trial_id"])]
    if per_class is not None:
        parts.append(per_class_table(per_class))
    parts.append(test_scores_text(summary))
    return Group(*parts)
