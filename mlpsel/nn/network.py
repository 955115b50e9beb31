"""The multi-layer perceptron: forward, backward, prediction on rows, to and from arrays.

Inside the network samples are columns, as in the course: ``X`` is (n_0, m). The bridge to the
rest of mlpsel, where samples are rows ((N, n_0) uint8), is :meth:`MLP.predict_proba` /
:meth:`MLP.predict`, which transpose and scale chunk by chunk.

Python lists are 0-based, the course's layers 1-based: ``W[l-1]``, ``b[l-1]`` hold the course's
W[l], b[l] for l = 1..L.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from mlpsel.errors import ConfigError
from mlpsel.nn.activations import ACTIVATIONS, get_activation, sigmoid, softmax
from mlpsel.nn.init import initialize_parameters
from mlpsel.nn.layers import (
    DenseCache,
    dense_backward,
    dense_forward,
    dropout_backward,
    dropout_forward,
)
from mlpsel.nn.losses import LOSSES

OUTPUTS = ("softmax", "identity", "sigmoid")
"""Valid output layers: softmax (with cross-entropy), identity (with halved squared error) and
sigmoid (one unit, with binary cross-entropy: a binary task)."""


def output_activation(output: str, Z_L: np.ndarray) -> np.ndarray:
    """Ŷ = g[L](Z[L]): softmax, σ (sigmoid) or Z[L] itself (identity), shape (n_L, m)."""
    if output == "softmax":
        return softmax(Z_L)
    if output == "sigmoid":
        return sigmoid(Z_L).astype(Z_L.dtype)
    return Z_L


def predicted_classes(Z_L: np.ndarray) -> np.ndarray:
    """The predicted class of each column of ``Z[L]`` (n_L, m): the arg-max, or for one
    sigmoid unit 1 where σ(z) ≥ 0.5 (z ≥ 0), else 0. Shape (m,)."""
    if Z_L.shape[0] == 1:
        return (Z_L[0] >= 0).astype(np.int64)
    return Z_L.argmax(axis=0)

FILE_FORMAT = "mlpsel.mlp"
FILE_VERSION = 1

PREDICT_CHUNK_ROWS = 1024  # as fast as larger chunks, and a smaller peak memory
"""Rows converted to float at a time by :meth:`MLP.predict_proba` (bounds the memory)."""

DTYPES = (np.float32, np.float64)


class LayerCache(NamedTuple):
    """What the backward pass needs from one layer's forward pass.

    ``dense`` is ``(A_prev, W)``; ``Z`` and ``A`` are (n_l, m), ``A = g(Z)`` before dropout;
    ``mask`` is the dropout mask (n_l, m) or None.
    """

    dense: DenseCache
    Z: np.ndarray
    A: np.ndarray
    mask: np.ndarray | None


def default_input_scale(X_rows: np.ndarray) -> float:
    """1/255 for uint8 pixels, 1.0 for anything else (already scaled floats)."""
    return 1.0 / 255.0 if X_rows.dtype == np.uint8 else 1.0


def rows_to_columns(X_rows: np.ndarray, idx: np.ndarray | slice, scale: float | np.ndarray,
                    dtype: type, shift: np.ndarray | None = None) -> np.ndarray:
    """The rows ``idx`` of ``X_rows`` as float columns ``X`` (n_0, m), ``(x − shift) · scale``.

    ``X_rows[idx].T`` is a free view; ``astype`` copies it into the float type keeping that
    layout (so a column of X is a row in memory, and BLAS reads X without a copy), then the
    scaling is done in place: quicker than one ``np.multiply(..., dtype=)``, the same numbers.
    ``scale`` is a number, or (n_0, 1) per input with ``shift`` (n_0, 1): a network's input
    standardisation (:attr:`MLP.input_shift`, :attr:`MLP.input_scale`).
    """
    X = X_rows[idx].T.astype(dtype)  # (n_0, m)
    if shift is not None:
        X -= shift  # (n_0, 1) broadcast over the m columns
    if isinstance(scale, np.ndarray) or scale != 1.0:
        X *= scale
    return X


def check_row_indices(rows: np.ndarray | None, N: int, name: str) -> np.ndarray | None:
    """``rows`` as a 1-D integer array of indices into N rows (None stays None), or ValueError
    naming ``name``."""
    if rows is None:
        return None
    rows = np.asarray(rows)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of row indices; got {rows.dtype} "
                         f"shape {rows.shape}")
    if rows.size and (rows.min() < -N or rows.max() >= N):
        raise ValueError(f"{name} holds indices {rows.min()}..{rows.max()} for {N} rows")
    return rows


class MLP:
    """A fully connected network ``[n_0, n_1, ..., n_L]`` trained by back-propagation.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_0, ..., n_L]``; at least an input and an output size.
    hidden_activation : str, default "relu"
        One of :data:`mlpsel.nn.activations.ACTIVATIONS`.
    output : {"softmax", "identity", "sigmoid"}, default "softmax"
        Softmax with cross-entropy, identity with halved mean squared error, or one sigmoid unit
        with binary cross-entropy (``layer_sizes[-1]`` must then be 1).
    dropout : float, default 0.0
        Probability of dropping a hidden unit during training (inverted dropout; never the input
        or output layer). 0 disables dropout.
    rng : numpy.random.Generator
        Draws the initial weights.
    dtype : {numpy.float32, numpy.float64}, default float32
        float64 is for gradient checks.

    Attributes
    ----------
    W : list of ndarray
        ``W[l-1]`` is W[l], shape (n_l, n_{l-1}).
    b : list of ndarray
        ``b[l-1]`` is b[l], shape (n_l, 1).
    input_shift, input_scale : ndarray, shape (n_0, 1), or None
        The inputs' standardisation, fixed before training (``preprocess.scale``): every input
        becomes ``(x − input_shift) · input_scale``. None (the default): the plain scaling of
        :func:`default_input_scale`.
    """

    input_shift: np.ndarray | None = None
    input_scale: np.ndarray | None = None

    def __init__(self, layer_sizes: Sequence[int], hidden_activation: str = "relu",
                 output: str = "softmax", dropout: float = 0.0, *, rng: np.random.Generator,
                 dtype: type = np.float32) -> None:
        self._set_architecture(layer_sizes, hidden_activation, output, dropout, dtype)
        self.W, self.b = initialize_parameters(self.layer_sizes, self.hidden_activation,
                                               rng=rng, dtype=self.dtype)

    def _set_architecture(self, layer_sizes: Sequence[int], hidden_activation: str, output: str,
                          dropout: float, dtype: type) -> None:
        sizes = list(layer_sizes)
        if len(sizes) < 2 or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                for n in sizes):
            raise ConfigError(f"layer sizes must be at least two positive integers "
                              f"[inputs, ..., outputs]; got {sizes}")
        get_activation(hidden_activation)  # ConfigError listing the valid names
        if output not in OUTPUTS:
            raise ConfigError(f"unknown output {output!r}; valid: {', '.join(OUTPUTS)}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ConfigError(f"dropout must be in [0, 1); got {dropout}")
        if output == "sigmoid" and sizes[-1] != 1:
            raise ConfigError(f"a sigmoid output is one unit (a binary task); got {sizes[-1]}")
        if np.dtype(dtype) not in [np.dtype(d) for d in DTYPES]:
            raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        self.layer_sizes: list[int] = [int(n) for n in sizes]
        self.hidden_activation: str = hidden_activation
        self.output: str = output
        self.dropout: float = float(dropout)
        self.dtype: type = np.dtype(dtype).type

    # -----------------------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """Number of layers with weights (hidden layers + output layer)."""
        return len(self.layer_sizes) - 1

    @property
    def n_parameters(self) -> int:
        """Number of trainable numbers: all weights and biases."""
        return sum(W.size + b.size for W, b in zip(self.W, self.b, strict=True))

    def parameters(self) -> list[np.ndarray]:
        """The parameter arrays themselves (not copies), ``[W1, b1, W2, b2, ..., WL, bL]``."""
        return [p for W, b in zip(self.W, self.b, strict=True) for p in (W, b)]

    def weight_decay_mask(self) -> list[bool]:
        """For each array of :meth:`parameters`: True for weights (decayed), False for biases."""
        return [is_weight for _ in self.W for is_weight in (True, False)]

    def set_input_standardisation(self, shift: np.ndarray, scale: np.ndarray) -> None:
        """Fix the inputs' standardisation: ``(x − shift) · scale``, both (n_0,) or (n_0, 1)."""
        n_0 = self.layer_sizes[0]
        self.input_shift = np.asarray(shift, dtype=self.dtype).reshape(n_0, 1)
        self.input_scale = np.asarray(scale, dtype=self.dtype).reshape(n_0, 1)

    def input_transform(self, X_rows: np.ndarray, input_scale: float | None
                        ) -> tuple[float | np.ndarray, np.ndarray | None]:
        """``(scale, shift)`` for :func:`rows_to_columns`: the network's own standardisation
        when it has one, else ``input_scale`` (default :func:`default_input_scale`)."""
        if self.input_scale is not None:
            return self.input_scale, self.input_shift
        return (default_input_scale(X_rows) if input_scale is None else float(input_scale),
                None)

    def astype(self, dtype: type) -> MLP:
        """A copy of this network with parameters in ``dtype`` (float64 for gradient checks)."""
        copy = MLP.__new__(MLP)
        copy._set_architecture(self.layer_sizes, self.hidden_activation, self.output,
                               self.dropout, dtype)
        copy.W = [W.astype(copy.dtype) for W in self.W]
        copy.b = [b.astype(copy.dtype) for b in self.b]
        if self.input_scale is not None:
            copy.set_input_standardisation(self.input_shift, self.input_scale)
        return copy

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in self.layer_sizes)
        return (f"MLP({sizes}, hidden_activation={self.hidden_activation!r}, "
                f"output={self.output!r}, dropout={self.dropout})")

    # -----------------------------------------------------------------------------------------
    def forward(self, X: np.ndarray, *, training: bool = False,
                rng: np.random.Generator | None = None,
                ) -> tuple[np.ndarray, list[LayerCache]]:
        """Forward pass on a batch of columns.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
            Inputs, one column per sample (cast to the network's dtype if needed).
        training : bool, default False
            Apply dropout (when ``self.dropout > 0``).
        rng : numpy.random.Generator, optional
            Draws the dropout masks; required when training with dropout.

        Returns
        -------
        Y_hat : ndarray, shape (n_L, m)
            ``g[L](Z[L])``: class probabilities (softmax) or predictions (identity).
        caches : list of LayerCache
            One per layer, for :meth:`backward`.
        """
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[0] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (n_0={self.layer_sizes[0]}, m), samples as "
                             f"columns; got {X.shape}")
        use_dropout = training and self.dropout > 0.0
        if use_dropout and rng is None:
            raise ValueError("training with dropout needs rng (a numpy.random.Generator)")
        keep_probability = 1.0 - self.dropout
        g = ACTIVATIONS[self.hidden_activation]
        caches: list[LayerCache] = []
        A = X  # A[0] = X, (n_0, m)
        for l in range(1, self.L + 1):  # noqa: E741  (the course's layer index)
            # Z[l] = W[l]·A[l-1] + b[l]
            Z, dense_cache = dense_forward(A, self.W[l - 1], self.b[l - 1])  # (n_l, m)
            if l < self.L:
                # A[l] = g(Z[l])
                A = g.forward(Z)  # (n_l, m)
                mask = None
                if use_dropout:
                    # A[l] = A[l] * D[l]   (inverted dropout)
                    A_dropped, mask = dropout_forward(A, keep_probability, rng=rng)
                    caches.append(LayerCache(dense_cache, Z, A, mask))
                    A = A_dropped
                else:
                    caches.append(LayerCache(dense_cache, Z, A, mask))
            else:
                # Ŷ = A[L] = softmax(Z[L]), σ(Z[L]) or Z[L]
                A = output_activation(self.output, Z)  # (n_L, m)
                caches.append(LayerCache(dense_cache, Z, A, None))
        return A, caches

    def logits(self, X: np.ndarray) -> np.ndarray:
        """``Z[L]`` of a batch of columns in evaluation mode, each ``A[l]`` written over ``Z[l]``.

        The same numbers as ``forward(X)[1][-1].Z`` without keeping the caches (evaluation and
        prediction need only the output).

        Parameters
        ----------
        X : ndarray, shape (n_0, m)

        Returns
        -------
        Z_L : ndarray, shape (n_L, m)
        """
        g = ACTIVATIONS[self.hidden_activation]
        A = np.asarray(X, dtype=self.dtype)  # A[0] = X, (n_0, m)
        for l in range(1, self.L + 1):  # noqa: E741  (the course's layer index)
            # Z[l] = W[l]·A[l-1] + b[l]
            Z = self.W[l - 1] @ A  # (n_l, m)
            Z += self.b[l - 1]
            # A[l] = g(Z[l]) for the hidden layers
            A = g.forward_in_place(Z) if l < self.L else Z  # (n_l, m)
        return A

    def backward(self, dZ_L: np.ndarray, caches: list[LayerCache],
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Back-propagate from the output layer.

        Parameters
        ----------
        dZ_L : ndarray, shape (n_L, m)
            The course's dZ[L], without the 1/m (e.g. ``Ŷ − Y``).
        caches : list of LayerCache
            From :meth:`forward`.

        Returns
        -------
        grads : list of (dW, db)
            ``grads[l-1] = (dW[l], db[l])``, shapes (n_l, n_{l-1}) and (n_l, 1).
        """
        g = ACTIVATIONS[self.hidden_activation]
        grads: list[tuple[np.ndarray, np.ndarray]] = [None] * self.L  # type: ignore[list-item]
        dZ = dZ_L  # (n_L, m)
        for l in range(self.L, 0, -1):  # noqa: E741  (the course's layer index)
            # dW[l] = dZ[l]·A[l-1]ᵀ / m,  db[l] = Σ dZ[l] / m,  dA[l-1] = W[l]ᵀ·dZ[l]
            dA_prev, dW, db = dense_backward(dZ, caches[l - 1].dense,
                                             compute_dA_prev=l > 1)  # (n_{l-1}, m)
            grads[l - 1] = (dW, db)
            if l > 1:
                previous = caches[l - 2]
                if previous.mask is not None:
                    # dA[l-1] = dA[l-1] * D[l-1]
                    dA_prev = dropout_backward(dA_prev, previous.mask)
                # dZ[l-1] = dA[l-1] * g'(Z[l-1])
                dZ = g.backward(dA_prev, previous.Z, previous.A)  # (n_{l-1}, m)
        return grads

    def forward_backward(self, X: np.ndarray, Y: np.ndarray, *,
                         rng: np.random.Generator | None = None, training: bool = True,
                         ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """Loss, gradients and the output layer's logits of one batch.

        Parameters
        ----------
        X : ndarray, shape (n_0, m)
        Y : ndarray, shape (n_L, m)
            One-hot targets (softmax) or target values (identity).
        rng : numpy.random.Generator, optional
            For dropout when ``training``.
        training : bool, default True

        Returns
        -------
        loss : float
            Mean loss over the m samples.
        grads : list of (dW, db)
            As :meth:`backward`.
        Z_L : ndarray, shape (n_L, m)
            Output pre-activation; its arg-max over rows is the predicted class.
        """
        Y = np.asarray(Y, dtype=self.dtype)
        _, caches = self.forward(X, training=training, rng=rng)
        Z_L = caches[-1].Z  # (n_L, m)
        if Y.shape != Z_L.shape:
            raise ValueError(f"Y must have shape (n_L={self.layer_sizes[-1]}, m={Z_L.shape[1]}), "
                             f"one column per sample; got {Y.shape}")
        loss, dZ_L = LOSSES[self.output](Z_L, Y)
        return loss, self.backward(dZ_L, caches), Z_L

    def loss_and_gradients(self, X: np.ndarray, Y: np.ndarray, *,
                           rng: np.random.Generator | None = None, training: bool = True,
                           ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean loss (Python float) and ``[(dW[1], db[1]), ..., (dW[L], db[L])]`` of one batch.

        ``X`` is (n_0, m), ``Y`` (n_L, m); see :meth:`forward_backward`.
        """
        loss, grads, _ = self.forward_backward(X, Y, rng=rng, training=training)
        return loss, grads

    # -----------------------------------------------------------------------------------------
    def predict_proba(self, X_rows: np.ndarray, *, input_scale: float | None = None,
                      chunk_rows: int = PREDICT_CHUNK_ROWS,
                      rows: np.ndarray | None = None) -> np.ndarray:
        """Outputs for samples stored as rows, in evaluation mode (no dropout).

        Parameters
        ----------
        X_rows : ndarray, shape (N, n_0)
            uint8 pixels or floats.
        input_scale : float, optional
            Multiplies the inputs; default 1/255 for uint8 and 1.0 for floats.
        chunk_rows : int
            Rows converted and propagated at a time.
        rows : ndarray of int, shape (N_r,), optional
            Predict these rows of ``X_rows`` only (in this order), without copying them out
            first; the result then has N_r rows.

        Returns
        -------
        ndarray, shape (N, n_L)
            Class probabilities (softmax), predictions (identity), or for a sigmoid unit the
            two classes' probabilities ``[1 − ŷ, ŷ]`` (N, 2), in the network's dtype.
        """
        X_rows = np.asarray(X_rows)
        if X_rows.ndim != 2 or X_rows.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X_rows must have shape (N, n_0={self.layer_sizes[0]}), samples as "
                             f"rows; got {X_rows.shape}")
        rows = check_row_indices(rows, X_rows.shape[0], "rows")
        scale, shift = self.input_transform(X_rows, input_scale)
        N = X_rows.shape[0] if rows is None else rows.shape[0]
        out = np.empty((N, self.layer_sizes[-1]), dtype=self.dtype)  # (N, n_L)
        for start in range(0, N, chunk_rows):
            stop = start + chunk_rows
            idx = slice(start, stop) if rows is None else rows[start:stop]  # this chunk's rows
            X = rows_to_columns(X_rows, idx, scale, self.dtype, shift)  # (n_0, m)
            Z_L = self.logits(X)  # (n_L, m)
            # Ŷ = softmax(Z[L]), σ(Z[L]) or Z[L]
            Y_hat = output_activation(self.output, Z_L)  # (n_L, m)
            out[start:start + chunk_rows] = Y_hat.T  # (m, n_L)
        if self.output == "sigmoid":  # class probabilities of a binary task: [1 − ŷ, ŷ]
            return np.concatenate([1 - out, out], axis=1)  # (N, 2)
        return out

    def predict(self, X_rows: np.ndarray, *, input_scale: float | None = None,
                rows: np.ndarray | None = None) -> np.ndarray:
        """Predicted class of each row (of ``rows`` when given): arg-max of
        :meth:`predict_proba` (a sigmoid unit: 1 where ŷ ≥ 0.5), shape (N,) int64."""
        probabilities = self.predict_proba(X_rows, input_scale=input_scale, rows=rows)
        if self.output == "sigmoid":
            return (probabilities[:, 1] >= 0.5).astype(np.int64)
        return probabilities.argmax(axis=1).astype(np.int64)

    # -----------------------------------------------------------------------------------------
    def metadata(self) -> dict:
        """The architecture as a JSON-able dict (stored in saved files)."""
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "layer_sizes": self.layer_sizes,
            "hidden_activation": self.hidden_activation,
            "output": self.output,
            "dropout": self.dropout,
            "dtype": np.dtype(self.dtype).name,
        }

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The network as named arrays, as a model file stores them: ``W1..WL`` (n_l, n_{l-1}),
        ``b1..bL`` (n_l, 1), ``metadata`` (the architecture as a JSON string), and
        ``input_shift``, ``input_scale`` (n_0, 1) when the network standardises its inputs."""
        arrays = {"metadata": np.array(json.dumps(self.metadata()))}
        for l in range(1, self.L + 1):  # noqa: E741  (the course's layer index)
            arrays[f"W{l}"] = self.W[l - 1]
            arrays[f"b{l}"] = self.b[l - 1]
        if self.input_scale is not None:
            arrays["input_shift"], arrays["input_scale"] = self.input_shift, self.input_scale
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> MLP:
        """The network :meth:`to_arrays` describes.

        Raises
        ------
        ValueError, KeyError, TypeError
            The arrays are not an mlpsel network of this format version, or their shapes do not
            match the architecture in ``metadata``.
        """
        metadata = json.loads(str(arrays["metadata"][()]))
        if not isinstance(metadata, dict) or metadata.get("format") != FILE_FORMAT:
            raise ValueError(f"not a {FILE_FORMAT} file")
        if metadata.get("version") != FILE_VERSION:
            raise ValueError(f"unsupported version {metadata.get('version')!r}")
        network = cls.__new__(cls)
        network._set_architecture(metadata["layer_sizes"], metadata["hidden_activation"],
                                  metadata["output"], metadata["dropout"],
                                  np.dtype(metadata["dtype"]).type)
        sizes = network.layer_sizes
        network.W, network.b = [], []
        for l in range(1, network.L + 1):  # noqa: E741  (the course's layer index)
            W, b = arrays[f"W{l}"], arrays[f"b{l}"]
            if W.shape != (sizes[l], sizes[l - 1]) or b.shape != (sizes[l], 1):
                raise ValueError(f"layer {l} has shapes {W.shape}, {b.shape}; expected "
                                 f"{(sizes[l], sizes[l - 1])}, {(sizes[l], 1)}")
            network.W.append(W.astype(network.dtype))
            network.b.append(b.astype(network.dtype))
        if "input_scale" in arrays:
            shift, scale = arrays["input_shift"], arrays["input_scale"]
            if shift.shape != (sizes[0], 1) or scale.shape != (sizes[0], 1):
                raise ValueError(f"input standardisation has shapes {shift.shape}, "
                                 f"{scale.shape}; expected {(sizes[0], 1)}")
            network.set_input_standardisation(shift, scale)
        return network
