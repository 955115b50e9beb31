"""The MLP: gradient checks for every activation and loss, dtypes, prediction on rows, save/load."""

import json

import numpy as np
import pytest

from mlpsel.errors import ConfigError
from mlpsel.nn import MLP, gradient_check, one_hot
from mlpsel.nn.init import glorot_uniform, he_normal, initialize_parameters

HIDDEN = ["relu", "leaky_relu", "sigmoid", "tanh", "identity"]
SIZES = [5, 4, 3, 3]
M = 7


def float64_network(hidden_activation: str, output: str = "softmax", dropout: float = 0.0):
    """A 5-4-3-3 float64 network with random biases (zero biases plus a fully dropped column
    would put Z exactly on the ReLU kink)."""
    network = MLP(SIZES, hidden_activation, output, dropout, rng=np.random.default_rng(0),
                  dtype=np.float64)
    rng = np.random.default_rng(10)
    for b in network.b:
        b[...] = rng.standard_normal(b.shape)
    return network


def batch(output: str, seed: int = 1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((SIZES[0], M)).astype(dtype)  # (n_0, m)
    if output == "softmax":
        Y = one_hot(rng.integers(0, SIZES[-1], M), SIZES[-1], dtype=dtype)  # (n_L, m)
    else:
        Y = rng.standard_normal((SIZES[-1], M)).astype(dtype)  # (n_L, m)
    return X, Y


@pytest.mark.parametrize("output", ["softmax", "identity"])
@pytest.mark.parametrize("hidden_activation", HIDDEN)
def test_gradient_check(hidden_activation, output):
    network = float64_network(hidden_activation, output)
    X, Y = batch(output)
    assert gradient_check(network, X, Y) < 1e-6


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
def test_gradient_check_with_dropout(hidden_activation):
    network = float64_network(hidden_activation, dropout=0.3)
    X, Y = batch("softmax")
    assert gradient_check(network, X, Y, dropout_seed=5) < 1e-6


def test_gradient_check_needs_float64():
    network = MLP(SIZES, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="float64"):
        gradient_check(network, *batch("softmax", dtype=np.float32))


def test_float32_gradients_agree_with_float64():
    network = MLP(SIZES, "tanh", rng=np.random.default_rng(0))
    X, Y = batch("softmax")
    loss32, grads32 = network.loss_and_gradients(X.astype(np.float32), Y.astype(np.float32))
    loss64, grads64 = network.astype(np.float64).loss_and_gradients(X, Y)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for (dW32, db32), (dW64, db64) in zip(grads32, grads64, strict=True):
        np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(db32, db64, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("hidden_activation", HIDDEN)
def test_float32_everywhere(hidden_activation):
    network = MLP([6, 5, 4, 3], hidden_activation, dropout=0.2, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 8)).astype(np.float32)
    Y = one_hot(rng.integers(0, 3, 8), 3)
    Y_hat, caches = network.forward(X, training=True, rng=rng)
    assert Y_hat.dtype == np.float32 and Y_hat.shape == (3, 8)
    for cache in caches:
        assert cache.Z.dtype == np.float32 and cache.A.dtype == np.float32
        assert cache.mask is None or cache.mask.dtype == np.float32
    loss, grads = network.loss_and_gradients(X, Y, rng=rng)
    assert type(loss) is float
    for l, (dW, db) in enumerate(grads):  # noqa: E741
        assert dW.dtype == np.float32 and db.dtype == np.float32
        assert dW.shape == network.W[l].shape and db.shape == network.b[l].shape
    for array in network.parameters():
        assert array.dtype == np.float32
    assert network.predict_proba(np.zeros((2, 6), np.uint8)).dtype == np.float32


def test_dropout_is_off_in_evaluation_mode():
    network = MLP([6, 20, 3], dropout=0.5, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    evaluation, _ = network.forward(X)
    without_dropout = network.astype(np.float32)
    without_dropout.dropout = 0.0
    np.testing.assert_array_equal(evaluation, without_dropout.forward(X)[0])
    training, _ = network.forward(X, training=True, rng=np.random.default_rng(2))
    assert not np.array_equal(training, evaluation)
    with pytest.raises(ValueError, match="rng"):
        network.forward(X, training=True)


def test_softmax_outputs_are_probabilities():
    network = MLP([6, 5, 4], rng=np.random.default_rng(0))
    X_rows = np.random.default_rng(1).integers(0, 256, (9, 6), dtype=np.uint8)
    probabilities = network.predict_proba(X_rows)
    assert probabilities.shape == (9, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_predict_proba_takes_rows_scales_uint8_and_chunks():
    network = MLP([6, 5, 4], rng=np.random.default_rng(0))
    X_rows = np.random.default_rng(1).integers(0, 256, (11, 6), dtype=np.uint8)
    expected, _ = network.forward((X_rows.T / 255.0).astype(np.float32))  # (n_L, N)
    whole = network.predict_proba(X_rows)
    np.testing.assert_allclose(whole, expected.T, rtol=1e-6)
    np.testing.assert_array_equal(network.predict_proba(X_rows, chunk_rows=3), whole)
    floats = (X_rows / 255.0).astype(np.float32)  # floats are taken as already scaled
    np.testing.assert_allclose(network.predict_proba(floats), whole, rtol=1e-6)
    predictions = network.predict(X_rows)
    assert predictions.dtype == np.int64 and predictions.shape == (11,)
    np.testing.assert_array_equal(predictions, whole.argmax(axis=1))


def test_predicting_rows_by_index_equals_predicting_their_copy():
    network = MLP([6, 5, 4], rng=np.random.default_rng(0))
    X_rows = np.random.default_rng(1).integers(0, 256, (11, 6), dtype=np.uint8)
    rows = np.array([7, 2, 9, 2, 0])
    np.testing.assert_array_equal(network.predict_proba(X_rows, rows=rows, chunk_rows=2),
                                  network.predict_proba(X_rows[rows], chunk_rows=2))
    np.testing.assert_array_equal(network.predict(X_rows, rows=rows), network.predict(X_rows[rows]))
    with pytest.raises(ValueError, match="rows holds indices"):
        network.predict(X_rows, rows=np.array([11]))


def test_predict_proba_rejects_columns():
    network = MLP([6, 5, 4], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rows"):
        network.predict_proba(np.zeros((6, 3), np.uint8))


def test_n_parameters_and_repr():
    network = MLP([784, 512, 10], rng=np.random.default_rng(0))
    assert network.n_parameters == 784 * 512 + 512 + 512 * 10 + 10
    assert network.L == 2
    assert repr(network) == ("MLP(784-512-10, hidden_activation='relu', output='softmax', "
                             "dropout=0.0)")
    assert network.weight_decay_mask() == [True, False, True, False]
    assert [p.shape for p in network.parameters()] == [(512, 784), (512, 1), (10, 512), (10, 1)]


@pytest.mark.parametrize(("arguments", "match"), [
    (([5],), "at least two"),
    (([5, 0, 3],), "positive"),
    (([5, 3], "swish"), "unknown activation 'swish'; valid: identity, relu"),
    (([5, 3], "relu", "tanh"), "unknown output 'tanh'; valid: softmax, identity, sigmoid"),
    (([5, 3], "relu", "softmax", 1.0), r"dropout must be in \[0, 1\)"),
])
def test_invalid_architecture(arguments, match):
    with pytest.raises(ConfigError, match=match):
        MLP(*arguments, rng=np.random.default_rng(0))


def test_initialization():
    rng = np.random.default_rng(0)
    W, b = initialize_parameters([400, 300, 10], "relu", rng=rng)
    assert W[0].dtype == np.float32 and b[0].dtype == np.float32
    assert W[0].std() == pytest.approx((2 / 400) ** 0.5, rel=0.02)  # He for a ReLU layer
    limit = (6 / (300 + 10)) ** 0.5  # Glorot uniform for the softmax layer
    assert np.abs(W[1]).max() <= limit and np.abs(W[1]).max() > 0.95 * limit
    assert all(np.array_equal(bias, np.zeros_like(bias)) for bias in b)
    W_tanh, _ = initialize_parameters([400, 300, 10], "tanh", rng=np.random.default_rng(0))
    assert np.abs(W_tanh[0]).max() <= (6 / 700) ** 0.5
    assert he_normal(3, 2, rng=np.random.default_rng(1), dtype=np.float64).dtype == np.float64
    assert glorot_uniform(3, 2, rng=np.random.default_rng(1)).shape == (3, 2)


def test_same_seed_same_weights_in_both_dtypes():
    a = MLP([8, 6, 3], "tanh", rng=np.random.default_rng(4))
    b = MLP([8, 6, 3], "tanh", rng=np.random.default_rng(4))
    c = MLP([8, 6, 3], "tanh", rng=np.random.default_rng(4), dtype=np.float64)
    for Wa, Wb, Wc in zip(a.W, b.W, c.W, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(Wa, Wc.astype(np.float32))


def test_to_and_from_arrays_round_trip():
    network = MLP([6, 5, 4, 3], "leaky_relu", dropout=0.25, rng=np.random.default_rng(0))
    arrays = network.to_arrays()
    assert sorted(arrays) == ["W1", "W2", "W3", "b1", "b2", "b3", "metadata"]
    assert json.loads(str(arrays["metadata"]))["layer_sizes"] == [6, 5, 4, 3]
    loaded = MLP.from_arrays(arrays)
    assert (loaded.layer_sizes, loaded.hidden_activation, loaded.output, loaded.dropout) == (
        [6, 5, 4, 3], "leaky_relu", "softmax", 0.25)
    X_rows = np.random.default_rng(1).integers(0, 256, (10, 6), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.predict_proba(X_rows), network.predict_proba(X_rows))


def test_from_arrays_rejects_inconsistent_shapes_and_foreign_arrays():
    network = MLP([3, 4, 2], rng=np.random.default_rng(0))
    network.W[1] = np.ones((2, 5), np.float32)
    with pytest.raises(ValueError, match="layer 2"):
        MLP.from_arrays(network.to_arrays())
    with pytest.raises(ValueError, match="not a mlpsel.mlp file"):
        MLP.from_arrays({"metadata": np.array(json.dumps({"format": "other"}))})
