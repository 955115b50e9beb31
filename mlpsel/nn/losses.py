"""Losses with their output-layer gradients, in course notation.

Each loss takes the output layer's pre-activation ``Z_L`` (n_L, m) and the targets ``Y`` (n_L, m),
and returns ``(loss, dZ_L)``:

* ``loss`` is the mean over the m samples, as a Python ``float``;
* ``dZ_L`` is the course's ``dZ[L]``, *without* the 1/m: the 1/m is applied once, in
  ``dW = dZ·A_prevᵀ / m`` and ``db = Σ dZ / m`` (see :mod:`mlpsel.nn.layers`).

Both losses pair with the output activation that makes ``dZ_L = Ŷ − Y``:

=======================  ================  ==============================  ===========
output (``MLP.output``)  Ŷ = g[L](Z_L)     loss                            dZ_L
=======================  ================  ==============================  ===========
``"softmax"``            softmax(Z_L)      −Σ Y·log Ŷ / m                  Ŷ − Y
``"identity"``           Z_L               Σ (Ŷ − Y)² / (2m)               Ŷ − Y
``"sigmoid"``            σ(Z_L)            −Σ [Y·log Ŷ + (1−Y)·log(1−Ŷ)]/m  Ŷ − Y
=======================  ================  ==============================  ===========

The sigmoid row is a binary task (one output unit, Y ∈ {0, 1}): dL/dŶ = (Ŷ − Y) / (Ŷ(1 − Ŷ))
and dŶ/dZ = Ŷ(1 − Ŷ) cancel, leaving dZ = Ŷ − Y as for softmax.

The squared error is halved (divided by 2m, not m) so that its gradient has no factor 2.

:func:`softmax_cross_entropy_labels` is the training loop's form of the first: the targets are the
class indices, so no one-hot ``Y`` is built, and ``dZ_L = Ŷ − Y`` is Ŷ with 1 subtracted at each
sample's label (the same numbers, to the bit, as with the one-hot ``Y``).
"""

from __future__ import annotations

import math

import numpy as np


def softmax_cross_entropy(Z_L: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax followed by cross-entropy, from the logits; stable for large logits.

    Parameters
    ----------
    Z_L : ndarray, shape (n_L, m)
        Logits of the output layer, one column per sample.
    Y : ndarray, shape (n_L, m)
        One-hot targets (or any columns of class probabilities), same dtype as ``Z_L``.

    Returns
    -------
    loss : float
        Mean cross-entropy ``−Σ Y·log Ŷ / m``.
    dZ_L : ndarray, shape (n_L, m)
        ``Ŷ − Y`` (the 1/m is applied later, in ``dW`` and ``db``).
    """
    m = Z_L.shape[1]
    # log Ŷ = Z − log Σ e^Z, with log-sum-exp taken after subtracting the column max:
    #   log Σ e^Z = max Z + log Σ e^{Z − max Z}
    Z_shifted = Z_L - Z_L.max(axis=0, keepdims=True)  # (n_L, m)
    E = np.exp(Z_shifted)  # (n_L, m)
    S = E.sum(axis=0, keepdims=True)  # (1, m)
    log_Y_hat = Z_shifted - np.log(S)  # (n_L, m)
    # L = −Σ Y·log Ŷ / m
    loss = -float((Y * log_Y_hat).sum()) / m
    # Ŷ = e^{Z − max Z} / Σ e^{Z − max Z}
    Y_hat = E / S  # (n_L, m)
    # dZ = Ŷ − Y
    dZ_L = Y_hat - Y
    return loss, dZ_L


def softmax_cross_entropy_labels(Z_L: np.ndarray, labels: np.ndarray,
                                 ) -> tuple[float, np.ndarray]:
    """:func:`softmax_cross_entropy` with class indices for targets: ``Y[k, i] = 1`` iff
    ``k = labels[i]``.

    Parameters
    ----------
    Z_L : ndarray, shape (n_L, m)
        Logits of the output layer, one column per sample.
    labels : ndarray of int, shape (m,)

    Returns
    -------
    loss : float
        Mean cross-entropy ``−Σ_i log Ŷ[labels_i, i] / m``.
    dZ_L : ndarray, shape (n_L, m)
        ``Ŷ − Y``.
    """
    m = Z_L.shape[1]
    columns = np.arange(m)  # (m,)
    Z_shifted = Z_L - Z_L.max(axis=0, keepdims=True)  # (n_L, m)
    E = np.exp(Z_shifted)  # (n_L, m)
    S = E.sum(axis=0, keepdims=True)  # (1, m)
    # L = −Σ_i log Ŷ[labels_i, i] / m,  log Ŷ = (Z − max Z) − log Σ e^{Z − max Z}
    loss = -float((Z_shifted[labels, columns] - np.log(S[0])).sum()) / m
    # Ŷ = e^{Z − max Z} / Σ e^{Z − max Z}
    dZ_L = np.divide(E, S, out=E)  # (n_L, m)
    # dZ = Ŷ − Y: subtract 1 at each sample's label
    dZ_L[labels, columns] -= 1
    return loss, dZ_L


def mean_squared_error(Z_L: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """Halved mean squared error with an identity output layer.

    Parameters
    ----------
    Z_L : ndarray, shape (n_L, m)
        Output pre-activation; with the identity output, ``Ŷ = Z_L``.
    Y : ndarray, shape (n_L, m)
        Targets, same dtype as ``Z_L``.

    Returns
    -------
    loss : float
        ``Σ (Ŷ − Y)² / (2m)``: the squared error summed over the n_L outputs, averaged over the
        m samples and halved.
    dZ_L : ndarray, shape (n_L, m)
        ``Ŷ − Y`` (the 1/m is applied later, in ``dW`` and ``db``).
    """
    m = Z_L.shape[1]
    # Ŷ = Z_L (identity output);  dZ = Ŷ − Y
    dZ_L = Z_L - Y
    # L = Σ (Ŷ − Y)² / (2m)
    loss = float((dZ_L * dZ_L).sum()) / (2 * m)
    return loss, dZ_L


def sigmoid_cross_entropy(Z_L: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """Sigmoid followed by binary cross-entropy, from the logits; stable for large logits.

    Parameters
    ----------
    Z_L : ndarray, shape (1, m)
        The output unit's pre-activation, one column per sample.
    Y : ndarray, shape (1, m)
        Targets 1 (the positive class) or 0, same dtype as ``Z_L``.

    Returns
    -------
    loss : float
        ``−Σ [Y·log Ŷ + (1 − Y)·log(1 − Ŷ)] / m`` with Ŷ = σ(Z_L).
    dZ_L : ndarray, shape (1, m)
        ``Ŷ − Y`` (the 1/m is applied later, in ``dW`` and ``db``).
    """
    m = Z_L.shape[1]
    # −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = max(z, 0) − z·y + log(1 + e^−|z|)
    loss = float((np.maximum(Z_L, 0) - Z_L * Y + np.log1p(np.exp(-np.abs(Z_L)))).sum()) / m
    # Ŷ = σ(Z) = 1 / (1 + e^−Z), without overflow (E = e^−|Z|)
    E = np.exp(-np.abs(Z_L))
    Y_hat = np.where(Z_L >= 0, 1 / (1 + E), E / (1 + E)).astype(Z_L.dtype)  # (1, m)
    # dZ = Ŷ − Y
    dZ_L = Y_hat - Y
    return loss, dZ_L


def chance_loss(output: str, n_outputs: int, targets: np.ndarray | None = None) -> float:
    """The loss of a network that learned nothing: the yardstick of divergence.

    Parameters
    ----------
    output : str
        The output activation (``MLP.output``): ``softmax``, ``sigmoid`` or ``identity``.
    n_outputs : int
        n_L, the output units.
    targets : ndarray, shape (N, n_L), optional
        The regression targets trained on (``identity`` only).

    Returns
    -------
    float
        softmax: ``ln n_L`` (Ŷ = 1/n_L for every class); sigmoid: ``ln 2`` (Ŷ = ½); identity:
        ``Σ_j Var(Y_j) / 2`` (Ŷ = the targets' mean), the halved squared error of
        :func:`mean_squared_error`.
    """
    if output == "softmax":
        return math.log(n_outputs)
    if output == "sigmoid":
        return math.log(2.0)
    if targets is None or len(targets) == 0:
        return 0.0
    values = np.asarray(targets, dtype=np.float64).reshape(len(targets), -1)  # (N, n_L)
    return float(values.var(axis=0).sum()) / 2


LOSSES = {
    "softmax": softmax_cross_entropy,
    "identity": mean_squared_error,
    "sigmoid": sigmoid_cross_entropy,
}
"""The loss for each output activation (``MLP.output``)."""
