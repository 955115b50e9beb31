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

``cv.outer_folds: K`` (``mlpsel cv --outer-folds K``) makes ``cv`` nested cross-validation
(:class:`NestedKFold`). ``search: {strategy: halving}`` makes ``train`` and ``cv``
successive halving over epochs (:class:`Halving`, on the holdout split or the folds);
:func:`strategy_for` says which class a command and config take.
"""

from __future__ import annotations

from collections.abc import Callable

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import ConfigError
from mlpsel.strategies.base import Choice, Strategy
from mlpsel.strategies.biasvar import BiasVariance
from mlpsel.strategies.curve import LearningCurve
from mlpsel.strategies.halving import Halving
from mlpsel.strategies.holdout import Holdout
from mlpsel.strategies.kfold import KFold
from mlpsel.strategies.nested import NestedKFold

STRATEGIES: dict[str, type[Strategy]] = {"train": Holdout, "cv": KFold, "curve": LearningCurve,
                                         "biasvar": BiasVariance}
"""The strategy of each command."""


def strategy_for(command: str, config: Config) -> Callable[[Config, Dataset], Strategy]:
    """The strategy ``command`` runs with ``config``: :data:`STRATEGIES`' own, or successive
    halving on its splits when ``search.strategy`` is ``halving``."""
    nested = command == "cv" and config["cv.outer_folds"] > 0
    if config.search_settings["strategy"] != "halving":
        return NestedKFold if nested else STRATEGIES[command]
    if nested:
        raise ConfigError("nested CV around successive halving is not supported: use "
                          "search.strategy grid or random with --outer-folds",
                          file=config.source, key="cv.outer_folds",
                          line=config.lines.get("cv.outer_folds"))
    if command not in ("train", "cv"):
        raise ConfigError(f"successive halving chooses a network; 'mlpsel {command}' examines "
                          "every grid point: use search.strategy grid or random",
                          file=config.source, key="search.strategy",
                          line=config.lines.get("search.strategy"))
    base = STRATEGIES[command]

    def halving(config: Config, dataset: Dataset) -> Strategy:
        return Halving(config, dataset, base)

    return halving

__all__ = ["STRATEGIES", "BiasVariance", "Choice", "Halving", "Holdout", "KFold",
           "LearningCurve", "NestedKFold", "Strategy", "strategy_for"]
