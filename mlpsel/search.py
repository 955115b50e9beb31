"""Search spaces: a grid of settings → grid points, each a frozen trial spec with a stable id.

The grid is the cartesian product of the ``search`` lists, keys sorted so the order never depends
on how the YAML file was written. Random search (``search: {strategy: random, trials: N}``)
draws N points instead (:func:`sample_space`): from the grid without replacement when every
entry is a list, else from each entry's distribution; the same seed draws the same points.

Each grid point has an id that is a hash of its settings in
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

import numpy as np

from mlpsel.config import Config, input_scaling, set_dotted


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
    schedule: str = "constant"
    warmup_epochs: int = 0
    step_epochs: int = 10
    step_gamma: float = 0.1


@dataclass(frozen=True)
class TrialSpec:
    """Everything one trial needs besides its data: seed, network, training, and how its
    inputs are scaled (``standard``, ``minmax`` or ``none``: ``preprocess.scale`` resolved)."""

    seed: int
    model: ModelSpec
    training: TrainingSpec
    input_scaling: str = "none"

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
            input_scaling=input_scaling(values),
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

    def point(self, position: int) -> dict[str, Any]:
        """The point at ``position`` of the iteration order, without iterating (the last key
        varies fastest)."""
        values = {}
        for key, candidates in reversed(list(zip(self.keys, self.candidates, strict=True))):
            position, digit = divmod(position, len(candidates))
            values[key] = candidates[digit]
        return {key: values[key] for key in self.keys}

    def varying_keys(self) -> list[str]:
        """The keys that take more than one value."""
        return [k for k, c in zip(self.keys, self.candidates, strict=True) if len(c) > 1]


SIGNIFICANT_DIGITS = 4
"""Real numbers drawn by random search are rounded to this many significant digits, so that
tables and ids read well (``0.03162``, not ``0.031622776601683794``)."""


def sample_space(space: Mapping[str, Any], trials: int, seed: int) -> list[dict[str, Any]]:
    """``trials`` points of a search space, reproducible from ``seed``.

    Every entry a list: ``min(trials, grid size)`` distinct grid points, drawn without
    replacement, in the order drawn. Otherwise every point draws each key (sorted) in turn: a
    list uniformly, ``uniform``/``loguniform`` a real number in [low, high) (uniform in log
    for ``log``; rounded to :data:`SIGNIFICANT_DIGITS`), ``int``/``intloguniform`` a whole
    number in [low, high] (``model.hidden_layers``: one hidden layer of that width); a point
    equal to an earlier one is drawn again (at most 100 tries per point).
    """
    rng = np.random.default_rng([seed, 3])
    keys = sorted(space)
    if all(isinstance(space[key], list) for key in keys):
        grid = ParameterGrid(dict(space))
        chosen = rng.choice(len(grid), size=min(trials, len(grid)), replace=False)
        return [grid.point(int(position)) for position in chosen]
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(trials):
        for _attempt in range(100):
            point = {key: _draw(key, space[key], rng) for key in keys}
            if canonical_json(point) not in seen:
                break
        else:
            break  # the space holds fewer distinct points than asked for
        seen.add(canonical_json(point))
        points.append(point)
    return points


def _draw(key: str, entry: Any, rng: np.random.Generator) -> Any:
    """One value of a space entry (see :func:`sample_space`)."""
    if isinstance(entry, list):
        return copy.deepcopy(entry[int(rng.integers(len(entry)))])
    (name, (low, high)), = entry.items()
    if name == "uniform":
        value: Any = _round(float(rng.uniform(low, high)))
    elif name == "loguniform":
        value = _round(float(math.exp(rng.uniform(math.log(low), math.log(high)))))
    elif name == "int":
        value = int(rng.integers(low, high + 1))
    else:  # intloguniform: log-uniform over [low, high + 1), floored
        value = min(high, int(math.exp(rng.uniform(math.log(low), math.log(high + 1)))))
    return [value] if key == "model.hidden_layers" else value


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def search_points(config: Config) -> list[dict[str, Any]]:
    """The settings of every point the config's search tries, in order: the grid, or the
    random search's (or halving's) sample."""
    settings = config.search_settings
    if settings["trials"] is None:  # the grid (halving over the whole grid, too)
        return list(ParameterGrid(config.search))
    seed = settings["seed"] if settings["seed"] is not None else config["seed"]
    return sample_space(config.search, settings["trials"], seed)


def count_points(config: Config) -> int:
    """How many points :func:`search_points` gives, without making them."""
    settings = config.search_settings
    space = config.search
    if all(isinstance(entry, list) for entry in space.values()):
        size = len(ParameterGrid(space))
        return size if settings["trials"] is None else min(size, settings["trials"])
    return settings["trials"]


def grid_points(config: Config) -> list[GridPoint]:
    """Expand a config's search space into its grid points (a random search's sampled
    points)."""
    base = copy.deepcopy(config.values)
    base["search"] = {}
    points = []
    for index, params in enumerate(search_points(config)):
        values = copy.deepcopy(base)
        for key, value in params.items():
            set_dotted(values, key, copy.deepcopy(value))
        points.append(GridPoint(index, f"{index:03d}-{stable_id(params)}", params,
                                TrialSpec.from_values(values)))
    return points
