"""Figures of a run (matplotlib, imported only when drawing).

Learning curves, validation curves, confusion heatmaps, per-class bars and one-vs-rest
precision–recall curves, and the fold spread of a k-fold run.

Each function returns a matplotlib ``Figure``; saving it is the caller's job
(:func:`mlpsel.store.write_figure` writes it atomically).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def learning_curves_figure(histories: Mapping[str, pd.DataFrame], best_id: str) -> Any:
    """Loss and accuracy against epoch, train against validation.

    Left two panels: the chosen trial (train solid, validation dashed) — the course's picture of
    over- and under-fitting. Right panel: validation accuracy of every grid point, best highlighted.

    Parameters
    ----------
    histories : mapping of trial id to DataFrame
        Each with columns epoch, train_loss, train_accuracy, validation_loss, validation_accuracy.
    best_id : str
        The chosen trial.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 4.2))
    loss_axes, accuracy_axes, all_axes = figure.subplots(1, 3)
    best = histories[best_id]
    for axes, quantity, label in ((loss_axes, "loss", "cross-entropy loss"),
                                  (accuracy_axes, "accuracy", "accuracy")):
        axes.plot(best["epoch"], best[f"train_{quantity}"], "o-", label="train")
        if best[f"validation_{quantity}"].notna().any():
            axes.plot(best["epoch"], best[f"validation_{quantity}"], "s--", label="validation")
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.set_title(f"chosen network {best_id}: {quantity}")
        axes.grid(alpha=0.3)
        axes.legend()
    for trial_id, history in histories.items():
        if history.empty:
            continue
        is_best = trial_id == best_id
        all_axes.plot(history["epoch"], history["validation_accuracy"],
                      linewidth=2.5 if is_best else 1.0, alpha=1.0 if is_best else 0.55,
                      label=f"{trial_id} (chosen)" if is_best else trial_id,
                      zorder=3 if is_best else 2)
    all_axes.set_xlabel("epoch")
    all_axes.set_ylabel("validation accuracy")
    all_axes.set_title("every grid point: validation accuracy")
    all_axes.grid(alpha=0.3)
    if len(histories) <= 12:
        all_axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def confusion_matrix_figure(confusion: np.ndarray, class_names: tuple[str, ...]) -> Any:
    """Heatmap of ``confusion[i, j]`` (true class i predicted as j): counts, coloured by row share.

    Parameters
    ----------
    confusion : ndarray of int, shape (K, K)
    class_names : tuple of str, length K
    """
    from matplotlib.figure import Figure

    n_classes = len(class_names)
    row_totals = confusion.sum(axis=1, keepdims=True)
    row_share = np.divide(confusion, row_totals, out=np.zeros(confusion.shape, dtype=float),
                          where=row_totals > 0)  # (K, K)
    size = max(5.0, 0.55 * n_classes + 2)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.subplots()
    image = axes.imshow(row_share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(n_classes):
        for j in range(n_classes):
            if confusion[i, j]:
                axes.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=8,
                          color="white" if row_share[i, j] > 0.5 else "black")
    axes.set_xticks(range(n_classes), labels=class_names, rotation=45 if n_classes > 10 else 0)
    axes.set_yticks(range(n_classes), labels=class_names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    accuracy = np.trace(confusion) / max(1, confusion.sum())
    axes.set_title(f"confusion matrix on the test set (accuracy {accuracy:.2%})")
    figure.colorbar(image, ax=axes, label="share of the true class (recall on the diagonal)")
    figure.tight_layout()
    return figure


def grid_learning_curves_figure(histories: Mapping[str, pd.DataFrame], best_id: str | None,
                                titles: Mapping[str, str] | None = None,
                                max_grid_points: int = 24) -> Any:
    """Small multiples: loss (top) and accuracy (bottom) against epoch for every grid point.

    Train solid, validation dashed, as in :func:`learning_curves_figure`; the chosen grid point's
    panels are framed in green. At most ``max_grid_points`` panels, in the mapping's order.

    Parameters
    ----------
    histories : mapping of trial id to DataFrame
        Columns epoch, train_loss, train_accuracy, validation_loss, validation_accuracy.
    best_id : str or None
        The chosen grid point.
    titles : mapping of trial id to str, optional
        Panel titles (default: the trial id).
    max_grid_points : int
        Panels drawn at most.
    """
    from matplotlib.figure import Figure

    items = [(trial_id, history) for trial_id, history in histories.items()
             if not history.empty][:max_grid_points]
    n_columns = min(4, max(1, len(items)))
    n_rows = max(1, -(-len(items) // n_columns))
    figure = Figure(figsize=(4.0 * n_columns, 5.0 * n_rows))
    grid = figure.subplots(2 * n_rows, n_columns, squeeze=False, sharex="col")
    for position in range(n_rows * n_columns):
        row, column = divmod(position, n_columns)
        loss_axes, accuracy_axes = grid[2 * row, column], grid[2 * row + 1, column]
        if position >= len(items):
            loss_axes.set_visible(False)
            accuracy_axes.set_visible(False)
            continue
        trial_id, history = items[position]
        for axes, quantity in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
            axes.plot(history["epoch"], history[f"train_{quantity}"], "o-", color="C0",
                      markersize=3, label="train")  # markers: a one-epoch history still shows
            if history[f"validation_{quantity}"].notna().any():
                axes.plot(history["epoch"], history[f"validation_{quantity}"], "s--",
                          color="C1", markersize=3, label="validation")
            axes.set_ylabel(quantity, fontsize=8)
            axes.tick_params(labelsize=7)
            axes.grid(alpha=0.3)
            if trial_id == best_id:
                for spine in axes.spines.values():
                    spine.set_edgecolor("green")
                    spine.set_linewidth(2.0)
        title = (titles or {}).get(trial_id, trial_id)
        loss_axes.set_title(title + (" (chosen)" if trial_id == best_id else ""), fontsize=8)
        accuracy_axes.set_xlabel("epoch", fontsize=8)
        if position == 0:
            loss_axes.legend(fontsize=7)
    figure.suptitle("every grid point: train (solid) against validation (dashed)")
    figure.tight_layout()
    return figure


def _parameter_positions(values: list[Any]) -> tuple[list[float], list[str], bool, bool]:
    """x positions for the distinct values of one setting, in their given order.

    Returns (positions, labels, numeric, logarithmic): numbers sit at their value (on a log
    axis when all are positive and span a factor of 10 or more), anything else at 0, 1, 2...
    """
    labels = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    numeric = all(isinstance(v, (int, float, np.integer, np.floating))
                  and not isinstance(v, bool) for v in values)
    if not numeric:
        return [float(i) for i in range(len(values))], labels, False, False
    numbers = [float(v) for v in values]
    logarithmic = min(numbers) > 0 and max(numbers) / min(numbers) >= 10
    return numbers, labels, True, logarithmic


def validation_curves_figure(results: pd.DataFrame, metric: str, best_id: str | None,
                             parameter_keys: list[str]) -> Any:
    """The validation metric against each hyperparameter that varies, with error bars.

    The course's "overfitting against model complexity": for each setting, one line per
    combination of the other settings (faint), the line through the chosen grid point bold, its
    training score dashed where known; error bars are the standard deviation across folds
    (none for a holdout run).

    Parameters
    ----------
    results : DataFrame
        The grid-point table (see :class:`mlpsel.report.loading.RunReport`): ``trial_id``,
        ``param_<key>``, ``mean_<metric>``, ``std_<metric>``, ``status``; optionally
        ``mean_train_<suffix>``. Rows in grid order give each setting's value order.
    metric : str
        E.g. ``validation_accuracy``.
    best_id : str or None
        The chosen grid point.
    parameter_keys : list of str
        The settings to draw, one panel each (those that vary).
    """
    from matplotlib.figure import Figure

    ok = results[results["status"] == "ok"].sort_values("trial_id")
    n_panels = max(1, len(parameter_keys))
    n_columns = min(3, n_panels)
    n_rows = -(-n_panels // n_columns)
    figure = Figure(figsize=(5.6 * n_columns, 4.4 * n_rows))
    axes_grid = figure.subplots(n_rows, n_columns, squeeze=False)
    suffix = metric.removeprefix("validation_")
    train_column = f"mean_train_{suffix}"
    best_rows = ok[ok["trial_id"] == best_id]
    for panel, axes in enumerate(axes_grid.flat):
        if panel >= len(parameter_keys):
            axes.set_visible(False)
            continue
        key = parameter_keys[panel]
        column = f"param_{key}"
        values = list(dict.fromkeys(ok[column].tolist()))  # first appearance = config order
        positions, labels, numeric, logarithmic = _parameter_positions(values)
        position_of = dict(zip([str(v) for v in values], positions, strict=True))
        others = [f"param_{k}" for k in parameter_keys if k != key]
        groups = ok.groupby(others, sort=False, dropna=False) if others else [((), ok)]
        for group_key, group in groups:
            group_key = group_key if isinstance(group_key, tuple) else (group_key,)
            group = group.assign(_x=[position_of[str(v)] for v in group[column]])
            group = group.sort_values("_x")
            is_best = best_id is not None and best_id in set(group["trial_id"])
            description = ", ".join(f"{o.removeprefix('param_')}={_short(v)}"
                                    for o, v in zip(others, group_key, strict=True))
            std = group[f"std_{metric}"].to_numpy(dtype=float)
            axes.errorbar(group["_x"], group[f"mean_{metric}"],
                          yerr=np.nan_to_num(std) if np.isfinite(std).any() else None,
                          marker="o", capsize=4,
                          linewidth=2.4 if is_best else 1.0, alpha=1.0 if is_best else 0.45,
                          color="C0" if is_best else None, zorder=3 if is_best else 2,
                          label=("validation" + (f" ({description})" if description else "")
                                 if is_best else description or None))
            if (is_best and train_column in group
                    and group[train_column].notna().any()):
                axes.plot(group["_x"], group[train_column], "s--", color="C3", linewidth=1.6,
                          label="train", zorder=3)
        if len(best_rows):
            best_x = position_of[str(best_rows.iloc[0][column])]
            axes.plot([best_x], [best_rows.iloc[0][f"mean_{metric}"]], "*", color="gold",
                      markeredgecolor="black", markersize=16, zorder=4, label="chosen")
        if logarithmic:
            axes.set_xscale("log")
        axes.set_xticks(positions, labels=labels, rotation=30 if not numeric else 0)
        axes.minorticks_off()
        axes.set_xlabel(key)
        axes.set_ylabel(suffix.replace("_", " "))
        axes.set_title(f"{metric.replace('_', ' ')} against {key}")
        axes.grid(alpha=0.3)
        handles, _ = axes.get_legend_handles_labels()
        if len(handles) <= 8:
            axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def confusion_heatmaps_figure(confusion: np.ndarray, class_names: tuple[str, ...]) -> Any:
    """Two heatmaps of ``confusion[i, j]`` (true i, predicted j): counts, and row-normalised.

    Parameters
    ----------
    confusion : ndarray of int, shape (K, K)
    class_names : tuple of str, length K
    """
    from matplotlib.figure import Figure

    n_classes = len(class_names)
    row_totals = confusion.sum(axis=1, keepdims=True)  # (K, 1)
    row_share = np.divide(confusion, row_totals, out=np.zeros(confusion.shape, dtype=float),
                          where=row_totals > 0)  # (K, K)
    size = max(5.0, 0.55 * n_classes + 2)
    figure = Figure(figsize=(2 * size + 2, size))
    count_axes, share_axes = figure.subplots(1, 2)
    panels = ((count_axes, confusion.astype(float), False, "counts", "Blues", "test samples"),
              (share_axes, row_share, True, "row-normalised (recall on the diagonal)", "Greens",
               "share of the true class"))
    for axes, values, as_share, title, colours, bar_label in panels:
        top = float(values.max()) if values.size and values.max() > 0 else 1.0
        image = axes.imshow(values, cmap=colours, vmin=0.0, vmax=top)
        for i in range(n_classes):
            for j in range(n_classes):
                if confusion[i, j]:
                    text = (f"{row_share[i, j]:.2f}".lstrip("0") if as_share
                            else str(int(confusion[i, j])))
                    axes.text(j, i, text, ha="center", va="center",
                              fontsize=9 if n_classes <= 10 else 7,
                              color="white" if values[i, j] > 0.5 * top else "black")
        axes.set_xticks(range(n_classes), labels=class_names,
                        rotation=45 if n_classes > 10 else 0)
        axes.set_yticks(range(n_classes), labels=class_names)
        axes.set_xlabel("predicted class")
        axes.set_ylabel("true class")
        axes.set_title(f"confusion matrix: {title}")
        figure.colorbar(image, ax=axes, label=bar_label, fraction=0.046, pad=0.04)
    figure.tight_layout()
    return figure


def per_class_bars_figure(per_class: pd.DataFrame) -> Any:
    """Per-class precision and recall on the test set as grouped bars.

    Parameters
    ----------
    per_class : DataFrame
        Columns class, precision, recall (one row per class).
    """
    from matplotlib.figure import Figure

    n_classes = len(per_class)
    positions = np.arange(n_classes)  # (K,)
    width = 0.4
    figure = Figure(figsize=(max(7.0, 0.8 * n_classes + 2), 4.2))
    axes = figure.subplots()
    lines = {"precision": ((0, (1, 1)), 2.0), "recall": ((0, (6, 3)), 1.4)}
    for offset, column, colour in ((-width / 2, "precision", "C0"), (width / 2, "recall", "C2")):
        values = per_class[column].to_numpy(dtype=float)  # (K,)
        axes.bar(positions + offset, values, width, label=column, color=colour)
        # dotted and dashed, so that equal macro values still show both lines
        style, line_width = lines[column]
        axes.axhline(float(values.mean()), color=colour, linestyle=style, linewidth=line_width,
                     label=f"macro {column} {values.mean():.3f}")
    low = float(np.nanmin(per_class[["precision", "recall"]].to_numpy(dtype=float)))
    axes.set_ylim(max(0.0, min(0.9, low - 0.05)), 1.0)
    axes.set_xticks(positions, labels=[str(c) for c in per_class["class"]],
                    rotation=45 if n_classes > 10 else 0)
    axes.set_xlabel("class")
    axes.set_ylabel("score on the test set")
    axes.set_title("per-class precision TP/(TP+FP) and recall TP/(TP+FN)")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4,
                frameon=False)
    figure.tight_layout()
    return figure


def precision_recall_curves_figure(curves: list[Mapping[str, Any]],
                                   class_names: tuple[str, ...] | None = None) -> Any:
    """One-vs-rest precision–recall curves of every class, average precision in the legend.

    Parameters
    ----------
    curves : list of mapping, length K
        As :func:`mlpsel.metrics.one_vs_rest_pr_curves`: ``precision`` (T + 1,), ``recall``
        (T + 1,), ``average_precision``; optionally ``class``.
    class_names : tuple of str, optional
        Legend names (default: each curve's ``class``, else its index).
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12.5, 5.2))
    full_axes, zoom_axes = figure.subplots(1, 2)
    colours = [f"C{i % 10}" for i in range(len(curves))]
    line_styles = ["-", "--", "-."]
    for index, curve in enumerate(curves):
        name = (class_names[index] if class_names and index < len(class_names)
                else str(curve.get("class", index)))
        style = line_styles[(index // 10) % len(line_styles)]
        for axes in (full_axes, zoom_axes):
            axes.step(curve["recall"], curve["precision"], where="post", color=colours[index],
                      linestyle=style, linewidth=1.3,
                      label=f"{name} (AP {curve['average_precision']:.3f})")
    mean_ap = float(np.mean([c["average_precision"] for c in curves])) if curves else 0.0
    full_axes.set_xlim(0.0, 1.01)
    full_axes.set_ylim(0.0, 1.02)
    full_axes.set_title(f"one-vs-rest precision–recall, test set (mean AP {mean_ap:.3f})")
    zoom_axes.set_xlim(0.6, 1.005)
    zoom_axes.set_ylim(0.6, 1.005)
    zoom_axes.set_title("the same, zoomed on the top-right corner")
    for axes in (full_axes, zoom_axes):
        axes.set_xlabel("recall TP/(TP+FN)")
        axes.set_ylabel("precision TP/(TP+FP)")
        axes.grid(alpha=0.3)
    full_axes.legend(fontsize=7, loc="lower left", ncol=2 if len(curves) > 6 else 1)
    figure.tight_layout()
    return figure


def cv_spread_figure(frame: pd.DataFrame, *, metric: str, n_splits: int, best_id: str) -> Any:
    """Validation ``metric`` of every grid point in every fold: a box per grid point with each
    fold's value drawn as a dot over it, the chosen grid point highlighted.

    The course's point: the spread across folds tells how far to trust the mean.

    Parameters
    ----------
    frame : DataFrame
        ``cv_results.csv``: ``trial_id`` and ``split<k>_<metric>`` for k < ``n_splits``.
    metric : str
        e.g. ``validation_accuracy``.
    n_splits : int
    best_id : str
        The chosen grid point's ``trial_id``.
    """
    from matplotlib.figure import Figure

    columns = [f"split{k}_{metric}" for k in range(n_splits)]
    labels = list(frame["trial_id"])
    values = [frame.loc[i, columns].to_numpy(dtype=float) for i in frame.index]  # each (n_splits,)
    values = [v[np.isfinite(v)] for v in values]
    figure = Figure(figsize=(max(6.0, 0.9 * len(labels) + 2), 4.5))
    axes = figure.subplots()
    positions = np.arange(1, len(labels) + 1)
    drawable = [(p, v) for p, v in zip(positions, values, strict=True) if len(v)]
    if drawable:
        axes.boxplot([v for _, v in drawable], positions=[p for p, _ in drawable], widths=0.5,
                     showfliers=False)
    jitter = np.random.default_rng(0)
    for position, fold_values, label in zip(positions, values, labels, strict=True):
        is_best = label == best_id
        x = position + jitter.uniform(-0.12, 0.12, size=len(fold_values))
        axes.scatter(x, fold_values, s=28 if is_best else 18, zorder=3,
                     color="tab:red" if is_best else "tab:blue", alpha=0.85)
    axes.set_xticks(positions, labels=[f"{label}\n(chosen)" if label == best_id else label
                                       for label in labels], rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(metric.replace("_", " "))
    axes.set_title(f"{metric.replace('_', ' ')} across {n_splits} folds, per grid point")
    axes.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return figure


def halving_figure(frame: pd.DataFrame, *, score_column: str, best_id: str | None) -> Any:
    """Successive halving's bracket: every candidate's validation score (y) after each round's
    budget of epochs (x, log scale), a line per candidate through the rounds it reached; the
    ones that went on are drawn dark, the ones dropped end in a cross, the chosen one in red.

    Parameters
    ----------
    frame : DataFrame
        One row per candidate and round: ``trial_id``, ``iter``, ``n_resources`` and
        ``score_column`` (e.g. ``mean_validation_accuracy``).
    best_id : str or None
        The chosen candidate's ``trial_id``.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5))
    axes = figure.subplots()
    last_iter = int(frame["iter"].max())
    budgets = sorted(int(b) for b in frame["n_resources"].unique())
    for trial_id, rows in frame.sort_values("iter").groupby("trial_id", sort=False):
        x = rows["n_resources"].to_numpy(dtype=float)
        y = rows[score_column].to_numpy(dtype=float)
        is_best = trial_id == best_id
        reached_end = int(rows["iter"].max()) == last_iter
        axes.plot(x, y, marker="o", markersize=4 if not is_best else 6, zorder=3 if is_best else 2,
                  color="tab:red" if is_best else "0.25" if reached_end else "0.7",
                  linewidth=2.2 if is_best else 1.0,
                  label=f"{trial_id} (chosen)" if is_best else None)
        if not reached_end and len(x):
            axes.scatter(x[-1:], y[-1:], marker="x", color="0.55", s=30, zorder=2)
    counts = {int(b): int(n) for b, n in
              frame.groupby("n_resources")["trial_id"].nunique().items()}
    axes.set_xscale("log")
    axes.set_xticks(budgets, labels=[f"{b} epoch{'s' * (b != 1)}\n{counts[b]} "
                                     f"candidate{'s' * (counts[b] != 1)}" for b in budgets])
    axes.minorticks_off()
    label = score_column.removeprefix("mean_").replace("_", " ")
    axes.set_ylabel(label)
    axes.set_xlabel("budget of the round (candidates trained to it)")
    axes.set_title(f"successive halving: {label} after each round (× dropped)")
    axes.grid(alpha=0.3)
    if best_id is not None:
        axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


def threshold_figure(curve: pd.DataFrame, chosen: Mapping[str, Any]) -> Any:
    """A binary task's decision threshold: left, the precision–recall curve on validation and
    test with the chosen threshold marked; right, precision and recall against the threshold
    (recall can only fall as the threshold grows; precision may fall and rise).

    Parameters
    ----------
    curve : DataFrame
        ``pr_curve.csv``: threshold, validation_/test_ precision and recall.
    chosen : mapping
        ``threshold.json``: threshold, rule, target, validation and test counts.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12.5, 5.0))
    pr_axes, threshold_axes = figure.subplots(1, 2)
    t = float(chosen["threshold"])
    for part, style in (("validation", "-"), ("test", "--")):
        pr_axes.plot(curve[f"{part}_recall"], curve[f"{part}_precision"], style,
                     color="tab:blue" if part == "validation" else "tab:orange", label=part)
        point = chosen[part]
        pr_axes.scatter([point["recall"]], [point["precision"]], s=60, zorder=3,
                        color="tab:red", marker="o" if part == "validation" else "s")
        for metric, colour in (("precision", "tab:green"), ("recall", "tab:purple")):
            threshold_axes.plot(curve["threshold"], curve[f"{part}_{metric}"], style,
                                color=colour, label=f"{metric} ({part})")
    target = "" if chosen["target"] is None else f" {chosen['target']}"
    pr_axes.set_title(f"precision–recall; chosen t = {t:.3g} ({chosen['rule']}{target}, on "
                      "validation)")
    pr_axes.set_xlabel("recall TP/(TP+FN)")
    pr_axes.set_ylabel("precision TP/(TP+FP)")
    pr_axes.set_xlim(0, 1.02)
    pr_axes.set_ylim(0, 1.02)
    pr_axes.legend(loc="lower left")
    threshold_axes.axvline(t, color="tab:red", linewidth=1)
    threshold_axes.set_xlabel("decision threshold t (positive where ŷ ≥ t)")
    threshold_axes.set_ylabel("precision, recall")
    threshold_axes.set_title("as the threshold grows: recall falls, precision need not rise")
    threshold_axes.set_ylim(0, 1.02)
    threshold_axes.legend(loc="lower left", fontsize=9)
    for axes in (pr_axes, threshold_axes):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def training_size_curve_figure(frame: pd.DataFrame) -> Any:
    """Error against training-set size (log axis): training (dashed) and validation (solid)
    error of every grid point, one colour each, with ±1 standard deviation across folds as bands.

    Parameters
    ----------
    frame : DataFrame
        ``learning_curve.csv``: ``trial_id``, ``train_size``, ``mean_/std_train_error``,
        ``mean_/std_validation_error``.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5))
    axes = figure.subplots()
    varying = [c for c in frame.columns if c.startswith("param_")
               and frame[c].astype(str).nunique() > 1]
    for position, (trial_id, curve) in enumerate(frame.groupby("trial_id", sort=False)):
        curve = curve.sort_values("train_size")
        colour = f"C{position % 10}"
        sizes = curve["train_size"].to_numpy(dtype=float)
        settings = " ".join(f"{c.rsplit('.', 1)[-1]}={curve[c].iloc[0]}" for c in varying)
        for kind, style in (("validation", "o-"), ("train", "s--")):
            mean = curve[f"mean_{kind}_error"].to_numpy(dtype=float)
            std = curve[f"std_{kind}_error"].fillna(0.0).to_numpy(dtype=float)
            axes.plot(sizes, mean, style, color=colour,
                      label=f"{settings or trial_id} {kind}")
            axes.fill_between(sizes, mean - std, mean + std, color=colour, alpha=0.15)
    axes.set_xscale("log")
    axes.set_xlabel("training-set size (samples per fold)")
    axes.set_ylabel("error (1 − accuracy)")
    axes.set_title("learning curves: error against the amount of training data")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=9, ncol=1 if varying else 2)
    figure.tight_layout()
    return figure


def biasvar_figure(frame: pd.DataFrame) -> Any:
    """Bias, variance, net variance and 0-1 loss against each hyperparameter that varies (each
    point the mean over the other settings): the course's trade-off picture, the lowest loss
    marked.

    Parameters
    ----------
    frame : DataFrame
        ``biasvar.csv``: ``param_<key>``, ``loss``, ``bias``, ``variance``, ``net_variance``,
        ``status``.
    """
    from matplotlib.figure import Figure

    ok = frame[frame["status"] == "ok"]
    keys = [c for c in frame.columns if c.startswith("param_") and frame[c].astype(str).nunique()
            > 1] or [c for c in frame.columns if c.startswith("param_")][:1]
    figure = Figure(figsize=(6 * max(1, len(keys)), 4.5))
    panels = figure.subplots(1, max(1, len(keys)), squeeze=False)[0]
    for axes, key in zip(panels, keys, strict=False):
        grouped = ok.groupby(ok[key].astype(str), sort=False).mean(numeric_only=True)
        labels = list(grouped.index)
        x = np.arange(len(labels))
        regression = "error_against_truth" in frame
        lines = ((("error_against_truth", "o-", "squared error against f"),
                  ("bias", "s--", "bias²"), ("variance", "^:", "variance"),
                  ("noise", "v-.", "noise σ²")) if regression else
                 (("loss", "o-", "0-1 loss"), ("bias", "s--", "bias"),
                  ("variance", "^:", "variance"), ("net_variance", "v-.", "net variance")))
        for column, style, label in lines:
            axes.plot(x, grouped[column], style, label=label)
        total = grouped[lines[0][0]]
        best = int(np.argmin(total.to_numpy()))
        axes.plot([x[best]], [total.iloc[best]], "*", color="gold", markersize=16,
                  markeredgecolor="black", label="lowest error")
        axes.set_xticks(x, labels=labels)
        axes.set_xlabel(key.removeprefix("param_"))
        axes.set_ylabel("mean over the evaluation samples")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=9)
    figure.suptitle("bias and variance against each varied setting" + (
        " (squared error)" if "error_against_truth" in frame else " (0-1 loss, Domingos 2000)"))
    figure.tight_layout()
    return figure
