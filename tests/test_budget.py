"""What a sweep will cost before it runs: the estimate by hand, the limits that need --yes,
--dry-run, and what holdout trials keep on disk (keep.trial_models)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlpsel import budget
from mlpsel.budget import PlannedTask, SweepEstimate, estimate_sweep, limits_passed
from mlpsel.config import load_config
from mlpsel.errors import ConfigError, SweepTooLarge
from mlpsel.study import StudyOptions, plan_study, run_study
from tests.conftest import QUICKSTART, TINY_OVERRIDES


def mlpsel(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpsel", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_task_costs_three_passes_over_its_training_rows_and_one_over_its_validation_rows():
    task = PlannedTask((784, 16, 10), n_train=100, n_validation=20, epochs=2, keeps_model=True)
    assert task.weights == 784 * 16 + 16 * 10
    assert task.parameters == task.weights + 16 + 10
    assert task.multiply_adds == task.weights * 2 * (3 * 100 + 20)
    model = 4 * task.parameters + 16 * 784 + 2_000
    assert task.disk_bytes == budget.RESULT_BYTES + budget.HISTORY_BYTES_PER_EPOCH * 3 + model
    bare = PlannedTask((784, 16, 10), 100, 20, 2)
    assert task.disk_bytes - bare.disk_bytes == model


def test_the_estimate_adds_up_the_tasks_and_divides_by_the_workers(tmp_path):
    tasks = [PlannedTask((10, 5, 2), 1000, 100, 3)] * 4
    estimate = estimate_sweep(tasks, jobs=2, runs_dir=tmp_path, multiply_adds_per_second=1e6)
    work = 4 * (10 * 5 + 5 * 2) * 3 * (3 * 1000 + 100)
    assert estimate.multiply_adds == work
    assert estimate.seconds == pytest.approx(work / 2e6)
    assert (estimate.n_tasks, estimate.epochs, estimate.jobs) == (4, 12, 2)
    assert estimate.disk_bytes == budget.FIXED_BYTES + sum(t.disk_bytes for t in tasks)
    assert estimate.free_bytes is not None and estimate.free_bytes > 0
    # never more workers than tasks
    assert estimate_sweep(tasks[:1], jobs=8, runs_dir=tmp_path,
                          multiply_adds_per_second=1e6).jobs == 1


def estimate(**fields) -> SweepEstimate:
    values = dict(n_tasks=10, epochs=10, multiply_adds=1.0, seconds=60.0, disk_bytes=1_000,
                  free_bytes=10**12, jobs=2)
    return SweepEstimate(**{**values, **fields})


def test_limits():
    assert limits_passed(estimate()) == []
    assert limits_passed(estimate(n_tasks=1_000)) == []
    assert limits_passed(estimate(n_tasks=1_001)) == ["over 1,000 trials"]
    assert limits_passed(estimate(seconds=13 * 3600)) == ["over 12 hours"]
    assert limits_passed(estimate(disk_bytes=11e9)) == ["over 10 GB on disk"]
    assert limits_passed(estimate(disk_bytes=5_000, free_bytes=4_000)) == [
        "more than the 4.0 kB free"]
    assert estimate().describe() == ("10 trials, 10 epochs, 1 multiply-adds: roughly 60 s on 2 "
                                     "workers and 1.0 kB on disk")


@pytest.mark.parametrize("seconds, text", [(0.2, "1 s"), (42, "42 s"), (600, "10 min"),
                                           (3 * 3600, "3.0 hours"), (5 * 86400, "5.0 days")])
def test_format_duration(seconds, text):
    assert budget.format_duration(seconds) == text


def test_the_measured_rate_is_a_plausible_number():
    assert 1e7 < budget.measured_rate() < 1e13


def test_planned_tasks_are_the_tasks_that_run(tmp_path):
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=2"])
    planned = plan_study("cv", config, StudyOptions(runs_dir=tmp_path / "runs"))
    assert planned.estimate.n_tasks == 2 * 2 + 1  # 2 points × 2 folds, and the refit
    assert planned.estimate.epochs == 5 * 2
    assert not (tmp_path / "runs").exists()  # planning makes no run folder
    result = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "runs"))
    assert len(list(result.run.path.glob("trials/*/result.json"))) == planned.estimate.n_tasks


def test_halving_plans_the_epochs_it_trains(tmp_path):
    overrides = [*TINY_OVERRIDES, "training.epochs=9", "search.strategy=halving",
                 "search.factor=3", "search.space.training.learning_rate=[0.02, 0.05, 0.1]",
                 "search.space.model.hidden_layers=[[16], [32], [8]]"]
    config = load_config(QUICKSTART, overrides)
    planned = plan_study("train", config, StudyOptions(runs_dir=tmp_path))
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path))
    compute = result.summary["best"]["halving_compute"]
    assert planned.estimate.epochs == compute["epochs_trained"] == 9 * 1 + 3 * 2 + 1 * 6


def test_over_a_thousand_trials_is_refused_with_the_estimate(tmp_path):
    rates = ", ".join(f"0.{i:04d}" for i in range(1, 1002))
    process = mlpsel("train", str(QUICKSTART), "--runs-dir", "runs", "--set",
                     f"search.training.learning_rate=[{rates}]", "--set",
                     "search.model.hidden_layers=[[16]]", cwd=tmp_path)
    assert process.returncode == 2
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in process.stderr
    assert lines[0].startswith("error: this sweep is 1,001 trials, 15,015 epochs, ")
    assert "roughly" in lines[0] and "MB on disk (over 1,000 trials); give --yes" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_a_search_too_large_to_plan_is_refused_before_the_data_is_loaded(tmp_path,
                                                                         monkeypatch):
    import mlpsel.study as study

    def no_data(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(study, "load_run_data", no_data)
    values = ", ".join(str(v) for v in range(1, 501))
    config = load_config(QUICKSTART, [f"search.training.batch_size=[{values}]",
                                      f"search.training.epochs=[{values}]"])
    with pytest.raises(SweepTooLarge, match="the search has 1,000,000 points, too many to plan"):
        plan_study("train", config, StudyOptions(runs_dir=tmp_path))


def test_dry_run_lists_the_trials_and_the_cost_and_writes_nothing(tmp_path):
    rates = ", ".join(f"0.{i:04d}" for i in range(1, 1202))
    process = mlpsel("train", str(QUICKSTART), "--runs-dir", "runs", "--dry-run", "--set",
                     f"search.training.learning_rate=[{rates}]", "--set",
                     "search.model.hidden_layers=[[16]]", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    out = process.stdout
    assert "000-" in out and "learning_rate=0.0001" in out and "5,000" in out  # train rows
    assert "… and 1,161 more" in out
    assert "dry run: 1,201 trials, 18,015 epochs" in out
    assert "past the limits (over 1,000 trials): it would need --yes" in out
    assert not (tmp_path / "runs").exists()


def test_a_run_past_the_free_disk_space_needs_yes(tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "free_space", lambda folder: 50_000)
    config = load_config(QUICKSTART, TINY_OVERRIDES)
    with pytest.raises(SweepTooLarge, match=r"more than the 50 kB free\); give --yes"):
        run_study("train", config, StudyOptions(runs_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path, assume_yes=True))
    assert result.run.read_run_info()["status"] == "finished"


@pytest.mark.parametrize("keep, models", [("all", 2), ("chosen", 1)])
def test_keep_trial_models(tmp_path, keep, models):
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, f"keep.trial_models={keep}"])
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path))
    kept = sorted(p.parent.name for p in result.run.path.glob("trials/*/model.npz"))
    assert len(kept) == models
    assert (result.run.path / "best" / "model.npz").is_file()
    if keep == "chosen":
        assert kept == [result.summary["best"]["trial_id"]]
    assert json.loads((result.run.path / "summary.json").read_text())["test"]


def test_keep_trial_models_takes_all_or_chosen(tmp_path):
    with pytest.raises(ConfigError, match="keep.trial_models: unknown choice 'some'; valid: "
                                          "all, chosen"):
        load_config(QUICKSTART, ["keep.trial_models=some"])


def test_a_batch_larger_than_the_training_part_is_refused(tmp_path):
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "training.batch_size=900"])
    with pytest.raises(ConfigError, match=r"--set: training.batch_size: 900 samples per "
                                          r"mini-batch, but the training part of .* holds 800"):
        run_study("train", config, StudyOptions(runs_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_learning_curve_says_when_a_batch_holds_a_whole_small_training_set(tmp_path):
    from mlpsel.events import Notice

    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=2",
                                      "curve.train_sizes=[0.05, 1.0]"])
    events = []
    run_study("curve", config, StudyOptions(runs_dir=tmp_path), on_event=events.append)
    [notice] = [event for event in events if isinstance(event, Notice)]
    assert "train on fewer samples than training.batch_size (64), down to 25" in notice.text


def test_a_subset_larger_than_the_dataset_is_refused(tmp_path):
    config = load_config(QUICKSTART, ["dataset.train_subset=7000"])
    with pytest.raises(ConfigError, match="dataset.train_subset: 7,000 training samples asked "
                                          "for, but mnist-mini has 6,000; give at most 6000"):
        run_study("train", config, StudyOptions(runs_dir=tmp_path))
    with pytest.raises(ConfigError, match="dataset.test_subset: 5,000 test samples asked for, "
                                          "but mnist-mini has 1,000"):
        run_study("train", load_config(QUICKSTART, ["dataset.test_subset=5000"]),
                  StudyOptions(runs_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_more_jobs_than_cores_is_said_not_quietly_cut(tmp_path, monkeypatch):
    import mlpsel.study as study
    from mlpsel.events import Notice

    monkeypatch.setattr(study, "default_jobs", lambda: 2)
    config = load_config(QUICKSTART, TINY_OVERRIDES)
    events = []
    plan_study("train", config, StudyOptions(runs_dir=tmp_path, jobs=8), on_event=events.append)
    assert [event.text for event in events if isinstance(event, Notice)] == [
        "note: --jobs 8 × --blas-threads 1 is more than the 2 cores here: at most 2 trials "
        "train at once"]
    events.clear()
    plan_study("train", config, StudyOptions(runs_dir=tmp_path, jobs=2), on_event=events.append)
    assert not [event for event in events if isinstance(event, Notice)]
