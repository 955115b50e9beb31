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


# ---------------------------------------------------------------------------------------------
# Comparing configurations, and intervals


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def student_t_survival(t: float, df: float) -> float:
    """P(T >= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def corrected_resampled_t(differences: Sequence[float], n_train: int,
                          n_validation: int) -> tuple[float, float]:
    """Nadeau and Bengio's (2003) corrected resampled t-test over J splits.

    d_j = score difference on split j (best − this, oriented so that positive favours the
    best); t = mean(d) / sqrt((1/J + n_validation/n_train) · var(d, ddof=1)), df = J − 1; the
    one-sided p = P(T ≥ t) that this configuration is no worse than the best. The term
    n_validation/n_train corrects for the splits' overlapping training sets (the naive 1/J
    alone overstates confidence). Identical scores on every split give t = 0, p = 1.

    Returns
    -------
    (t, p)
    """
    d = np.asarray(differences, dtype=np.float64)  # (J,)
    n_splits = d.size  # J
    if n_splits < 2:
        raise ValueError("the corrected t-test needs at least two splits")
    variance = float(d.var(ddof=1))
    mean = float(d.mean())
    if variance == 0.0:
        return (0.0, 1.0) if mean == 0.0 else (math.copysign(math.inf, mean),
                                               0.0 if mean > 0 else 1.0)
    t = mean / math.sqrt((1.0 / n_splits + n_validation / n_train) * variance)
    return t, student_t_survival(t, n_splits - 1)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: sorted ascending, p_(i) · (m − i + 1) made monotone and
    capped at 1; returned in the given order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact test: b = A right and B wrong, c = the reverse; the two-sided binomial
    p of so uneven a split of the b + c disagreements, min(1, 2 · P(X ≤ min(b, c))) with
    X ~ Binomial(b + c, 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)
