"""Gradient-descent optimizers with explicit state, updating parameters in place.

Interface: ``optimizer.step(params, grads)`` with two equally long lists of arrays (e.g.
``network.parameters()`` and the matching gradients). Every update is written into the parameter
arrays (``-=``) and every scalar is a Python float, so float32 parameters stay float32 and the
state arrays (created on the first step, ``np.zeros_like``) have the parameters' dtype.

``weight_decay`` λ is L2 regularisation coupled to the gradient, as in PyTorch's ``weight_decay``:
the gradient used is ``g = dW + λ·W``. It applies to the arrays marked True in ``decay_mask``
(weights, not biases: see ``MLP.weight_decay_mask()``); without a mask, to every array.
The gradient arrays are never modified.

The updates, for one parameter W with gradient g (t counts steps from 1):

=============  ========================================================================
SGD            W ← W − α·g
Momentum       v ← μ·v + g;  W ← W − α·v                     (PyTorch's SGD momentum)
Nesterov       v ← μ·v + g;  W ← W − α·(g + μ·v)
Adam           m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
               W ← W − α·m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
=============  ========================================================================
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

import numpy as np

from mlpsel.errors import ConfigError
from mlpsel.nn.blas import axpy


class Optimizer:
    """Base class: learning rate, weight decay, and the checks shared by every ``step``.

    Two faster forms of ``step`` serve the training loop's fast path (``mlpsel.nn.train``), where
    α/m is folded into dZ[L] so that the gradients come out as ``α·dW``:

    * ``folds_learning_rate``: the optimizer offers ``step_scaled(params, scaled_grads,
      decay_mask)``, taking ``α·dW`` in place of ``dW``;
    * ``begin_accumulated_step(params, decay_mask)`` returns, for each parameter, ``(C, γ, β)``:
      the training step then computes ``C ← γ·(α·dW) + β·C`` inside the matrix product that
      makes ``α·dW`` (:func:`mlpsel.nn.blas.matmul_accumulate`), and
      ``end_accumulated_step(params, decay_mask)`` finishes the update. None (the default) when
      the optimizer has no such form.
    """

    folds_learning_rate = False
    state_lists: tuple[str, ...] = ()
    """Attributes holding one state array per parameter (momentum's velocity, Adam's moments)."""
    state_scalars: tuple[str, ...] = ()
    """Attributes holding one number of state (Adam's step count)."""

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """The optimizer's state, to continue a training bit for bit: ``name.i`` → the state
        array of parameter i (its shape), and the scalar state by name."""
        arrays = {f"{name}.{i}": array for name in self.state_lists
                  for i, array in enumerate(getattr(self, name))}
        return arrays, {name: getattr(self, name) for name in self.state_scalars}

    def load_state(self, arrays: Mapping[str, np.ndarray], scalars: Mapping[str, float]) -> None:
        """Take the state :meth:`state` gave (copies of the arrays)."""
        for name in self.state_lists:
            items = sorted((int(key.split(".", 1)[1]), value) for key, value in arrays.items()
                           if key.split(".", 1)[0] == name)
            setattr(self, name, [np.array(value) for _, value in items])
        for name in self.state_scalars:
            setattr(self, name, type(getattr(self, name))(scalars[name]))

    def begin_accumulated_step(self, params: list[np.ndarray], decay_mask: Sequence[bool],
                               ) -> list[tuple[np.ndarray, float, float]] | None:
        """``[(C, γ, β), ...]``, one per parameter, or None; see the class docstring."""
        return None

    def end_accumulated_step(self, params: list[np.ndarray], decay_mask: Sequence[bool],
                             ) -> None:
        """Finish the update begun by :meth:`begin_accumulated_step`."""

    def __init__(self, learning_rate: float, *, weight_decay: float = 0.0) -> None:
        if not float(learning_rate) > 0.0:
            raise ConfigError(f"learning_rate must be > 0; got {learning_rate}")
        if not float(weight_decay) >= 0.0:
            raise ConfigError(f"weight_decay must be >= 0; got {weight_decay}")
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], *,
             decay_mask: Sequence[bool] | None = None) -> None:
        """Update every ``params[i]`` in place from ``grads[i]`` (same shapes)."""
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameter arrays but {len(grads)} gradient arrays")
        if decay_mask is None:
            decay_mask = [True] * len(params)
        elif len(decay_mask) != len(params):
            raise ValueError(f"decay_mask has {len(decay_mask)} entries for {len(params)} arrays")
        self._step(params, grads, decay_mask)

    def _step(self, params: list[np.ndarray], grads: list[np.ndarray],
              decay_mask: Sequence[bool]) -> None:
        raise NotImplementedError

    def _gradient(self, param: np.ndarray, grad: np.ndarray, decay: bool) -> np.ndarray:
        """``g = dW + λ·W`` (a new array) when decaying, else ``dW`` itself (not to be modified)."""
        if decay and self.weight_decay > 0.0:
            # g = dW + λ·W
            return grad + self.weight_decay * param
        return grad

    def _state(self, name: str, params: list[np.ndarray]) -> list[np.ndarray]:
        """The state list ``name`` (one zero array per parameter on first use)."""
        state = getattr(self, name)
        if not state:
            state.extend(np.zeros_like(param) for param in params)
        elif len(state) != len(params):
            raise ValueError(f"{type(self).__name__} was stepped with {len(state)} parameter "
                             f"arrays before and {len(params)} now")
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(Optimizer):
    """Plain gradient descent: ``W ← W − α·g``."""

    folds_learning_rate = True

    def step_scaled(self, params: list[np.ndarray], scaled_grads: list[np.ndarray],
                    decay_mask: Sequence[bool]) -> None:
        """The same update from ``α·dW``: ``W ← (1 − α·λ)·W − α·dW``."""
        for param, scaled_grad, decay in zip(params, scaled_grads, decay_mask, strict=True):
            if decay and self.weight_decay > 0.0:
                param *= 1.0 - self.learning_rate * self.weight_decay
            param -= scaled_grad

    def begin_accumulated_step(self, params, decay_mask):
        """The whole update inside the product: ``W ← (1 − α·λ)·W − α·dW``, i.e. C = W,
        γ = −1, β = 1 − α·λ (β = 1 for the biases)."""
        shrink = 1.0 - self.learning_rate * self.weight_decay
        return [(param, -1.0, shrink if decay else 1.0)
                for param, decay in zip(params, decay_mask, strict=True)]

    def _step(self, params, grads, decay_mask) -> None:
        for param, grad, decay in zip(params, grads, decay_mask, strict=True):
            if decay and self.weight_decay > 0.0:
                # W ← W − α·(dW + λ·W) = (1 − α·λ)·W − α·dW
                param *= 1.0 - self.learning_rate * self.weight_decay
            # W ← W − α·dW
            param -= self.learning_rate * grad


class Momentum(Optimizer):
    """Gradient descent with (optionally Nesterov) momentum: ``v ← μ·v + g; W ← W − α·v``.

    State: ``velocity``, one array per parameter; ``step_scaled`` keeps ``scaled_velocity``
    (u = α·v) instead, so that its update is three in-place passes: ``u ← μ·u + α·g; W ← W − u``.
    An optimizer holds one of the two at a time: switching paths converts the state, and a new
    learning rate rescales u, so the updates stay PyTorch's ``W ← W − α·v`` either way.
    """

    folds_learning_rate = True
    state_lists = ("velocity", "scaled_velocity")
    state_scalars = ("_scaled_velocity_learning_rate",)

    def __init__(self, learning_rate: float, momentum: float = 0.9, nesterov: bool = False, *,
                 weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay)
        if not 0.0 <= float(momentum) < 1.0:
            raise ConfigError(f"momentum must be in [0, 1); got {momentum}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity: list[np.ndarray] = []
        self.scaled_velocity: list[np.ndarray] = []
        self._scaled_velocity_learning_rate = self.learning_rate  # the α in u = α·v

    def _step(self, params, grads, decay_mask) -> None:
        if self.scaled_velocity:
            # v = u / α
            self.velocity = [u / self._scaled_velocity_learning_rate
                             for u in self.scaled_velocity]
            self.scaled_velocity = []
        velocity = self._state("velocity", params)
        for param, grad, decay, v in zip(params, grads, decay_mask, velocity, strict=True):
            g = self._gradient(param, grad, decay)
            # v ← μ·v + g
            v *= self.momentum
            v += g
            if self.nesterov:
                # W ← W − α·(g + μ·v)
                param -= self.learning_rate * g
                param -= (self.learning_rate * self.momentum) * v
            else:
                # W ← W − α·v
                param -= self.learning_rate * v

    def step_scaled(self, params: list[np.ndarray], scaled_grads: list[np.ndarray],
                    decay_mask: Sequence[bool]) -> None:
        """The same update from ``α·dW``, with ``u = α·v``: ``u ← μ·u + α·g; W ← W − u``
        (Nesterov: ``W ← W − α·g − μ·u``). Modifies ``scaled_grads`` when decaying."""
        velocity = self._scaled_velocity(params)
        for param, scaled_grad, decay, u in zip(params, scaled_grads, decay_mask, velocity,
                                                strict=True):
            if decay and self.weight_decay > 0.0:
                # α·g = α·dW + α·λ·W
                scaled_grad += (self.learning_rate * self.weight_decay) * param
            # u ← μ·u + α·g
            u *= self.momentum
            u += scaled_grad
            if self.nesterov:
                # W ← W − α·g − μ·u
                param -= scaled_grad
                param -= self.momentum * u
            else:
                # W ← W − u
                param -= u

    def begin_accumulated_step(self, params, decay_mask):
        """``u ← μ·u + α·dW`` inside the product (C = u, γ = 1, β = μ); None with Nesterov."""
        if self.nesterov:
            return None
        velocity = self._scaled_velocity(params)
        return [(u, 1.0, self.momentum) for u in velocity]

    def end_accumulated_step(self, params, decay_mask) -> None:
        """``u ← u + α·λ·W`` (weights only), then ``W ← W − u``, each one BLAS ``axpy``."""
        for param, decay, u in zip(params, decay_mask, self.scaled_velocity, strict=True):
            if decay and self.weight_decay > 0.0:
                # u ← μ·u + α·(dW + λ·W): the product gave μ·u + α·dW
                axpy(self.learning_rate * self.weight_decay, param, u)
            # W ← W − u
            axpy(-1.0, u, param)

    def _scaled_velocity(self, params: list[np.ndarray]) -> list[np.ndarray]:
        """The state u = α·v of the fast forms, converted from v (or rescaled to a new α)."""
        if self.velocity:
            # u = α·v
            self.scaled_velocity = [self.learning_rate * v for v in self.velocity]
            self.velocity = []
        elif self.scaled_velocity and self._scaled_velocity_learning_rate != self.learning_rate:
            # a new α: u = α_new·v = (α_new / α_old)·u
            for u in self.scaled_velocity:
                u *= self.learning_rate / self._scaled_velocity_learning_rate
        self._scaled_velocity_learning_rate = self.learning_rate
        return self._state("scaled_velocity", params)

    def __repr__(self) -> str:
        return (f"Momentum(learning_rate={self.learning_rate}, momentum={self.momentum}, "
                f"nesterov={self.nesterov})")


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction.

    State: ``t`` (steps taken), ``first_moment`` m and ``second_moment`` v, one array each per
    parameter.
    """

    state_lists = ("first_moment", "second_moment")
    state_scalars = ("t",)

    def __init__(self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, *, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= float(beta) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1); got {beta}")
        if not float(epsilon) > 0.0:
            raise ConfigError(f"epsilon must be > 0; got {epsilon}")
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.first_moment: list[np.ndarray] = []
        self.second_moment: list[np.ndarray] = []

    def _step(self, params, grads, decay_mask) -> None:
        first = self._state("first_moment", params)
        second = self._state("second_moment", params)
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        # m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)   ⇒
        # α·m̂ / (√v̂ + ε) = step_size · m / (√v / √(1 − β2^t) + ε),  step_size = α / (1 − β1^t)
        step_size = self.learning_rate / (1.0 - beta1**self.t)
        inverse_sqrt_correction2 = 1.0 / (1.0 - beta2**self.t) ** 0.5
        for param, grad, decay, m, v in zip(params, grads, decay_mask, first, second,
                                            strict=True):
            g = self._gradient(param, grad, decay)
            # m ← β1·m + (1 − β1)·g
            m *= beta1
            m += (1.0 - beta1) * g
            # v ← β2·v + (1 − β2)·g²
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            # W ← W − α·m̂ / (√v̂ + ε)
            denominator = np.sqrt(v)
            denominator *= inverse_sqrt_correction2
            denominator += self.epsilon
            np.divide(m, denominator, out=denominator)
            denominator *= step_size
            param -= denominator

    def __repr__(self) -> str:
        return (f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, "
                f"beta2={self.beta2}, epsilon={self.epsilon})")


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
}
"""Optimizer classes by name (for :func:`make_optimizer`)."""


def make_optimizer(name: str, **settings) -> Optimizer:
    """Build the optimizer ``name`` ("sgd", "momentum", "adam") from keyword settings.

    ``make_optimizer("momentum", learning_rate=0.1, momentum=0.9, weight_decay=1e-4)``.
    Unknown names and unknown settings raise :class:`mlpsel.errors.ConfigError` listing the valid
    ones.
    """
    try:
        cls = OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}") from None
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ConfigError(f"optimizer {name!r} has no setting {', '.join(map(repr, unknown))}; "
                          f"valid: {', '.join(accepted)}")
    if "learning_rate" not in settings:
        raise ConfigError(f"optimizer {name!r} needs a learning_rate")
    return cls(**settings)
