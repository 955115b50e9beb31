"""The training loop: mini-batch gradient descent over samples stored as rows.

Data at rest are rows, ``X`` (N, n_0) uint8 (or floats), labels ``y`` (N,). This module is the one
place where a row batch becomes the network's column batch: ``X[idx].T`` is a free view, and the
float conversion and scaling happen in the same pass (``np.multiply(..., dtype=float32)``).

The loop never prints: it calls ``on_epoch(record)`` after every epoch and returns a
:class:`History`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from mlpsel.errors import DivergedError
from mlpsel.nn.losses import LOSSES
from mlpsel.nn.network import MLP, default_input_scale
from mlpsel.nn.optimizers import Optimizer

EVALUATION_CHUNK_ROWS = 2048  # as fast as larger chunks; keeps a full-MNIST run near 120 MB
"""Rows evaluated at a time (bounds the memory of validation passes)."""


@dataclass
class EpochRecord:
    """What one epoch produced.

    Attributes
    ----------
    epoch : int
        1-based.
    train_loss : float
        Mean training loss over the epoch's mini-batches (weighted by batch size), each measured in
        training mode (with dropout) before that batch's update.
    train_accuracy : float
        Fraction of training samples whose class was predicted right in those same forward passes
        (NaN with real-valued targets).
    validation_loss, validation_accuracy : float or None
        On the whole validation set in evaluation mode after the epoch; None without validation
        data (accuracy NaN with real-valued targets).
    learning_rate : float
        The optimizer's learning rate during the epoch.
    seconds : float
        Wall time of the epoch, validation included.
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    validation_loss: float | None
    validation_accuracy: float | None
    learning_rate: float
    seconds: float


@dataclass
class History:
    """The records of a training run.

    Attributes
    ----------
    records : list of EpochRecord
        One per epoch run.
    best_epoch : int
        The epoch whose weights the network holds after :func:`fit`: with early stopping, the
        epoch of lowest validation loss (its weights were restored); otherwise the last epoch.
    stopped_early : bool
        True when training ended before the requested number of epochs.
    stop_reason : str
        "completed", "early_stopping" (patience ran out) or "should_stop" (the callback said so).
    """

    records: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    stop_reason: str = "completed"

    def to_rows(self) -> list[dict]:
        """One dict per epoch, keys the :class:`EpochRecord` fields."""
        return [asdict(record) for record in self.records]


def one_hot(labels: np.ndarray, n_classes: int, *, dtype: type = np.float32) -> np.ndarray:
    """One-hot columns ``Y[k, i] = 1`` where ``labels[i] == k``.

    Parameters
    ----------
    labels : ndarray, shape (m,)
        Integer classes in ``[0, n_classes)``.
    n_classes : int
    dtype : numpy dtype, default float32

    Returns
    -------
    ndarray, shape (n_classes, m)
    """
    m = labels.shape[0]
    Y = np.zeros((n_classes, m), dtype=dtype)  # (n_L, m)
    Y[labels, np.arange(m)] = 1
    return Y


def classification_accuracy(labels: np.ndarray, predicted_labels: np.ndarray) -> float:
    """Fraction of ``predicted_labels`` equal to ``labels`` (both shape (N,)); NaN when N = 0."""
    labels = np.asarray(labels)
    if labels.shape[0] == 0:
        return math.nan
    return int(np.count_nonzero(np.asarray(predicted_labels) == labels)) / labels.shape[0]


def _targets(y: np.ndarray, idx: np.ndarray | slice, n_L: int, dtype: type) -> np.ndarray:
    """Targets of the rows ``idx`` as columns (n_L, m): one-hot for labels, transposed otherwise."""
    if y.ndim == 1:
        return one_hot(y[idx], n_L, dtype=dtype)  # (n_L, m)
    return np.asarray(y[idx].T, dtype=dtype)  # (n_L, m)


def _check_data(network: MLP, X_rows: np.ndarray, y: np.ndarray, name: str) -> None:
    n_0, n_L = network.layer_sizes[0], network.layer_sizes[-1]
    if X_rows.ndim != 2 or X_rows.shape[1] != n_0:
        raise ValueError(f"X_{name} must have shape (N, n_0={n_0}), samples as rows; "
                         f"got {X_rows.shape}")
    if y.shape[:1] != X_rows.shape[:1]:
        raise ValueError(f"y_{name} has {y.shape[0] if y.ndim else 0} entries for "
                         f"{X_rows.shape[0]} rows of X_{name}")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y_{name} must hold integer class labels; got dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= n_L):
            raise ValueError(f"y_{name} holds labels {y.min()}..{y.max()} but the network has "
                             f"{n_L} outputs (labels must be in 0..{n_L - 1})")
    elif network.output == "softmax" or y.ndim != 2 or y.shape[1] != n_L:
        raise ValueError(f"y_{name} must be (N,) integer labels"
                         + ("" if network.output == "softmax" else f" or (N, {n_L}) targets")
                         + f"; got shape {y.shape}")


def evaluate(network: MLP, X_rows: np.ndarray, y: np.ndarray, *,
             input_scale: float | None = None,
             chunk_rows: int = EVALUATION_CHUNK_ROWS) -> tuple[float, float]:
    """Mean loss and accuracy of ``network`` in evaluation mode (no dropout), chunk by chunk.

    Parameters
    ----------
    network : MLP
    X_rows : ndarray, shape (N, n_0)
        uint8 pixels or floats.
    y : ndarray, shape (N,) or (N, n_L)
        Integer labels, or real-valued targets (identity output; accuracy is then NaN).
    input_scale : float, optional
        Default 1/255 for uint8, 1.0 for floats.
    chunk_rows : int

    Returns
    -------
    loss : float
    accuracy : float
    """
    X_rows, y = np.asarray(X_rows), np.asarray(y)
    _check_data(network, X_rows, y, "validation")
    scale = default_input_scale(X_rows) if input_scale is None else float(input_scale)
    n_L, N = network.layer_sizes[-1], X_rows.shape[0]
    loss_sum, correct = 0.0, 0
    for start in range(0, N, chunk_rows):
        rows = slice(start, start + chunk_rows)
        X = np.multiply(X_rows[rows].T, scale, dtype=network.dtype)  # (n_0, m)
        Y = _targets(y, rows, n_L, network.dtype)  # (n_L, m)
        _, caches = network.forward(X)
        Z_L = caches[-1].Z  # (n_L, m)
        loss, _ = LOSSES[network.output](Z_L, Y)
        loss_sum += loss * X.shape[1]
        if y.ndim == 1:
            correct += int(np.count_nonzero(Z_L.argmax(axis=0) == y[rows]))
    if N == 0:
        return math.nan, math.nan
    return loss_sum / N, (correct / N if y.ndim == 1 else math.nan)


def fit(network: MLP, optimizer: Optimizer, X_train: np.ndarray, y_train: np.ndarray, *,
        epochs: int, batch_size: int, rng: np.random.Generator,
        X_validation: np.ndarray | None = None, y_validation: np.ndarray | None = None,
        early_stopping_patience: int = 0,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        input_scale: float | None = None) -> History:
    """Train ``network`` in place by mini-batch gradient descent.

    Each epoch shuffles the row *indices* with ``rng.permutation`` (never the data), and for each
    mini-batch: rows ``X_train[idx]`` → columns ``.T`` → float × ``input_scale`` (n_0, m); forward
    in training mode; back-propagation; ``optimizer.step``.

    Parameters
    ----------
    network : MLP
        Trained in place.
    optimizer : Optimizer
    X_train : ndarray, shape (N, n_0)
        uint8 pixels or floats, samples as rows.
    y_train : ndarray, shape (N,) or (N, n_L)
        Integer class labels (one-hot targets are built per batch, also for the identity output),
        or real-valued targets (identity output only).
    epochs : int
        At least 1.
    batch_size : int
        At least 1; the last batch of an epoch may be smaller.
    rng : numpy.random.Generator
        Shuffles and draws dropout masks. Same network, same rng state → bit-identical weights.
    X_validation : ndarray, shape (N_v, n_0), optional
    y_validation : ndarray, shape (N_v,) or (N_v, n_L), optional
        Evaluated after every epoch (whole set, evaluation mode).
    early_stopping_patience : int, default 0
        With validation data and patience p > 0: stop after p epochs in a row without a lower
        validation loss, and restore the weights of the best epoch (also when all epochs ran).
    on_epoch : callable, optional
        ``on_epoch(record)`` after every epoch.
    should_stop : callable, optional
        ``should_stop()`` after every epoch; True ends training (e.g. on Ctrl-C).
    input_scale : float, optional
        Multiplies the inputs; default 1/255 for uint8 and 1.0 for floats.

    Returns
    -------
    History

    Raises
    ------
    mlpsel.errors.DivergedError
        When a mini-batch's training loss (or the validation loss) is NaN or infinite.
    """
    X_train, y_train = np.asarray(X_train), np.asarray(y_train)
    _check_data(network, X_train, y_train, "train")
    if (X_validation is None) != (y_validation is None):
        raise ValueError("give both X_validation and y_validation, or neither")
    has_validation = X_validation is not None
    if has_validation:
        X_validation, y_validation = np.asarray(X_validation), np.asarray(y_validation)
        _check_data(network, X_validation, y_validation, "validation")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if X_train.shape[0] == 0:
        raise ValueError("X_train has no rows")

    scale = default_input_scale(X_train) if input_scale is None else float(input_scale)
    dtype = network.dtype
    N, n_L = X_train.shape[0], network.layer_sizes[-1]
    labels = y_train.ndim == 1
    early_stopping = has_validation and early_stopping_patience > 0
    params = network.parameters()  # the arrays themselves: the optimizer updates them in place
    decay_mask = network.weight_decay_mask()

    history = History()
    best_loss = math.inf
    best_params: list[np.ndarray] | None = None
    epochs_without_improvement = 0

    # NaN/inf are detected below and reported as DivergedError, not as NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, int(epochs) + 1):
            started = time.perf_counter()
            order = rng.permutation(N)  # (N,)
            loss_sum, correct = 0.0, 0
            for batch, start in enumerate(range(0, N, int(batch_size)), start=1):
                idx = order[start:start + batch_size]  # (m,)
                X = np.multiply(X_train[idx].T, scale, dtype=dtype)  # (n_0, m)
                Y = _targets(y_train, idx, n_L, dtype)  # (n_L, m)
                if optimizer.folds_learning_rate:
                    # Fast path: α/m folded into dZ[L], so the gradients come out as α·dW, α·db
                    # and the update needs no pass over W to scale them.
                    loss, grads, Z_L = network.forward_backward(
                        X, Y, rng=rng, training=True,
                        output_gradient_scale=optimizer.learning_rate / idx.shape[0])
                else:
                    loss, grads, Z_L = network.forward_backward(X, Y, rng=rng, training=True)
                if not math.isfinite(loss):
                    raise DivergedError(f"training loss became {loss} at epoch {epoch}, batch "
                                        f"{batch}; try a smaller learning rate")
                flat_grads = [grad for pair in grads for grad in pair]
                if optimizer.folds_learning_rate:
                    optimizer.step_scaled(params, flat_grads, decay_mask)
                else:
                    optimizer.step(params, flat_grads, decay_mask=decay_mask)
                loss_sum += loss * idx.shape[0]
                if labels:
                    correct += int(np.count_nonzero(Z_L.argmax(axis=0) == y_train[idx]))

            validation_loss = validation_accuracy = None
            if has_validation:
                validation_loss, validation_accuracy = evaluate(
                    network, X_validation, y_validation, input_scale=input_scale)
                if not math.isfinite(validation_loss):
                    raise DivergedError(f"validation loss became {validation_loss} at epoch "
                                        f"{epoch}; try a smaller learning rate")
            record = EpochRecord(
                epoch=epoch,
                train_loss=loss_sum / N,
                train_accuracy=correct / N if labels else math.nan,
                validation_loss=validation_loss,
                validation_accuracy=validation_accuracy,
                learning_rate=float(optimizer.learning_rate),
                seconds=time.perf_counter() - started,
            )
            history.records.append(record)
            history.best_epoch = epoch

            if early_stopping:
                if validation_loss < best_loss:
                    best_loss = validation_loss
                    best_epoch = epoch
                    best_params = [p.copy() for p in params]
                    epochs_without_improvement = 0
                else:
                    epochs_without_improvement += 1
            if on_epoch is not None:
                on_epoch(record)
            if (early_stopping and epochs_without_improvement >= early_stopping_patience
                    and epoch < epochs):
                history.stopped_early, history.stop_reason = True, "early_stopping"
                break
            if should_stop is not None and should_stop():
                history.stopped_early = epoch < epochs
                history.stop_reason = "should_stop" if epoch < epochs else "completed"
                break

    if early_stopping and best_params is not None:
        for param, best in zip(params, best_params, strict=True):
            param[...] = best
        history.best_epoch = best_epoch
    return history
