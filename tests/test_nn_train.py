"""The training loop: it learns, it is deterministic, it stays float32, it stops when it should."""

import math
from dataclasses import fields

import numpy as np
import pytest

from mlpsel.errors import DivergedError
from mlpsel.nn import (
    MLP,
    SGD,
    Adam,
    EpochRecord,
    History,
    Momentum,
    Optimizer,
    classification_accuracy,
    evaluate,
    fit,
    one_hot,
)


def xor_blobs(n: int, seed: int, *, uint8: bool = False):
    """Four Gaussian blobs at the corners of a square, labelled by XOR: needs a hidden layer.

    Returns rows X (n, 2) float32 in about [-1.5, 1.5] (or uint8 pixels) and labels y (n,) int64.
    """
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, (n, 2))  # (n, 2)
    y = (corners[:, 0] ^ corners[:, 1]).astype(np.int64)  # (n,)
    X = (2.0 * corners - 1.0 + 0.25 * rng.standard_normal((n, 2))).astype(np.float32)
    if uint8:
        X = np.clip(np.round((X + 2.0) * 63.75), 0, 255).astype(np.uint8)
    return X, y


def train(seed: int = 0, *, epochs: int = 20, dropout: float = 0.0, optimizer=None, **options):
    network = MLP([2, 16, 2], "tanh", dropout=dropout, rng=np.random.default_rng(seed))
    X, y = xor_blobs(400, 1)
    optimizer = optimizer or Momentum(0.1)
    history = fit(network, optimizer, X, y, epochs=epochs, batch_size=32,
                  rng=np.random.default_rng(seed + 100), **options)
    return network, history


def test_training_lowers_the_loss_and_learns_xor():
    X_validation, y_validation = xor_blobs(200, 2)
    network, history = train(X_validation=X_validation, y_validation=y_validation)
    losses = [record.train_loss for record in history.records]
    assert losses[-1] < 0.5 * losses[0]
    assert history.records[-1].train_accuracy > 0.95
    assert history.records[-1].validation_accuracy > 0.95
    assert classification_accuracy(y_validation, network.predict(X_validation)) > 0.95
    assert [record.epoch for record in history.records] == list(range(1, 21))
    assert history.best_epoch == 20 and not history.stopped_early
    assert history.stop_reason == "completed"


def test_training_on_uint8_rows_sees_float32_columns_scaled_by_1_over_255():
    seen = []

    class Spy(MLP):
        def forward_backward(self, X, Y, **options):
            seen.append((X.dtype, X.shape, float(X.max()), Y.dtype, Y.shape))
            return super().forward_backward(X, Y, **options)

    network = Spy([2, 16, 2], "tanh", rng=np.random.default_rng(0))
    X, y = xor_blobs(400, 1, uint8=True)
    history = fit(network, Adam(0.05), X, y, epochs=30, batch_size=64,
                  rng=np.random.default_rng(1))
    assert seen[0][:2] == (np.float32, (2, 64)) and seen[0][2] <= 1.0
    assert seen[0][3:] == (np.float32, (2, 64))
    assert seen[6][1] == (2, 400 - 6 * 64)  # the last, smaller batch
    assert history.records[-1].train_accuracy > 0.9
    for array in network.parameters():
        assert array.dtype == np.float32


def test_same_seeds_give_bit_identical_weights_and_history():
    X_validation, y_validation = xor_blobs(100, 2)
    runs = [train(3, epochs=5, dropout=0.2, optimizer=Adam(0.01),
                  X_validation=X_validation, y_validation=y_validation) for _ in range(2)]
    (first, first_history), (second, second_history) = runs
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert a.dtype == np.float32
        assert np.array_equal(a, b)

    def strip(history):
        return [(r.train_loss, r.train_accuracy, r.validation_loss) for r in history.records]
    assert strip(first_history) == strip(second_history)
    third, _ = train(4, epochs=5, dropout=0.2, optimizer=Adam(0.01))
    assert not np.array_equal(first.W[0], third.W[0])


def test_records_and_callbacks():
    seen = []
    _, history = train(epochs=3, on_epoch=seen.append)
    assert seen == history.records
    assert [f.name for f in fields(EpochRecord)] == [
        "epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
        "learning_rate", "seconds"]
    record = history.records[0]
    assert record.validation_loss is None and record.validation_accuracy is None
    assert record.learning_rate == 0.1 and record.seconds > 0
    for value in (record.train_loss, record.train_accuracy, record.learning_rate, record.seconds):
        assert type(value) is float
    rows = history.to_rows()
    assert rows[2]["epoch"] == 3 and set(rows[0]) == {f.name for f in fields(EpochRecord)}


def test_should_stop_ends_training_after_the_epoch():
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) == 2

    _, history = train(epochs=10, should_stop=should_stop)
    assert len(history.records) == 2
    assert history.stopped_early and history.stop_reason == "should_stop"
    assert history.best_epoch == 2


def test_train_loss_is_the_batch_weighted_mean():
    class Frozen(Optimizer):
        def _step(self, params, grads, decay_mask):
            pass

    network = MLP([2, 8, 2], "sigmoid", rng=np.random.default_rng(0))
    X, y = xor_blobs(100, 1)
    history = fit(network, Frozen(1.0), X, y, epochs=1, batch_size=30,
                  rng=np.random.default_rng(0))  # batches of 30, 30, 30, 10
    loss, accuracy = evaluate(network, X, y)
    assert history.records[0].train_loss == pytest.approx(loss, rel=1e-6)
    assert history.records[0].train_accuracy == accuracy


def test_evaluate_in_chunks_matches_one_pass():
    network = MLP([2, 8, 2], "relu", rng=np.random.default_rng(0))
    X, y = xor_blobs(101, 1)
    loss, accuracy = evaluate(network, X, y)
    chunked_loss, chunked_accuracy = evaluate(network, X, y, chunk_rows=7)
    assert chunked_loss == pytest.approx(loss, rel=1e-6)
    assert chunked_accuracy == accuracy == classification_accuracy(y, network.predict(X))


def test_early_stopping_restores_the_best_epoch():
    X, y = xor_blobs(400, 1)
    # Validation labels are flipped: the better the network learns, the worse validation gets.
    X_validation, y_validation = xor_blobs(200, 2)
    y_validation = 1 - y_validation
    network = MLP([2, 16, 2], "tanh", rng=np.random.default_rng(0))
    snapshots = {}

    def on_epoch(record):
        snapshots[record.epoch] = [p.copy() for p in network.parameters()]

    history = fit(network, Momentum(0.1), X, y, epochs=30, batch_size=32,
                  rng=np.random.default_rng(1), X_validation=X_validation,
                  y_validation=y_validation, early_stopping_patience=3, on_epoch=on_epoch)
    losses = [record.validation_loss for record in history.records]
    assert history.stopped_early and history.stop_reason == "early_stopping"
    assert history.best_epoch == 1 + int(np.argmin(losses))
    assert len(history.records) == history.best_epoch + 3
    for param, best in zip(network.parameters(), snapshots[history.best_epoch], strict=True):
        assert np.array_equal(param, best)
    assert not np.array_equal(network.W[0], snapshots[len(history.records)][0])


def test_early_stopping_restores_the_best_weights_even_when_all_epochs_ran():
    X, y = xor_blobs(400, 1)
    X_validation, y_validation = xor_blobs(200, 2)
    _, history = train(epochs=4, X_validation=X_validation, y_validation=1 - y_validation,
                       early_stopping_patience=10)
    assert not history.stopped_early and len(history.records) == 4
    losses = [record.validation_loss for record in history.records]
    assert history.best_epoch == 1 + int(np.argmin(losses))


@pytest.mark.parametrize("output", ["softmax", "identity"])
def test_divergence_raises(output):
    network = MLP([2, 64, 64, 2], "relu", output, rng=np.random.default_rng(0))
    X, y = xor_blobs(400, 1)
    with pytest.raises(DivergedError, match=r"training loss became (nan|inf) at epoch \d+, "
                                            r"batch \d+; try a smaller learning rate"):
        fit(network, SGD(1e6), X, y, epochs=20, batch_size=32, rng=np.random.default_rng(0))


def test_identity_output_with_labels_uses_one_hot_targets():
    network = MLP([2, 16, 2], "tanh", "identity", rng=np.random.default_rng(0))
    X, y = xor_blobs(400, 1)
    history = fit(network, Momentum(0.05), X, y, epochs=20, batch_size=32,
                  rng=np.random.default_rng(1))
    assert history.records[-1].train_loss < history.records[0].train_loss
    assert history.records[-1].train_accuracy > 0.9


def test_identity_output_with_real_targets_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)).astype(np.float32)
    targets = np.stack([X[:, 0] - X[:, 1], 0.5 * X[:, 2]], axis=1).astype(np.float32)  # (N, 2)
    network = MLP([3, 2], "identity", "identity", rng=np.random.default_rng(1))
    history = fit(network, SGD(0.1), X, targets, epochs=30, batch_size=20,
                  rng=np.random.default_rng(2), X_validation=X, y_validation=targets)
    assert history.records[-1].train_loss < 1e-3 < history.records[0].train_loss
    assert math.isnan(history.records[-1].train_accuracy)
    assert math.isnan(history.records[-1].validation_accuracy)


def test_bad_inputs_are_rejected():
    network = MLP([2, 4, 2], rng=np.random.default_rng(0))
    X, y = xor_blobs(10, 1)
    options = {"epochs": 1, "batch_size": 4, "rng": np.random.default_rng(0)}
    with pytest.raises(ValueError, match="labels 0..2 but the network has 2 outputs"):
        fit(network, SGD(0.1), X, np.arange(10) % 3, **options)
    with pytest.raises(ValueError, match=r"X_train must have shape \(N, n_0=2\)"):
        fit(network, SGD(0.1), X.T, y, **options)
    with pytest.raises(ValueError, match="both X_validation and y_validation"):
        fit(network, SGD(0.1), X, y, X_validation=X, **options)
    with pytest.raises(ValueError, match="epochs"):
        fit(network, SGD(0.1), X, y, epochs=0, batch_size=4, rng=np.random.default_rng(0))


def test_one_hot_is_float32_columns():
    Y = one_hot(np.array([2, 0, 1, 2]), 3)
    assert Y.dtype == np.float32 and Y.shape == (3, 4)
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])


def test_history_defaults():
    history = History()
    assert history.records == [] and history.to_rows() == []
    assert classification_accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == 2 / 3


@pytest.mark.parametrize("fast_path", [True, False])
def test_training_on_rows_equals_training_on_their_copy(fast_path):
    X, y = xor_blobs(400, 1, uint8=True)
    rows = np.random.default_rng(9).permutation(400)[:300]
    validation_rows = np.setdiff1d(np.arange(400), rows)
    runs = []
    for indexed in (True, False):
        network = MLP([2, 16, 2], "tanh", dropout=0.1, rng=np.random.default_rng(0))
        if indexed:
            options = {"rows": rows, "X_validation": X, "y_validation": y,
                       "validation_rows": validation_rows}
            X_train, y_train = X, y
        else:
            options = {"X_validation": X[validation_rows], "y_validation": y[validation_rows]}
            X_train, y_train = X[rows], y[rows]
        history = fit(network, Momentum(0.1), X_train, y_train, epochs=3, batch_size=32,
                      rng=np.random.default_rng(1), fast_path=fast_path, **options)
        runs.append((network, history.to_rows()))
    (indexed, indexed_rows), (copied, copied_rows) = runs
    for a, b in zip(indexed.parameters(), copied.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(indexed_rows, copied_rows, strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"}


def test_evaluate_on_rows_and_bad_rows():
    network = MLP([2, 8, 2], "relu", rng=np.random.default_rng(0))
    X, y = xor_blobs(101, 1)
    rows = np.arange(3, 90, 2)
    assert evaluate(network, X, y, rows=rows, chunk_rows=7) == pytest.approx(
        evaluate(network, X[rows], y[rows]), rel=1e-6)
    with pytest.raises(ValueError, match="rows holds indices"):
        evaluate(network, X, y, rows=np.array([0, 101]))
    with pytest.raises(ValueError, match="1-D array of row indices"):
        fit(network, SGD(0.1), X, y, epochs=1, batch_size=4, rng=np.random.default_rng(0),
            rows=np.array([0.5]))
    with pytest.raises(ValueError, match="validation_rows needs"):
        fit(network, SGD(0.1), X, y, epochs=1, batch_size=4, rng=np.random.default_rng(0),
            validation_rows=np.array([0]))
