"""The Markdown (CI job summary) and JSON reports."""

from __future__ import annotations

import json

import pytest

from mlpsel.report.json_report import render_json
from mlpsel.report.loading import load_run_report
from mlpsel.report.markdown import render_markdown
from mlpsel.store import RunFolder
from tests.report_support import (
    N_GRID_POINTS,
    N_TEST,
    cv_run,
    holdout_run,
    make_unfinished_run,
)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return holdout_run(tmp_path_factory.getbasetemp())


def table_rows(markdown: str, header_start: str) -> list[str]:
    """The body rows of the pipe table whose header line starts with ``header_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    assert set(lines[start + 1].replace("|", "").split()) <= {"---", "---:"}
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_markdown_holds_the_tables(source):
    report = load_run_report(RunFolder(source))
    markdown = render_markdown(report)
    assert markdown.startswith(f"## mlpsel train `{report.run_id}` ✅")
    ranking = table_rows(markdown, "| rank | trial | hidden_layers | learning_rate |")
    assert len(ranking) == N_GRID_POINTS
    assert f"`{report.best_trial_id}`" in ranking[0] and "★ chosen" in ranking[0]
    assert "**" in ranking[0] and "± —" in ranking[0]
    assert "| accuracy | macro precision | macro recall | macro F1 | loss |" in markdown
    confusion = table_rows(markdown, "| true \\\\ predicted | 0 | 1 |")
    assert len(confusion) == 10
    per_class = table_rows(markdown, "| class | precision | recall | F1 | support |")
    assert len(per_class) == 10
    failed = table_rows(markdown, "| trial | status | error |")
    assert len(failed) == 2 and all("diverged" in row for row in failed)
    assert "not available yet" not in markdown


def test_markdown_of_an_interrupted_run(source, tmp_path):
    report = load_run_report(RunFolder(make_unfinished_run(source, tmp_path, "interrupted")))
    markdown = render_markdown(report)
    assert "⚠️" in markdown.splitlines()[0]
    assert "> **This run was interrupted" in markdown
    assert "partial" in markdown
    assert "_Confusion matrix: not available yet._" in markdown
    assert "_Test set scores: not available yet._" in markdown


def test_json_summary(source):
    report = load_run_report(RunFolder(source))
    summary = render_json(report)
    text = json.dumps(summary, allow_nan=False)  # plain JSON: no NaN, no NumPy types
    assert json.loads(text) == summary
    assert {"run_id", "status", "command", "kind", "dataset", "split", "n_grid_points", "seed",
            "seconds", "selection_metric", "best", "ranking", "test", "per_class",
            "confusion_matrix", "failed_trials", "available"} <= set(summary)
    assert summary["kind"] == "holdout" and summary["complete"] is True
    assert len(summary["ranking"]) == N_GRID_POINTS
    first = summary["ranking"][0]
    assert first["chosen"] and first["trial_id"] == summary["best"]["trial_id"]
    assert first["validation_accuracy"]["std"] is None
    assert first["params"]["model.hidden_layers"] in ([8], [16])  # a list, as in the config
    assert sum(map(sum, summary["confusion_matrix"]["counts"])) == N_TEST
    assert all(0 <= row["average_precision"] <= 1 for row in summary["per_class"])
    assert len(summary["failed_trials"]) == 2
    assert all(summary["available"].values())


def test_json_of_cv_and_unfinished_runs(source, tmp_path_factory, tmp_path):
    cv_run_folder = cv_run(tmp_path_factory.getbasetemp())
    cv = render_json(load_run_report(RunFolder(cv_run_folder)))
    assert cv["kind"] == "cv" and cv["folds"] == {"folds": 3, "repeats": 1}
    assert len(cv["ranking"][0]["validation_accuracy"]["splits"]) == 3
    assert cv["best"]["validation_accuracy"]["std"] > 0
    unfinished = render_json(load_run_report(RunFolder(
        make_unfinished_run(source, tmp_path, "running"))))
    json.dumps(unfinished, allow_nan=False)
    assert unfinished["status"] == "running" and unfinished["complete"] is False
    assert unfinished["test"] is None and unfinished["confusion_matrix"] is None
    assert unfinished["available"]["ranking"] and not unfinished["available"]["test"]
