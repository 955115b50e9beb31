"""Divergence by the loss, not only by NaN: a training whose loss grows by orders of magnitude
is stopped and marked ``diverged``, and so is one that grew tenfold and never came back below
the loss of a network that learned nothing (accuracy at chance)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mlpsel.config import load_config
from mlpsel.errors import DivergedError
from mlpsel.nn import MLP, fit, make_optimizer
from mlpsel.nn.losses import chance_loss, mean_squared_error, softmax_cross_entropy
from mlpsel.nn.train import BLOW_UP_FACTOR, training_divergence
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART

BLOWS_UP = ["dataset.train_subset=2000", "dataset.test_subset=200", "training.epochs=4",
            "search.model.hidden_layers=[[64]]"]


def test_chance_loss_is_the_loss_of_a_network_that_learned_nothing():
    assert chance_loss("softmax", 10) == pytest.approx(math.log(10))
    # softmax of equal logits is 1/n_L for every class: the loss is ln n_L whatever the labels
    Y = np.eye(10)[:, [3, 1, 4, 1, 5]]  # (10, 5)
    assert softmax_cross_entropy(np.zeros((10, 5)), Y)[0] == pytest.approx(math.log(10))
    assert chance_loss("sigmoid", 1) == pytest.approx(math.log(2))
    targets = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, 6.0]])  # (N, n_L): Var 8/3 and 8
    assert chance_loss("identity", 2, targets) == pytest.approx((8 / 3 + 8) / 2)
    # predicting the mean gives exactly that halved squared error
    mean = np.repeat(targets.mean(axis=0)[:, None], 3, axis=1)  # (n_L, N)
    assert mean_squared_error(mean, targets.T)[0] == pytest.approx((8 / 3 + 8) / 2)
    assert chance_loss("identity", 1, np.ones((4, 1))) == 0.0


@pytest.mark.parametrize("losses, diverged", [
    ([2.0, 1.5, 1.0, 0.5], False),          # learning
    ([60.0, 30.0, 1.2, 0.4], False),        # a spike, then it learned: below chance
    ([180.0, 5.4, 3.16, 2.77], True),       # grew 78-fold, ended above chance (2.30)
    ([2.2, 2.3, 2.4, 2.35], False),         # stuck at chance but never blew up: not diverged
    ([22.0, 2.4], False),                   # grew 9.6-fold only
    ([23.1, 2.31], True),                   # ten-fold, and ended no better than chance
    ([], False),
])
def test_training_divergence_by_hand(losses, diverged):
    reason = training_divergence(losses, math.log(10))
    assert (reason is not None) == diverged
    if diverged:
        assert f"at epoch {losses.index(max(losses)) + 1}" in reason
        assert "learned nothing" in reason and "smaller learning rate" in reason


def test_no_yardstick_no_verdict():
    assert training_divergence([5.0, 9.0], 0.0) is None


def test_fit_stops_a_loss_that_grows_by_orders_of_magnitude_while_still_finite():
    rng = np.random.default_rng(0)
    X = rng.random((400, 20))  # (N, n_0)
    y = rng.integers(0, 4, 400)  # (N,)
    network = MLP([20, 32, 4], rng=np.random.default_rng(0))
    epochs_seen = []
    with pytest.raises(DivergedError, match="grew to .* at epoch 1, .*× the 1.39 of a network "
                                            "that learned nothing"):
        fit(network, make_optimizer("sgd", learning_rate=500.0), X, y, epochs=5, batch_size=50,
            rng=np.random.default_rng(1), on_epoch=epochs_seen.append)
    assert [record.epoch for record in epochs_seen] == [1]  # stopped there, and recorded
    assert epochs_seen[0].train_loss >= BLOW_UP_FACTOR * math.log(4)
    assert all(np.isfinite(p).all() for p in network.parameters())  # no NaN: the loss said it


def test_blow_up_threshold_is_orders_of_magnitude():
    assert BLOW_UP_FACTOR >= 100


def test_a_finite_but_diverged_trial_is_marked_diverged_and_not_chosen(tmp_path):
    config = load_config(QUICKSTART, [*BLOWS_UP, "search.training.learning_rate=[0.5, 5, 50]"])
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path))
    by_rate = {}
    for path in result.run.path.glob("trials/*/result.json"):
        trial = json.loads(path.read_text())
        by_rate[trial["params"]["training.learning_rate"]] = trial
    assert by_rate[0.5]["status"] == "ok"
    assert by_rate[5]["status"] == "diverged"  # grew 78-fold in epoch 1, ended at chance
    assert "ended at" in by_rate[5]["error"]
    assert by_rate[50]["status"] == "diverged"  # 4.7 million-fold in epoch 1: stopped there
    assert "at epoch 1," in by_rate[50]["error"]
    history_5 = result.run.trial_history(by_rate[5]["task_id"]).read_text()
    assert "nan" not in history_5.lower() and len(history_5.splitlines()) == 5  # all 4 epochs
    assert result.summary["trial_status_counts"]["diverged"] == 2
    assert result.summary["best"]["params"]["training.learning_rate"] == 0.5
