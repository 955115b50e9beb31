"""Synthetic regression data through every command, and the squared-error decomposition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.data import load_dataset
from mlpsel.stats import squared_error_decomposition
from tests.conftest import REPOSITORY

PW04 = REPOSITORY / "configs" / "pw04_biasvar.yaml"
SMALL = ["--set", "training.epochs=200", "--set", "search.model.hidden_layers=[[2], [8]]"]


def test_synthetic_data_is_f_plus_noise_and_reproducible():
    settings = {"function": "sine", "n_train": 400, "n_test": 100, "noise": 0.3, "seed": 3}
    data = load_dataset({"synthetic": settings})
    again = load_dataset({"synthetic": settings})
    assert data.is_regression and data.n_outputs == 1 and data.train_images.shape == (400, 1)
    np.testing.assert_array_equal(data.train_labels, again.train_labels)
    x = data.train_images[:, 0].astype(np.float64)
    np.testing.assert_allclose(data.train_truth[:, 0], np.sin(2 * np.pi * x), atol=1e-6)
    noise = data.train_labels[:, 0] - data.train_truth[:, 0]
    assert 0.25 < noise.std() < 0.35 and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("command", ["train", "cv", "curve", "biasvar"])
def test_every_command_runs_on_synthetic_data(command, tmp_path):
    result = CliRunner().invoke(app, [command, str(PW04), "--smoke", "--runs-dir",
                                      str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    (run,) = tmp_path.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    if command in ("train", "cv"):
        assert set(summary["test"]) == {"test_loss"}  # squared error, no accuracy
        predictions = pd.read_csv(run / "best" / "predictions.csv")
        assert list(predictions.columns) == ["test_index", "true_value", "predicted_value"]
        assert not (run / "best" / "confusion_matrix.csv").exists()


def test_biasvar_regression_adds_up_exactly_against_the_true_function(tmp_path):
    result = CliRunner().invoke(app, ["biasvar", str(PW04), "--rounds", "4", "--runs-dir",
                                      str(tmp_path), "--quiet", *SMALL])
    assert result.exit_code == 0, result.output
    (run,) = tmp_path.iterdir()
    table = pd.read_csv(run / "biasvar.csv")
    np.testing.assert_allclose(table["error_against_truth"], table["bias"] + table["variance"])
    assert (table["noise"] > 0).all()
    with np.load(run / "biasvar_predictions.npz") as stored:
        predictions, targets, truth = stored["predictions"], stored["targets"], stored["f"]
    assert predictions.dtype.kind == "f" and predictions.shape[:2] == (2, 4)
    for rounds, (_, row) in zip(predictions, table.iterrows(), strict=True):
        again = squared_error_decomposition(rounds, targets, truth)
        for name in ("loss", "bias", "variance", "noise", "error_against_truth"):
            assert row[name] == pytest.approx(again[name]), name


def test_synthetic_data_needs_a_regression_network(tmp_path):
    result = CliRunner().invoke(app, ["train", str(PW04), "--set", "model.output=softmax",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "output: identity" in result.output
    result = CliRunner().invoke(app, ["train", str(PW04), "--set",
                                      "selection.metric=validation_accuracy",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "validation_loss" in result.output
