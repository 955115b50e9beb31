"""The training loop's fast path (FusedStep, BLAS accumulation) against the plain course-form path.

The plain path (``MLP.forward_backward`` then ``optimizer.step``) is the oracle: the fast path
must train to the same weights, up to rounding (float64: 1e-9; float32: 1e-4), and to the same
bits where it performs the same operations.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import mlpsel.nn.blas as blas_module
from mlpsel.nn import MLP, fit
from mlpsel.nn.blas import axpy, matmul_accumulate
from mlpsel.nn.optimizers import SGD, Adam, Momentum
from mlpsel.nn.train import FusedStep

OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "sgd+decay": lambda: SGD(0.1, weight_decay=0.01),
    "momentum": lambda: Momentum(0.05, 0.9),
    "momentum+decay": lambda: Momentum(0.05, 0.9, weight_decay=0.01),
    "nesterov+decay": lambda: Momentum(0.05, 0.9, nesterov=True, weight_decay=0.01),
    "adam+decay": lambda: Adam(0.01, weight_decay=0.01),
}

# hidden activation, output, dropout, targets
NETWORKS = {
    "relu-softmax": ("relu", "softmax", 0.0, "labels"),
    "tanh-softmax-dropout": ("tanh", "softmax", 0.3, "labels"),
    "leaky_relu-identity-labels": ("leaky_relu", "identity", 0.0, "labels"),
    "sigmoid-identity-values-dropout": ("sigmoid", "identity", 0.2, "values"),
    "identity-softmax": ("identity", "softmax", 0.0, "labels"),
}


@pytest.fixture(params=[True, False], ids=["numpy-openblas", "numpy-only"])
def blas(request, monkeypatch):
    """Run a test with the BLAS calls (where NumPy has OpenBLAS) and with the NumPy forms."""
    monkeypatch.setenv("MLPSEL_NUMPY_BLAS", "1" if request.param else "0")
    monkeypatch.setattr(blas_module, "_BLAS_MIN_SIZE", 1)  # every product, however small
    blas_module._numpy_openblas.cache_clear()
    yield request.param
    blas_module._numpy_openblas.cache_clear()


def data(targets: str, *, n: int = 90, dtype=np.float64):
    """Rows X (n, 6) and labels (n,) in 0..2, or values (n, 3)."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, 6)).astype(dtype)
    if targets == "labels":
        return X, rng.integers(0, 3, n)
    return X, rng.standard_normal((n, 3)).astype(dtype)


def train_both_ways(network_name: str, optimizer_name: str, dtype=np.float64, epochs: int = 2):
    hidden, output, dropout, targets = NETWORKS[network_name]
    X, y = data(targets, dtype=dtype)
    results = []
    for fast_path in (True, False):
        network = MLP([6, 5, 4, 3], hidden, output, dropout, rng=np.random.default_rng(0),
                      dtype=dtype)
        history = fit(network, OPTIMIZERS[optimizer_name](), X, y, epochs=epochs,
                      batch_size=16, rng=np.random.default_rng(1), fast_path=fast_path)
        results.append((network, history))
    return results


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("network_name", sorted(NETWORKS))
def test_fast_path_trains_like_the_plain_path_in_float64(network_name, optimizer_name, blas):
    (fast, fast_history), (plain, plain_history) = train_both_ways(network_name, optimizer_name)
    for a, b in zip(fast.parameters(), plain.parameters(), strict=True):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    for fast_record, plain_record in zip(fast_history.records, plain_history.records,
                                         strict=True):
        assert fast_record.train_loss == pytest.approx(plain_record.train_loss, rel=1e-12)
        assert fast_record.train_accuracy == plain_record.train_accuracy or (
            np.isnan(fast_record.train_accuracy) and np.isnan(plain_record.train_accuracy))


@pytest.mark.parametrize("optimizer_name", ["sgd", "momentum+decay", "adam+decay"])
def test_fast_path_trains_like_the_plain_path_in_float32_on_uint8_rows(optimizer_name, blas):
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (600, 20)).astype(np.uint8)  # (N, n_0) rows
    y = (X[:, :10].sum(axis=1) > X[:, 10:].sum(axis=1)).astype(np.int64)
    results = []
    for fast_path in (True, False):
        network = MLP([20, 16, 2], rng=np.random.default_rng(4))
        history = fit(network, OPTIMIZERS[optimizer_name](), X, y, epochs=3, batch_size=32,
                      rng=np.random.default_rng(5), fast_path=fast_path)
        assert all(array.dtype == np.float32 for array in network.parameters())
        results.append((network, history))
    (fast, fast_history), (plain, plain_history) = results
    for a, b in zip(fast.parameters(), plain.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert fast_history.records[-1].train_loss == pytest.approx(
        plain_history.records[-1].train_loss, rel=1e-4)


def test_blas_and_numpy_forms_give_the_same_bits_for_momentum(monkeypatch):
    """Momentum without decay does the same operations both ways: u ← μ·u + P·Q (BLAS scales
    C by β, then adds the product), W ← W − u."""
    monkeypatch.setenv("MLPSEL_NUMPY_BLAS", "1")
    blas_module._numpy_openblas.cache_clear()
    if blas_module._numpy_openblas() is None:
        pytest.skip("NumPy does not run on OpenBLAS here")
    results = []
    for setting in ("1", "0"):
        monkeypatch.setenv("MLPSEL_NUMPY_BLAS", setting)
        blas_module._numpy_openblas.cache_clear()
        network = MLP([64, 300, 10], rng=np.random.default_rng(0))
        X = np.random.default_rng(1).integers(0, 256, (256, 64)).astype(np.uint8)
        y = np.random.default_rng(2).integers(0, 10, 256)
        fit(network, Momentum(0.05, 0.9), X, y, epochs=2, batch_size=64,
            rng=np.random.default_rng(3))
        results.append(network.parameters())
    blas_module._numpy_openblas.cache_clear()
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fast_path_is_deterministic():
    runs = []
    for _ in range(2):
        (network, history), _ = train_both_ways("tanh-softmax-dropout", "momentum+decay",
                                                dtype=np.float32, epochs=3)
        runs.append((network, [r.train_loss for r in history.records]))
    for a, b in zip(runs[0][0].parameters(), runs[1][0].parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((7, 5), (5, 9)), ((300, 40), (40, 200))],
                         ids=["small", "large"])
@pytest.mark.parametrize("layout", ["NN", "TN", "NT", "TT"])
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (-1.0, 1.0), (1.0, 0.9),
                                             (0.25, 0.5)])
def test_matmul_accumulate(dtype, shapes, layout, alpha, beta, blas):
    rng = np.random.default_rng(0)
    (M, K), (_, N) = shapes
    P = rng.standard_normal((M, K)).astype(dtype)
    Q = rng.standard_normal((K, N)).astype(dtype)
    if layout[0] == "T":
        P = np.ascontiguousarray(P.T).T  # same values, a transposed view
    if layout[1] == "T":
        Q = np.ascontiguousarray(Q.T).T
    C = rng.standard_normal((M, N)).astype(dtype)
    expected = alpha * (P.astype(np.float64) @ Q.astype(np.float64)) + beta * C
    matmul_accumulate(C, P, Q, alpha=alpha, beta=beta)
    assert C.dtype == dtype
    np.testing.assert_allclose(C, expected, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("a", [-1.0, 1.0, 0.3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy(a, dtype, blas):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 20)).astype(dtype)
    y = rng.standard_normal((30, 20)).astype(dtype)
    expected = a * x.astype(np.float64) + y
    axpy(a, x, y)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-14,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


def test_momentum_state_follows_the_path_and_the_learning_rate():
    """One optimizer stepped by the plain form, the scaled form and the accumulated form, with a
    learning-rate change, updates like an optimizer stepped by the plain form only."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 2)) for _ in range(6)]
    plain, mixed = Momentum(0.1, 0.9), Momentum(0.1, 0.9)
    W_plain, W_mixed = np.ones((3, 2)), np.ones((3, 2))
    for index, grad in enumerate(grads):
        if index == 3:
            plain.learning_rate = mixed.learning_rate = 0.05
        plain.step([W_plain], [grad])
        if index % 3 == 0:
            mixed.step([W_mixed], [grad])
        elif index % 3 == 1:
            mixed.step_scaled([W_mixed], [mixed.learning_rate * grad], [True])
        else:
            [(u, gamma, beta)] = mixed.begin_accumulated_step([W_mixed], [True])
            matmul_accumulate(u, mixed.learning_rate * grad, np.eye(2), alpha=gamma, beta=beta)
            mixed.end_accumulated_step([W_mixed], [True])
        np.testing.assert_allclose(W_mixed, W_plain, rtol=1e-12)


@pytest.mark.parametrize("name", ["sgd+decay", "momentum+decay", "nesterov+decay"])
def test_scaled_step_matches_the_plain_step(name):
    """``step_scaled`` from α·dW (the form for optimizers without an accumulated step)."""
    plain_optimizer, scaled_optimizer = OPTIMIZERS[name](), OPTIMIZERS[name]()
    rng = np.random.default_rng(0)
    W_plain = rng.standard_normal((4, 3))
    W_scaled = W_plain.copy()
    for _ in range(5):
        dW = rng.standard_normal((4, 3))
        plain_optimizer.step([W_plain], [dW])
        scaled_optimizer.step_scaled([W_scaled], [scaled_optimizer.learning_rate * dW], [True])
    np.testing.assert_allclose(W_scaled, W_plain, rtol=1e-12)


def test_fused_step_forward_gives_the_plain_loss_and_logits():
    network = MLP([6, 5, 4, 3], "tanh", rng=np.random.default_rng(0), dtype=np.float64)
    X = np.random.default_rng(1).standard_normal((6, 8))
    labels = np.random.default_rng(2).integers(0, 3, 8)
    loss, _, Z_L = network.forward_backward(X, np.eye(3)[:, labels])
    fused_loss, fused_Z_L = FusedStep(network, SGD(0.1)).forward(X, labels, None,
                                                                 np.random.default_rng(0))
    assert fused_loss == pytest.approx(loss, rel=1e-14)
    np.testing.assert_array_equal(fused_Z_L, Z_L)
    np.testing.assert_array_equal(network.logits(X), Z_L)


def test_a_subclass_overriding_a_pass_takes_the_plain_path():
    calls = []

    class Spy(MLP):
        def forward(self, X, **options):
            calls.append(X.shape)
            return super().forward(X, **options)

    network = Spy([6, 5, 3], rng=np.random.default_rng(0))
    X, y = data("labels", n=40, dtype=np.float32)
    fit(network, Momentum(0.1), X, y, epochs=1, batch_size=16, rng=np.random.default_rng(1))
    assert calls == [(6, 16), (6, 16), (6, 8)]


def test_numpy_openblas_is_found_where_numpy_runs_on_it(monkeypatch):
    """Where threadpoolctl sees NumPy's bundled OpenBLAS, the fast path must reach it: a change
    in its symbol names would otherwise fall back to the NumPy forms without a word."""
    from threadpoolctl import threadpool_info

    site_packages = os.path.dirname(os.path.dirname(np.__file__))
    bundled = [pool for pool in threadpool_info() if pool.get("internal_api") == "openblas"
               and pool.get("filepath", "").startswith(os.path.join(site_packages, "numpy"))]
    if not bundled:
        pytest.skip("NumPy does not run on a bundled OpenBLAS here")
    monkeypatch.setenv("MLPSEL_NUMPY_BLAS", "1")
    blas_module._numpy_openblas.cache_clear()
    try:
        assert blas_module._numpy_openblas() is not None
        monkeypatch.setenv("MLPSEL_NUMPY_BLAS", "0")
        blas_module._numpy_openblas.cache_clear()
        assert blas_module._numpy_openblas() is None
    finally:
        blas_module._numpy_openblas.cache_clear()
