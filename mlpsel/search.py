"""Search spaces: a grid of settings → grid points, each a frozen trial spec with a stable id.

The grid is the cartesian product of the ``search`` lists, keys sorted so the order never depends
on how the YAML file was written. Each grid point has an id that is a hash of its settings in
canonical JSON, so the same settings get the same id in every run (this is what resume relies on).
A grid point's :class:`TrialSpec` is everything one trial needs to know: the seed, the network and
its training, as typed, frozen values.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlpsel.config import Config, set_dotted


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal settings give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def stable_id(value: Any, length: int = 8) -> str:
    """A short hex digest of ``value``'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class ModelSpec:
    """The network of a trial: ``n_0 → hidden_layers... → n_L``, see :class:`mlpsel.nn.MLP`."""

    hidden_layers: tuple[int, ...]
    activation: str
    output: str
    dropout: float


@dataclass(frozen=True)
class TrainingSpec:
    """How a trial trains its network (the ``training`` section of a config)."""

    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    momentum: float
    nesterov: bool
    beta1: float
    beta2: float
    weight_decay: float
    early_stopping_patience: int


@dataclass(frozen=True)
class TrialSpec:
    """Everything one trial needs besides its data: seed, network, training."""

    seed: int
    model: ModelSpec
    training: TrainingSpec

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> TrialSpec:
        """The spec of resolved config values (every key present, as :mod:`mlpsel.config`
        guarantees)."""
        model = values["model"]
        return cls(
            seed=values["seed"],
            model=ModelSpec(hidden_layers=tuple(model["hidden_layers"]),
                            activation=model["activation"], output=model["output"],
                            dropout=model["dropout"]),
            training=TrainingSpec(**{name: values["training"][name]
                                     for name in TrainingSpec.__dataclass_fields__}),
        )


@dataclass(frozen=True)
class GridPoint:
    """One point of the grid.

    Attributes
    ----------
    index : int
        0-based position in the grid's deterministic order.
    grid_point_id : str
        ``"<index:03d>-<hash of params>"``; sorts in grid order and is stable across runs.
    params : dict
        The searched settings of this point, dotted key → value.
    spec : TrialSpec
        The trial the config describes with ``params`` applied.
    """

    index: int
    grid_point_id: str
    params: dict[str, Any]
    spec: TrialSpec


class ParameterGrid:
    """The cartesian product of a ``search`` mapping, in sorted-key order.

    Parameters
    ----------
    search : mapping of str to list
        Dotted key → the values to try. An empty mapping is a grid of one point.
    """

    def __init__(self, search: Mapping[str, list[Any]]) -> None:
        for key, candidates in search.items():
            if not isinstance(candidates, list) or not candidates:
                raise ValueError(f"search.{key}: a non-empty list of values is needed")
        self.keys = sorted(search)
        self.candidates = [list(search[key]) for key in self.keys]

    def __len__(self) -> int:
        return math.prod(len(c) for c in self.candidates)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for combination in itertools.product(*self.candidates):
            yield dict(zip(self.keys, combination, strict=True))

    def varying_keys(self) -> list[str]:
        """The keys that take more than one value."""
        return [k for k, c in zip(self.keys, self.candidates, strict=True) if len(c) > 1]


def grid_points(config: Config) -> list[GridPoint]:
    """Expand a config's search space into its grid points."""
    base = copy.deepcopy(config.values)
    base["search"] = {}
    points = []
    for index, params in enumerate(ParameterGrid(config.search)):
        values = copy.deepcopy(base)
        for key, value in params.items():
            set_dotted(values, key, copy.deepcopy(value))
        points.append(GridPoint(index, f"{index:03d}-{stable_id(params)}", params,
                                TrialSpec.from_values(values)))
    return points
