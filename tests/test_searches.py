"""Searches that spend less, and nested CV: random search, successive halving, outer folds.

Hand-checked facts: halving's budgets and survivor counts (27 → 9 → 3 at 1, 3, 9 epochs),
sampling without replacement, a training continued from its checkpoint bit for bit equal to one
that never stopped, and nested CV's outer folds disjoint, each scored once.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from mlpsel.config import load_config
from mlpsel.errors import ConfigError
from mlpsel.experiment import load_run_data, run_trial
from mlpsel.nn import MLP, TrainingState, fit, make_optimizer
from mlpsel.report.figures import RunFigures
from mlpsel.search import ParameterGrid, TrialSpec, grid_points, sample_space
from mlpsel.splits import holdout_split
from mlpsel.store import RunFolder, TaskId
from mlpsel.strategies import strategy_for
from mlpsel.strategies.halving import candidates_per_round, halving_budgets, survivors
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART

SMALL = ["dataset.train_subset=900", "dataset.test_subset=200", "split.validation=300"]
HALVING = [*SMALL, "training.epochs=9", "search.strategy=halving", "search.factor=3",
           "search.min_epochs=1", "search.space.model.hidden_layers=[[8], [16], [32]]",
           "search.space.training.learning_rate=[0.01, 0.05, 0.2]"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The search section


def test_random_search_section_is_resolved_with_its_settings(tmp_path):
    config = load_config(write(tmp_path, """
search:
  strategy: random
  trials: 6
  seed: 3
  space:
    training.learning_rate: {loguniform: [1e-3, 0.3]}
    model.hidden_layers: {intloguniform: [16, 256]}
    training.weight_decay: [0, 1.0e-4]
"""))
    assert config.search_settings["strategy"] == "random"
    assert config.search_settings["trials"] == 6 and config.search_settings["seed"] == 3
    assert config.search["training.learning_rate"] == {"loguniform": [0.001, 0.3]}
    assert config.search["training.weight_decay"] == [0.0, 0.0001]
    points = grid_points(config)
    assert len(points) == 6
    for point in points:
        assert 0.001 <= point.spec.training.learning_rate <= 0.3
        (width,) = point.spec.model.hidden_layers
        assert 16 <= width <= 256 and isinstance(width, int)
    # the written config reads back to the same values
    again = load_config(write(tmp_path, config.to_yaml()))
    assert again.values == config.values


def test_a_plain_grid_written_in_the_long_form_is_the_plain_grid(tmp_path):
    config = load_config(write(tmp_path, "search: {strategy: grid, space: "
                                         "{training.learning_rate: [0.1, 0.2]}}\n"))
    assert config.values["search"] == {"training.learning_rate": [0.1, 0.2]}
    assert config.search_settings["strategy"] == "grid"


def test_yaml_numbers_as_a_person_writes_them_and_quoted_text_stays_text(tmp_path):
    config = load_config(write(tmp_path, "training: {learning_rate: 1e-3, weight_decay: 5E-4}\n"))
    assert config["training.learning_rate"] == 0.001 and config["training.weight_decay"] == 5e-4
    with pytest.raises(ConfigError, match="expected a number, got '0.1'"):
        load_config(write(tmp_path, "training: {learning_rate: '0.1'}\n"))


@pytest.mark.parametrize(("space", "message"), [
    ("training.learning_rate: {loguniform: [0, 0.1]}", "a log range needs 0 < low"),
    ("training.learning_rate: {loguniform: [-1, 0.1]}", "a log range needs 0 < low"),
    ("training.learning_rate: {uniform: [0.2, 0.1]}", "needs low < high"),
    ("training.batch_size: {int: [64, 32]}", "needs low <= high"),
    ("training.batch_size: {uniform: [16, 64]}", "use int or intloguniform"),
    ("training.learning_rate: {int: [1, 3]}", "use uniform or loguniform"),
    ("model.activation: {uniform: [0, 1]}", "use choice"),
    ("training.learning_rate: {normal: [0, 1]}", "a distribution is one of choice, uniform"),
    ("training.learning_rate: {uniform: [0.1]}", r"takes \[low, high\]"),
    ("training.batch_size: {int: [1.5, 8]}", "two whole numbers"),
    ("training.momentum: {uniform: [0.5, 1.5]}", r"uniform \[0.5, 1.5\]: must be in \[0, 1\)"),
    ("training.epoch: [1, 2]", "did you mean 'training.epochs'"),
])
def test_bad_distributions_are_refused_naming_key_and_line(tmp_path, space, message):
    path = write(tmp_path, f"search:\n  strategy: random\n  trials: 4\n  space:\n    {space}\n")
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert "search.space." in str(error.value) and ":5:" in str(error.value)


@pytest.mark.parametrize(("text", "message"), [
    ("search: {training.learning_rate: {loguniform: [0.01, 0.1]}}", "a grid takes a list"),
    ("search: {strategy: random, space: {training.learning_rate: [0.1]}}", "needs the number of"),
    ("search: {strategy: sobol, space: {}}", "one of grid, random, halving"),
    ("search: {strategy: random, trials: 0, space: {}}", "at least 1"),
    ("search: {strategy: halving, factor: 1, space: {}}", "at least 2"),
    ("search: {strategy: halving, space: {training.learning_rate: {uniform: [0.1, 0.2]}}}",
     "needs trials"),
    ("search: {strategy: random, trials: 2, trails: 3, space: {}}", "unknown search setting"),
    ("search: {strategy: random, trials: 2, training.learning_rate: [0.1]}",
     "go under search.space"),
    ("training: {epochs: 3}\nsearch: {strategy: halving, min_epochs: 4, space: {}}",
     "above training.epochs"),
    ("training: {early_stopping_patience: 2}\nsearch: {strategy: halving, space: {}}",
     "early stopping would cut back"),
    ("search: {strategy: halving, space: {training.epochs: [3, 9]}}",
     "successive halving sets the epochs itself"),
])
def test_bad_search_sections_are_refused(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text + "\n"))


def test_overrides_change_the_strategy_and_the_space():
    config = load_config(QUICKSTART, ["search.strategy=random", "search.trials=3",
                                      "search.space.training.momentum={uniform: [0.5, 0.9]}"])
    assert config.search_settings["strategy"] == "random" and config.search_settings["trials"] == 3
    assert config.search["training.momentum"] == {"uniform": [0.5, 0.9]}
    assert config.search["model.hidden_layers"] == [[64], [256]]  # the file's entries stay
    assert len(grid_points(config)) == 3
    with pytest.raises(ConfigError, match="--set"):
        load_config(QUICKSTART, ["search.strategy=random", "search.trials=-1"])


# ---------------------------------------------------------------------------------------------
# Random sampling


def test_sampling_a_grid_is_without_replacement_and_reproducible():
    space = {"a": [1, 2, 3, 4], "b": ["x", "y", "z"]}
    grid = list(ParameterGrid(space))
    sample = sample_space(space, 7, seed=5)
    assert len(sample) == 7
    assert len({json.dumps(p, sort_keys=True) for p in sample}) == 7  # no point twice
    assert all(point in grid for point in sample)
    assert sample_space(space, 7, seed=5) == sample  # the same seed, the same points
    assert sample_space(space, 7, seed=6) != sample
    # more trials than points: the whole grid, each once
    whole = sample_space(space, 50, seed=0)
    assert sorted(map(str, whole)) == sorted(map(str, grid))


def test_parameter_grid_point_is_the_iteration_order():
    grid = ParameterGrid({"a": [1, 2, 3], "b": [4, 5], "c": [6, 7]})
    assert [grid.point(i) for i in range(len(grid))] == list(grid)


def test_distributions_draw_in_range_and_round():
    space = {"training.learning_rate": {"loguniform": [1e-4, 1.0]},
             "training.momentum": {"uniform": [0.5, 0.99]},
             "training.batch_size": {"int": [16, 20]},
             "model.hidden_layers": {"intloguniform": [8, 1024]}}
    points = sample_space(space, 200, seed=1)
    rates = np.array([p["training.learning_rate"] for p in points])
    assert rates.min() >= 1e-4 and rates.max() <= 1.0
    # log-uniform: about half of the draws below the geometric middle 0.01
    assert 0.35 < np.mean(rates < 0.01) < 0.65
    assert all(0.5 <= p["training.momentum"] <= 0.99 for p in points)
    assert {p["training.batch_size"] for p in points} == {16, 17, 18, 19, 20}  # both ends
    widths = [p["model.hidden_layers"][0] for p in points]
    assert min(widths) >= 8 and max(widths) <= 1024
    assert all(float(f"{r:.4g}") == r for r in rates)  # 4 significant digits


# ---------------------------------------------------------------------------------------------
# Continuing a training


def _network_and_optimizer(optimizer: str):
    settings = {"momentum": {"momentum": 0.9, "weight_decay": 1e-3}, "adam": {},
                "sgd": {"weight_decay": 1e-3}}[optimizer]
    return (MLP([20, 16, 3], dropout=0.2, rng=np.random.default_rng(1)),
            make_optimizer(optimizer, learning_rate=0.05, **settings), settings)


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "sgd"])
def test_three_then_nine_epochs_is_nine_epochs_bit_for_bit(optimizer, tmp_path):
    data = np.random.default_rng(0)
    X, y = data.integers(0, 256, (300, 20)).astype(np.uint8), data.integers(0, 3, 300)
    straight, straight_optimizer, settings = _network_and_optimizer(optimizer)
    fit(straight, straight_optimizer, X, y, epochs=9, batch_size=32,
        rng=np.random.default_rng(2))

    network, first_optimizer, _ = _network_and_optimizer(optimizer)
    rng = np.random.default_rng(2)
    fit(network, first_optimizer, X, y, epochs=3, batch_size=32, rng=rng)
    path = tmp_path / "checkpoint.npz"  # through a file, as a run stores it
    np.savez(path, **TrainingState(network, first_optimizer, rng, 3).to_arrays())
    with np.load(path, allow_pickle=False) as file:
        state = TrainingState.from_arrays(dict(file), make_optimizer(
            optimizer, learning_rate=0.05, **settings))
    history = fit(state.network, state.optimizer, X, y, epochs=9, batch_size=32, rng=state.rng,
                  initial_epoch=state.epochs_done)
    assert [record.epoch for record in history.records] == [4, 5, 6, 7, 8, 9]
    for a, b in zip(straight.parameters(), state.network.parameters(), strict=True):
        assert np.array_equal(a, b)


def test_a_checkpoint_of_another_optimizer_is_refused():
    network, optimizer, _ = _network_and_optimizer("momentum")
    arrays = TrainingState(network, optimizer, np.random.default_rng(0), 1).to_arrays()
    with pytest.raises(ValueError, match="of Momentum, not Adam"):
        TrainingState.from_arrays(arrays, make_optimizer("adam", learning_rate=0.1))


def test_a_trial_continued_from_its_checkpoint_equals_one_run_straight():
    config = load_config(QUICKSTART, [*SMALL, "training.epochs=9"])
    dataset = load_run_data(config)
    train, validation = holdout_split(dataset.strata, 300, seed=0)
    spec = TrialSpec.from_values(config.values)
    straight = run_trial(spec, dataset, train, validation)
    first = run_trial(spec, dataset, train, validation, epochs=3, keep_checkpoint=True)
    continued = run_trial(spec, dataset, train, validation, epochs=9, start=first.checkpoint)
    for a, b in zip(straight.network.parameters(), continued.network.parameters(), strict=True):
        assert np.array_equal(a, b)
    drop = ["seconds"]
    assert ([{k: v for k, v in row.items() if k not in drop} for row in continued.history]
            == [{k: v for k, v in row.items() if k not in drop} for row in straight.history])
    assert continued.scores["validation_accuracy"] == straight.scores["validation_accuracy"]
    assert continued.scores["epochs_trained"] == 6 and continued.scores["epochs_run"] == 9


# ---------------------------------------------------------------------------------------------
# Successive halving


def test_budgets_and_survivors_by_hand():
    assert halving_budgets(1, 3, 9) == [1, 3, 9]
    assert halving_budgets(1, 3, 20) == [1, 3, 9, 20]
    assert halving_budgets(2, 2, 16) == [2, 4, 8, 16]
    assert halving_budgets(5, 3, 5) == [5]
    assert [survivors(n, 3) for n in (27, 9, 10, 3, 2, 1)] == [9, 3, 4, 1, 1, 1]
    assert candidates_per_round(27, 3, 3) == [27, 9, 3]
    assert candidates_per_round(10, 3, 4) == [10, 4, 2, 1]


@pytest.fixture(scope="module")
def halving_cv(tmp_path_factory):
    config = load_config(QUICKSTART, [*HALVING, "cv.folds=3"])
    return run_study("cv", config, StudyOptions(runs_dir=tmp_path_factory.mktemp("hv"), jobs=2),
                     figures=RunFigures())


def test_halving_keeps_the_best_third_each_round(halving_cv):
    run = halving_cv.run
    table = pd.read_csv(run.cv_results_csv)
    assert list(table.columns[:3]) == ["trial_id", "iter", "n_resources"]
    rounds = table.groupby("iter")
    assert rounds.size().tolist() == [9, 3, 1]
    assert rounds["n_resources"].first().tolist() == [1, 3, 9]
    for iteration in (0, 1):
        this = table[table["iter"] == iteration]
        went_on = set(table[table["iter"] == iteration + 1]["trial_id"])
        best = this.sort_values(["mean_validation_accuracy"], ascending=False)
        assert went_on == set(best["trial_id"][:math.ceil(len(this) / 3)])
    final = table[table["iter"] == 2]
    assert halving_cv.summary["best"]["trial_id"] == final["trial_id"].item()
    assert halving_cv.summary["best"]["n_resources"] == 9
    # 9 × 1 + 3 × 2 + 1 × 6 epochs per fold, against 9 × 9 for the full grid
    assert halving_cv.summary["best"]["halving_compute"] == {"epochs_trained": 3 * 21,
                                                             "full_grid_epochs": 3 * 81}
    assert not list(run.path.glob("trials/*/checkpoint.npz"))  # none left once done
    assert run.figure("halving").is_file()
    refit = json.loads(run.trial_result(TaskId(final["trial_id"].item(), refit=True)).read_text())
    assert refit["epochs_run"] == 9


def test_a_survivor_continued_is_the_network_trained_straight(tmp_path):
    """Holdout halving: the chosen candidate's network, trained 1, then 3, then 9 epochs in
    three tasks, is bit for bit the network trained 9 epochs in one go."""
    config = load_config(QUICKSTART, HALVING)
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path))
    chosen = result.summary["best"]["trial_id"]
    point = next(p for p in grid_points(config) if p.grid_point_id == chosen)
    dataset = load_run_data(config)
    train, validation = holdout_split(dataset.strata, 300, seed=0)
    with threadpool_limits(1):  # as the sweep trains: one BLAS thread per trial
        straight = run_trial(point.spec, dataset, train, validation, epochs=9)
    stored = np.load(result.run.trial_model(TaskId(chosen, epochs=9)))
    for name, array in straight.network.to_arrays().items():
        if name != "metadata":
            assert np.array_equal(stored[name], array), name
    history = pd.read_csv(result.run.trial_history(TaskId(chosen, epochs=9)))
    assert history["epoch"].tolist() == list(range(1, 10))


def test_halving_is_refused_where_nothing_is_chosen():
    config = load_config(QUICKSTART, HALVING)
    with pytest.raises(ConfigError, match="examines every grid point") as error:
        strategy_for("curve", config)
    assert str(error.value).startswith(str(QUICKSTART))
    nested = load_config(QUICKSTART, [*HALVING, "cv.outer_folds=3"])
    with pytest.raises(ConfigError, match="not supported"):
        strategy_for("cv", nested)


def _start(runs_dir: Path, overrides: list[str]) -> subprocess.Popen:
    arguments = [item for override in overrides for item in ("--set", override)]
    return subprocess.Popen([sys.executable, "-m", "mlpsel", "cv", str(QUICKSTART),
                             "--runs-dir", str(runs_dir), "--jobs", "2", "--quiet",
                             *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)


def test_halving_resumes_after_kill_9_in_a_later_round(tmp_path):
    overrides = [*HALVING, "cv.folds=2", "dataset.train_subset=1500",
                 "search.space.model.hidden_layers=[[32], [64], [128]]"]
    runs_dir = tmp_path / "interrupted"
    process = _start(runs_dir, overrides)
    deadline = time.monotonic() + 90
    # wait until round 1 (3-epoch tasks) has begun storing, then kill parent and workers
    while not list(runs_dir.glob("*/trials/*-epochs3/result.json")):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "no round-1 result in 90 s"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    (run,) = runs_dir.iterdir()
    assert not (run / "summary.json").exists()
    rerun = _start(runs_dir, overrides)
    output, _ = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, output
    assert [p.name for p in runs_dir.iterdir()] == [run.name]
    fresh = _start(tmp_path / "fresh", overrides)
    output, _ = fresh.communicate(timeout=180)
    assert fresh.returncode == 0, output
    (fresh_run,) = (tmp_path / "fresh").iterdir()
    a = pd.read_csv(run / "cv_results.csv").drop(columns=["mean_fit_seconds"])
    b = pd.read_csv(fresh_run / "cv_results.csv").drop(columns=["mean_fit_seconds"])
    pd.testing.assert_frame_equal(a, b)
    with np.load(run / "best" / "model.npz") as x, np.load(fresh_run / "best" / "model.npz") as y:
        assert all(np.array_equal(x[key], y[key]) for key in x.files)


# ---------------------------------------------------------------------------------------------
# Nested cross-validation


@pytest.fixture(scope="module")
def nested_cv(tmp_path_factory):
    config = load_config(QUICKSTART, [*SMALL, "training.epochs=2", "cv.folds=2",
                                      "cv.outer_folds=3"])
    return run_study("cv", config, StudyOptions(runs_dir=tmp_path_factory.mktemp("nested"),
                                                jobs=2))


def test_nested_outer_folds_are_disjoint_and_each_scored_once(nested_cv):
    run = nested_cv.run
    outer = np.load(run.outer_folds_npz)["outer_fold"]  # (N,)
    assert outer.shape == (900,) and set(np.unique(outer)) == {0, 1, 2}
    assert sorted(np.bincount(outer)) == [300, 300, 300]
    results = run.finished_trial_results()
    outer_fits = [TaskId.parse(t) for t in results if TaskId.parse(t).refit
                  and TaskId.parse(t).outer is not None]
    assert sorted(task.outer for task in outer_fits) == [0, 1, 2]  # each outer fold once
    nested = pd.read_csv(run.table("nested_results"))
    assert nested["outer_fold"].tolist() == [0, 1, 2]
    assert (nested["n_test"] == 300).all() and (nested["n_train"] == 600).all()
    summary = nested_cv.summary["best"]["nested"]
    scores = nested["outer_validation_accuracy"].tolist()
    assert summary["outer_scores"] == scores
    assert summary["mean_validation_accuracy"] == pytest.approx(np.mean(scores))
    assert summary["optimism"] == pytest.approx(
        summary["non_nested_best_validation_accuracy"] - np.mean(scores))
    wins = (nested["winner"] == nested_cv.summary["best"]["trial_id"]).sum()
    assert summary["final_choice_won"] == f"{wins} of 3"


def test_nested_inner_splits_stay_inside_their_outer_training_part(nested_cv):
    config = load_config(QUICKSTART, [*SMALL, "training.epochs=2", "cv.folds=2",
                                      "cv.outer_folds=3"])
    plan = strategy_for("cv", config)(config, load_run_data(config))
    for o, (outer_train, outer_test) in enumerate(plan.outer_splits):
        assert not set(outer_train) & set(outer_test)
        for tasks in plan.inner_tasks[o].values():
            for task in tasks:
                assert set(task.train_index) <= set(outer_train)
                assert set(task.validation_index) <= set(outer_train)
                assert not set(task.train_index) & set(task.validation_index)
    # an outer fold's score comes from the winner of its own inner CV
    nested = pd.read_csv(nested_cv.run.table("nested_results"))
    for o, winner in enumerate(nested["winner"]):
        rows = plan.inner_rows(o, nested_cv.run.finished_trial_results())
        best = max(rows, key=lambda row: row["mean_validation_accuracy"])
        assert best["trial_id"] == winner


def test_the_nested_run_reports_its_estimate(nested_cv):
    from typer.testing import CliRunner

    from mlpsel.cli import app

    result = CliRunner().invoke(app, ["report", str(nested_cv.run.path), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "Nested CV over 3 outer folds" in result.output
    # the ranking is the non-nested inner CV on all training data: one row per grid point
    table = pd.read_csv(nested_cv.run.cv_results_csv)
    assert len(table) == len(grid_points(load_config(QUICKSTART, SMALL)))


def test_task_ids_of_outer_folds_and_budgets_round_trip():
    for task in [TaskId("000-abcdef12", 0, 1, outer=2), TaskId("000-abcdef12", refit=True, outer=4),
                 TaskId("000-abcdef12", 1, 2, epochs=9), TaskId("000-abcdef12", epochs=27)]:
        assert TaskId.parse(str(task)) == task
    assert str(TaskId("000-abcdef12", 0, 1, outer=2)) == "000-abcdef12-outer2-r0f1"
    assert str(TaskId("000-abcdef12", 1, 2, epochs=9)) == "000-abcdef12-r1f2-epochs9"
    assert TaskId.parse("000-eeeeeeee") == TaskId("000-eeeeeeee")  # hex e, not a budget
    assert RunFolder(Path("x")).trial_dir(TaskId("000-abcdef12", epochs=3)).name.endswith("3")


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "configs").glob("*.yaml")),
                         ids=lambda path: path.name)
def test_every_example_config_loads(path, tmp_path, monkeypatch):
    if path.name == "own_csv.yaml":  # reads digits.csv from the working directory
        monkeypatch.chdir(tmp_path)
        (tmp_path / "digits.csv").write_text("p0,digit\n1,zero\n2,one\n")
    config = load_config(path)
    assert grid_points(config)


def test_the_own_csv_example_runs_from_the_documented_script(tmp_path, monkeypatch):
    """scripts/make_mnist_csv.py writes digits.csv; configs/own_csv.yaml trains on it with the
    60/20/20 preset (as a smoke run)."""
    repository = Path(__file__).parents[1]
    monkeypatch.chdir(tmp_path)
    made = subprocess.run([sys.executable, str(repository / "scripts" / "make_mnist_csv.py"),
                           "--out", "digits.csv"], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    frame = pd.read_csv("digits.csv", nrows=3)
    assert frame.shape[1] == 785 and frame["digit"].isin(["zero", "one", "two", "three", "four",
                                                          "five", "six", "seven", "eight",
                                                          "nine"]).all()
    _smoke("train", "own_csv.yaml", tmp_path / "runs")
    (run,) = (tmp_path / "runs").iterdir()
    parts = np.load(run / "split.npz")
    # 20% of the 7,000 rows held out, then cut by the smoke run to 500 test and 1,000 training rows
    assert len(parts["test"]) == 500 and len(parts["train_set"]) == 1000
    assert not set(parts["test"]) & set(parts["train_set"])


def _smoke(command: str, name: str, tmp_path: Path, *extra: str) -> None:
    from typer.testing import CliRunner

    from mlpsel.cli import app

    config = Path(__file__).parents[1] / "configs" / name
    result = CliRunner().invoke(app, [command, str(config), "--smoke", "--quiet", "--runs-dir",
                                      str(tmp_path), *extra])
    assert result.exit_code == 0, result.output


def test_the_nested_example_runs_as_a_smoke_run(tmp_path):
    _smoke("cv", "quickstart_nested.yaml", tmp_path)
    (run,) = tmp_path.iterdir()
    assert len(pd.read_csv(run / "nested_results.csv")) == 2  # a smoke run: 2 outer folds


@pytest.mark.parametrize("name", ["mnist_halving.yaml", "mnist_random.yaml", "mnist.yaml",
                                  "keras_reference.yaml", "digit5.yaml"])
def test_the_full_mnist_examples_run_as_smoke_runs(name, tmp_path, full_mnist_dir):
    _smoke("train", name, tmp_path, "--data-dir", str(full_mnist_dir))


def test_every_report_of_a_halving_run_shows_its_rounds(halving_cv):
    from typer.testing import CliRunner

    from mlpsel.cli import app

    path = str(halving_cv.run.path)
    markdown = CliRunner().invoke(app, ["report", path, "--format", "md"])
    assert markdown.exit_code == 0, markdown.output
    assert "| round |" in markdown.output.replace("rank | round", "| round |")
    assert "2 (9 epochs)" in markdown.output and "★ chosen" in markdown.output
    html = CliRunner().invoke(app, ["report", path, "--format", "html"])
    assert html.exit_code == 0, html.output
    page = (halving_cv.run.path / "report.html").read_text()
    assert "Successive halving, round by round" in page
    assert "search.strategy</code> halving: factor 3, min_epochs 1" in page
