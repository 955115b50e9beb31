"""Strategies: each way of choosing a network is one small module here.

A strategy plans the tasks of a sweep (possibly in rounds), builds the results table from what the
tasks report, chooses, and may ask for a refit. :mod:`mlpsel.study` is the one pipeline that runs
any of them; its docstring says what a strategy must provide.

============  ==============  ============================================================
command       strategy        what it does
============  ==============  ============================================================
``train``     :class:`Holdout`  one train/validation split; choose on validation; the chosen
                                trial's own network is tested
``cv``        :class:`KFold`    (repeated, stratified) k-fold; choose on the mean over folds;
                                refit the choice on all training data; test that
``curve``     :class:`LearningCurve`  k-fold at nested training-set sizes: error against the
                                amount of data, and a reading per grid point; no choice
``biasvar``   :class:`BiasVariance`  many training sets per grid point, one evaluation set:
                                0-1 loss = bias + net variance (Domingos); no choice
============  ==============  ============================================================
"""

from __future__ import annotations

from mlpsel.strategies.base import Choice, Strategy
from mlpsel.strategies.biasvar import BiasVariance
from mlpsel.strategies.curve import LearningCurve
from mlpsel.strategies.holdout import Holdout
from mlpsel.strategies.kfold import KFold

STRATEGIES: dict[str, type[Strategy]] = {"train": Holdout, "cv": KFold, "curve": LearningCurve,
                                         "biasvar": BiasVariance}
"""The strategy of each command."""

__all__ = ["STRATEGIES", "BiasVariance", "Choice", "Holdout", "KFold", "LearningCurve",
           "Strategy"]
