"""``mlpsel curve``: learning curves against training-set size, end to end, and resume."""

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

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.experiment import load_run_data
from mlpsel.strategies import LearningCurve
from mlpsel.strategies.curve import resolve_sizes
from tests.conftest import QUICKSTART, TINY_OVERRIDES

SIZES = "0.25,0.5,1.0"


def set_arguments(overrides: list[str]) -> list[str]:
    return [argument for override in overrides for argument in ("--set", override)]


@pytest.fixture(scope="module")
def curve_run(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("curve")
    result = CliRunner().invoke(app, ["curve", str(QUICKSTART), "--train-sizes", SIZES,
                                      "--folds", "2", "--runs-dir", str(runs_dir),
                                      *set_arguments(TINY_OVERRIDES)])
    assert result.exit_code == 0, result.output
    (run,) = runs_dir.iterdir()
    return run


def test_the_table_has_every_grid_point_and_size_and_its_means_match_the_splits(curve_run):
    table = pd.read_csv(curve_run / "learning_curve.csv")
    summary = json.loads((curve_run / "summary.json").read_text())
    # 1,000 images, 2 folds: each fold trains on 500; sizes 125, 250, 500
    assert summary["train_sizes"] == [125, 250, 500]
    assert len(table) == 2 * 3 and set(table["train_size"]) == {125, 250, 500}
    for kind in ("train_error", "validation_error"):
        splits = table[[f"split{k}_{kind}" for k in range(2)]].to_numpy()
        np.testing.assert_allclose(table[f"mean_{kind}"], splits.mean(axis=1))
        np.testing.assert_allclose(table[f"std_{kind}"], splits.std(axis=1))
    assert (table["status"] == "ok").all()
    stored = json.loads(next(curve_run.glob("trials/*-n125/result.json")).read_text())
    assert stored["train_size"] == 125 and 0 <= stored["train_error"] <= 1


def test_readings_figure_and_no_test(curve_run):
    summary = json.loads((curve_run / "summary.json").read_text())
    assert len(summary["readings"]) == 2
    for reading in summary["readings"].values():
        assert reading.split(":")[0] in ("high bias", "high variance", "converged")
        assert "more accuracy at 2× data" in reading
    assert (curve_run / "learning_curve.png").stat().st_size > 10_000
    assert not (curve_run / "best").exists() and "test" not in summary  # the test set untouched
    text = CliRunner().invoke(app, ["report", str(curve_run)]).output
    assert "Learning curves against training-set size" in text


def test_subsets_are_nested_within_each_fold():
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=2",
                                      f"curve.train_sizes=[{SIZES}]"])
    strategy = LearningCurve(config, load_run_data(config))
    by_fold: dict = {}
    for task in strategy.tasks:
        by_fold.setdefault((task.grid_point.index, task.id.fold), []).append(task)
    for tasks in by_fold.values():
        rows = [set(task.train_index) for task in sorted(tasks, key=lambda t: t.id.train_size)]
        assert rows[0] < rows[1] < rows[2]
        assert set(tasks[0].validation_index).isdisjoint(rows[2])


def test_sizes_are_fractions_or_counts():
    assert resolve_sizes([0.1, 0.5, 1.0], 1000) == [100, 500, 1000]
    assert resolve_sizes([200, 0.5], 1000) == [200, 500]
    result = CliRunner().invoke(app, ["curve", str(QUICKSTART), "--train-sizes", "0.5,1.5",
                                      "--smoke"])
    assert result.exit_code == 2 and "curve.train_sizes" in result.output


RESUME = [*TINY_OVERRIDES, "training.epochs=3", "cv.folds=3"]


def _start(runs_dir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "mlpsel", "curve", str(QUICKSTART), "--train-sizes", SIZES,
               "--runs-dir", str(runs_dir), "--jobs", "2", "--quiet", *set_arguments(RESUME)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)


def test_resume_after_kill_9(tmp_path):
    runs_dir = tmp_path / "runs"
    process = _start(runs_dir)
    deadline = time.monotonic() + 60
    while len(list(runs_dir.glob("*/trials/*/result.json"))) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (run,) = runs_dir.iterdir()
    before = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert 3 <= len(before) < 18
    rerun = _start(runs_dir)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    assert [p.name for p in runs_dir.iterdir()] == [run.name]  # the same run, continued
    after = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert len(after) == 2 * 3 * 3
    assert all(after[name] == mtime for name, mtime in before.items())  # not trained again
    assert json.loads((run / "run.json").read_text())["status"] == "finished"


def test_the_json_report_of_a_curve_run_carries_readings_and_the_table(curve_run):
    result = CliRunner().invoke(app, ["report", str(curve_run), "--format", "json"])
    report = json.loads(result.output)
    assert report["kind"] == "curve" and len(report["readings"]) == 2
    assert len(report["examination"]) == 6 and report["test"] is None
