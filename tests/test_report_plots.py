"""The report figures draw on edge cases without pyplot state."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from mlpsel.metrics import one_vs_rest_pr_curves
from mlpsel.report import plots


def results_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "trial_id": ["000-a", "001-b", "002-c", "003-d"],
        "param_model.activation": ["relu", "relu", "tanh", "tanh"],
        "param_training.learning_rate": [0.01, 0.1, 0.01, 0.1],
        "mean_validation_accuracy": [0.90, 0.92, np.nan, 0.91],
        "std_validation_accuracy": [0.01, 0.02, np.nan, np.nan],
        "split0_validation_accuracy": [0.89, 0.90, np.nan, 0.91],
        "split1_validation_accuracy": [0.91, 0.94, np.nan, np.nan],
        "train_accuracy": [0.95, 0.99, np.nan, 0.97],
        "status": ["ok", "ok", "failed", "ok"],
    })


def test_validation_curves_one_panel_per_setting():
    keys = ["model.activation", "training.learning_rate"]
    figure = plots.validation_curves_figure(results_frame(), "validation_accuracy", "001-b", keys)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_xlabel() for axes in visible] == keys
    assert visible[1].get_xscale() == "log"  # 0.01 .. 0.1 spans a decade


def test_confusion_heatmaps_and_bars_with_an_absent_class():
    confusion = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 3]])  # class 1 absent from the test set
    figure = plots.confusion_heatmaps_figure(confusion, ("a", "b", "c"))
    assert len([axes for axes in figure.axes if axes.get_title()]) == 2
    per_class = pd.DataFrame({"class": ["a", "b", "c"], "precision": [0.7, 0.0, 1.0],
                              "recall": [0.8, 0.0, 0.6]})
    plots.per_class_bars_figure(per_class)


def test_precision_recall_curves_with_a_class_never_present():
    rng = np.random.default_rng(0)
    labels = rng.choice([0, 2], size=50)  # (50,) class 1 never occurs
    probabilities = rng.dirichlet(np.ones(3), size=50)  # (50, 3)
    curves = one_vs_rest_pr_curves(labels, probabilities)
    figure = plots.precision_recall_curves_figure(curves, ("zero", "one", "two"))
    labels_in_legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels_in_legend[1].startswith("one (AP 0.000)")


def test_grid_learning_curves_frames_the_chosen_one():
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5],
                            "train_accuracy": [0.6, 0.8], "validation_loss": [1.1, 0.7],
                            "validation_accuracy": [0.55, 0.75]})
    histories = {f"00{i}-x": history for i in range(5)}
    figure = plots.grid_learning_curves_figure(histories, "001-x", max_grid_points=4)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert len(visible) == 8  # 4 grid points × (loss, accuracy)
    assert "(chosen)" in visible[1].get_title()


def test_matplotlib_is_imported_only_when_drawing_and_never_pyplot():
    source = inspect.getsource(plots)
    assert "pyplot" not in source
    header = source.split("\ndef ", 1)[0]
    assert "import matplotlib" not in header and "from matplotlib" not in header
