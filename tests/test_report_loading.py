"""Reading run folders into a RunReport: holdout, k-fold, unfinished and damaged runs."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from mlpsel.report.loading import (
    load_run_report,
    split_description,
    status_note,
)
from mlpsel.store import RunFolder
from tests.report_support import (
    CV_FOLDS,
    N_DIVERGED,
    N_GRID_POINTS,
    N_TEST,
    copy_run,
    cv_run,
    edit_json,
    holdout_run,
    make_unfinished_run,
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    source = holdout_run(base)
    runs_dir = tmp_path_factory.mktemp("loading-runs")
    return {
        "holdout": source,
        "cv": cv_run(base),
        "interrupted": make_unfinished_run(source, runs_dir, "interrupted"),
    }


def test_holdout_run_is_the_one_fold_case(runs):
    report = load_run_report(RunFolder(runs["holdout"]))
    summary = json.loads((runs["holdout"] / "summary.json").read_text())
    assert report.kind == "holdout" and report.n_splits == 1
    assert report.status == "finished" and report.is_finished and report.results_complete
    assert report.problems == []
    results = report.results
    assert len(results) == N_GRID_POINTS
    assert list(results[report.rank_column]) == sorted(results[report.rank_column])
    assert results["std_validation_accuracy"].isna().all()
    assert np.allclose(results["split0_validation_accuracy"].dropna(),
                       results["mean_validation_accuracy"].dropna())
    assert report.best_trial_id == summary["best"]["trial_id"] == results.iloc[0]["trial_id"]
    assert report.best_is_final
    assert report.varying_parameter_keys == ["model.hidden_layers", "training.learning_rate"]
    assert (report.failed_trials["status"] == "diverged").sum() == N_DIVERGED
    assert set(report.histories) == set(results["trial_id"])
    assert report.test_scores == summary["test"]


def test_holdout_test_set_parts(runs):
    report = load_run_report(RunFolder(runs["holdout"]))
    assert report.class_names == tuple(str(digit) for digit in range(10))
    assert report.confusion.shape == (10, 10) and report.confusion.sum() == N_TEST
    assert list(report.per_class["support"]) == list(report.confusion.sum(axis=1))
    assert len(report.predictions) == N_TEST
    curves = report.precision_recall_curves
    assert [curve["class"] for curve in curves] == list(report.class_names)
    assert all(0.0 <= curve["average_precision"] <= 1.0 for curve in curves)


def test_describes_what_was_run(runs):
    report = load_run_report(RunFolder(runs["holdout"]))
    assert report.command_line == "mlpsel train quickstart.yaml"
    assert report.dataset == "mnist-mini"
    assert report.seed == 0
    assert split_description(report) == "train 800 · validation 200 · test 200"
    assert status_note(report) is None


def test_cv_run_has_folds_and_spread(runs):
    report = load_run_report(RunFolder(runs["cv"]))
    assert report.kind == "cv" and report.n_splits == CV_FOLDS
    assert report.folds == (CV_FOLDS, 1)
    assert split_description(report).startswith("3 folds × 1 repeat")
    assert len(report.results) == N_GRID_POINTS and report.results_complete
    ok = report.results[report.results["status"] == "ok"]
    assert len(ok) == N_GRID_POINTS - N_DIVERGED
    assert (ok["std_validation_accuracy"] > 0).all()
    split_columns = [f"split{k}_validation_accuracy" for k in range(CV_FOLDS)]
    assert np.allclose(ok[split_columns].mean(axis=1), ok["mean_validation_accuracy"])
    assert ok["mean_fit_seconds"].notna().all() and ok["mean_best_epoch"].notna().all()
    # fold histories <id>-r0f0..r0f2 are averaged per epoch and keyed by grid point; the refit
    # on all training data (trials/refit-<id>/) has no validation curve and is left out
    assert (runs["cv"] / "trials" / f"refit-{report.best_trial_id}").is_dir()
    assert set(report.histories) == set(report.results["trial_id"])
    assert list(report.histories[report.best_trial_id]["epoch"]) == [1, 2]
    assert report.best_row["trial_id"] == report.best_trial_id == report.summary["best"][
        "trial_id"]
    assert report.test_scores == report.summary["test"]


@pytest.mark.parametrize("status", ["interrupted", "running"])
def test_unfinished_run_reads_what_exists(runs, tmp_path, status):
    run = make_unfinished_run(runs["holdout"], tmp_path, status)
    report = load_run_report(RunFolder(run))
    assert report.status == status and not report.is_finished
    assert not report.results_complete
    assert len(report.results) == N_GRID_POINTS // 2  # the trials whose result.json exists
    assert not report.best_is_final and report.best_trial_id is not None
    assert report.summary == {} and report.test_scores == {}
    assert report.confusion is None and report.per_class is None
    assert report.predictions is None and report.precision_recall_curves is None
    assert status in status_note(report) and "partial" in status_note(report)


def test_unfinished_cv_run_is_rebuilt_from_fold_results(runs, tmp_path):
    run = make_unfinished_run(runs["cv"], tmp_path, "interrupted")
    finished = sorted(path.parent.name for path in (run / "trials").glob("*/result.json"))
    report = load_run_report(RunFolder(run))
    assert report.kind == "cv" and not report.results_complete
    grid_points = {task.rsplit("-r", 1)[0] for task in finished if not task.startswith("refit-")}
    assert set(report.results["trial_id"]) == grid_points
    complete = report.results[report.results["split2_validation_accuracy"].notna()
                              & (report.results["status"] == "ok")]
    assert len(complete) and complete["std_validation_accuracy"].notna().all()


def test_a_running_run_whose_process_is_gone(runs, tmp_path):
    import socket
    import subprocess
    import sys

    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                            capture_output=True, text=True, check=True)
    run = make_unfinished_run(runs["holdout"], tmp_path, "running")
    edit_json(run / "run.json", pid=int(exited.stdout), host=socket.gethostname())
    report = load_run_report(RunFolder(run))
    assert report.process_gone
    assert "has exited: it was probably killed" in status_note(report)
    edit_json(run / "run.json", pid=os.getpid())  # this test's own process: alive
    assert not load_run_report(RunFolder(run)).process_gone


def test_bare_run_folder_and_damaged_files(runs, tmp_path):
    bare = tmp_path / "20260101-000000-bare-cccc"
    bare.mkdir()
    (bare / "run.json").write_text(json.dumps({"status": "running", "command": "train"}))
    report = load_run_report(RunFolder(bare))
    assert report.results is None and report.histories == {} and report.test_scores == {}

    damaged = copy_run(runs["holdout"], tmp_path, "20260101-000000-damaged-dddd")
    (damaged / "summary.json").write_text("{not json")
    (damaged / "config.yaml").write_text("a: [unclosed")
    report = load_run_report(RunFolder(damaged))
    assert any(problem.startswith("summary.json") for problem in report.problems)
    assert any(problem.startswith("config.yaml") for problem in report.problems)
    assert report.results is not None  # trials.csv is intact
    # without summary.json the test scores come back from the confusion matrix
    assert math.isclose(report.test_scores["test_accuracy"],
                        np.trace(report.confusion) / report.confusion.sum())


def test_the_report_ranks_exactly_as_the_run_wrote_its_tables(runs):
    """One results module: the report's table is the run's own cv_results.csv, row for row."""
    report = load_run_report(RunFolder(runs["cv"]))
    written = pd.read_csv(runs["cv"] / "cv_results.csv")
    shown = report.results.sort_values("trial_id").reset_index(drop=True)
    for column in written.columns:
        expected, actual = written[column], shown[column]
        if expected.dtype.kind in "fi":
            np.testing.assert_allclose(actual.astype(float), expected.astype(float), rtol=0,
                                       atol=0, equal_nan=True, err_msg=column)
        else:
            assert list(actual.fillna("").astype(str)) == list(expected.fillna("").astype(str))
    assert not any(trial_id.startswith("refit-") for trial_id in report.results["trial_id"])
