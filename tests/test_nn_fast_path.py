"""The training loop's fast path (α/m folded into dZ[L]) against the plain course-form path."""

from __future__ import annotations

import numpy as np
import pytest

from mlpsel.nn import MLP, fit
from mlpsel.nn.optimizers import SGD, Momentum

OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "sgd+decay": lambda: SGD(0.1, weight_decay=0.01),
    "momentum": lambda: Momentum(0.05, 0.9),
    "momentum+decay": lambda: Momentum(0.05, 0.9, weight_decay=0.01),
    "nesterov+decay": lambda: Momentum(0.05, 0.9, nesterov=True, weight_decay=0.01),
}


def batches(rng: np.random.Generator, steps: int, m: int = 8):
    for _ in range(steps):
        X = rng.standard_normal((6, m))  # (n_0, m)
        Y = np.eye(3)[:, rng.integers(0, 3, m)]  # (n_L, m) one-hot
        yield X, Y


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_scaled_step_matches_the_plain_step_in_float64(name):
    plain_net = MLP([6, 5, 4, 3], rng=np.random.default_rng(0), dtype=np.float64)
    fast_net = MLP([6, 5, 4, 3], rng=np.random.default_rng(0), dtype=np.float64)
    plain_optimizer, fast_optimizer = OPTIMIZERS[name](), OPTIMIZERS[name]()
    plain_params, fast_params = plain_net.parameters(), fast_net.parameters()
    mask = plain_net.weight_decay_mask()
    for X, Y in batches(np.random.default_rng(1), steps=6):
        _, grads = plain_net.loss_and_gradients(X, Y)
        plain_optimizer.step(plain_params, [g for pair in grads for g in pair], decay_mask=mask)
        scale = fast_optimizer.learning_rate / X.shape[1]
        _, scaled, _ = fast_net.forward_backward(X, Y, output_gradient_scale=scale)
        fast_optimizer.step_scaled(fast_params, [g for pair in scaled for g in pair], mask)
    for plain, fast in zip(plain_params, fast_params, strict=True):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-14)


def test_scaled_gradients_are_alpha_times_the_course_gradients():
    net = MLP([6, 5, 3], rng=np.random.default_rng(0), dtype=np.float64)
    X, Y = next(batches(np.random.default_rng(2), steps=1))
    _, grads = net.loss_and_gradients(X, Y)
    _, scaled, _ = net.forward_backward(X, Y, output_gradient_scale=0.3 / X.shape[1])
    for (dW, db), (sW, sb) in zip(grads, scaled, strict=True):
        np.testing.assert_allclose(sW, 0.3 * dW, rtol=1e-12)
        np.testing.assert_allclose(sb, 0.3 * db, rtol=1e-12)


class PlainMomentum(Momentum):
    """The same optimizer, made to take the plain path in ``fit``."""

    folds_learning_rate = False


def test_fit_fast_path_trains_like_the_plain_path_in_float32():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (600, 20)).astype(np.uint8)  # (N, n_0) rows
    y = (X[:, :10].sum(axis=1) > X[:, 10:].sum(axis=1)).astype(np.int64)
    results = []
    for optimizer in (Momentum(0.05, weight_decay=1e-3), PlainMomentum(0.05, weight_decay=1e-3)):
        net = MLP([20, 16, 2], rng=np.random.default_rng(4))
        history = fit(net, optimizer, X, y, epochs=3, batch_size=32,
                      rng=np.random.default_rng(5))
        assert all(w.dtype == np.float32 for w in net.W)
        results.append((net, history))
    (fast, fast_history), (plain, plain_history) = results
    for a, b in zip(fast.parameters(), plain.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert fast_history.records[-1].train_loss == pytest.approx(
        plain_history.records[-1].train_loss, rel=1e-4)
