"""Statistics over results, pure functions: bias–variance decompositions, learning-curve fits and
their reading.

Rows are rounds or samples as the docstrings say; nothing here trains or reads files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# Bias and variance


def zero_one_decomposition(predictions: np.ndarray, targets: np.ndarray,
                           n_classes: int) -> dict[str, float]:
    """Domingos (2000), "A unified bias-variance decomposition", for 0-1 loss.

    With labels taken as noise-free: the main prediction y_m(x) is the mode of the rounds'
    predictions (ties to the smallest class); bias B(x) = 1[y_m ≠ y]; variance
    V(x) = P_rounds(ŷ ≠ y_m); and the mean loss = mean(B) + mean(c₂·V), where c₂ = 1 when B = 0
    and c₂ = −P(ŷ = y | ŷ ≠ y_m) when B = 1.

    Parameters
    ----------
    predictions : ndarray of int, shape (R, n)
        Round r's predicted class of evaluation sample i.
    targets : ndarray of int, shape (n,)
    n_classes : int

    Returns
    -------
    dict
        ``loss``, ``bias``, ``variance`` (mean V), ``unbiased_variance`` mean((1−B)·V),
        ``biased_variance`` mean(B·V), ``net_variance`` mean(c₂·V).
    """
    predictions = np.asarray(predictions, dtype=np.int64)  # (R, n)
    targets = np.asarray(targets, dtype=np.int64)  # (n,)
    rounds, n = predictions.shape
    counts = np.zeros((n, n_classes), dtype=np.int64)  # (n, K) votes per class
    np.add.at(counts, (np.tile(np.arange(n), rounds), predictions.ravel()), 1)
    main = counts.argmax(axis=1)  # (n,) the mode; argmax takes the smallest class on ties
    bias = (main != targets).astype(np.float64)  # (n,) B(x)
    differs = predictions != main  # (R, n) ŷ ≠ y_m
    variance = differs.mean(axis=0)  # (n,) V(x)
    n_differs = differs.sum(axis=0)  # (n,)
    right_among_differing = (differs & (predictions == targets)).sum(axis=0)  # (n,)
    p_right = np.divide(right_among_differing, n_differs, out=np.zeros(n), where=n_differs > 0)
    c2 = np.where(bias == 0, 1.0, -p_right)  # (n,)
    loss = float((predictions != targets).mean())
    result = {
        "loss": loss,
        "bias": float(bias.mean()),
        "variance": float(variance.mean()),
        "unbiased_variance": float(((1 - bias) * variance).mean()),
        "biased_variance": float((bias * variance).mean()),
        "net_variance": float((c2 * variance).mean()),
    }
    if not math.isclose(loss, result["bias"] + result["net_variance"], abs_tol=1e-9):
        raise ArithmeticError(f"0-1 decomposition does not add up: loss {loss} ≠ bias "
                              f"{result['bias']} + net variance {result['net_variance']}")
    return result


def squared_error_decomposition(predictions: np.ndarray, targets: np.ndarray,
                                truth: np.ndarray | None = None) -> dict[str, float]:
    """Bias², variance and noise of squared error over rounds.

    h̄(x) = mean over rounds of h_r(x); bias²(x) = (h̄(x) − f(x))²; variance(x) = mean over rounds
    of (h_r(x) − h̄(x))². Where the true function f is known, mean((h_r − f)²) = bias² + variance
    exactly, and the error against the noisy targets ≈ bias² + variance + σ² with σ² = mean((y −
    f)²) measured. Without f, bias² is taken against the targets (it then holds the noise) and
    ``noise`` is NaN.

    Parameters
    ----------
    predictions : ndarray of float, shape (R, n)
    targets : ndarray of float, shape (n,)
        The noisy y of the evaluation samples.
    truth : ndarray of float, shape (n,), optional
        f(x) of the evaluation samples.

    Returns
    -------
    dict
        ``loss`` (mean squared error against the targets), ``bias`` (bias²), ``variance``,
        ``noise`` (σ²), ``error_against_truth`` (mean((h_r − f)²), NaN without f).
    """
    predictions = np.asarray(predictions, dtype=np.float64)  # (R, n)
    targets = np.asarray(targets, dtype=np.float64)  # (n,)
    reference = targets if truth is None else np.asarray(truth, dtype=np.float64)  # (n,)
    mean_prediction = predictions.mean(axis=0)  # (n,) h̄(x)
    bias = float(((mean_prediction - reference) ** 2).mean())
    variance = float(((predictions - mean_prediction) ** 2).mean())
    result = {"loss": float(((predictions - targets) ** 2).mean()), "bias": bias,
              "variance": variance, "noise": math.nan, "error_against_truth": math.nan}
    if truth is not None:
        against_truth = float(((predictions - reference) ** 2).mean())
        if not math.isclose(against_truth, bias + variance, rel_tol=1e-9, abs_tol=1e-12):
            raise ArithmeticError(f"squared-error decomposition does not add up: "
                                  f"{against_truth} ≠ {bias} + {variance}")
        result.update(noise=float(((targets - reference) ** 2).mean()),
                      error_against_truth=against_truth)
    return result


# ---------------------------------------------------------------------------------------------
# Learning curves


@dataclass(frozen=True)
class PowerLaw:
    """err(n) = a·n^(−b) + c, fitted to a learning curve."""

    a: float
    b: float
    c: float

    def __call__(self, n: float | np.ndarray) -> float | np.ndarray:
        return self.a * np.power(n, -self.b) + self.c


def _linear_fit(x: np.ndarray, errors: np.ndarray, b: float) -> tuple[float, float, float]:
    """The least-squares a, c ≥ 0 for a given b, and the residual sum of squares (an error
    rate's floor c cannot be negative)."""
    design = np.column_stack([np.power(x, -b), np.ones_like(x)])  # (S, 2)
    (a, c), *_ = np.linalg.lstsq(design, errors, rcond=None)
    if c < 0:
        power = design[:, 0]  # (S,)
        a, c = float(power @ errors / (power @ power)), 0.0
    residual = float(((design @ np.array([a, c]) - errors) ** 2).sum())
    return float(a), float(c), residual


def fit_power_law(sizes: Sequence[float], errors: Sequence[float]) -> PowerLaw:
    """Least-squares err(n) = a·n^(−b) + c with c ≥ 0, over ``b`` in (0, 4]: for each ``b`` the
    best ``a``, ``c`` are linear; ``b`` is found on a log grid and refined by golden-section
    search.

    Needs at least three sizes.
    """
    x = np.asarray(sizes, dtype=np.float64)  # (S,)
    y = np.asarray(errors, dtype=np.float64)  # (S,)
    if x.size < 3:
        raise ValueError("a power-law fit needs at least three training-set sizes")
    grid = np.geomspace(1e-3, 4.0, 400)
    residuals = [_linear_fit(x, y, b)[2] for b in grid]
    best = int(np.argmin(residuals))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(100):
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if _linear_fit(x, y, left)[2] < _linear_fit(x, y, right)[2]:
            high = right
        else:
            low = left
    b = (low + high) / 2
    a, c, _ = _linear_fit(x, y, b)
    return PowerLaw(a, b, c)


@dataclass(frozen=True)
class CurveReading:
    """What a learning curve says about one grid point (see :func:`read_learning_curve`)."""

    verdict: str
    text: str


def read_learning_curve(sizes: Sequence[int], train_error: Sequence[float],
                        validation_error: Sequence[float],
                        validation_std: Sequence[float], n_splits: int, *,
                        regression: bool = False) -> CurveReading:
    """The rule (written in the README as well), at the largest training-set size n:

    - *high bias* when the training error is at least 80% of the validation error: the network
      does not even fit the data it sees, and more data will not help much;
    - *high variance* when the gap (validation − training error) is still shrinking between the
      two largest sizes by more than the standard error of the validation mean across folds
      (std / √folds): more data should help;
    - *converged* otherwise.

    With three or more sizes, err(n) = a·n^(−b) + c is fitted to the validation means and the
    reading says what doubling the data would buy in accuracy points (``regression``: in
    squared error).
    """
    order = np.argsort(sizes)
    n = np.asarray(sizes, dtype=np.float64)[order]
    train = np.asarray(train_error, dtype=np.float64)[order]
    validation = np.asarray(validation_error, dtype=np.float64)[order]
    std = np.asarray(validation_std, dtype=np.float64)[order]
    gap = validation - train
    standard_error = float(std[-1]) / math.sqrt(max(n_splits, 1))
    if train[-1] >= 0.8 * validation[-1]:
        verdict = "high bias"
    elif n.size >= 2 and gap[-2] - gap[-1] > standard_error:
        verdict = "high variance"
    else:
        verdict = "converged"
    text = (f"{verdict}: at {int(n[-1]):,} training samples, validation error "
            f"{validation[-1]:.4f}, training error {train[-1]:.4f} (gap {gap[-1]:.4f}, "
            f"fold standard error {standard_error:.4f})")
    if n.size >= 3:
        law = fit_power_law(n, validation)
        gain = float(law(n[-1]) - law(2 * n[-1]))
        what = (f"≈ {gain:.4f} lower squared error" if regression
                else f"≈ {gain * 100:.2f} points more accuracy")
        text += f"; err(n) ≈ {law.a:.3g}·n^(−{law.b:.3g}) + {law.c:.4f}: {what} at 2× data"
    return CurveReading(verdict, text)
