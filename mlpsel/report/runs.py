"""Many runs at once: the listing of ``runs/`` (``mlpsel runs``) and two runs side by side
(``mlpsel compare RUN_A RUN_B``).

Each view has a data form (plain dicts, for JSON or tests) and a rich form built from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mlpsel.errors import DataError, StorageError
from mlpsel.metrics import SCORES, TEST_SCORES, VALIDATION_SCORES
from mlpsel.report.loading import (
    MISSING,
    SUMMARY_FIELDS,
    RunReport,
    flatten_config,
    format_parameter,
    format_score,
    format_seconds,
    is_missing,
    load_run_report,
    metric_label,
)
from mlpsel.report.terminal import STATUS_STYLES
from mlpsel.store import (
    RUN_ID_PATTERN,
    RUN_MARKER,
    RunFolder,
    is_inside,
    is_run_folder,
    link_target,
    read_json,
    read_run_json,
    wrong_fields,
)

DAMAGED = "damaged"

# ---------------------------------------------------------------------------------------------
# mlpsel runs


def _read_summary(run: RunFolder) -> tuple[dict[str, Any], str | None]:
    """``summary.json`` (``{}`` while there is none) and what is wrong with it, if anything."""
    path = run.summary_json
    if not path.exists() and not path.is_symlink():
        return {}, None
    if path.is_symlink() or not is_inside(path, run.path):
        return {}, f"{path.name}: a symbolic link (to {link_target(path)}), not followed"
    try:
        value = read_json(path)
    except (OSError, ValueError) as error:
        reason = " ".join(str(error).split())[:120] or type(error).__name__
        return {}, f"{path.name}: cannot be read ({reason})"
    if not isinstance(value, dict):
        return {}, f"{path.name}: not a JSON object"
    wrong = wrong_fields(value, SUMMARY_FIELDS)
    if wrong:
        return {}, f"{path.name}: {'; '.join(wrong[:2])}"
    return value, None


def _damaged_row(path: Path, problem: str) -> dict[str, Any]:
    return {"run_id": path.name, "path": str(path), "started": None, "command": None,
            "dataset": None, "n_grid_points": None, "selection_metric": None,
            "best_validation": None, "best_validation_std": None, "test_accuracy": None,
            "status": DAMAGED, "problem": problem}


def _listed_entries(runs_dir: Path) -> list[Path]:
    """The direct children of ``runs_dir`` the listing shows: run folders, folders named like
    a run (``run.json`` lost), and symbolic links (shown, never followed)."""
    if not runs_dir.is_dir():
        return []
    try:
        children = sorted(runs_dir.iterdir())
    except OSError as error:
        error.filename = str(runs_dir)
        raise StorageError.from_os_error(error, "cannot be listed") from None
    return [path for path in children if path.is_symlink() or is_run_folder(path)
            or (path.is_dir() and RUN_ID_PATTERN.fullmatch(path.name))]


def list_run_rows(runs_dir: Path) -> list[dict[str, Any]]:
    """One dict per run in ``runs_dir``, newest first.

    Reads only ``run.json`` and ``summary.json``, so listing many runs stays fast. A damaged
    entry is listed with status ``damaged`` and what is wrong in ``problem``, never read
    further: a symbolic link (not followed), a run folder without ``run.json`` or whose
    ``run.json`` or ``summary.json`` cannot be read, is not a JSON object or has a field of
    the wrong type.

    Returns
    -------
    list of dict
        Keys ``run_id``, ``path``, ``started``, ``command``, ``dataset``, ``n_grid_points``,
        ``selection_metric``, ``best_validation`` (the chosen grid point's mean score),
        ``best_validation_std``, ``test_accuracy``, ``status``, ``problem`` (None for a
        readable run); None where unknown.

    Raises
    ------
    StorageError
        ``runs_dir`` exists but cannot be listed.
    """
    rows = []
    for path in _listed_entries(Path(runs_dir)):
        if path.is_symlink():
            outside = "" if is_inside(path, runs_dir) else f" pointing outside {runs_dir}/"
            rows.append(_damaged_row(path, f"a symbolic link{outside} (to {link_target(path)}),"
                                           " not followed"))
            continue
        if not is_run_folder(path):
            rows.append(_damaged_row(path, f"no {RUN_MARKER}"))
            continue
        run = RunFolder(path)
        try:
            info = read_run_json(run)
        except DataError as error:
            problem = str(error).removeprefix(f"{run.run_json}: ").split("; the run folder")[0]
            rows.append(_damaged_row(path, f"{RUN_MARKER}: {problem}"))
            continue
        summary, problem = _read_summary(run)
        best = summary.get("best") or {}
        metric = summary.get("selection_metric")
        best_validation = best_std = None
        if metric:
            best_validation = best.get(f"mean_{metric}", best.get(metric))
            best_std = best.get(f"std_{metric}")
        rows.append({
            "run_id": run.run_id,
            "path": str(run.path),
            "started": info.get("started"),
            "command": info.get("command") or summary.get("command"),
            "dataset": info.get("dataset") or summary.get("dataset"),
            "n_grid_points": info.get("n_grid_points", summary.get("n_grid_points")),
            "selection_metric": metric,
            "best_validation": best_validation,
            "best_validation_std": best_std,
            "test_accuracy": (summary.get("test") or {}).get("test_accuracy"),
            "status": DAMAGED if problem else info.get("status") or "unknown",
            "problem": problem,
        })
    rows.sort(key=lambda row: (row["started"] or "", row["run_id"]), reverse=True)
    return rows


def runs_table(runs_dir: Path, rows: list[dict[str, Any]] | None = None) -> Table:
    """The runs in ``runs_dir`` as a rich table, newest first (``mlpsel runs``)."""
    rows = list_run_rows(runs_dir) if rows is None else rows
    damaged = [f"{row['run_id']}: {row['problem']}" for row in rows if row.get("problem")]
    caption = None if rows else f"no runs in {runs_dir} yet; start one with 'mlpsel train'"
    if damaged:
        caption = "damaged, not read further: " + "; ".join(damaged)
    table = Table(title=f"Runs in {runs_dir}", title_justify="left", caption=caption,
                  caption_justify="left")
    table.add_column("run", no_wrap=True)
    table.add_column("started")
    table.add_column("command")
    table.add_column("dataset")
    table.add_column("grid points", justify="right")
    table.add_column("best validation", justify="right")
    table.add_column("test accuracy", justify="right")
    table.add_column("status")
    for row in rows:
        best = MISSING
        if row["best_validation"] is not None:
            best = format_score(float(row["best_validation"]))
            if not is_missing(row["best_validation_std"]):
                best += f" ± {format_score(float(row['best_validation_std']))}"
            best += f" ({metric_label(row['selection_metric']).removeprefix('validation ')})"
        started = (row["started"] or MISSING).replace("T", " ")
        table.add_row(
            row["run_id"], started, row["command"] or MISSING, row["dataset"] or MISSING,
            format_parameter(row["n_grid_points"]), best,
            format_score(row["test_accuracy"]) if row["test_accuracy"] is not None else MISSING,
            Text(row["status"], style=STATUS_STYLES.get(
                row["status"], "bold red" if row["status"] == DAMAGED else "")),
        )
    return table


# ---------------------------------------------------------------------------------------------
# mlpsel compare


# (name, key, higher is better): the chosen grid point's validation means, then its test scores.
COMPARED_SCORES = (
    *((f"best validation {SCORES[name].label}", f"mean_validation_{name}",
       SCORES[name].higher_is_better) for name in VALIDATION_SCORES),
    *((f"test {SCORES[name].label}", f"test_{name}", SCORES[name].higher_is_better)
      for name in TEST_SCORES),
)


def _as_report(run: RunReport | RunFolder) -> RunReport:
    return run if isinstance(run, RunReport) else load_run_report(run)


def _difference(first: Any, second: Any) -> float | None:
    if is_missing(first) or is_missing(second):
        return None
    return float(second) - float(first)


def compare_run_data(first: RunReport | RunFolder,
                     second: RunReport | RunFolder) -> dict[str, Any]:
    """Two runs side by side, as data. Differences are ``second − first``.

    Returns
    -------
    dict
        ``runs``: two dicts (run_id, command, status, dataset, selection_metric, best_trial_id,
        best_params, n_grid_points, seconds); ``config_differences``: ``{key, first, second}``
        for every dotted config key whose value differs (None: absent); ``scores``:
        ``{name, first, second, difference, higher_is_better}``; ``per_class_recall``:
        ``{class, first, second, difference}`` on the test set.
    """
    reports = (_as_report(first), _as_report(second))
    runs = []
    for report in reports:
        runs.append({
            "run_id": report.run_id, "command": report.command, "status": report.status,
            "dataset": report.dataset, "selection_metric": report.selection_metric,
            "best_trial_id": report.best_trial_id, "best_params": report.best_params,
            "n_grid_points": report.n_grid_points, "seconds": report.seconds,
        })
    configs = [flatten_config(report.config) for report in reports]
    differences = []
    for key in sorted(set(configs[0]) | set(configs[1])):
        values = [config.get(key) for config in configs]
        if values[0] != values[1]:
            differences.append({"key": key, "first": values[0], "second": values[1]})
    scores = []
    for name, key, higher_is_better in COMPARED_SCORES:
        values = []
        for report in reports:
            row = report.best_row or {}
            values.append(row.get(key) if key.startswith("mean_")
                          else report.test_scores.get(key))
        values = [None if is_missing(value) else float(value) for value in values]
        scores.append({"name": name, "first": values[0], "second": values[1],
                       "difference": _difference(*values),
                       "higher_is_better": higher_is_better})
    recalls = [({str(row["class"]): float(row["recall"])
                 for row in report.per_class.to_dict("records")}
                if report.per_class is not None else {}) for report in reports]
    classes = list(dict.fromkeys([*recalls[0], *recalls[1]]))
    per_class = [{"class": name, "first": recalls[0].get(name), "second": recalls[1].get(name),
                  "difference": _difference(recalls[0].get(name), recalls[1].get(name))}
                 for name in classes]
    return {"runs": runs, "config_differences": differences, "scores": scores,
            "per_class_recall": per_class, "mcnemar": mcnemar(*reports)}


def mcnemar(first: RunReport, second: RunReport) -> dict[str, Any]:
    """McNemar's exact test on the two chosen networks' test predictions, where both runs were
    scored on the same test images (same test indices and true labels).

    Returns ``{applies, reason}`` or ``{applies, b, c, p, significant}`` with b = images A got
    right and B wrong, c = the reverse, p the two-sided exact binomial p, significant p < 0.05.
    """
    from mlpsel.stats import mcnemar_exact

    frames = [report.predictions for report in (first, second)]
    if any(frame is None or "predicted_label" not in frame for frame in frames):
        return {"applies": False, "reason": "a run has no test predictions (or is regression)"}
    a, b = frames
    if len(a) != len(b) or not (a["test_index"].equals(b["test_index"])
                                and a["true_label"].equals(b["true_label"])):
        return {"applies": False, "reason": "the runs were tested on different test images"}
    a_right = (a["predicted_label"] == a["true_label"]).to_numpy()
    b_right = (b["predicted_label"] == b["true_label"]).to_numpy()
    only_a, only_b = int((a_right & ~b_right).sum()), int((~a_right & b_right).sum())
    p = mcnemar_exact(only_a, only_b)
    return {"applies": True, "b": only_a, "c": only_b, "p": p, "significant": p < 0.05}


def _signed(difference: float | None, higher_is_better: bool = True) -> Text:
    if difference is None:
        return Text(MISSING)
    if abs(difference) < 5e-5:
        return Text(f"{difference:+.4f}", style="dim")
    better = (difference > 0) == higher_is_better
    return Text(f"{difference:+.4f}", style="green" if better else "red")


def compare_runs(first: RunReport | RunFolder, second: RunReport | RunFolder,
                 data: dict[str, Any] | None = None) -> Group:
    """Two runs side by side (``mlpsel compare RUN_A RUN_B``): differing config keys, scores,
    and per-class recall differences (second − first; green is better)."""
    data = compare_run_data(first, second) if data is None else data
    first_run, second_run = data["runs"]
    a_label, b_label = f"A {first_run['run_id']}", f"B {second_run['run_id']}"

    overview = Table(title="Runs", title_justify="left")
    overview.add_column("")
    overview.add_column(a_label, overflow="fold")
    overview.add_column(b_label, overflow="fold")
    for key, label in (("command", "command"), ("status", "status"), ("dataset", "dataset"),
                       ("n_grid_points", "grid points"), ("selection_metric", "selection metric"),
                       ("best_trial_id", "chosen")):
        overview.add_row(label, format_parameter(first_run[key]),
                         format_parameter(second_run[key]))
    overview.add_row("chosen settings", *[
        ", ".join(f"{k}={format_parameter(v)}" for k, v in run["best_params"].items()) or MISSING
        for run in (first_run, second_run)])
    overview.add_row("time taken", format_seconds(first_run["seconds"]),
                     format_seconds(second_run["seconds"]))

    config = Table(title="Config keys that differ", title_justify="left")
    config.add_column("key")
    config.add_column("A", overflow="fold")
    config.add_column("B", overflow="fold")
    for row in data["config_differences"]:
        config.add_row(row["key"], _config_value(row["first"]), _config_value(row["second"]))
    if not data["config_differences"]:
        config.caption = "the configs are identical"

    scores = Table(title="Scores (B − A; green is better)", title_justify="left")
    for column in ("", "A", "B", "B − A"):
        scores.add_column(column, justify="left" if not column else "right")
    for row in data["scores"]:
        scores.add_row(row["name"], format_score(row["first"]), format_score(row["second"]),
                       _signed(row["difference"], row["higher_is_better"]))

    parts: list[Any] = [overview, config, scores]
    if data["per_class_recall"]:
        recall = Table(title="Per-class recall on the test set (B − A)", title_justify="left")
        for column in ("class", "A", "B", "B − A"):
            recall.add_column(column, justify="left" if column == "class" else "right")
        for row in data["per_class_recall"]:
            recall.add_row(row["class"], format_score(row["first"]),
                           format_score(row["second"]), _signed(row["difference"]))
        parts.append(recall)
    else:
        parts.append(Text("Per-class recall: not available yet", style="dim italic"))
    test = data["mcnemar"]
    if test["applies"]:
        verdict = "significant" if test["significant"] else "not significant"
        parts.append(Text(
            f"McNemar's exact test on the same test images: A right and B wrong {test['b']}, "
            f"B right and A wrong {test['c']}; p = {test['p']:.4f}: the difference is "
            f"{verdict} at 0.05."))
    else:
        parts.append(Text(f"McNemar's test does not apply: {test['reason']}.", style="dim"))
    if first_run["selection_metric"] != second_run["selection_metric"]:
        parts.append(Text("The runs chose by different metrics: "
                          f"{first_run['selection_metric']} and "
                          f"{second_run['selection_metric']}.", style="yellow"))
    return Group(*parts)


def _config_value(value: Any) -> str:
    return "(absent)" if value is None else format_parameter(value)


__all__ = ["compare_run_data", "compare_runs", "flatten_config",
           "list_run_rows", "runs_table"]
