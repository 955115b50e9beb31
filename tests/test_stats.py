"""Bias–variance decompositions on hand-made predictions, power-law fits, curve readings."""

from __future__ import annotations

import numpy as np
import pytest

from mlpsel.stats import (
    PowerLaw,
    fit_power_law,
    read_learning_curve,
    squared_error_decomposition,
    zero_one_decomposition,
)


def test_zero_one_two_classes_by_hand():
    # 4 rounds × 3 samples, true labels [0, 1, 1]
    predictions = np.array([[0, 0, 1],
                            [0, 0, 0],
                            [1, 0, 1],
                            [0, 1, 0]])
    targets = np.array([0, 1, 1])
    # sample 0: votes 0,0,1,0 → y_m = 0 = y: B = 0, V = 1/4, loss 1/4
    # sample 1: votes 0,0,0,1 → y_m = 0 ≠ y: B = 1, V = 1/4, P(ŷ = y | ŷ ≠ y_m) = 1: c2 = −1,
    #           loss 3/4 = 1 − 1·1/4
    # sample 2: votes 1,0,1,0 → a tie, y_m = 0 (the smaller class) ≠ y = 1: B = 1, V = 2/4,
    #           P(ŷ = y | ŷ ≠ y_m) = 1: c2 = −1, loss 2/4
    result = zero_one_decomposition(predictions, targets, n_classes=2)
    assert result["loss"] == pytest.approx((1 / 4 + 3 / 4 + 2 / 4) / 3)
    assert result["bias"] == pytest.approx(2 / 3)
    assert result["variance"] == pytest.approx((1 / 4 + 1 / 4 + 2 / 4) / 3)
    assert result["unbiased_variance"] == pytest.approx((1 / 4) / 3)
    assert result["biased_variance"] == pytest.approx((1 / 4 + 2 / 4) / 3)
    assert result["net_variance"] == pytest.approx((1 / 4 - 1 / 4 - 2 / 4) / 3)
    assert result["loss"] == pytest.approx(result["bias"] + result["net_variance"])


def test_zero_one_three_classes_by_hand():
    # 5 rounds × 2 samples, true labels [2, 0]
    predictions = np.array([[1, 0],
                            [1, 2],
                            [2, 2],
                            [0, 0],
                            [1, 1]])
    targets = np.array([2, 0])
    # sample 0: votes 1,1,2,0,1 → y_m = 1 ≠ 2: B = 1; ŷ ≠ y_m in rounds 3, 4 (2 and 0): V = 2/5;
    #           of those, ŷ = y once: P = 1/2, c2 = −1/2; loss = 4/5 = 1 − 1/2·2/5
    # sample 1: votes 0,2,2,0,1 → tie 0/2, y_m = 0 = y: B = 0; V = 3/5; loss 3/5
    result = zero_one_decomposition(predictions, targets, n_classes=3)
    assert result["loss"] == pytest.approx((4 / 5 + 3 / 5) / 2)
    assert result["bias"] == pytest.approx(1 / 2)
    assert result["variance"] == pytest.approx((2 / 5 + 3 / 5) / 2)
    assert result["biased_variance"] == pytest.approx((2 / 5) / 2)
    assert result["unbiased_variance"] == pytest.approx((3 / 5) / 2)
    assert result["net_variance"] == pytest.approx((-1 / 2 * 2 / 5 + 3 / 5) / 2)


def test_squared_error_with_a_known_function_by_hand():
    predictions = np.array([[1.0, 2.0],
                            [3.0, 2.0]])  # 2 rounds × 2 samples
    truth = np.array([1.0, 1.0])
    targets = np.array([1.5, 0.0])
    # h̄ = [2, 2]; bias² = ((2−1)² + (2−1)²)/2 = 1; variance = ((1−2)² + (3−2)² + 0 + 0)/4 = 0.5
    # mean((h − f)²) = (0 + 4 + 1 + 1)/4 = 1.5 = bias² + variance; noise = (0.25 + 1)/2 = 0.625
    result = squared_error_decomposition(predictions, targets, truth)
    assert result["bias"] == pytest.approx(1.0)
    assert result["variance"] == pytest.approx(0.5)
    assert result["error_against_truth"] == pytest.approx(1.5)
    assert result["noise"] == pytest.approx(0.625)
    assert result["loss"] == pytest.approx((0.25 + 4 + 2.25 + 4) / 4)


def test_power_law_fit_recovers_an_exact_curve():
    law = PowerLaw(a=3.0, b=0.6, c=0.02)
    sizes = [500, 1000, 2000, 5000, 10000, 50000]
    fitted = fit_power_law(sizes, [law(n) for n in sizes])
    assert fitted.a == pytest.approx(3.0, rel=1e-4)
    assert fitted.b == pytest.approx(0.6, rel=1e-4)
    assert fitted.c == pytest.approx(0.02, abs=1e-6)


def test_curve_readings_follow_the_rule():
    sizes = [1000, 5000, 25000]
    bias = read_learning_curve(sizes, [0.20, 0.21, 0.22], [0.24, 0.24, 0.24], [0.01] * 3, 3)
    assert bias.verdict == "high bias"
    variance = read_learning_curve(sizes, [0.0, 0.0, 0.0], [0.10, 0.06, 0.03],
                                   [0.002] * 3, 3)
    assert variance.verdict == "high variance" and "more accuracy at 2× data" in variance.text
    converged = read_learning_curve(sizes, [0.00, 0.00, 0.00], [0.05, 0.0301, 0.03],
                                    [0.01] * 3, 3)
    assert converged.verdict == "converged"


def test_corrected_t_test_on_five_fold_differences_by_hand():
    from mlpsel.stats import corrected_resampled_t

    d = [0.01, 0.02, 0.00, 0.03, 0.015]
    # mean 0.015; var(ddof=1) = (0.005² + 0.005² + 0.015² + 0.015² + 0)/4 = 0.000125;
    # 5 folds: n_validation/n_train = 1/4; t = 0.015 / sqrt((1/5 + 1/4) · 0.000125)
    t, p = corrected_resampled_t(d, n_train=4000, n_validation=1000)
    assert t == pytest.approx(0.015 / np.sqrt(0.45 * 0.000125))  # = 2.0
    assert t == pytest.approx(2.0)
    # P(T_4 >= 2) = 0.0580 (t table: two-sided 0.1161 at df 4)
    assert p == pytest.approx(0.05805, abs=2e-5)
    assert corrected_resampled_t([0.0] * 5, 4000, 1000) == (0.0, 1.0)


def test_student_t_survival_against_known_values():
    from mlpsel.stats import student_t_survival

    assert student_t_survival(0.0, 7) == pytest.approx(0.5)
    assert student_t_survival(2.015, 5) == pytest.approx(0.05, abs=2e-4)  # t_0.95,5
    assert student_t_survival(-1.833, 9) == pytest.approx(0.95, abs=2e-4)  # t_0.95,9


def test_holm_by_hand():
    from mlpsel.stats import holm

    # sorted 0.01, 0.02, 0.04 → ×3, ×2, ×1 = 0.03, 0.04, 0.04 (made monotone)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])


def test_wilson_interval_by_hand():
    from mlpsel.stats import wilson_interval

    low, high = wilson_interval(8, 10)
    # p = 0.8, z = 1.96: centre (0.8 + 0.19208)/1.38415 = 0.71676,
    # half 1.96·sqrt(0.016 + 0.0009604)/1.38415 = 0.18443
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)


def test_mcnemar_exact_by_hand():
    from mlpsel.stats import mcnemar_exact

    # b = 1, c = 6: 2 · (C(7,0) + C(7,1)) / 2^7 = 2 · 8/128 = 0.125
    assert mcnemar_exact(1, 6) == pytest.approx(0.125)
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0
