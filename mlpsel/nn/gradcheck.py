"""Gradient checks by central differences, in float64.

``∂L/∂θ_i ≈ (L(θ + ε·e_i) − L(θ − ε·e_i)) / (2ε)``, one parameter entry at a time, compared with
the analytic gradient by the relative error ``‖g_analytic − g_numeric‖ / (‖g_analytic‖ +
‖g_numeric‖)`` of each array; the largest over the arrays is returned. With float64 and ε = 1e-6 a
correct gradient gives about 1e-8 or less; a wrong one about 1e-2 or more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlpsel.nn.network import MLP

EPSILON = 1e-6


def numerical_gradient(loss: Callable[[], float], x: np.ndarray, *,
                       epsilon: float = EPSILON) -> np.ndarray:
    """Central-difference gradient of ``loss()`` with respect to ``x``, which is perturbed in place.

    Parameters
    ----------
    loss : callable
        Returns the loss (a float) for the current contents of ``x``.
    x : ndarray, float64
        Any shape; restored entry by entry.
    epsilon : float

    Returns
    -------
    ndarray, same shape as ``x``, float64
    """
    if x.dtype != np.float64:
        raise ValueError(f"gradient checks need float64 arrays; got {x.dtype}")
    gradient = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = float(x[i])
        x[i] = original + epsilon
        loss_plus = float(loss())
        x[i] = original - epsilon
        loss_minus = float(loss())
        x[i] = original
        # ∂L/∂x_i ≈ (L(x + ε) − L(x − ε)) / 2ε
        gradient[i] = (loss_plus - loss_minus) / (2 * epsilon)
    return gradient


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``‖a − n‖ / (‖a‖ + ‖n‖)``; 0 when both are zero."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    denominator = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    if denominator == 0.0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric)) / denominator


def gradient_check(network_or_function: MLP | Callable[[], float], X: np.ndarray | None = None,
                   Y: np.ndarray | None = None, *, params: Sequence[np.ndarray] | None = None,
                   grads: Sequence[np.ndarray] | None = None, epsilon: float = EPSILON,
                   dropout_seed: int | None = None) -> float:
    """Largest relative error between analytic and central-difference gradients.

    Two forms:

    * ``gradient_check(network, X, Y)``: a float64 :class:`MLP` (build one with
      ``MLP(..., dtype=np.float64)`` or ``network.astype(np.float64)``), ``X`` (n_0, m) and ``Y``
      (n_L, m); checks every ``W[l]`` and ``b[l]`` against :meth:`MLP.loss_and_gradients`.
      In evaluation mode, unless ``dropout_seed`` is given: then in training mode with the same
      dropout masks for every evaluation (``np.random.default_rng(dropout_seed)``).
    * ``gradient_check(loss, params=[...], grads=[...])``: ``loss()`` returns a float computed
      from the current contents of the float64 arrays ``params``; ``grads`` are the analytic
      gradients, same shapes.

    Returns
    -------
    float
        The largest relative error over the parameter arrays.
    """
    if isinstance(network_or_function, MLP):
        network = network_or_function
        if network.dtype is not np.float64:
            raise ValueError("gradient checks need a float64 network: MLP(..., dtype=np.float64) "
                             "or network.astype(np.float64)")
        if X is None or Y is None:
            raise ValueError("gradient_check(network, X, Y) needs X (n_0, m) and Y (n_L, m)")
        training = dropout_seed is not None

        def rng() -> np.random.Generator | None:
            return np.random.default_rng(dropout_seed) if training else None

        def loss() -> float:
            return network.loss_and_gradients(X, Y, rng=rng(), training=training)[0]

        _, pairs = network.loss_and_gradients(X, Y, rng=rng(), training=training)
        params = network.parameters()
        grads = [grad for pair in pairs for grad in pair]
    else:
        loss = network_or_function
        if params is None or grads is None:
            raise ValueError("gradient_check(loss, params=..., grads=...) needs both lists")
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameter arrays but {len(grads)} gradients")
    errors = [relative_error(grad, numerical_gradient(loss, param, epsilon=epsilon))
              for param, grad in zip(params, grads, strict=True)]
    return max(errors, default=0.0)
