"""``mlpsel biasvar``: many training sets per grid point, one evaluation set, the decomposition."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.errors import Interrupted
from mlpsel.events import TaskFinished
from mlpsel.stats import zero_one_decomposition
from mlpsel.strategies.biasvar import round_training_sets
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART, TINY_OVERRIDES

ARGUMENTS = ["--rounds", "3", "--train-size", "200"]


def set_arguments(overrides: list[str]) -> list[str]:
    return [argument for override in overrides for argument in ("--set", override)]


@pytest.fixture(scope="module")
def biasvar_run(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("biasvar")
    result = CliRunner().invoke(app, ["biasvar", str(QUICKSTART), *ARGUMENTS, "--runs-dir",
                                      str(runs_dir), *set_arguments(TINY_OVERRIDES)])
    assert result.exit_code == 0, result.output
    (run,) = runs_dir.iterdir()
    return run


def test_the_table_adds_up_and_the_predictions_recompute_it(biasvar_run):
    table = pd.read_csv(biasvar_run / "biasvar.csv")
    assert len(table) == 2 and (table["status"] == "ok").all()
    assert (table["rounds"] == 3).all() and (table["train_size"] == 200).all()
    np.testing.assert_allclose(table["loss"], table["bias"] + table["net_variance"])
    np.testing.assert_allclose(table["variance"],
                               table["unbiased_variance"] + table["biased_variance"])
    with np.load(biasvar_run / "biasvar_predictions.npz") as stored:
        ids, predictions, targets = (stored["grid_point_ids"], stored["predictions"],
                                     stored["targets"])
    assert predictions.shape == (2, 3, 200) and targets.shape == (200,)  # validation part
    for trial_id, rounds in zip(ids, predictions, strict=True):
        row = table[table["trial_id"] == trial_id].iloc[0]
        again = zero_one_decomposition(rounds, targets, n_classes=10)
        for name, value in again.items():
            assert row[name] == pytest.approx(value), name


def test_rounds_have_their_own_seed_and_the_test_set_is_untouched(biasvar_run):
    results = [json.loads(p.read_text()) for p in biasvar_run.glob("trials/*/result.json")]
    assert len(results) == 2 * 3
    for grid_point in {r["grid_point_id"] for r in results}:
        seeds = [r["seed"] for r in results if r["grid_point_id"] == grid_point]
        assert len(set(seeds)) == 3
    summary = json.loads((biasvar_run / "summary.json").read_text())
    assert "test" not in summary and not (biasvar_run / "best").exists()
    assert all("initialisation" in text for text in summary["readings"].values())
    assert (biasvar_run / "biasvar.png").stat().st_size > 10_000


def test_training_sets_are_disjoint_while_the_pool_allows():
    pool = np.arange(100, 200)
    sets = round_training_sets(pool, 4, 25, bootstrap=False, seed=0)
    assert sorted(np.concatenate(sets)) == list(pool)  # 4 × 25 = the whole pool, no overlap
    more = round_training_sets(pool, 6, 25, bootstrap=False, seed=0)
    assert all(len(set(s)) == 25 for s in more)  # fresh draws after, each without repeats
    boot = round_training_sets(pool, 3, 100, bootstrap=True, seed=0)
    assert all(len(set(s)) < 100 for s in boot)  # with replacement


def test_too_large_a_training_set_is_a_config_error(tmp_path):
    result = CliRunner().invoke(app, ["biasvar", str(QUICKSTART), "--train-size", "100000",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "biasvar.train_size" in result.output


def test_an_interrupted_biasvar_run_resumes_without_retraining(tmp_path):
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "biasvar.rounds=3",
                                      "biasvar.train_size=200"])
    seen = []

    def stop_after_two(event):
        if isinstance(event, TaskFinished):
            seen.append(event.task_id)
            if len(seen) == 2:
                raise KeyboardInterrupt

    with pytest.raises((KeyboardInterrupt, Interrupted)):
        run_study("biasvar", config, StudyOptions(runs_dir=tmp_path), on_event=stop_after_two)
    (run,) = tmp_path.iterdir()
    stored = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert len(stored) == 2
    events = []
    run_study("biasvar", config, StudyOptions(runs_dir=tmp_path, resume=run.name),
              on_event=events.append)
    resumed = {e.task_id for e in events if isinstance(e, TaskFinished) and e.resumed}
    assert set(stored) == resumed
    after = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert len(after) == 6 and all(after[name] == mtime for name, mtime in stored.items())


def test_the_html_page_of_a_biasvar_run_shows_readings_and_the_picture(biasvar_run):
    from mlpsel.report.html import write_html
    from mlpsel.report.loading import load_run_report
    from mlpsel.store import RunFolder

    html = write_html(load_run_report(RunFolder(biasvar_run))).read_text(encoding="utf-8")
    assert 'id="readings"' in html and 'data-figure="biasvar"' in html
    assert "net variance" in html and "Ranking of grid points" not in html


def test_resume_after_kill_9(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    runs_dir = tmp_path / "runs"
    command = [sys.executable, "-m", "mlpsel", "biasvar", str(QUICKSTART), "--rounds", "10",
               "--train-size", "200", "--runs-dir", str(runs_dir), "--jobs", "2", "--quiet",
               *set_arguments([*TINY_OVERRIDES, "training.epochs=8"])]

    def start() -> subprocess.Popen:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True)

    process = start()
    deadline = time.monotonic() + 60
    while len(list(runs_dir.glob("*/trials/*/result.json"))) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (run,) = runs_dir.iterdir()
    before = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert 3 <= len(before) < 20
    again = start()
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert [p.name for p in runs_dir.iterdir()] == [run.name]
    after = {p.parent.name: p.stat().st_mtime_ns for p in run.glob("trials/*/result.json")}
    assert len(after) == 20 and all(after[name] == mtime for name, mtime in before.items())
    assert (run / "biasvar.csv").is_file()
