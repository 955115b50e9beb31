"""Activation functions g and their derivatives g', in course notation.

Each activation is a pair: ``forward(Z) -> A`` with ``A = g(Z)``, and ``derivative(Z, A) -> g'(Z)``
(element-wise, same shape as ``Z``; it may use ``Z`` or the already computed ``A``, whichever is
cheaper). The back-propagation rule for an element-wise activation is ``dZ = dA * g'(Z)``.

Every function keeps the dtype of its input (float32 in training, float64 in gradient checks): the
only scalars used are Python numbers or scalars of ``Z.dtype``, never ``np.float64``.

Each activation also has an in-place pair for the training loop's fast path:
``forward_in_place(Z) -> A`` may write A over Z, and ``backward_in_place(dA, A) -> dZ`` may write
dZ over dA and needs only ``A`` (every g' here can be computed from A = g(Z): for ReLU and leaky
ReLU ``A > 0`` exactly where ``Z > 0``). They compute the same numbers as the plain pair; the
tests hold them to it.

Softmax is not element-wise: it is ``softmax(Z)`` with its vector-Jacobian product
``softmax_backward(dA, A)``. In the network it is only used as the output layer together with
cross-entropy, where the combined rule ``dZ = Ŷ − Y`` is simpler (see :mod:`mlpsel.nn.losses`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mlpsel.errors import ConfigError

LEAKY_RELU_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs."""


# ---------------------------------------------------------------------------------------------
# identity: g(z) = z
def identity(Z: np.ndarray) -> np.ndarray:
    # A = Z
    return Z


def identity_derivative(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(Z) = 1
    return np.ones_like(Z)


def identity_backward_in_place(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    # dZ = dA · 1
    return dA


# ---------------------------------------------------------------------------------------------
# ReLU: g(z) = max(0, z)
def relu(Z: np.ndarray) -> np.ndarray:
    # A = max(0, Z)
    return np.maximum(Z, 0)


def relu_derivative(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(Z) = 1 where Z > 0, else 0   (0 at the kink Z = 0)
    return (Z > 0).astype(Z.dtype)


@lru_cache(maxsize=16)
def _zeros(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A read-only array of zeros: NumPy's maximum against an array runs about 4× faster than
    against the scalar 0, which it does not vectorise."""
    zeros = np.zeros(shape, dtype=dtype)
    zeros.flags.writeable = False
    return zeros


def relu_in_place(Z: np.ndarray) -> np.ndarray:
    # A = max(0, Z), written over Z
    return np.maximum(Z, _zeros(Z.shape, Z.dtype.type), out=Z)


def relu_backward_in_place(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    # dZ = dA * g'(Z), g'(Z) = 1 where A > 0 (⇔ Z > 0), else 0; written over dA
    return np.multiply(dA, np.greater(A, _zeros(A.shape, A.dtype.type)), out=dA)


# ---------------------------------------------------------------------------------------------
# leaky ReLU: g(z) = z if z > 0 else 0.01·z
def leaky_relu(Z: np.ndarray) -> np.ndarray:
    # A = Z where Z > 0, else 0.01·Z
    return np.where(Z > 0, Z, Z * LEAKY_RELU_SLOPE)


def leaky_relu_derivative(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(Z) = 1 where Z > 0, else 0.01
    D = np.full_like(Z, LEAKY_RELU_SLOPE)
    D[Z > 0] = 1
    return D


def leaky_relu_in_place(Z: np.ndarray) -> np.ndarray:
    # A = max(Z, 0.01·Z) (= Z where Z > 0, else 0.01·Z), written over Z
    return np.maximum(Z, Z * LEAKY_RELU_SLOPE, out=Z)


def leaky_relu_backward_in_place(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    # dZ = dA * g'(Z), g'(Z) = 1 where A > 0 (⇔ Z > 0), else 0.01; written over dA
    return np.multiply(dA, leaky_relu_derivative(A, A), out=dA)


# ---------------------------------------------------------------------------------------------
# sigmoid: g(z) = 1 / (1 + e^−z)
def sigmoid(Z: np.ndarray) -> np.ndarray:
    # A = 1 / (1 + e^−Z), computed without overflow: with E = e^−|Z| ∈ (0, 1],
    #   Z ≥ 0:  A = 1 / (1 + E)
    #   Z < 0:  A = E / (1 + E)
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))


def sigmoid_derivative(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(Z) = A·(1 − A)
    return A * (1 - A)


def sigmoid_backward_in_place(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    # dZ = dA * A·(1 − A), written over dA
    return np.multiply(dA, sigmoid_derivative(A, A), out=dA)


# ---------------------------------------------------------------------------------------------
# tanh: g(z) = (e^z − e^−z) / (e^z + e^−z)
def tanh(Z: np.ndarray) -> np.ndarray:
    # A = tanh(Z)
    return np.tanh(Z)


def tanh_derivative(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    # g'(Z) = 1 − A²
    return 1 - A * A


def tanh_in_place(Z: np.ndarray) -> np.ndarray:
    # A = tanh(Z), written over Z
    return np.tanh(Z, out=Z)


def tanh_backward_in_place(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    # dZ = dA * (1 − A²), written over dA
    return np.multiply(dA, tanh_derivative(A, A), out=dA)


# ---------------------------------------------------------------------------------------------
# softmax, column-wise: Ŷ_i = e^{Z_i} / Σ_k e^{Z_k}   (each column is one sample)
def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax, stable for large logits.

    Parameters
    ----------
    Z : ndarray, shape (n_L, m)
        Logits, one column per sample.

    Returns
    -------
    ndarray, shape (n_L, m)
        Probabilities; every column sums to 1.
    """
    # Ŷ = e^{Z − max Z} / Σ e^{Z − max Z}   (subtracting the column max changes nothing but
    # keeps every exponent ≤ 0, so e^x cannot overflow)
    E = np.exp(Z - Z.max(axis=0, keepdims=True))  # (n_L, m)
    return E / E.sum(axis=0, keepdims=True)  # (n_L, m)


def softmax_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product of softmax: ``dZ`` from ``dA`` and ``A = softmax(Z)``.

    Parameters
    ----------
    dA : ndarray, shape (n_L, m)
    A : ndarray, shape (n_L, m)

    Returns
    -------
    ndarray, shape (n_L, m)
    """
    # ∂A_i/∂Z_j = A_i·(δ_ij − A_j)  ⇒  dZ = A * (dA − Σ_i dA_i·A_i)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))  # (n_L, m)


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Activation:
    """An element-wise activation: ``name``, ``forward(Z) -> A``, ``derivative(Z, A) -> g'(Z)``,
    and the in-place pair of the fast path: ``forward_in_place(Z) -> A`` (may overwrite Z),
    ``backward_in_place(dA, A) -> dZ`` (may overwrite dA)."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]
    forward_in_place: Callable[[np.ndarray], np.ndarray]
    backward_in_place: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        """``dZ = dA * g'(Z)``, all arrays of shape (n_l, m)."""
        # dZ = dA * g'(Z)
        return dA * self.derivative(Z, A)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", identity, identity_derivative,
                           identity, identity_backward_in_place),
    "relu": Activation("relu", relu, relu_derivative, relu_in_place, relu_backward_in_place),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_derivative,
                             leaky_relu_in_place, leaky_relu_backward_in_place),
    # sigmoid's stable form needs E = e^−|Z| besides Z, so its "in place" form is the plain one
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative,
                          sigmoid, sigmoid_backward_in_place),
    "tanh": Activation("tanh", tanh, tanh_derivative, tanh_in_place, tanh_backward_in_place),
}
"""The element-wise activations by name (any of them may be a hidden activation)."""

HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
"""The activations a config may choose for the hidden layers (``identity`` would make the whole
network linear; it serves the output layer and the tests)."""


def get_activation(name: str) -> Activation:
    """The activation called ``name``; else a ConfigError listing the valid names."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        valid = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; valid: {valid}") from None
