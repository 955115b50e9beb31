"""The gradient checker itself: it passes right gradients, catches wrong ones, restores inputs."""

import numpy as np
import pytest

from mlpsel.nn.gradcheck import gradient_check, numerical_gradient, relative_error


def test_numerical_gradient_of_a_quadratic_and_inputs_restored():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    original = x.copy()
    gradient = numerical_gradient(lambda: float((x**2).sum()), x)
    np.testing.assert_allclose(gradient, 2 * original, rtol=1e-8)
    np.testing.assert_array_equal(x, original)


def test_a_wrong_gradient_is_caught():
    x = np.random.default_rng(0).standard_normal((3, 4))
    right, wrong = 2 * x, 2 * x + 0.1
    assert gradient_check(lambda: float((x**2).sum()), params=[x], grads=[right]) < 1e-8
    assert gradient_check(lambda: float((x**2).sum()), params=[x], grads=[wrong]) > 1e-2


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(2), -np.ones(2)) == 1.0


def test_float32_arrays_are_refused():
    x = np.ones(2, dtype=np.float32)
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: float(x.sum()), x)
