"""Synthetic one-dimensional regression data: y = f(x) + ε, x uniform on [0, 1].

The course's bias–variance exercise: a smooth function seen through a little noise, with the true
f known, so that the squared error splits exactly into bias² + variance (+ the noise σ²).

==========  =======================  ==========================================
function    f(x)                     why
==========  =======================  ==========================================
``sine``    sin(2πx)                 one period: a few sigmoid units suffice
``cubic``   (2x − 1)³ − (2x − 1)/2   a gentler curve with two bends
==========  =======================  ==========================================

Inputs are (N, 1) float32 rows, targets (N, 1) float32 (the network's identity output), the
noise ε ~ Normal(0, noise²); the test set is drawn the same way, after the training set, from the
same seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from mlpsel.errors import DataError

FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(2 * np.pi * x),
    "cubic": lambda x: (2 * x - 1) ** 3 - (2 * x - 1) / 2,
}
DEFAULTS = {"function": "sine", "n_train": 1000, "n_test": 1000, "noise": 0.2, "seed": 0}


def make_synthetic(settings: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Draw the data ``settings`` (function, n_train, n_test, noise, seed) describe.

    Returns
    -------
    dict
        ``train_x``, ``train_y``, ``train_f``, ``test_x``, ``test_y``, ``test_f``: float32
        arrays of shape (N, 1).
    """
    values = {**DEFAULTS, **settings}
    if values["function"] not in FUNCTIONS:
        raise DataError(f"unknown synthetic function '{values['function']}'; valid: "
                        f"{', '.join(FUNCTIONS)}")
    f = FUNCTIONS[str(values["function"])]
    rng = np.random.default_rng([int(values["seed"]), 20261201])
    arrays = {}
    for part in ("train", "test"):
        n = int(values[f"n_{part}"])
        x = rng.uniform(0.0, 1.0, size=(n, 1))  # (n, 1)
        truth = f(x)  # (n, 1)
        y = truth + rng.normal(0.0, float(values["noise"]), size=(n, 1))  # (n, 1)
        arrays.update({f"{part}_x": x.astype(np.float32), f"{part}_y": y.astype(np.float32),
                       f"{part}_f": truth.astype(np.float32)})
    return arrays
