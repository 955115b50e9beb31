"""Config loading, overrides, validation: each mistake is one ConfigError naming file/key/line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpsel.config import DEFAULTS, load_config, packaged_config_path
from mlpsel.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return path


def test_defaults_fill_every_missing_key(tmp_path):
    config = load_config(write(tmp_path, "name: tiny\ntraining:\n  epochs: 3\n"))
    assert config["training.epochs"] == 3
    assert config["training.batch_size"] == DEFAULTS["training"]["batch_size"]
    assert config["dataset.name"] == "mnist"
    assert config.search == {}


def test_dataset_shorthand_and_int_for_float(tmp_path):
    config = load_config(write(tmp_path, "dataset: mnist-mini\ntraining:\n  learning_rate: 1\n"))
    assert config["dataset.name"] == "mnist-mini"
    assert config["training.learning_rate"] == 1.0
    assert isinstance(config["training.learning_rate"], float)


def test_unknown_key_names_file_line_and_suggestion(tmp_path):
    path = write(tmp_path, "name: x\ntraining:\n  epochs: 3\n  learnng_rate: 0.1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and ":4:" in message
    assert "training.learnng_rate" in message
    assert "did you mean 'training.learning_rate'" in message
    assert "\n" not in message


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'training'"):
        load_config(write(tmp_path, "trainig:\n  epochs: 3\n"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("training:\n  learning_rate: -0.1\n", "training.learning_rate: must be a positive"),
        ("training:\n  learning_rate: 0\n", "training.learning_rate: must be a positive"),
        ("training:\n  epochs: 0\n", "training.epochs: must be at least 1"),
        ("training:\n  epochs: ten\n", "training.epochs: expected a whole number"),
        ("training:\n  epochs: 2.5\n", "training.epochs: expected a whole number"),
        ("training:\n  nesterov: 1\n", "training.nesterov: expected true or false"),
        ("split:\n  validation: 1.5\n", "split.validation: a fraction must be between 0 and 1"),
        ("split:\n  validation: 0\n", "split.validation: a count must be at least 1"),
        ("model:\n  activation: softplus\n", "valid: relu, leaky_relu, sigmoid, tanh"),
        ("model:\n  hidden_layers: [64, 0]\n", "layer widths must be at least 1"),
        ("model:\n  hidden_layers: big\n", "expected a list of layer widths"),
        ("model:\n  dropout: 1.0\n", "model.dropout"),
        ("training:\n  optimizer: rmsprop\n", "valid: sgd, momentum, adam"),
        ("selection:\n  metric: test_accuracy\n", "valid: validation_accuracy"),
        ("search:\n  training.learning_rate: []\n", "non-empty list"),
        ("search:\n  training.learning_rate: 0.1\n", "non-empty list"),
        ("search:\n  training.learning_rate: [0.1, -1]\n", "search.training.learning_rate"),
        ("search:\n  training.epoch: [1, 2]\n", "did you mean 'training.epochs'"),
        ("search:\n  model.hidden_layers: [[64], [x]]\n", "expected a list of layer widths"),
        ("- just\n- a list\n", "a config is a YAML mapping"),
        ("training: [1, 2\n", "not valid YAML"),
    ],
)
def test_impossible_values_are_one_line_errors(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_line_number_of_a_search_value(tmp_path):
    path = write(tmp_path, "name: x\nsearch:\n  training.learning_rate: [0.1, -1]\n")
    with pytest.raises(ConfigError, match=r":3: search\.training\.learning_rate"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


def test_unknown_dataset_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="dataset.name.*mnist-mini"):
        load_config(write(tmp_path, "dataset: mnst\n"))


def test_overrides_keep_types_and_set_grids(tmp_path):
    path = write(tmp_path, "training:\n  epochs: 3\n")
    config = load_config(path, [
        "training.lr=0.01",
        "training.epochs=7",
        "search.model.hidden_layers=[[32], [64, 32]]",
        "search.training.batch_size=[32, 64]",
        "dataset=mnist-mini",
    ])
    assert config["training.learning_rate"] == 0.01
    assert config["training.epochs"] == 7
    assert config.search["model.hidden_layers"] == [[32], [64, 32]]
    assert config.search["training.batch_size"] == [32, 64]
    assert config["dataset.name"] == "mnist-mini"


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("training.epochs", "not of the form key=value"),
        ("training.epocs=3", "did you mean 'training.epochs'"),
        ("training.epochs=three", "expected a whole number"),
        ("training.learning_rate=-1", "must be a positive"),
        ("search.training.learning_rate=[]", "non-empty list"),
    ],
)
def test_bad_overrides(tmp_path, override, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "name: x\n"), [override])
    assert fragment in str(info.value)
    assert "--set" in str(info.value)


def test_resolved_config_round_trips_through_yaml(tmp_path):
    config = load_config(packaged_config_path("quickstart"))
    again = load_config(write(tmp_path, config.to_yaml()))
    assert again.values == config.values


def test_shipped_quickstart_is_the_packaged_one():
    repository_copy = Path(__file__).parents[1] / "configs" / "quickstart.yaml"
    assert repository_copy.read_bytes() == packaged_config_path("quickstart").read_bytes()


@pytest.mark.parametrize("name", ["quickstart.yaml", "mnist.yaml", "mnist_basic.yaml"])
def test_example_configs_are_valid(name):
    config = load_config(Path(__file__).parents[1] / "configs" / name)
    assert len(config.search) >= 2


def test_default_config_prefers_local_mlpsel_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config().name == "quickstart"
    (tmp_path / "mlpsel.yaml").write_text("name: local\n")
    assert load_config().name == "local"
