"""Activations: known values, dtypes, stability, and derivatives against central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlpsel.errors import ConfigError
from mlpsel.nn.activations import (
    ACTIVATIONS,
    LEAKY_RELU_SLOPE,
    get_activation,
    softmax,
    softmax_backward,
)
from mlpsel.nn.gradcheck import gradient_check

NAMES = sorted(ACTIVATIONS)


def away_from_kink(rng, shape):
    """float64 values with |z| ≥ 0.1, so ReLU-like kinks never sit inside a finite difference."""
    Z = rng.standard_normal(shape)
    return np.where(np.abs(Z) < 0.1, np.sign(Z) * 0.1 + Z, Z)


def test_registry_holds_every_hidden_activation():
    assert set(ACTIVATIONS) == {"identity", "relu", "leaky_relu", "sigmoid", "tanh"}
    for name, activation in ACTIVATIONS.items():
        assert activation.name == name


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ConfigError, match="unknown activation 'swish'; valid: .*relu.*tanh"):
        get_activation("swish")


def test_known_values():
    Z = np.array([[-2.0, 0.0, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].forward(Z), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].forward(Z), [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].forward(Z),
                               1 / (1 + np.exp(-Z.astype(np.float64))), rtol=1e-6)
    np.testing.assert_allclose(ACTIVATIONS["tanh"].forward(Z), np.tanh(Z), rtol=1e-6)
    np.testing.assert_array_equal(ACTIVATIONS["identity"].forward(Z), Z)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].derivative(Z, None), [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].derivative(Z, None),
                               [[LEAKY_RELU_SLOPE, LEAKY_RELU_SLOPE, 1.0]])


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name):
    activation = ACTIVATIONS[name]
    Z = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    A = activation.forward(Z)
    assert A.dtype == np.float32
    assert activation.derivative(Z, A).dtype == np.float32
    assert activation.backward(np.ones_like(Z), Z, A).dtype == np.float32


def test_sigmoid_is_stable_for_large_inputs():
    Z = np.array([[-1000.0, -100.0, 0.0, 100.0, 1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = ACTIVATIONS["sigmoid"].forward(Z)
    np.testing.assert_allclose(A, [[0.0, 0.0, 0.5, 1.0, 1.0]], atol=1e-30)
    assert np.all(np.isfinite(A))


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    activation = ACTIVATIONS[name]
    Z = away_from_kink(np.random.default_rng(1), (3, 5))
    h = 1e-6
    numeric = (activation.forward(Z + h) - activation.forward(Z - h)) / (2 * h)
    np.testing.assert_allclose(activation.derivative(Z, activation.forward(Z)), numeric,
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_backward_passes_the_layer_check(name):
    # stand-in loss sum(A * dA) with a random upstream gradient dA  ⇒  dZ = dA * g'(Z)
    activation = ACTIVATIONS[name]
    rng = np.random.default_rng(2)
    Z = away_from_kink(rng, (4, 3))
    dA = rng.standard_normal((4, 3))
    dZ = activation.backward(dA, Z, activation.forward(Z))
    error = gradient_check(lambda: float((activation.forward(Z) * dA).sum()),
                           params=[Z], grads=[dZ])
    assert error < 1e-6


column_batches = st.integers(1, 6).flatmap(
    lambda n: st.integers(1, 5).flatmap(
        lambda m: arrays(np.float32, (n, m),
                         elements=st.floats(-1e4, 1e4, width=32, allow_nan=False))))


@settings(max_examples=200, deadline=None)
@given(column_batches)
def test_softmax_columns_are_distributions(Z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Y_hat = softmax(Z)
    assert Y_hat.dtype == np.float32
    assert np.all(Y_hat >= 0) and np.all(Y_hat <= 1)
    np.testing.assert_allclose(Y_hat.sum(axis=0), 1.0, rtol=1e-5)


@settings(max_examples=100, deadline=None)
@given(column_batches, st.floats(-1e3, 1e3))
def test_softmax_ignores_a_constant_shift_per_column(Z, shift):
    Z = Z.astype(np.float64)
    np.testing.assert_allclose(softmax(Z + shift), softmax(Z), atol=1e-9)


def test_softmax_is_stable_for_large_logits():
    Z = np.array([[1000.0, -1000.0], [1000.0, 0.0], [999.0, 80.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Y_hat = softmax(Z)
    e = np.exp(-1.0)
    np.testing.assert_allclose(Y_hat[:, 0], [1 / (2 + e), 1 / (2 + e), e / (2 + e)], rtol=1e-6)
    np.testing.assert_allclose(Y_hat[:, 1], [0.0, np.exp(-80.0), 1.0], atol=1e-30)


def test_softmax_backward_passes_the_layer_check():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((4, 3))
    dA = rng.standard_normal((4, 3))
    dZ = softmax_backward(dA, softmax(Z))
    assert gradient_check(lambda: float((softmax(Z) * dA).sum()), params=[Z], grads=[dZ]) < 1e-6


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_forms_give_the_plain_numbers(name, dtype):
    """The fast path's pair: A written over Z, dZ written over dA, g' read from A alone."""
    activation = ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((7, 5)).astype(dtype)
    Z[0, :2] = 0.0  # the kink
    dA = rng.standard_normal((7, 5)).astype(dtype)
    A = activation.forward(Z)
    A_in_place = activation.forward_in_place(Z.copy())
    assert A_in_place.dtype == dtype
    np.testing.assert_array_equal(A_in_place, A)
    dZ_in_place = activation.backward_in_place(dA.copy(), A)
    assert dZ_in_place.dtype == dtype
    np.testing.assert_array_equal(dZ_in_place, activation.backward(dA, Z, A))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh"])
def test_in_place_forms_write_over_their_input(name):
    activation = ACTIVATIONS[name]
    Z = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    assert activation.forward_in_place(Z) is Z
    dA = np.ones_like(Z)
    assert activation.backward_in_place(dA, Z) is dA
