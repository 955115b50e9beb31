"""The training loop: mini-batch gradient descent over samples stored as rows.

Data at rest are rows, ``X`` (N, n_0) uint8 (or floats), labels ``y`` (N,). Each batch becomes
the network's column batch through :func:`mlpsel.nn.network.rows_to_columns` (``X[idx].T`` is a
free view, converted and scaled into a float (n_0, m) array), here and in :func:`evaluate` and
prediction alike; ``rows=`` trains on row indices without copying the split out.

:func:`fit` trains each batch with :class:`FusedStep`, the fast path: A[l] written over Z[l],
the loss from integer labels, and for SGD and momentum α/m folded into dZ[L] and the update done
inside the dW product. ``fast_path=False``, or a network whose passes are overridden, takes the
course-form path (``forward_backward`` → ``optimizer.step``), which the tests keep as the oracle
of the fast one.

The loop never prints: it calls ``on_epoch(record)`` after every epoch and returns a
:class:`History`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from mlpsel.errors import DivergedError
from mlpsel.nn.activations import ACTIVATIONS
from mlpsel.nn.blas import matmul_accumulate
from mlpsel.nn.layers import dropout_forward
from mlpsel.nn.losses import LOSSES, chance_loss, softmax_cross_entropy_labels
from mlpsel.nn.network import MLP, check_row_indices, predicted_classes, rows_to_columns
from mlpsel.nn.optimizers import Optimizer

EVALUATION_CHUNK_ROWS = 1024  # as fast as larger chunks, and a smaller peak memory
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


@dataclass
class TrainingState:
    """Where a training stopped, to continue it bit for bit: the network, the optimizer with its
    state, the random stream (batch order and dropout masks) and the epochs done.

    ``fit(state.network, state.optimizer, ..., rng=state.rng, epochs=9,
    initial_epoch=state.epochs_done)`` continues it.
    """

    network: MLP
    optimizer: Optimizer
    rng: np.random.Generator
    epochs_done: int

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Named arrays (no objects: a file of them loads without pickle): ``network.<name>``
        (:meth:`MLP.to_arrays`), ``optimizer.<name>.<i>`` and ``state`` (a JSON string of the
        optimizer's class and scalar state, the generator's state and the epochs done)."""
        optimizer_arrays, scalars = self.optimizer.state()
        state = {"optimizer": type(self.optimizer).__name__, "optimizer_scalars": scalars,
                 "rng": self.rng.bit_generator.state, "epochs_done": self.epochs_done}
        arrays = {f"network.{name}": array for name, array in self.network.to_arrays().items()}
        arrays.update({f"optimizer.{name}": array for name, array in optimizer_arrays.items()})
        arrays["state"] = np.array(json.dumps(state))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], optimizer: Optimizer) -> TrainingState:
        """The state :meth:`to_arrays` describes; ``optimizer`` (built with the same settings)
        takes the stored state.

        Raises
        ------
        ValueError
            The stored state is of another optimizer.
        """
        state = json.loads(str(arrays["state"][()]))
        if state["optimizer"] != type(optimizer).__name__:
            raise ValueError(f"the stored state is of {state['optimizer']}, not "
                             f"{type(optimizer).__name__}")
        network = MLP.from_arrays({name.removeprefix("network."): array
                                   for name, array in arrays.items()
                                   if name.startswith("network.")})
        optimizer.load_state({name.removeprefix("optimizer."): array
                              for name, array in arrays.items()
                              if name.startswith("optimizer.")}, state["optimizer_scalars"])
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        return cls(network, optimizer, rng, int(state["epochs_done"]))


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
    """Targets of the rows ``idx`` as columns (n_L, m): one-hot for labels (for one sigmoid
    unit the 0/1 labels themselves, (1, m)), transposed otherwise."""
    if y.ndim == 1 and n_L == 1:
        return y[idx][None, :].astype(dtype)  # (1, m)
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
        n_classes = 2 if network.output == "sigmoid" else n_L
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            what = "classes (one sigmoid unit)" if network.output == "sigmoid" else "outputs"
            raise ValueError(f"y_{name} holds labels {y.min()}..{y.max()} but the network has "
                             f"{n_classes} {what} (labels must be in 0..{n_classes - 1})")
    elif network.output == "softmax" or y.ndim != 2 or y.shape[1] != n_L:
        raise ValueError(f"y_{name} must be (N,) integer labels"
                         + ("" if network.output == "softmax" else f" or (N, {n_L}) targets")
                         + f"; got shape {y.shape}")


def evaluate(network: MLP, X_rows: np.ndarray, y: np.ndarray, *,
             input_scale: float | None = None,
             chunk_rows: int = EVALUATION_CHUNK_ROWS,
             rows: np.ndarray | None = None) -> tuple[float, float]:
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
    rows : ndarray of int, shape (N_r,), optional
        Evaluate these rows of ``X_rows`` and ``y`` only, without copying them out first.

    Returns
    -------
    loss : float
    accuracy : float
    """
    X_rows, y = np.asarray(X_rows), np.asarray(y)
    _check_data(network, X_rows, y, "validation")
    rows = check_row_indices(rows, X_rows.shape[0], "rows")
    scale, shift = network.input_transform(X_rows, input_scale)
    n_L = network.layer_sizes[-1]
    N = X_rows.shape[0] if rows is None else rows.shape[0]
    loss_sum, correct = 0.0, 0
    for start in range(0, N, chunk_rows):
        idx = slice(start, start + chunk_rows) if rows is None else rows[start:start + chunk_rows]
        X = rows_to_columns(X_rows, idx, scale, network.dtype, shift)  # (n_0, m)
        Z_L = network.logits(X)  # (n_L, m)
        if y.ndim == 1 and network.output == "softmax":
            labels = y[idx]  # (m,)
            loss, _ = softmax_cross_entropy_labels(Z_L, labels)
        else:
            labels = y[idx] if y.ndim == 1 else None
            loss, _ = LOSSES[network.output](Z_L, _targets(y, idx, n_L, network.dtype))
        loss_sum += loss * X.shape[1]
        if labels is not None:
            correct += int(np.count_nonzero(predicted_classes(Z_L) == labels))
    if N == 0:
        return math.nan, math.nan
    return loss_sum / N, (correct / N if y.ndim == 1 else math.nan)


class FusedStep:
    """One mini-batch step, fused and in place: the fast path of :func:`fit`.

    The equations are the plain path's (``MLP.forward_backward``, then ``optimizer.step``), which
    stays as the oracle the tests hold this class to (tests/test_nn_fast_path.py). What differs
    is where the numbers live and how many passes over memory they take:

    * ``A[l]`` is written over ``Z[l]`` (every ``g'`` can be computed from ``A``);
    * the loss reads the integer labels (:func:`~mlpsel.nn.losses.softmax_cross_entropy_labels`),
      no one-hot ``Y``;
    * ``dZ[L]`` carries the factor α/m (1/m for optimizers that do not fold α). The products are
      linear, so every ``dW[l]`` and ``db[l]`` comes out scaled, and no pass over a weight matrix
      is spent on ``/ m`` or ``α·``;
    * SGD and momentum update inside the products: ``dW[l] = dZ[l]·A[l-1]ᵀ`` is computed as
      ``C ← γ·dZ[l]·A[l-1]ᵀ + β·C`` straight into the weights (SGD: ``W ← W − α·dW``) or into
      the velocity (momentum: ``u ← μ·u + α·dW``, then ``W ← W − u``), see
      ``Optimizer.begin_accumulated_step``; ``db[l] = Σ dZ[l]`` is the product ``dZ[l]·1``;
    * other optimizers get ``dW[l]``, ``db[l]`` in arrays kept from step to step;
    * the first layer's ``dA[0] = W[1]ᵀ·dZ[1]`` is never computed.

    Use: ``loss, Z_L = step.forward(X, labels, Y, rng)``; check the loss;
    ``step.backward_and_update()``.
    """

    def __init__(self, network: MLP, optimizer: Optimizer) -> None:
        self.network = network
        self.optimizer = optimizer
        self.g = ACTIVATIONS[network.hidden_activation]
        self.dW = [np.empty_like(W) for W in network.W]  # dW[l]: (n_l, n_{l-1})
        self.db = [np.empty_like(b) for b in network.b]  # db[l]: (n_l, 1)
        self.grads = [grad for pair in zip(self.dW, self.db, strict=True) for grad in pair]
        self.params = network.parameters()  # the arrays themselves, updated in place
        self.decay_mask = network.weight_decay_mask()
        self.ones = np.ones((0, 1), dtype=network.dtype)  # (m, 1), grown on demand
        self._inputs: list[np.ndarray] = []
        self._outputs: list[np.ndarray] = []
        self._masks: list[np.ndarray | None] = []
        self._dZ_L: np.ndarray | None = None

    def forward(self, X: np.ndarray, labels: np.ndarray | None, Y: np.ndarray | None,
                rng: np.random.Generator) -> tuple[float, np.ndarray]:
        """Forward pass and loss of one batch in training mode.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
            In the network's dtype.
        labels : ndarray of int, shape (m,), or None
            Class labels; with a softmax output (and ``Y`` None) they are the targets.
        Y : ndarray, shape (n_L, m), or None
            Targets for the identity output (one-hot labels or values); None with softmax.
        rng : numpy.random.Generator
            Draws the dropout masks, in the plain path's order.

        Returns
        -------
        loss : float
            Mean loss over the m samples.
        Z_L : ndarray, shape (n_L, m)
            Output pre-activation.
        """
        network, g = self.network, self.g
        W, b, L = network.W, network.b, network.L
        keep_probability = 1.0 - network.dropout
        # inputs[l-1]: A[l-1] as layer l reads it (after dropout); outputs[l-1]: A[l] before
        # dropout (g' reads it); masks[l-1]: D[l] or None
        inputs, outputs, masks = [X], [], []
        A = X  # A[0] = X, (n_0, m)
        for l in range(1, L):  # noqa: E741  (the course's layer index)
            # Z[l] = W[l]·A[l-1] + b[l]
            Z = W[l - 1] @ A  # (n_l, m)
            Z += b[l - 1]
            # A[l] = g(Z[l]), written over Z[l]
            A = g.forward_in_place(Z)  # (n_l, m)
            outputs.append(A)
            mask = None
            if network.dropout > 0.0:
                # A[l] = A[l] * D[l]   (inverted dropout)
                A, mask = dropout_forward(A, keep_probability, rng=rng)  # (n_l, m)
            masks.append(mask)
            inputs.append(A)
        # Z[L] = W[L]·A[L-1] + b[L]
        Z_L = W[L - 1] @ A  # (n_L, m)
        Z_L += b[L - 1]
        # loss, and dZ[L] = Ŷ − Y
        if Y is None:
            loss, dZ_L = softmax_cross_entropy_labels(Z_L, labels)  # (n_L, m)
        else:
            loss, dZ_L = LOSSES[network.output](Z_L, Y)  # (n_L, m)
        self._inputs, self._outputs, self._masks, self._dZ_L = inputs, outputs, masks, dZ_L
        return loss, Z_L

    def backward_and_update(self) -> None:
        """Back-propagate the last :meth:`forward` and update the parameters."""
        network, optimizer, g = self.network, self.optimizer, self.g
        W, L = network.W, network.L
        inputs, outputs, masks, dZ = self._inputs, self._outputs, self._masks, self._dZ_L
        m = dZ.shape[1]
        params = self.params
        # for each parameter, C ← γ·(its product) + β·C
        targets = optimizer.begin_accumulated_step(params, self.decay_mask)
        accumulated = targets is not None
        if not accumulated:
            targets = [(grad, 1.0, 0.0) for grad in self.grads]
        folds = accumulated or optimizer.folds_learning_rate
        # dZ[L] · α/m (or 1/m): every dW, db and dA below inherits the factor
        dZ *= (optimizer.learning_rate if folds else 1.0) / m  # (n_L, m)
        if self.ones.shape[0] < m:
            self.ones = np.ones((m, 1), dtype=network.dtype)
        ones = self.ones[:m]  # (m, 1)
        for l in range(L, 0, -1):  # noqa: E741  (the course's layer index)
            if l > 1:
                # dA[l-1] = W[l]ᵀ·dZ[l]   (before W[l] changes)
                dA = W[l - 1].T @ dZ  # (n_{l-1}, m)
            # dW[l] = dZ[l]·A[l-1]ᵀ / m, into its target: C ← γ·dW[l] + β·C
            C, gamma, beta = targets[2 * (l - 1)]
            matmul_accumulate(C, dZ, inputs[l - 1].T, alpha=gamma, beta=beta)  # (n_l, n_{l-1})
            # db[l] = Σ dZ[l] / m = dZ[l]·1 / m, into its target
            C, gamma, beta = targets[2 * (l - 1) + 1]
            matmul_accumulate(C, dZ, ones, alpha=gamma, beta=beta)  # (n_l, 1)
            if l > 1:
                if masks[l - 2] is not None:
                    # dA[l-1] = dA[l-1] * D[l-1]
                    dA *= masks[l - 2]
                # dZ[l-1] = dA[l-1] * g'(Z[l-1]), written over dA[l-1]
                dZ = g.backward_in_place(dA, outputs[l - 2])  # (n_{l-1}, m)
        if accumulated:
            optimizer.end_accumulated_step(params, self.decay_mask)
        elif optimizer.folds_learning_rate:
            optimizer.step_scaled(params, self.grads, self.decay_mask)
        else:
            optimizer.step(params, self.grads, decay_mask=self.decay_mask)
        self._inputs, self._outputs, self._masks, self._dZ_L = [], [], [], None


def _has_plain_methods(network: MLP) -> bool:
    """True unless a subclass of MLP overrides the passes the fast path replaces."""
    return all(getattr(type(network), name) is getattr(MLP, name)
               for name in ("forward", "backward", "forward_backward", "loss_and_gradients"))



BLOW_UP_FACTOR = 1000.0
"""An epoch whose mean training loss is this many times the loss of a network that learned
nothing (:func:`mlpsel.nn.losses.chance_loss`) has diverged: training stops at once."""
PEAK_FACTOR = 10.0
"""A training whose loss once grew to this many times the chance loss and ended no better than
chance has diverged (see :func:`training_divergence`)."""


def training_divergence(train_losses: list[float], chance: float) -> str | None:
    """Why a finished training counts as diverged though its loss stayed finite, or None.

    Parameters
    ----------
    train_losses : list of float
        The mean training loss of every epoch, in order (the last is the network's).
    chance : float
        The loss of a network that learned nothing (:func:`mlpsel.nn.losses.chance_loss`).

    Returns
    -------
    str or None
        A reason when the loss grew by an order of magnitude or more (peak ≥ 10 × chance) and
        never came back below chance: the network learned nothing it could be chosen for.
    """
    if chance <= 0 or not train_losses:
        return None
    peak_epoch = max(range(len(train_losses)), key=train_losses.__getitem__)
    peak, last = train_losses[peak_epoch], train_losses[-1]
    if peak >= PEAK_FACTOR * chance and last >= chance:
        return (f"training loss grew to {peak:.3g} at epoch {peak_epoch + 1} ({peak / chance:.0f}"
                f"× the {chance:.3g} of a network that learned nothing) and ended at {last:.3g}, "
                "no better; try a smaller learning rate")
    return None


def fit(network: MLP, optimizer: Optimizer, X_train: np.ndarray, y_train: np.ndarray, *,
        epochs: int, batch_size: int, rng: np.random.Generator,
        X_validation: np.ndarray | None = None, y_validation: np.ndarray | None = None,
        early_stopping_patience: int = 0,
        on_epoch: Callable[[EpochRecord], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        input_scale: float | None = None, fast_path: bool = True,
        rows: np.ndarray | None = None, validation_rows: np.ndarray | None = None,
        initial_epoch: int = 0,
        learning_rate_at: Callable[[int], float] | None = None) -> History:
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
    fast_path : bool, default True
        Train each batch with :class:`FusedStep` (the same equations, fused and in place).
        False, or a subclass of MLP that overrides its passes, takes the plain path:
        ``network.forward_backward`` then ``optimizer.step``, the oracle of the tests.
    rows : ndarray of int, shape (N_r,), optional
        Train on these rows of ``X_train`` / ``y_train`` only, without copying them out: the
        same result, bit for bit, as ``fit(..., X_train[rows], y_train[rows])``, with one copy
        of the images fewer in memory (a holdout or fold split of full MNIST: 39 MB).
    validation_rows : ndarray of int, optional
        The same for ``X_validation`` / ``y_validation``.
    learning_rate_at : callable, optional
        ``learning_rate_at(epoch)`` (1-based) is the optimizer's α during that epoch (a
        schedule, :mod:`mlpsel.nn.schedules`); without it α stays as the optimizer has it.
    initial_epoch : int, default 0
        Epochs already trained (a training continued from a :class:`TrainingState`): runs epochs
        ``initial_epoch + 1 … epochs``. With the network, optimizer and ``rng`` as the earlier
        call left them, ``fit(epochs=3)`` then ``fit(epochs=9, initial_epoch=3)`` gives the bits
        of ``fit(epochs=9)``.

    Returns
    -------
    History

    Raises
    ------
    mlpsel.errors.DivergedError
        When a mini-batch's training loss (or the validation loss) is NaN or infinite, or an
        epoch's mean training loss reaches ``BLOW_UP_FACTOR`` × the loss of a network that
        learned nothing (:func:`mlpsel.nn.losses.chance_loss`).
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
    if not 0 <= initial_epoch < epochs:
        raise ValueError(f"initial_epoch must be in [0, epochs={epochs}); got {initial_epoch!r}")
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    rows = check_row_indices(rows, X_train.shape[0], "rows")
    if validation_rows is not None and not has_validation:
        raise ValueError("validation_rows needs X_validation and y_validation")
    validation_rows = check_row_indices(validation_rows, X_validation.shape[0] if has_validation
                                  else 0, "validation_rows")
    N = X_train.shape[0] if rows is None else rows.shape[0]
    if N == 0:
        raise ValueError("X_train has no rows")

    scale, shift = network.input_transform(X_train, input_scale)
    dtype = network.dtype
    n_L = network.layer_sizes[-1]
    labels = y_train.ndim == 1
    early_stopping = has_validation and early_stopping_patience > 0
    params = network.parameters()  # the arrays themselves: the optimizer updates them in place
    decay_mask = network.weight_decay_mask()
    step = FusedStep(network, optimizer) if fast_path and _has_plain_methods(network) else None
    targets_are_labels = labels and network.output == "softmax"

    chance = chance_loss(network.output, n_L, None if labels else (
        y_train if rows is None else y_train[rows]))
    history = History()
    best_loss = math.inf
    best_params: list[np.ndarray] | None = None
    epochs_without_improvement = 0

    # NaN/inf are detected below and reported as DivergedError, not as NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(int(initial_epoch) + 1, int(epochs) + 1):
            started = time.perf_counter()
            if learning_rate_at is not None:
                optimizer.learning_rate = float(learning_rate_at(epoch))
            order = rng.permutation(N)  # (N,)
            loss_sum, correct = 0.0, 0
            for batch, start in enumerate(range(0, N, int(batch_size)), start=1):
                idx = order[start:start + batch_size]  # (m,)
                if rows is not None:
                    idx = rows[idx]  # (m,)
                X = rows_to_columns(X_train, idx, scale, dtype, shift)  # (n_0, m)
                batch_labels = y_train[idx] if labels else None  # (m,)
                if step is not None:
                    Y = None if targets_are_labels else _targets(y_train, idx, n_L, dtype)
                    loss, Z_L = step.forward(X, batch_labels, Y, rng)
                else:
                    Y = _targets(y_train, idx, n_L, dtype)  # (n_L, m)
                    loss, grads, Z_L = network.forward_backward(X, Y, rng=rng, training=True)
                if not math.isfinite(loss):
                    raise DivergedError(f"training loss became {loss} at epoch {epoch}, batch "
                                        f"{batch}; try a smaller learning rate")
                if step is not None:
                    step.backward_and_update()
                else:
                    optimizer.step(params, [grad for pair in grads for grad in pair],
                                   decay_mask=decay_mask)
                loss_sum += loss * idx.shape[0]
                if labels:
                    correct += int(np.count_nonzero(predicted_classes(Z_L) == batch_labels))

            validation_loss = validation_accuracy = None
            if has_validation:
                validation_loss, validation_accuracy = evaluate(
                    network, X_validation, y_validation, input_scale=input_scale,
                    rows=validation_rows)
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
            if chance > 0 and record.train_loss >= BLOW_UP_FACTOR * chance:
                history.records.append(record)  # the epoch that blew up stays in the history
                if on_epoch is not None:
                    on_epoch(record)
                raise DivergedError(
                    f"training loss grew to {record.train_loss:.3g} at epoch {epoch}, "
                    f"{record.train_loss / chance:.3g}× the {chance:.3g} of a network that "
                    "learned nothing; try a smaller learning rate")
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
