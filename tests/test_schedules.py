"""Learning-rate schedules: α per epoch by hand, recorded in history.csv, and a training
continued mid-schedule (successive halving) equal to one that never stopped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlpsel.config import load_config
from mlpsel.errors import ConfigError
from mlpsel.experiment import load_run_data, run_trial
from mlpsel.nn import learning_rate_at
from mlpsel.search import TrialSpec
from mlpsel.splits import holdout_split
from tests.conftest import QUICKSTART


def rates(**settings):
    return [learning_rate_at(e, 0.1, epochs=6, **settings) for e in range(1, 7)]


def test_schedules_by_hand():
    assert rates() == [0.1] * 6
    assert rates(schedule="step", step_epochs=2, step_gamma=0.5) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    cosine = rates(schedule="cosine")
    assert cosine == pytest.approx([0.1 * 0.5 * (1 + math.cos(math.pi * k / 6))
                                    for k in range(6)])
    assert cosine[0] == 0.1 and all(a > b for a, b in zip(cosine, cosine[1:], strict=False))
    # two warm-up epochs: 1/3, 2/3 of α₀, then the schedule over the remaining 4 epochs
    warm = rates(schedule="cosine", warmup_epochs=2)
    assert warm[:3] == pytest.approx([0.1 / 3, 0.2 / 3, 0.1])
    assert warm[3] == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi / 4)))


SMALL = ["dataset.train_subset=600", "dataset.test_subset=200", "split.validation=200",
         "training.epochs=6", "training.schedule=step", "training.step_epochs=2",
         "training.step_gamma=0.5", "training.warmup_epochs=1"]


def test_history_records_each_epochs_rate_and_a_continued_training_keeps_the_schedule():
    config = load_config(QUICKSTART, SMALL)
    dataset = load_run_data(config)
    train, validation = holdout_split(dataset.strata, 200, seed=0)
    spec = TrialSpec.from_values(config.values)
    straight = run_trial(spec, dataset, train, validation)
    base = config["training.learning_rate"]
    assert [row["learning_rate"] for row in straight.history] == pytest.approx(
        [base / 2, base, base, base / 2, base / 2, base / 4])
    first = run_trial(spec, dataset, train, validation, epochs=2, keep_checkpoint=True)
    continued = run_trial(spec, dataset, train, validation, start=first.checkpoint)
    for a, b in zip(straight.network.parameters(), continued.network.parameters(), strict=True):
        assert np.array_equal(a, b)
    assert [row["learning_rate"] for row in continued.history] == [
        row["learning_rate"] for row in straight.history]


@pytest.mark.parametrize(("setting", "message"), [
    ("training.schedule=linear", "unknown schedule 'linear'"),
    ("training.warmup_epochs=15", "leave none of the 15 epochs"),
    ("training.step_gamma=0", r"in \(0, 1\]"),
    ("training.step_epochs=0", "at least 1 epoch"),
])
def test_bad_schedules(setting, message):
    with pytest.raises(ConfigError, match=message):
        load_config(QUICKSTART, [setting])
