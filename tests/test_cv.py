"""``mlpsel cv`` and the executor: folds, mean/std, failure isolation, parallel = serial, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlpsel import run_cv
from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.errors import ConfigError, RunAlreadyFinished
from mlpsel.results import grid_point_rows
from tests.conftest import MNIST_CONFIG, QUICKSTART

CV_OVERRIDES = [
    "dataset.train_subset=600",
    "dataset.test_subset=200",
    "training.epochs=2",
    "cv.folds=3",
    "search.model.hidden_layers=[[16]]",
    "search.training.learning_rate=[0.05, 0.2]",
]
TIMING_COLUMNS = ["mean_fit_seconds"]


def set_arguments(overrides: list[str]) -> list[str]:
    arguments = []
    for override in overrides:
        arguments += ["--set", override]
    return arguments


def cv_cli(runs_dir: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["cv", str(QUICKSTART), "--runs-dir", str(runs_dir),
                                      *arguments])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def cv_run(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("cv") / "runs"
    code, output = cv_cli(runs_dir, *set_arguments(CV_OVERRIDES), "--jobs", "1")
    assert code == 0, output
    (run,) = runs_dir.iterdir()
    return run


def test_cv_writes_every_file(cv_run):
    for name in ["cv_results.csv", "trials.csv", "folds.npz", "cv_spread.png", "summary.json",
                 "learning_curves.png", "confusion_matrix.png", "best/model.npz",
                 "best/predictions.csv", "best/confusion_matrix.csv", "best/per_class.csv"]:
        assert (cv_run / name).is_file(), name
    trial_folders = sorted(p.name for p in (cv_run / "trials").iterdir())
    assert len(trial_folders) == 2 * 3 + 1  # grid points × folds, and the refit
    assert any(name.startswith("refit-") for name in trial_folders)


def test_folds_file_partitions_the_training_images(cv_run):
    with np.load(cv_run / "folds.npz") as folds:
        assignment, labels = folds["fold_assignment"], folds["labels"]
    assert assignment.shape == (1, 600)
    assert sorted(np.unique(assignment)) == [0, 1, 2]
    for k in range(10):
        per_fold = np.bincount(assignment[0][labels == k], minlength=3)
        assert per_fold.max() - per_fold.min() <= 1  # stratified


def test_cv_results_mean_and_std_are_those_of_the_folds(cv_run):
    results = pd.read_csv(cv_run / "cv_results.csv")
    assert len(results) == 2
    for row in results.to_dict("records"):
        fold_values = [row[f"split{k}_validation_accuracy"] for k in range(3)]
        assert row["mean_validation_accuracy"] == pytest.approx(np.mean(fold_values))
        assert row["std_validation_accuracy"] == pytest.approx(np.std(fold_values))
        for k in range(3):
            stored = json.loads((cv_run / "trials" / f"{row['trial_id']}-r0f{k}" /
                                 "result.json").read_text())
            assert stored["validation_accuracy"] == row[f"split{k}_validation_accuracy"]
    summary = json.loads((cv_run / "summary.json").read_text())
    best = results.loc[results["mean_validation_accuracy"].idxmax()]
    assert summary["best"]["trial_id"] == best["trial_id"]
    chosen = results["trial_id"] == best["trial_id"]
    assert results.loc[chosen, "rank_validation_accuracy"].item() == 1
    assert summary["folds"] == 3 and summary["best"]["refit_epochs"] == 2


def test_mean_std_arithmetic_by_hand():
    """Three folds with accuracies 0.5, 0.7, 0.9: mean 0.7, population std sqrt(0.08/3)."""
    results = []
    for index, (grid_point, accuracies, status) in enumerate(
            (("000-a", [0.5, 0.7, 0.9], "ok"), ("001-b", [0.99, None, 0.99], "diverged"))):
        for k, accuracy in enumerate(accuracies):
            results.append({
                "task_id": f"{grid_point}-r0f{k}", "grid_point_id": grid_point,
                "grid_point_index": index, "repeat": 0, "fold": k,
                "params": {"training.learning_rate": 0.1 * (index + 1)},
                "status": status if accuracy is None else "ok",
                "error": "loss became nan" if accuracy is None else None,
                "validation_accuracy": accuracy, "validation_loss": 1.0,
                "validation_macro_f1": accuracy, "fit_seconds": 1.0, "best_epoch": 3,
            })
    frame = pd.DataFrame(grid_point_rows(reversed(results), n_splits=3, folds=3))
    assert list(frame["trial_id"]) == ["000-a", "001-b"]  # grid order, whatever the input order
    assert [frame.loc[0, f"split{k}_validation_accuracy"] for k in range(3)] == [0.5, 0.7, 0.9]
    assert frame.loc[0, "mean_validation_accuracy"] == pytest.approx(0.7)
    assert frame.loc[0, "std_validation_accuracy"] == pytest.approx(np.sqrt(0.08 / 3))
    # a grid point with a diverged fold is not ranked above a complete one, and says why
    assert frame.loc[1, "status"] == "diverged"
    assert "loss became nan" in frame.loc[1, "error"]
    assert pd.isna(frame.loc[1, "mean_validation_accuracy"])
    assert list(frame["rank_validation_accuracy"]) == [1, 2]


def test_parallel_gives_identical_results(cv_run, tmp_path):
    code, output = cv_cli(tmp_path / "runs", *set_arguments(CV_OVERRIDES), "--jobs", "2")
    assert code == 0, output
    (parallel,) = (tmp_path / "runs").iterdir()
    assert_same_results(cv_run, parallel)


def assert_same_results(first: Path, second: Path) -> None:
    a = pd.read_csv(first / "cv_results.csv").drop(columns=TIMING_COLUMNS)
    b = pd.read_csv(second / "cv_results.csv").drop(columns=TIMING_COLUMNS)
    pd.testing.assert_frame_equal(a, b)
    for name in ["predictions.csv", "confusion_matrix.csv", "per_class.csv"]:
        assert (first / "best" / name).read_bytes() == (second / "best" / name).read_bytes(), name
    with np.load(first / "best" / "model.npz") as x, np.load(second / "best" / "model.npz") as y:
        assert all(np.array_equal(x[key], y[key]) for key in x.files)


def test_failed_and_diverged_trials_are_isolated(tmp_path):
    """A learning rate of 1e6 diverges; the sweep goes on and chooses among the others."""
    overrides = [*CV_OVERRIDES, "search.training.learning_rate=[0.1, 1000000.0]"]
    code, output = cv_cli(tmp_path / "runs", *set_arguments(overrides), "--jobs", "1")
    assert code == 0, output
    (run,) = (tmp_path / "runs").iterdir()
    results = pd.read_csv(run / "cv_results.csv")
    assert list(results["status"]) == ["ok", "diverged"]
    assert "nan" in results.loc[1, "error"] or "inf" in results.loc[1, "error"]
    assert "diverged" in output


def test_no_successful_trial_exits_1(tmp_path):
    overrides = [*CV_OVERRIDES, "search.training.learning_rate=[1000000.0]"]
    code, output = cv_cli(tmp_path / "runs", *set_arguments(overrides), "--jobs", "1")
    assert code == 1
    assert "no trial succeeded" in output
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "failed"
    # the tables of what was tried are written all the same
    assert list(pd.read_csv(run / "cv_results.csv")["status"]) == ["diverged"]
    assert set(pd.read_csv(run / "trials.csv")["status"]) == {"diverged"}


def test_class_with_fewer_samples_than_folds(tmp_path):
    code, output = cv_cli(tmp_path / "runs", *set_arguments(CV_OVERRIDES), "--folds", "200",
                          "--jobs", "1")
    assert code == 2
    assert "fewer than the 200 folds" in output
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_resume_refuses_a_changed_config(cv_run):
    runs_dir = cv_run.parent
    config = load_config(QUICKSTART, [*CV_OVERRIDES, "training.epochs=3"])
    with pytest.raises(ConfigError) as info:
        run_cv(config, runs_dir=runs_dir, resume=cv_run.name)
    assert "training.epochs: 2 → 3" in str(info.value)


def test_rerun_of_a_finished_command_starts_a_new_run(cv_run, tmp_path):
    """Only unfinished runs are continued without --resume."""
    config = load_config(QUICKSTART, CV_OVERRIDES)
    runs_dir = tmp_path / "runs"
    first = run_cv(config, runs_dir=runs_dir)
    second = run_cv(config, runs_dir=runs_dir)
    assert first.run.run_id != second.run.run_id
    # --resume of a finished run leaves it as it is: no test evaluation again, nothing rewritten
    before = {path: path.read_bytes() for path in first.run.path.rglob("*") if path.is_file()}
    with pytest.raises(RunAlreadyFinished, match="is finished; it is left as it is"):
        run_cv(config, runs_dir=runs_dir, resume=first.run.run_id)
    assert {path: path.read_bytes() for path in first.run.path.rglob("*")
            if path.is_file()} == before


def _start_sweep(runs_dir: Path, overrides: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "mlpsel", "cv", str(QUICKSTART), "--runs-dir",
               str(runs_dir), "--jobs", "2", "--quiet", *set_arguments(overrides)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)


def _wait_for_results(runs_dir: Path, at_least: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = len(list(runs_dir.glob("*/trials/*/result.json")))
        if found >= at_least:
            return found
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.05)
    raise AssertionError("the sweep stored no result in 60 s")


RESUME_OVERRIDES = [
    "dataset.train_subset=1000", "dataset.test_subset=200", "training.epochs=3", "cv.folds=3",
    "search.model.hidden_layers=[[32], [64]]", "search.training.learning_rate=[0.05, 0.1]",
]


def test_resume_after_kill_9_of_the_process_group(tmp_path):
    """Kill a running sweep (parent and workers) mid-way, rerun the same command: it continues
    the same run, trains only what was missing, and ends with the files of an uninterrupted run."""
    interrupted_dir = tmp_path / "interrupted"
    process = _start_sweep(interrupted_dir, RESUME_OVERRIDES)
    stored = _wait_for_results(interrupted_dir, 2, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (run,) = interrupted_dir.iterdir()
    assert not (run / "summary.json").exists()
    assert json.loads((run / "run.json").read_text())["status"] == "running"
    stored = len(list(run.glob("trials/*/result.json")))
    assert stored < 13

    rerun = _start_sweep(interrupted_dir, RESUME_OVERRIDES)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    assert [p.name for p in interrupted_dir.iterdir()] == [run.name]  # the same run continued
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["continued"] is True

    fresh_dir = tmp_path / "fresh"
    fresh = _start_sweep(fresh_dir, RESUME_OVERRIDES)
    output, _ = fresh.communicate(timeout=120)
    assert fresh.returncode == 0, output
    (fresh_run,) = fresh_dir.iterdir()
    assert_same_results(run, fresh_run)


def test_ctrl_c_stops_cleanly_and_says_how_to_continue(tmp_path):
    runs_dir = tmp_path / "runs"
    process = _start_sweep(runs_dir, RESUME_OVERRIDES)
    _wait_for_results(runs_dir, 1, process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "run the same command again to continue" in output
    assert "Traceback" not in output
    (run,) = runs_dir.iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    for result in run.glob("trials/*/result.json"):
        assert (result.parent / "history.csv").is_file()


def test_smoke_cv_makes_every_file_quickly(tmp_path):
    started = time.perf_counter()
    code, output = cv_cli(tmp_path / "runs", "--smoke", "--quiet")
    assert code == 0, output
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "cv_spread.png").is_file() and (run / "best" / "predictions.csv").is_file()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["folds"] == 2 and summary["n_grid_points"] <= 2
    assert len(output.strip().splitlines()) == 1  # --quiet: the summary line alone
    assert time.perf_counter() - started < 60  # generous: the promise is 30 s on 2 cores


@pytest.mark.slow
def test_full_mnist_cv_smoke(tmp_path, full_mnist_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["cv", str(MNIST_CONFIG), "--smoke", "--data-dir",
                                 str(full_mnist_dir), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output


def test_refit_epochs_follow_the_folds_only_with_early_stopping():
    from mlpsel.strategies.kfold import refit_epochs

    # early stopping off: the configured epochs
    assert refit_epochs(0, 20, [3, 4, 6]) == 20
    # on: the mean best epoch of the folds, rounded, at least 1
    assert refit_epochs(2, 20, [3, 4, 6]) == 4
    assert refit_epochs(2, 20, [1, 1, 2]) == 1


def test_jobs_never_exceed_cores_over_blas_threads(monkeypatch, tmp_path):
    """With 2 cores and 2 BLAS threads per trial, --jobs 2 runs the trials one at a time."""
    import mlpsel.executor as executor

    monkeypatch.setattr(executor, "default_jobs", lambda: 2)
    used = []
    monkeypatch.setattr(executor, "_run_in_processes",
                        lambda tasks, *args: used.append("processes") or {})
    config = load_config(QUICKSTART, [*CV_OVERRIDES, "cv.folds=2"])
    result = run_cv(config, runs_dir=tmp_path / "runs", jobs=2, blas_threads=2)
    assert used == [] and result.summary["n_grid_points"] == 2
