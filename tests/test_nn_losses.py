"""Losses: known values, stability, float32, and dZ/m against central differences."""

import math

import numpy as np
import pytest

from mlpsel.nn.gradcheck import gradient_check
from mlpsel.nn.losses import (
    LOSSES,
    mean_squared_error,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    softmax_cross_entropy_labels,
)


def test_one_loss_per_output():
    assert LOSSES == {"softmax": softmax_cross_entropy, "identity": mean_squared_error,
                      "sigmoid": sigmoid_cross_entropy}


def test_cross_entropy_of_uniform_logits_is_log_n():
    Z = np.zeros((4, 3), dtype=np.float32)
    Y = np.eye(4, 3, dtype=np.float32)
    loss, dZ = softmax_cross_entropy(Z, Y)
    assert type(loss) is float
    assert loss == pytest.approx(math.log(4), rel=1e-6)
    np.testing.assert_allclose(dZ, 0.25 - Y, rtol=1e-6)  # dZ = Ŷ − Y
    assert dZ.dtype == np.float32


def test_cross_entropy_is_stable_for_large_logits():
    Z = np.array([[1000.0, -1000.0], [0.0, 1000.0]], dtype=np.float32)
    Y = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dZ = softmax_cross_entropy(Z, Y)
    # sample 1 puts ~all mass on the wrong class: −log Ŷ = 1000; sample 2 is right: ≈ 0
    assert loss == pytest.approx(500.0, rel=1e-6)
    np.testing.assert_allclose(dZ, [[1.0, 0.0], [-1.0, 0.0]], atol=1e-6)


def test_mean_squared_error_is_halved_and_averaged_over_samples():
    Z = np.array([[1.0, 2.0], [0.0, -1.0]], dtype=np.float32)
    Y = np.zeros((2, 2), dtype=np.float32)
    loss, dZ = mean_squared_error(Z, Y)
    assert type(loss) is float
    assert loss == pytest.approx((1 + 4 + 0 + 1) / (2 * 2))  # Σ (Ŷ − Y)² / (2m)
    np.testing.assert_array_equal(dZ, Z)  # dZ = Ŷ − Y
    assert dZ.dtype == np.float32


@pytest.mark.parametrize("output", sorted(LOSSES))
def test_dZ_over_m_is_the_gradient_of_the_mean_loss(output):
    rng = np.random.default_rng(0)
    m = 7
    Z = rng.standard_normal((3, m))
    if output == "softmax":
        Y = np.eye(3)[:, rng.integers(0, 3, m)]
    else:
        Y = rng.standard_normal((3, m))
    loss_function = LOSSES[output]
    _, dZ = loss_function(Z, Y)
    error = gradient_check(lambda: loss_function(Z, Y)[0], params=[Z], grads=[dZ / m])
    assert error < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_labels_matches_one_hot_targets(dtype):
    rng = np.random.default_rng(0)
    Z = (5 * rng.standard_normal((6, 9))).astype(dtype)
    labels = rng.integers(0, 6, 9)
    Y = np.zeros((6, 9), dtype=dtype)
    Y[labels, np.arange(9)] = 1
    loss, dZ = softmax_cross_entropy(Z, Y)
    label_loss, label_dZ = softmax_cross_entropy_labels(Z, labels)
    assert type(label_loss) is float and label_dZ.dtype == dtype
    assert label_loss == pytest.approx(loss, rel=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_array_equal(label_dZ, dZ)  # Ŷ − Y, bit for bit
