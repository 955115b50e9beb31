"""Weight initialisation: He for ReLU-like layers, Glorot (Xavier) otherwise; biases start at 0.

The random numbers are always drawn in float64 and then cast to the requested dtype, so a float32
network and a float64 network built from the same seed hold the same weights (up to rounding);
gradient checks rely on that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HE_ACTIVATIONS = frozenset({"relu", "leaky_relu"})
"""Hidden activations that get He initialisation; every other layer gets Glorot uniform."""


def he_normal(n_l: int, n_prev: int, *, rng: np.random.Generator,
              dtype: type = np.float32) -> np.ndarray:
    """He normal: ``W ~ N(0, 2 / n_{l-1})``, shape (n_l, n_{l-1})."""
    std = (2.0 / n_prev) ** 0.5
    return (rng.standard_normal((n_l, n_prev)) * std).astype(dtype)  # (n_l, n_{l-1})


def glorot_normal(n_l: int, n_prev: int, *, rng: np.random.Generator,
                  dtype: type = np.float32) -> np.ndarray:
    """Glorot normal: ``W ~ N(0, 2 / (n_{l-1} + n_l))``, shape (n_l, n_{l-1})."""
    std = (2.0 / (n_prev + n_l)) ** 0.5
    return (rng.standard_normal((n_l, n_prev)) * std).astype(dtype)  # (n_l, n_{l-1})


def glorot_uniform(n_l: int, n_prev: int, *, rng: np.random.Generator,
                   dtype: type = np.float32) -> np.ndarray:
    """Glorot uniform: ``W ~ U(−r, r)``, ``r = sqrt(6 / (n_{l-1} + n_l))``, shape (n_l, n_{l-1})."""
    limit = (6.0 / (n_prev + n_l)) ** 0.5
    return rng.uniform(-limit, limit, (n_l, n_prev)).astype(dtype)  # (n_l, n_{l-1})


def initialize_parameters(layer_sizes: Sequence[int], hidden_activation: str, *,
                          rng: np.random.Generator, dtype: type = np.float32,
                          ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Initial weights and biases of every layer.

    Hidden layers get He normal when ``hidden_activation`` is ReLU-like, else Glorot uniform; the
    output layer (softmax or identity) always gets Glorot uniform. Biases are zeros.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: inputs, hidden layers, outputs.
    hidden_activation : str
        Name of the hidden activation.
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype, default float32

    Returns
    -------
    W : list of ndarray
        ``W[l-1]`` is the course's W[l], shape (n_l, n_{l-1}), for l = 1..L.
    b : list of ndarray
        ``b[l-1]`` is the course's b[l], shape (n_l, 1), zeros.
    """
    L = len(layer_sizes) - 1
    W: list[np.ndarray] = []
    b: list[np.ndarray] = []
    for l in range(1, L + 1):  # noqa: E741  (the course's layer index)
        n_prev, n_l = int(layer_sizes[l - 1]), int(layer_sizes[l])
        hidden = l < L
        if hidden and hidden_activation in HE_ACTIVATIONS:
            W.append(he_normal(n_l, n_prev, rng=rng, dtype=dtype))  # (n_l, n_{l-1})
        else:
            W.append(glorot_uniform(n_l, n_prev, rng=rng, dtype=dtype))  # (n_l, n_{l-1})
        b.append(np.zeros((n_l, 1), dtype=dtype))  # (n_l, 1)
    return W, b
