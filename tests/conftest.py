"""Shared fixtures: the real quick-start config shrunk by overrides, so tests run the true path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
QUICKSTART = REPOSITORY / "configs" / "quickstart.yaml"
MNIST_CONFIG = REPOSITORY / "configs" / "mnist_basic.yaml"

# The quick start, made tiny: 1,000 training images, 2 epochs, a 2-point grid of small networks.
TINY_OVERRIDES = [
    "dataset.train_subset=1000",
    "dataset.test_subset=200",
    "split.validation=200",
    "training.epochs=2",
    "search.model.hidden_layers=[[16]]",
    "search.training.learning_rate=[0.05, 0.1]",
]


@pytest.fixture
def tiny_overrides() -> list[str]:
    return list(TINY_OVERRIDES)


@pytest.fixture
def full_mnist_dir() -> Path:
    """The folder holding ``mnist/``; tests using it skip (with the reason) where it is absent."""
    data_dir = os.environ.get("MLPSEL_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "mnist").is_dir():
        pytest.skip("needs full MNIST: set MLPSEL_DATA_DIR to a folder holding mnist/ "
                    "(CI sets it to ../shared/data)")
    return Path(data_dir)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never read or write the user's ~/.cache or ./runs from a test."""
    cache = tmp_path_factory.getbasetemp() / "mlpsel-cache"
    monkeypatch.setenv("MLPSEL_CACHE_DIR", str(cache))
    monkeypatch.delenv("MLPSEL_RUNS_DIR", raising=False)
