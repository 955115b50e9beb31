"""Dense and dropout layers: the course's worked example, layer checks, dropout statistics."""

import numpy as np
import pytest

from mlpsel.nn.activations import ACTIVATIONS
from mlpsel.nn.gradcheck import gradient_check
from mlpsel.nn.layers import dense_backward, dense_forward, dropout_backward, dropout_forward

# The course's worked example: one sigmoid layer with 3 inputs and 4 units.
W_EXAMPLE = np.array([[1, -1, -0.5], [1, 0.5, -1], [-0.2, 0.3, 0.5], [-1, 1, 1]],
                     dtype=np.float32)
B_EXAMPLE = np.array([[-1], [-1], [1], [1]], dtype=np.float32)


def test_course_worked_example_one_sample():
    a_prev = np.array([[1], [-1], [-0.5]], dtype=np.float32)  # (3, 1)
    z, _ = dense_forward(a_prev, W_EXAMPLE, B_EXAMPLE)
    a = ACTIVATIONS["sigmoid"].forward(z)
    assert z.shape == (4, 1) and z.dtype == np.float32
    np.testing.assert_allclose(z[:, 0], [1.25, 0.0, 0.25, -1.5], atol=1e-6)
    np.testing.assert_allclose(a[:, 0], [0.78, 0.50, 0.56, 0.18], atol=0.005)


def test_course_worked_example_two_sample_batch():
    A_prev = np.array([[1, -1], [-1, -0.5], [-0.5, 1]], dtype=np.float32)  # (3, 2), columns
    Z, _ = dense_forward(A_prev, W_EXAMPLE, B_EXAMPLE)
    assert Z.shape == (4, 2)
    np.testing.assert_allclose(Z[:, 0], [1.25, 0.0, 0.25, -1.5], atol=1e-6)
    np.testing.assert_allclose(Z[:, 1], [-2.0, -3.25, 1.55, 2.5], atol=1e-6)


def test_dense_layer_check():
    # Stand-in loss ℓ = sum(Z * G) / m with a random upstream gradient G. In the course's
    # convention dZ = m·∂ℓ/∂Z = G, and dense_backward returns dW = ∂ℓ/∂W, db = ∂ℓ/∂b,
    # dA_prev = m·∂ℓ/∂A_prev.
    rng = np.random.default_rng(0)
    m = 5
    A_prev = rng.standard_normal((3, m))
    W, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 1))
    G = rng.standard_normal((4, m))

    def loss() -> float:
        return float((dense_forward(A_prev, W, b)[0] * G).sum()) / m

    _, cache = dense_forward(A_prev, W, b)
    dA_prev, dW, db = dense_backward(G, cache)
    assert dA_prev.shape == A_prev.shape and dW.shape == W.shape and db.shape == b.shape
    assert gradient_check(loss, params=[W, b, A_prev], grads=[dW, db, dA_prev / m]) < 1e-6


def test_dense_backward_can_skip_dA_prev():
    rng = np.random.default_rng(1)
    A_prev = rng.standard_normal((3, 5)).astype(np.float32)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    b = np.zeros((4, 1), np.float32)
    Z, cache = dense_forward(A_prev, W, b)
    dZ = np.ones_like(Z)
    skipped = dense_backward(dZ, cache, compute_dA_prev=False)
    full = dense_backward(dZ, cache)
    assert skipped[0] is None
    np.testing.assert_array_equal(skipped[1], full[1])
    np.testing.assert_array_equal(skipped[2], full[2])
    for array in (Z, *full):
        assert array.dtype == np.float32


def test_dropout_keeps_the_expectation():
    rng = np.random.default_rng(2)
    A = np.ones((500, 400), dtype=np.float32)
    A_dropped, mask = dropout_forward(A, 0.8, rng=rng)
    assert A_dropped.dtype == np.float32 and mask.dtype == np.float32
    assert set(np.unique(mask).tolist()) == {0.0, np.float32(1 / 0.8)}
    assert np.mean(mask == 0) == pytest.approx(0.2, abs=0.005)
    assert A_dropped.mean() == pytest.approx(1.0, abs=0.01)  # inverted: E[A·D] = A


def test_dropout_backward_multiplies_by_the_same_mask():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4))
    A_dropped, mask = dropout_forward(A, 0.5, rng=rng)
    dA_dropped = rng.standard_normal((6, 4))
    dA = dropout_backward(dA_dropped, mask)
    np.testing.assert_array_equal(dA, dA_dropped * mask)
    # layer check: ℓ = sum(dropout(A) * G) with the mask held fixed
    error = gradient_check(lambda: float((A * mask * dA_dropped).sum()), params=[A], grads=[dA])
    assert error < 1e-6
    np.testing.assert_array_equal(A_dropped[mask == 0], 0.0)


def test_dropout_masks_come_from_the_rng():
    A = np.ones((10, 10), dtype=np.float32)
    first = dropout_forward(A, 0.5, rng=np.random.default_rng(7))[1]
    second = dropout_forward(A, 0.5, rng=np.random.default_rng(7))[1]
    np.testing.assert_array_equal(first, second)
