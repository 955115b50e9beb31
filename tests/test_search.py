"""The grid: deterministic order, length without building, stable ids."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpsel.config import config_from_mapping
from mlpsel.search import ParameterGrid, grid_points, stable_id


@given(st.dictionaries(st.sampled_from(["a.x", "b.y", "c.z", "d.w"]),
                       st.lists(st.integers(), min_size=1, max_size=4), max_size=4))
def test_grid_length_is_product_of_counts(search):
    grid = ParameterGrid(search)
    assert len(grid) == math.prod(len(v) for v in search.values())
    points = list(grid)
    assert len(points) == len(grid)
    if search:
        assert all(set(p) == set(search) for p in points)


def test_order_does_not_depend_on_key_order():
    first = list(ParameterGrid({"b": [1, 2], "a": [3, 4]}))
    second = list(ParameterGrid({"a": [3, 4], "b": [1, 2]}))
    assert first == second
    assert first[0] == {"a": 3, "b": 1} and first[1] == {"a": 3, "b": 2}


def test_grid_points_apply_params_and_ids_are_stable():
    config = config_from_mapping({
        "dataset": "mnist-mini",
        "search": {"training.learning_rate": [0.1, 0.2], "model.hidden_layers": [[8], [16, 8]]},
    })
    points = grid_points(config)
    assert len(points) == 4
    assert [p.index for p in points] == [0, 1, 2, 3]
    assert points[0].params == {"model.hidden_layers": [8], "training.learning_rate": 0.1}
    assert points[3].spec.model.hidden_layers == (16, 8)
    assert points[3].spec.training.learning_rate == 0.2
    # settings outside the search keep the config's values
    assert all(p.spec.training.epochs == config["training.epochs"] for p in points)
    with pytest.raises(dataclasses.FrozenInstanceError):
        points[0].spec.training.epochs = 1  # type: ignore[misc]
    assert points[1].grid_point_id == f"001-{stable_id(points[1].params)}"
    assert [p.grid_point_id for p in grid_points(config)] == [p.grid_point_id for p in points]
    assert len({p.grid_point_id for p in points}) == 4
    # the base config is not changed by expanding it
    assert config["training.learning_rate"] == 0.05


def test_empty_search_is_one_point():
    points = grid_points(config_from_mapping({"dataset": "mnist-mini"}))
    assert len(points) == 1 and points[0].params == {}
