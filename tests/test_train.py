"""``mlpsel train`` end to end on the shipped subset: files, consistency, determinism, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from mlpsel.cli import app
from tests.conftest import MNIST_CONFIG, QUICKSTART

RUN_FILES = [
    "run.json", "config.yaml", "env.json", "trials.csv", "summary.json",
    "learning_curves.png", "confusion_matrix.png",
    "best/model.npz", "best/predictions.csv", "best/confusion_matrix.csv", "best/per_class.csv",
]


def train(tmp_path: Path, *arguments: str) -> tuple[int, str, Path | None]:
    runs_dir = tmp_path / "runs"
    result = CliRunner().invoke(app, ["train", *arguments, "--runs-dir", str(runs_dir)])
    runs = sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []
    return result.exit_code, result.output, runs[-1] if runs else None


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    from tests.conftest import TINY_OVERRIDES

    tmp_path = tmp_path_factory.mktemp("tiny")
    arguments = [str(QUICKSTART)]
    for override in TINY_OVERRIDES:
        arguments += ["--set", override]
    code, output, run = train(tmp_path, *arguments)
    assert code == 0, output
    return run


def test_every_output_file_is_written(tiny_run):
    for name in RUN_FILES:
        assert (tiny_run / name).is_file(), name
    trials = pd.read_csv(tiny_run / "trials.csv")
    assert len(trials) == 2
    for trial_id in trials["trial_id"]:
        history = pd.read_csv(tiny_run / "trials" / trial_id / "history.csv")
        assert list(history["epoch"]) == [1, 2]
        assert {"train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                "learning_rate", "seconds"} <= set(history.columns)
    assert not list(tiny_run.rglob("*.tmp"))


def test_resolved_config_and_env(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    assert config["training"]["epochs"] == 2
    assert config["training"]["batch_size"] == 64  # from the file
    assert config["model"]["dropout"] == 0.0  # a default
    env = json.loads((tiny_run / "env.json").read_text())
    assert {"python", "numpy", "blas", "cpu", "seed", "git_commit"} <= set(env)
    assert json.loads((tiny_run / "run.json").read_text())["status"] == "finished"


def test_choice_uses_validation_only(tiny_run):
    trials = pd.read_csv(tiny_run / "trials.csv")
    summary = json.loads((tiny_run / "summary.json").read_text())
    best = trials.loc[trials["validation_accuracy"].idxmax()]
    assert summary["best"]["trial_id"] == best["trial_id"]
    assert "test_accuracy" not in trials.columns
    assert summary["split"] == {"train": 800, "validation": 200, "test": 200}


def test_confusion_and_per_class_agree_with_predictions(tiny_run):
    predictions = pd.read_csv(tiny_run / "best" / "predictions.csv")
    confusion = pd.read_csv(tiny_run / "best" / "confusion_matrix.csv", index_col=0)
    per_class = pd.read_csv(tiny_run / "best" / "per_class.csv")
    probabilities = predictions[[f"probability_{k}" for k in range(10)]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == predictions["predicted_label"]).all()
    counted = pd.crosstab(predictions["true_label"], predictions["predicted_label"])
    counted = counted.reindex(index=range(10), columns=range(10), fill_value=0).to_numpy()
    assert (confusion.to_numpy() == counted).all()
    for k in range(10):
        true_positive = ((predictions.true_label == k) & (predictions.predicted_label == k)).sum()
        predicted = (predictions.predicted_label == k).sum()
        actual = (predictions.true_label == k).sum()
        row = per_class.iloc[k]
        assert row["support"] == actual
        assert row["recall"] == pytest.approx(true_positive / actual if actual else 0.0)
        assert row["precision"] == pytest.approx(true_positive / predicted if predicted else 0.0)
    summary = json.loads((tiny_run / "summary.json").read_text())
    accuracy = (predictions.true_label == predictions.predicted_label).mean()
    assert summary["test"]["test_accuracy"] == pytest.approx(accuracy)


def test_same_seed_gives_identical_numbers(tiny_run, tmp_path):
    from tests.conftest import TINY_OVERRIDES

    arguments = [str(QUICKSTART)]
    for override in TINY_OVERRIDES:
        arguments += ["--set", override]
    code, output, again = train(tmp_path, *arguments)
    assert code == 0, output
    assert (again / "best" / "predictions.csv").read_bytes() == (
        tiny_run / "best" / "predictions.csv").read_bytes()
    first = pd.read_csv(tiny_run / "trials.csv").drop(columns=["fit_seconds"])
    second = pd.read_csv(again / "trials.csv").drop(columns=["fit_seconds"])
    pd.testing.assert_frame_equal(first, second)
    with np.load(tiny_run / "best" / "model.npz") as a, np.load(again / "best" / "model.npz") as b:
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key


@pytest.mark.parametrize(("arguments", "fragment"), [
    (["--set", "training.learning_rate=-1"], "training.learning_rate: must be a positive"),
    (["--set", "training.epocs=3"], "did you mean 'training.epochs'"),
    (["--set", "dataset=mnst"], "unknown dataset 'mnst'"),
    (["--set", "split.validation=6000"], "validation"),
])
def test_bad_input_exits_2_without_run_folder(tmp_path, arguments, fragment):
    code, output, run = train(tmp_path, str(QUICKSTART), *arguments)
    assert code == 2
    assert fragment in output
    assert "Traceback" not in output
    assert run is None


def test_missing_config_file(tmp_path):
    code, output, run = train(tmp_path, str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such config file" in output and run is None


def test_python_dash_m_works(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "mlpsel", "--help"], capture_output=True,
                               text=True, check=False)
    assert completed.returncode == 0
    assert "train" in completed.stdout


@pytest.mark.slow
def test_quickstart_meets_its_promise(tmp_path):
    """The shipped quick start reaches >= 90% test accuracy (the README's promise)."""
    code, output, run = train(tmp_path, str(QUICKSTART), "--quiet")
    assert code == 0, output
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n_grid_points"] >= 4
    assert summary["test"]["test_accuracy"] >= 0.90


@pytest.mark.slow
def test_full_mnist_holdout_split(tmp_path, full_mnist_dir):
    """The real mnist config on full MNIST, shrunk to one small grid point and one epoch."""
    code, output, run = train(
        tmp_path, str(MNIST_CONFIG), "--data-dir", str(full_mnist_dir),
        "--set", "training.epochs=1", "--set", "search.model.hidden_layers=[[32]]",
        "--set", "search.training.learning_rate=[0.1]",
    )
    assert code == 0, output
    summary = json.loads((run / "summary.json").read_text())
    assert summary["split"] == {"train": 50000, "validation": 10000, "test": 10000}
    assert summary["test"]["test_accuracy"] > 0.9


def test_without_config_uses_the_packaged_quickstart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["train", "--smoke", "--quiet"])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.split("-")[2] == "quickstart"
    assert yaml.safe_load((run / "config.yaml").read_text())["dataset"]["name"] == "mnist-mini"


def test_smoke_train_writes_every_file_and_fail_under(tmp_path):
    code, output, run = train(tmp_path, str(QUICKSTART), "--smoke", "--quiet",
                              "--fail-under", "accuracy=0.05")
    assert code == 0, output
    for name in RUN_FILES:
        assert (run / name).is_file(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["n_grid_points"] <= 2 and summary["split"]["train"] + summary["split"][
        "validation"] == 1000
    code, output, _ = train(tmp_path, str(QUICKSTART), "--smoke", "--quiet",
                            "--fail-under", "accuracy=0.999")
    assert code == 1
    assert "fail-under: test_accuracy" in output


@pytest.mark.parametrize("condition", ["accuracy", "accuracy=high", "recall_at_k=0.5"])
def test_bad_fail_under_is_exit_2(tmp_path, condition):
    code, output, run = train(tmp_path, str(QUICKSTART), "--smoke", "--fail-under", condition)
    assert code == 2 and "--fail-under" in output and run is None
