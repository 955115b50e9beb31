"""Pure-NumPy back-propagation MLPs, written in the course's notation.

Inside ``mlpsel.nn`` samples are **columns** (the course's convention); everywhere else in mlpsel
they are rows. The bridge is :func:`fit` (rows in, column mini-batches inside) and
:meth:`MLP.predict_proba` / :meth:`MLP.predict` (rows in, rows out).

Notation
--------
==============  ==============================================================  ===============
symbol          meaning                                                         shape
==============  ==============================================================  ===============
``m``           number of samples in a (mini-)batch                             scalar
``L``           number of layers with weights (hidden layers + output)          scalar
``n_l``         number of units in layer l; ``n_0`` inputs, ``n_L`` outputs     scalar
``X = A[0]``    inputs, one column per sample                                   (n_0, m)
``W[l]``        weights of layer l (``network.W[l-1]``)                         (n_l, n_{l-1})
``b[l]``        biases of layer l (``network.b[l-1]``)                          (n_l, 1)
``Z[l]``        pre-activation ``W[l]·A[l-1] + b[l]``                           (n_l, m)
``g``           hidden activation (relu, leaky_relu, sigmoid, tanh, identity)   element-wise
``A[l]``        activation ``g(Z[l])`` (times the dropout mask when training)   (n_l, m)
``D[l]``        inverted-dropout mask, 0 or 1/keep                              (n_l, m)
``Ŷ = A[L]``    output: ``softmax(Z[L])`` or ``Z[L]`` (identity)                (n_L, m)
``Y``           targets: one-hot columns, or values for the identity output     (n_L, m)
``dZ[l]``       m · ∂loss/∂Z[l]; ``dZ[L] = Ŷ − Y``                              (n_l, m)
``dA[l]``       m · ∂loss/∂A[l]; ``dA[l-1] = W[l]ᵀ·dZ[l]``                      (n_l, m)
``dW[l]``       ∂loss/∂W[l] = ``dZ[l]·A[l-1]ᵀ / m``                             (n_l, n_{l-1})
``db[l]``       ∂loss/∂b[l] = ``Σ dZ[l] / m`` (sum over the m columns)          (n_l, 1)
``g'``          derivative of g: ``dZ[l] = dA[l] * g'(Z[l])``                   element-wise
``α``           learning rate                                                   scalar
``λ``           weight decay (L2): the gradient used is ``dW + λ·W``            scalar
==============  ==============================================================  ===============

The loss is the mean over the m samples: cross-entropy ``−Σ Y·log Ŷ / m`` (softmax output) or
halved squared error ``Σ (Ŷ − Y)² / (2m)`` (identity output); both give ``dZ[L] = Ŷ − Y``.

Everything is float32 (float64 only for gradient checks), scaled by Python floats only, and every
random number comes from an explicit ``numpy.random.Generator``.

Modules: :mod:`~mlpsel.nn.activations`, :mod:`~mlpsel.nn.losses`, :mod:`~mlpsel.nn.layers`,
:mod:`~mlpsel.nn.init`, :mod:`~mlpsel.nn.network`, :mod:`~mlpsel.nn.optimizers`,
:mod:`~mlpsel.nn.blas` (in-place products of the training loop's fast path),
:mod:`~mlpsel.nn.train`, :mod:`~mlpsel.nn.gradcheck`.
"""

from mlpsel.nn.activations import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    Activation,
    get_activation,
    softmax,
)
from mlpsel.nn.gradcheck import gradient_check, numerical_gradient, relative_error
from mlpsel.nn.init import initialize_parameters
from mlpsel.nn.layers import dense_backward, dense_forward, dropout_backward, dropout_forward
from mlpsel.nn.losses import LOSSES, mean_squared_error, softmax_cross_entropy
from mlpsel.nn.network import MLP, OUTPUTS, LayerCache
from mlpsel.nn.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, make_optimizer
from mlpsel.nn.schedules import SCHEDULES, learning_rate_at
from mlpsel.nn.train import (
    EpochRecord,
    History,
    TrainingState,
    classification_accuracy,
    evaluate,
    fit,
    one_hot,
)

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "SGD",
    "Activation",
    "Adam",
    "EpochRecord",
    "History",
    "LayerCache",
    "Momentum",
    "Optimizer",
    "TrainingState",
    "classification_accuracy",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "evaluate",
    "fit",
    "get_activation",
    "gradient_check",
    "initialize_parameters",
    "learning_rate_at",
    "make_optimizer",
    "mean_squared_error",
    "numerical_gradient",
    "one_hot",
    "relative_error",
    "softmax",
    "softmax_cross_entropy",
]
