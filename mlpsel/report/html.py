"""A single self-contained HTML report of a run: ``<run>/report.html``.

Everything is inside the one file: the CSS inline, every figure a base64 PNG ``data:`` URI, no
script, no font or stylesheet from the network, so it opens anywhere, offline, and can be kept
as a CI artifact. Figures are drawn by :mod:`mlpsel.report.plots` from the :class:`RunReport`
(matplotlib is imported only when drawing); nothing here reads the run folder.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from mlpsel.atomic import write_text
from mlpsel.config import STRATEGY_SETTINGS, search_settings, search_space
from mlpsel.errors import StorageError
from mlpsel.report import plots
from mlpsel.report.loading import (
    MISSING,
    TEST_SCORE_LABELS,
    VALIDATION_METRICS,
    RunReport,
    accuracy_interval,
    flatten_config,
    format_parameter,
    format_score,
    format_seconds,
    is_missing,
    last_round_frame,
    metric_label,
    nested_sentence,
    round_label,
    short_parameter_labels,
    split_description,
    status_note,
    threshold_sentence,
    tied_mark,
)
from mlpsel.store import FIGURES, TABLES, is_inside

FIGURE_DPI = 96

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2433; background: #f6f7f9; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.5rem; margin: 0.2rem 0 1rem; }
h1 code { font-size: 1.2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #d5d9e0;
     padding-bottom: 0.25rem; }
h3 { font-size: 1.02rem; margin: 1.2rem 0 0.4rem; }
section { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: 0.4rem 1.2rem
          1rem; margin-top: 1.2rem; }
table { border-collapse: collapse; font-size: 0.88rem; margin: 0.4rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e6e8ec; text-align: left; }
th { background: #eef1f5; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #e5f5e8; font-weight: 600; }
tr.failed td { color: #b3261e; }
table.facts th { background: none; width: 11rem; }
figure { margin: 0.8rem 0 1.2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eceef2; background: #fff; }
figcaption { font-size: 0.85rem; color: #555e6e; margin-top: 0.3rem; }
.missing { color: #6b7280; font-style: italic; }
.banner { border-radius: 6px; padding: 0.7rem 1rem; margin: 1rem 0; font-weight: 600; }
.banner.running, .banner.interrupted, .banner.incomplete {
  background: #fff4d6; border: 1px solid #e6c35c; }
.banner.failed { background: #fde8e6; border: 1px solid #e08b84; }
.banner.other { background: #eef1f5; border: 1px solid #c8ced8; }
.status { font-weight: 700; }
.status.finished { color: #1e7b34; } .status.failed { color: #b3261e; }
.status.running, .status.interrupted, .status.incomplete { color: #9a6700; }
.scores { display: flex; gap: 1.2rem; flex-wrap: wrap; margin: 0.6rem 0; }
.score { background: #f0f4fa; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 7.5rem; }
.score .value { font-size: 1.3rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.score .label { font-size: 0.8rem; color: #555e6e; }
td code { white-space: nowrap; }
code { background: #f0f2f5; padding: 0.05rem 0.3rem; border-radius: 4px; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #6b7280; }
nav.contents { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px;
               padding: 0.6rem 1.2rem; font-size: 0.9rem; }
nav.contents ol { columns: 3; margin: 0.3rem 0 0; }
.settings { display: grid; grid-template-columns: repeat(3, 1fr); gap: 0.15rem 1.2rem;
            font-size: 0.88rem; }
.settings .searched { background: #f3f0fa; font-weight: 600; }
ul.files { columns: 3; font-size: 0.88rem; }
"""


@dataclass
class Figure:
    """One figure of the report: a PNG, or the reason there is none.

    Attributes
    ----------
    name : str
        Stable identifier, the ``data-figure`` attribute of its ``<img>``.
    title, caption : str
    png : bytes or None
    missing : str or None
        Why there is no picture ("not available yet", or an error).
    """

    name: str
    title: str
    caption: str
    png: bytes | None = None
    missing: str | None = None


def figure_png(figure: Any) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


PAGE_WIDTH_PX = 1216  # main's 1280 px less its padding: the widest a figure is shown
MIN_TEXT_PX = 9.0


def enlarge_small_text(figure: Any, min_px: float = MIN_TEXT_PX) -> None:
    """Raise every text of ``figure`` to at least ``min_px`` CSS pixels as the page shows it
    (a figure wider than the page is scaled down), then lay it out again."""
    from matplotlib.text import Text

    width_px = figure.get_figwidth() * FIGURE_DPI
    scale = min(1.0, PAGE_WIDTH_PX / width_px)
    min_points = min_px / scale * 72 / FIGURE_DPI
    for text in figure.findobj(Text):
        if text.get_text() and text.get_fontsize() < min_points:
            text.set_fontsize(min_points)
    figure.tight_layout()


def _draw(name: str, title: str, caption: str, available: bool,
          draw: Callable[[], Any], missing: str = "not available yet") -> Figure:
    if not available:
        return Figure(name, title, caption, missing=missing)
    try:
        figure = draw()
        enlarge_small_text(figure)
        return Figure(name, title, caption, png=figure_png(figure))
    except Exception as error:  # noqa: BLE001 - one broken figure must not lose the report
        return Figure(name, title, caption, missing=f"could not draw: {type(error).__name__}: "
                      f"{error}")


def _grid_point_titles(report: RunReport) -> dict[str, str]:
    if report.results is None:
        return {}
    keys = report.varying_parameter_keys
    labels = short_parameter_labels(keys)
    titles = {}
    for row in report.results.to_dict("records"):
        settings = " ".join(f"{label}={format_parameter(row[f'param_{key}'])}"
                            for key, label in zip(keys, labels, strict=True))
        status = "" if row["status"] == "ok" else f" ({row['status']})"
        rank = row[report.rank_column]
        titles[row["trial_id"]] = f"#{rank} {row['trial_id']}{status}\n{settings}".rstrip()
    return titles


def examination_figures(report: RunReport) -> list[Figure]:
    """A ``curve`` or ``biasvar`` run's picture."""
    table = report.examination
    if report.kind == "curve":
        return [_draw("learning_curve", "Error against training-set size",
                      "Training (dashed) and validation (solid) error of every grid point at each "
                      "training-set size, ±1 standard deviation across folds as bands.",
                      table is not None, lambda: plots.training_size_curve_figure(table))]
    return [_draw("biasvar", "Bias and variance against each varied setting",
                  "0-1 loss, bias, variance and net variance (Domingos 2000) on the validation "
                  "part; each point the mean over the other settings; the star marks the lowest "
                  "loss.", table is not None and bool((table["status"] == "ok").any()),
                  lambda: plots.biasvar_figure(table))]


def report_figures(report: RunReport) -> list[Figure]:
    """Every figure of the HTML report, drawn (or marked missing), in page order."""
    if report.kind in ("curve", "biasvar"):
        return examination_figures(report)
    best = report.best_trial_id
    histories = report.histories
    metric = report.selection_metric
    every_round = report.results
    # successive halving: the last round's candidates, each trained the full epochs
    results = last_round_frame(every_round) if every_round is not None else None
    mean_over_folds = " (mean over folds at each epoch)" if report.kind == "cv" else ""
    varying = report.varying_parameter_keys
    figures = [
        _draw("learning_curves", "Learning curves of the chosen network",
              "Loss and accuracy against epoch, train (solid) against validation (dashed)"
              f"{mean_over_folds}; right: validation accuracy of every grid point.",
              best is not None and best in histories,
              lambda: plots.learning_curves_figure(histories, best)),
        _draw("grid_learning_curves", "Learning curves of every grid point",
              f"One column per grid point, best first{mean_over_folds}: loss above, accuracy "
              "below; the chosen one is framed in green.",
              bool(histories),
              lambda: plots.grid_learning_curves_figure(histories, best,
                                                        _grid_point_titles(report))),
        _draw("validation_curves", "Validation curves: score against model complexity",
              f"{metric_label(metric)} against each hyperparameter that varies; the bold line "
              "holds the other settings at the chosen network's values (train score dashed "
              "where known), faint lines the other combinations; error bars are the standard "
              "deviation across folds.",
              results is not None and bool(varying)
              and bool((results["status"] == "ok").any()),
              lambda: plots.validation_curves_figure(results, metric, best, varying),
              missing="not available yet" if results is None or not (
                  results["status"] == "ok").any() else "no hyperparameter varies in this grid"),
    ]
    if report.is_halving:
        figures.append(_draw(
            "halving", "Successive halving, round by round",
            f"Mean {metric_label(metric)} of every candidate after each round's budget of "
            "epochs; the best third went on (continuing their trainings), the crosses were "
            "dropped; the chosen one in red.", True,
            lambda: plots.halving_figure(every_round, score_column=f"mean_{metric}",
                                         best_id=best)))
    if report.kind == "cv":
        figures.append(_draw(
            "fold_spread", "Spread across folds",
            f"{metric_label(metric)} of every grid point on each validation fold: a box per grid "
            "point, each fold a dot, the chosen one in red.",
            results is not None and bool((results["status"] == "ok").any()),
            lambda: plots.cv_spread_figure(results, metric=metric, n_splits=report.n_splits,
                                              best_id=best)))
    figures += [
        _draw("confusion_matrix", "Confusion matrix on the test set",
              "Rows: true class, columns: predicted class. Left: counts; right: each row "
              "divided by its total (recall on the diagonal).",
              report.confusion is not None,
              lambda: plots.confusion_heatmaps_figure(report.confusion, report.class_names)),
        _draw("per_class", "Per-class precision and recall on the test set",
              "Precision TP/(TP+FP): of the images predicted as the class, how many are it; "
              "recall TP/(TP+FN): of the images of the class, how many were found. Dotted: "
              "the macro averages.",
              report.per_class is not None,
              lambda: plots.per_class_bars_figure(report.per_class)),
        _draw("precision_recall", "One-vs-rest precision–recall curves on the test set",
              "Each class against the rest, moving the decision threshold over the predicted "
              "probability of that class; AP is the average precision (area under the step "
              "curve).",
              report.precision_recall_curves is not None,
              lambda: plots.precision_recall_curves_figure(report.precision_recall_curves)),
    ]
    if report.summary.get("threshold"):  # a binary task
        figures.append(_draw(
            "threshold", "The decision threshold",
            "Left: precision against recall on the validation part (solid) and the test set "
            "(dashed), the chosen threshold marked in red. Right: precision and recall against "
            "the threshold: recall can only fall as it grows, precision need not rise.",
            report.threshold_curve is not None,
            lambda: plots.threshold_figure(report.threshold_curve, report.summary["threshold"])))
    return figures


# ---------------------------------------------------------------------------------------------
# HTML pieces


def _missing(what: str) -> str:
    return f'<p class="missing">{escape(what)}: not available yet.</p>'


def _table(header: list[str], rows: list[tuple[list[str], str | None]],
           numeric: list[bool], css_class: str | None = None) -> str:
    """Rows are ``(escaped cells, row css class)``; header cells are escaped here."""
    def cell(tag: str, content: str, is_number: bool) -> str:
        attribute = ' class="number"' if is_number else ""
        return f"<{tag}{attribute}>{content}</{tag}>"

    def row(cells: list[str], row_class: str | None) -> str:
        attribute = f' class="{row_class}"' if row_class else ""
        contents = "".join(cell("td", content, is_number)
                           for content, is_number in zip(cells, numeric, strict=True))
        return f"<tr{attribute}>{contents}</tr>"

    head = "".join(cell("th", escape(h), n) for h, n in zip(header, numeric, strict=True))
    body = "".join(row(cells, row_class) for cells, row_class in rows)
    table_class = f' class="{css_class}"' if css_class else ""
    return f"<table{table_class}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _overview(report: RunReport) -> str:
    grid = report.n_grid_points
    varying = ", ".join(f"<code>{escape(k)}</code>" for k in report.varying_parameter_keys)
    facts = [
        ("run", f"<code>{escape(report.run_id)}</code>"),
        ("command", f"<code>{escape(report.command_line)}</code>"),
        ("dataset", escape(report.dataset or MISSING)),
        ("folds" if report.kind == "cv" else "split", escape(split_description(report))),
        ("grid", escape(f"{grid} grid points" if grid is not None else MISSING)
         + (f" over {varying}" if varying else "")),
        ("selection metric", escape(metric_label(report.selection_metric) + (
            " (higher is better)" if report.higher_is_better else " (lower is better)"))),
        ("seed", escape(format_parameter(report.seed))),
        ("started", escape(report.started or MISSING)),
        ("time taken", escape(format_seconds(report.seconds))),
        ("status", f'<span class="status {escape(report.status)}">'
                   f"{escape(report.status)}</span>"),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in facts)
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _settings(report: RunReport) -> str:
    """Every setting of the run (the resolved config), the searched ones marked."""
    if not report.config:
        return _missing("Settings")
    flat = flatten_config(report.config)
    space = search_space(report.config)
    settings = search_settings(report.config)
    items = []
    if settings["strategy"] != "grid":
        described = ", ".join(f"{name} {format_parameter(settings[name])}"
                              for name in STRATEGY_SETTINGS[settings["strategy"]]
                              if settings.get(name) is not None)
        text = settings["strategy"] + (f": {described}" if described else "")
        items.append(f'<div class="searched"><code>search.strategy</code> {escape(text)}</div>')
    for key, value in flat.items():
        if key.startswith("search."):
            continue
        candidates = space.get(key)
        if isinstance(candidates, dict):  # a distribution of random search
            (name, bounds), = candidates.items()
            shown = f"searched: {name} {format_parameter(bounds)}"
        elif candidates is not None:
            shown = "searched: " + ", ".join(format_parameter(v) for v in candidates)
        else:
            shown = format_parameter(value)
        css = ' class="searched"' if key in space else ""
        items.append(f"<div{css}><code>{escape(key)}</code> {escape(shown)}</div>")
    return f'<div class="settings">{"".join(items)}</div>'



def _files(report: RunReport) -> str:
    """Links to the run's files (relative to this page, which sits in the run folder)."""
    run = report.run
    candidates = [run.run_json, run.config_yaml, run.env_json, run.summary_json,
                  *(run.table(name) for name in TABLES), run.folds_npz, run.best_model,
                  run.predictions_csv, run.confusion_matrix_csv, run.per_class_csv,
                  *(run.figure(name) for name in FIGURES)]
    links = [f'<li><a href="{escape(path.relative_to(run.path).as_posix())}">'
             f"{escape(path.relative_to(run.path).as_posix())}</a></li>"
             for path in candidates if path.is_file() and is_inside(path, run.path)]
    trials = run.trials_dir
    if trials.is_dir() and is_inside(trials, run.path):  # a linked trials/ is not listed
        count = sum(1 for _ in trials.iterdir())
        links.append(f'<li><a href="{escape(trials.name)}/">{escape(trials.name)}/</a> '
                     f"({count} tasks: history, result, model)</li>")
    return f'<ul class="files">{"".join(links)}</ul>' if links else _missing("Files")


_RELATED_TITLES = {"curve": "Against training-set size", "biasvar": "Bias and variance"}


def _related(related: Any) -> str:
    """A related curve or biasvar run of the same experiment: its readings and picture."""
    parts = [f"<p>From run <code>{escape(related.run_id)}</code> of the same experiment "
             f"(<code>mlpsel {escape(related.kind)}</code>; its own report has the details).</p>"]
    parts += [f"<p><code>{escape(trial_id)}</code>: {escape(reading)}</p>"
              for trial_id, reading in related.readings.items()]
    if related.picture is not None:
        data = base64.b64encode(related.picture).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" '
                     f'alt="{escape(_RELATED_TITLES[related.kind])}" '
                     f'data-figure="related-{escape(related.kind)}"></figure>')
    return "".join(parts)


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def _ranking(report: RunReport) -> str:
    if report.results is None:
        return _missing("Ranking of grid points")
    metric = report.selection_metric
    others = [f"validation_{m}" for m in VALIDATION_METRICS if f"validation_{m}" != metric]
    keys = report.parameter_keys
    rounds = ["round"] if report.is_halving else []
    header = ["rank", *rounds, "trial", *keys, f"{metric_label(metric)} mean", "± std",
              *[metric_label(o) for o in others], "best epoch", "fit s", "status"]
    numeric = [True, *[False] * len(rounds), False, *[False] * len(keys), True, True,
               *[True] * len(others), True, True, False]
    rows = []
    for values in report.results.to_dict("records"):
        is_best = report.is_chosen(values)
        cells = [str(values[report.rank_column]),
                 *([escape(round_label(values))] if rounds else []),
                 f"<code>{escape(values['trial_id'])}</code>"]
        cells += [escape(format_parameter(values[f"param_{key}"])) for key in keys]
        cells += [format_score(values[f"mean_{metric}"]), format_score(values[f"std_{metric}"])]
        cells += [format_score(values[f"mean_{other}"]) for other in others]
        cells += [format_score(values["mean_best_epoch"], 1 if report.n_splits > 1 else 0),
                  format_score(values["mean_fit_seconds"], 2),
                  escape(values["status"] + (" ★ chosen" if is_best else "")
                         + tied_mark(values, is_best))]
        row_class = "chosen" if is_best else None if values["status"] == "ok" else "failed"
        rows.append((cells, row_class))
    splits = "1 holdout split" if report.n_splits == 1 else f"{report.n_splits} splits"
    partial = ("" if report.results_complete else
               '<p class="missing">Partial: rebuilt from the trials finished so far.</p>')
    return (f"<p>Validation scores: the mean ± standard deviation over {escape(splits)} "
            "(— where there is only one). The chosen grid point is highlighted.</p>"
            + partial + _table(header, rows, numeric))


def _chosen(report: RunReport) -> str:
    if report.best_trial_id is None:
        return _missing("Chosen network")
    label = "Chosen on validation" if report.best_is_final else "Best so far on validation"
    parameters = ", ".join(f"<code>{escape(k)}={escape(format_parameter(v))}</code>"
                           for k, v in report.best_params.items())
    parts = [f"<p><strong>{label}:</strong> <code>{escape(report.best_trial_id)}</code> "
             f"{parameters}</p>"]
    best = report.best_row
    if best is not None:
        metric = report.selection_metric
        std = best[f"std_{metric}"]
        parts.append(f"<p>{escape(metric_label(metric))}: "
                     f"{format_score(best[f'mean_{metric}'])}"
                     + ("" if is_missing(std) else f" ± {format_score(std)}") + "</p>")
    for sentence in (nested_sentence(report), threshold_sentence(report)):
        if sentence:
            parts.append(f"<p>{escape(sentence)}</p>")
    scores = report.test_scores
    if not scores:
        parts.append(_missing("Test set scores"))
    else:
        boxes = "".join(
            f'<div class="score"><div class="value">{format_score(scores[key])}</div>'
            f'<div class="label">{escape(metric_label(key))}</div></div>'
            for key, _ in TEST_SCORE_LABELS if key in scores)
        parts.append("<p>The test set, scored once, after the choice:</p>"
                     f'<div class="scores">{boxes}</div>')
        interval = accuracy_interval(scores, report.split_sizes.get("test"))
        if interval:
            parts.append(f"<p>Test accuracy{escape(interval)}.</p>")
    return "".join(parts)


def _per_class(report: RunReport) -> str:
    if report.per_class is None:
        return _missing("Per-class precision, recall and F1")
    curves = report.precision_recall_curves
    average_precision = ({str(c["class"]): c["average_precision"] for c in curves}
                         if curves else {})
    rows = [([escape(str(row["class"])), format_score(row["precision"]),
              format_score(row["recall"]), format_score(row["f1"]), str(row["support"]),
              format_score(average_precision.get(str(row["class"])))], None)
            for row in report.per_class.to_dict("records")]
    return _table(["class", "precision", "recall", "F1", "support", "average precision"], rows,
                  [False, True, True, True, True, True])


def _failed(report: RunReport) -> str:
    if report.results is None:
        return _missing("Trials that failed")
    failed = report.failed_trials
    if not len(failed):
        return "<p>No trial failed.</p>"
    rows = [([f"<code>{escape(row['trial_id'])}</code>", escape(row["status"]),
              escape(row["error"] or MISSING)], "failed") for row in failed.to_dict("records")]
    return _table(["trial", "status", "error"], rows, [False, False, False])


def _figure(figure: Figure) -> str:
    heading = f"<h3>{escape(figure.title)}</h3>"
    if figure.png is None:
        return (heading + f'<p class="missing" data-missing-figure="{escape(figure.name)}">'
                f"{escape(figure.title)}: {escape(figure.missing or 'not available yet')}.</p>")
    data = base64.b64encode(figure.png).decode("ascii")
    return (f'{heading}<figure><img src="data:image/png;base64,{data}" '
            f'alt="{escape(figure.title)}" data-figure="{escape(figure.name)}">'
            f"<figcaption>{escape(figure.caption)}</figcaption></figure>")


def _environment(report: RunReport) -> str:
    environment = report.environment
    if not environment:
        return ""
    blas = ", ".join(f"{pool.get('internal_api')} {pool.get('version')}"
                     for pool in environment.get("blas") or [])
    facts = [f"Python {environment.get('python', '?')}", f"NumPy {environment.get('numpy', '?')}",
             f"BLAS {blas or '?'}", f"CPU {environment.get('cpu', '?')} "
             f"({environment.get('cpu_count', '?')} cores)",
             f"git {environment.get('git_commit') or 'unknown'}"]
    return escape(" · ".join(facts))


def render_html(report: RunReport, figures: list[Figure] | None = None) -> str:
    """The whole report as one self-contained HTML document.

    Parameters
    ----------
    report : RunReport
    figures : list of Figure, optional
        Already drawn (default: :func:`report_figures`).
    """
    figures = report_figures(report) if figures is None else figures
    by_name = {figure.name: figure for figure in figures}
    note = status_note(report)
    banner = ""
    if note:
        kind = report.status if report.status in ("running", "interrupted", "incomplete",
                                                  "failed") else "other"
        banner = f'<div class="banner {kind}">{escape(note)}</div>'
    problems = "".join(f'<p class="missing">could not read {escape(p)}</p>'
                       for p in report.problems)

    def figures_of(*names: str) -> str:
        return "".join(_figure(by_name[name]) for name in names if name in by_name)

    examination = [
        ("Readings", "".join(f"<p><code>{escape(trial_id)}</code>: {escape(reading)}</p>"
                             for trial_id, reading in report.readings.items())
         or _missing("Readings")),
        ("Pictures", figures_of("learning_curve", "biasvar")),
    ]
    sections = [
        ("What was run", _overview(report)),
        ("Settings", _settings(report)),
        ("Ranking of grid points", _ranking(report)),
        ("The chosen network", _chosen(report)),
        ("Learning curves", figures_of("learning_curves", "grid_learning_curves")),
        ("Validation curves", figures_of("halving", "validation_curves", "fold_spread")),
        ("Confusion matrix", figures_of("confusion_matrix")),
        ("Per class", _per_class(report) + figures_of("per_class", "threshold",
                                                      "precision_recall")),
        ("Trials that failed", _failed(report)),
        *((_RELATED_TITLES[related.kind], _related(related)) for related in report.related),
        ("Files of the run", _files(report)),
    ]
    if report.kind in ("curve", "biasvar"):  # an examination: nothing was chosen or tested
        sections = [*sections[:2], *examination, sections[-1]]
    contents = "".join(f'<li><a href="#{_anchor(title)}">{escape(title)}</a></li>'
                       for title, _ in sections)
    body = (f'<nav class="contents"><strong>Contents</strong><ol>{contents}</ol></nav>'
            + "".join(f'<section id="{_anchor(title)}"><h2>{escape(title)}</h2>{content}'
                      "</section>" for title, content in sections))
    title = f"mlpsel {report.command} {report.run_id}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>mlpsel {escape(report.command)} <code>{escape(report.run_id)}</code>"
        f"</h1>{banner}{problems}{body}"
        f"<footer>{_environment(report)}</footer></main></body></html>\n"
    )


def write_html(report: RunReport, path: Path | None = None) -> Path:
    """Write the report to ``path`` (default ``<run>/report.html``) atomically; return the path.

    The page is written to a new file beside ``path`` and renamed onto it: a ``report.html``
    that is a symbolic link is replaced by the page, its target is never written; a failed
    write leaves no file behind. The default path is refused in a run folder that is itself a
    symbolic link.

    Raises
    ------
    StorageError
        One line naming the path and the cause (permissions, a full disk, ...).
    """
    if path is None:
        if report.run.path.is_symlink():
            raise StorageError(f"{report.run.path}: a symbolic link; the report is not written "
                               "through it")
        path = report.run.report_html
    page = render_html(report)
    try:
        write_text(path, page)
    except OSError as error:
        error.filename = str(path)  # the file asked for, not its temporary sibling
        raise StorageError.from_os_error(error, "cannot write") from None
    return path
