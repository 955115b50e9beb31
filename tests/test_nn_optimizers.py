"""Optimizers: one step by hand, weight decay, float32 state, the factory's errors."""

import numpy as np
import pytest

from mlpsel.errors import ConfigError
from mlpsel.nn.optimizers import SGD, Adam, Momentum, make_optimizer


def f32(*values):
    return np.array(values, dtype=np.float32)


def test_sgd_step_by_hand():
    W, dW = f32(1.0, 2.0), f32(0.5, -1.0)
    SGD(0.1).step([W], [dW])
    np.testing.assert_allclose(W, [1.0 - 0.1 * 0.5, 2.0 + 0.1 * 1.0], rtol=1e-7)


def test_momentum_two_steps_by_hand():
    W = f32(1.0, -1.0)
    optimizer = Momentum(0.1, momentum=0.9)
    optimizer.step([W], [f32(1.0, 2.0)])
    # v = g = [1, 2];  W = [1 − 0.1, −1 − 0.2]
    np.testing.assert_allclose(W, [0.9, -1.2], rtol=1e-6)
    optimizer.step([W], [f32(1.0, 0.0)])
    # v = 0.9·[1, 2] + [1, 0] = [1.9, 1.8];  W = [0.9 − 0.19, −1.2 − 0.18]
    np.testing.assert_allclose(optimizer.velocity[0], [1.9, 1.8], rtol=1e-6)
    np.testing.assert_allclose(W, [0.71, -1.38], rtol=1e-6)


def test_nesterov_two_steps_by_hand():
    W = f32(1.0)
    optimizer = Momentum(0.1, momentum=0.9, nesterov=True)
    optimizer.step([W], [f32(1.0)])
    # v = 1;  W = 1 − 0.1·(1 + 0.9·1) = 0.81
    np.testing.assert_allclose(W, [0.81], rtol=1e-6)
    optimizer.step([W], [f32(2.0)])
    # v = 0.9 + 2 = 2.9;  W = 0.81 − 0.1·(2 + 0.9·2.9) = 0.349
    np.testing.assert_allclose(W, [0.349], rtol=1e-5)


def test_adam_two_steps_by_hand():
    W = f32(1.0, -1.0)
    optimizer = Adam(0.1)
    optimizer.step([W], [f32(0.5, -2.0)])
    # t = 1: m̂ = g, v̂ = g² ⇒ W −= 0.1·g / (|g| + ε) ≈ 0.1·sign(g)
    np.testing.assert_allclose(W, [0.9, -0.9], rtol=1e-6)
    optimizer.step([W], [f32(1.0, 1.0)])
    expected = []
    for w, g1, g2 in ((0.9, 0.5, 1.0), (-0.9, -2.0, 1.0)):
        m = 0.9 * (0.1 * g1) + 0.1 * g2
        v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2
        m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
        expected.append(w - 0.1 * m_hat / (v_hat**0.5 + 1e-8))
    np.testing.assert_allclose(W, expected, rtol=1e-5)
    assert optimizer.t == 2


@pytest.mark.parametrize("optimizer", [SGD(0.1, weight_decay=0.5),
                                       Momentum(0.1, weight_decay=0.5),
                                       Adam(0.1, weight_decay=0.5)], ids=repr)
def test_weight_decay_shrinks_weights_but_not_biases(optimizer):
    W, b = f32(2.0, -2.0), f32(2.0, -2.0)
    zero = f32(0.0, 0.0)
    optimizer.step([W, b], [zero, zero.copy()], decay_mask=[True, False])
    assert np.all(np.abs(W) < 2.0)  # g = dW + λ·W pulls W towards 0
    np.testing.assert_array_equal(b, [2.0, -2.0])
    if isinstance(optimizer, (SGD, Momentum)):
        np.testing.assert_allclose(W, [2.0 * (1 - 0.1 * 0.5), -2.0 * (1 - 0.1 * 0.5)], rtol=1e-6)


def test_weight_decay_applies_to_everything_without_a_mask():
    W = f32(2.0)
    SGD(0.1, weight_decay=0.5).step([W], [f32(0.0)])
    np.testing.assert_allclose(W, [1.9], rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: SGD(0.05, weight_decay=1e-3),
                                  lambda: Momentum(0.05, nesterov=True, weight_decay=1e-3),
                                  lambda: Adam(0.05, weight_decay=1e-3)])
def test_parameters_and_state_stay_float32_and_grads_untouched(make):
    optimizer = make()
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((4, 3)).astype(np.float32), np.zeros((4, 1), np.float32)]
    identities = [id(p) for p in params]
    for _ in range(3):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
        before = [g.copy() for g in grads]
        optimizer.step(params, grads, decay_mask=[True, False])
        for g, g_before in zip(grads, before, strict=True):
            np.testing.assert_array_equal(g, g_before)
    assert [id(p) for p in params] == identities  # updated in place
    state = [a for name in ("velocity", "first_moment", "second_moment")
             for a in getattr(optimizer, name, [])]
    for array in params + state:
        assert array.dtype == np.float32


def test_mismatched_lists_are_rejected():
    with pytest.raises(ValueError, match="2 parameter arrays but 1"):
        SGD(0.1).step([f32(1.0), f32(1.0)], [f32(1.0)])
    optimizer = Momentum(0.1)
    optimizer.step([f32(1.0)], [f32(1.0)])
    with pytest.raises(ValueError, match="before"):
        optimizer.step([f32(1.0), f32(1.0)], [f32(1.0), f32(1.0)])


def test_make_optimizer():
    optimizer = make_optimizer("momentum", learning_rate=0.1, momentum=0.8, nesterov=True,
                               weight_decay=1e-4)
    assert isinstance(optimizer, Momentum)
    assert (optimizer.learning_rate, optimizer.momentum, optimizer.nesterov,
            optimizer.weight_decay) == (0.1, 0.8, True, 1e-4)
    assert isinstance(make_optimizer("sgd", learning_rate=0.1), SGD)
    assert make_optimizer("adam", learning_rate=0.01, beta2=0.99).beta2 == 0.99


def test_make_optimizer_errors_list_the_valid_choices():
    with pytest.raises(ConfigError,
                       match="unknown optimizer 'rmsprop'; valid: sgd, momentum, adam"):
        make_optimizer("rmsprop", learning_rate=0.1)
    with pytest.raises(ConfigError, match="no setting 'momentum'; valid: learning_rate"):
        make_optimizer("sgd", learning_rate=0.1, momentum=0.9)
    with pytest.raises(ConfigError, match="needs a learning_rate"):
        make_optimizer("adam")
    with pytest.raises(ConfigError, match="learning_rate must be > 0"):
        make_optimizer("sgd", learning_rate=0.0)
    with pytest.raises(ConfigError, match="momentum must be in"):
        Momentum(0.1, momentum=1.5)
