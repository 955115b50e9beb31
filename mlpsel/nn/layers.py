"""Layers as pure functions: ``forward(...) -> (out, cache)``, ``backward(d_out, cache) -> grads``.

Samples are columns: ``A_prev`` is (n_{l-1}, m), ``W`` (n_l, n_{l-1}), ``b`` (n_l, 1), ``Z``
(n_l, m).
The upstream gradients ``dZ``, ``dA`` follow the course convention: they are m times the gradient
of the mean loss, and the 1/m is applied exactly once, in ``dW`` and ``db``.
"""

from __future__ import annotations

import numpy as np

DenseCache = tuple[np.ndarray, np.ndarray]
"""What :func:`dense_backward` needs: ``(A_prev, W)``."""


def dense_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray,
                  ) -> tuple[np.ndarray, DenseCache]:
    """Affine layer ``Z = W·A_prev + b``.

    Parameters
    ----------
    A_prev : ndarray, shape (n_{l-1}, m)
    W : ndarray, shape (n_l, n_{l-1})
    b : ndarray, shape (n_l, 1)

    Returns
    -------
    Z : ndarray, shape (n_l, m)
    cache : tuple
        ``(A_prev, W)`` for :func:`dense_backward`.
    """
    # Z = W·A_prev + b   (b broadcast over the m columns)
    Z = W @ A_prev  # (n_l, m)
    Z += b
    return Z, (A_prev, W)


def dense_backward(dZ: np.ndarray, cache: DenseCache, *, compute_dA_prev: bool = True,
                   ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of the affine layer.

    Parameters
    ----------
    dZ : ndarray, shape (n_l, m)
    cache : tuple
        ``(A_prev, W)`` from :func:`dense_forward`.
    compute_dA_prev : bool, default True
        False for the first layer, whose input needs no gradient (saves the largest product).

    Returns
    -------
    dA_prev : ndarray, shape (n_{l-1}, m), or None when ``compute_dA_prev`` is False
    dW : ndarray, shape (n_l, n_{l-1})
    db : ndarray, shape (n_l, 1)
    """
    A_prev, W = cache
    m = A_prev.shape[1]
    # dW = dZ·A_prevᵀ / m
    dW = dZ @ A_prev.T  # (n_l, n_{l-1})
    dW *= 1.0 / m
    # db = Σ dZ / m   (sum over the m columns)
    db = dZ.sum(axis=1, keepdims=True)  # (n_l, 1)
    db *= 1.0 / m
    # dA_prev = Wᵀ·dZ
    dA_prev = W.T @ dZ if compute_dA_prev else None  # (n_{l-1}, m)
    return dA_prev, dW, db


def dropout_forward(A: np.ndarray, keep_probability: float, *, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: keep each unit with probability ``keep_probability``, scale by 1/keep.

    The expectation of every unit is unchanged, so evaluation needs no rescaling (and no dropout).

    Parameters
    ----------
    A : ndarray, shape (n_l, m)
    keep_probability : float
        In (0, 1].
    rng : numpy.random.Generator

    Returns
    -------
    A_dropped : ndarray, shape (n_l, m)
    mask : ndarray, shape (n_l, m)
        ``1/keep`` where the unit is kept, 0 where dropped; same dtype as ``A``.
    """
    # D = 1[U < keep] / keep,  U ~ Uniform(0, 1)
    U = rng.random(A.shape, dtype=A.dtype)  # (n_l, m)
    mask = np.multiply(U < keep_probability, 1.0 / keep_probability, dtype=A.dtype)  # (n_l, m)
    # A = A * D
    return A * mask, mask


def dropout_backward(dA_dropped: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Gradient through inverted dropout: ``dA = dA_dropped * D``, shape (n_l, m)."""
    # dA = dA * D
    return dA_dropped * mask

