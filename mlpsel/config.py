"""Experiment configs: the schema, YAML loading with line numbers, ``--set`` overrides, validation.

A config is a nested mapping with a fixed set of keys; every key has a default whose type an
override must keep (an ``int`` may stand where a ``float`` is expected). An unknown key is an error
with a "did you mean". The ``search`` section maps dotted keys to lists of values; their cartesian
product is the grid (see :mod:`mlpsel.search`).

Example::

    name: quickstart
    dataset: mnist-mini
    model:
      hidden_layers: [128]
    training:
      epochs: 8
      learning_rate: 0.1
    search:
      model.hidden_layers: [[64], [128]]
      training.learning_rate: [0.05, 0.2]

Every problem is raised as :class:`mlpsel.errors.ConfigError` naming the file, the key, the line
where YAML gives it, and what would be valid, before any work starts.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mlpsel.data import dataset_names
from mlpsel.data.synthetic import FUNCTIONS as SYNTHETIC_FUNCTIONS
from mlpsel.errors import ConfigError
from mlpsel.metrics import SCORES, VALIDATION_SCORES
from mlpsel.nn import HIDDEN_ACTIVATIONS, OPTIMIZERS, OUTPUTS

# The schema: every key with its default. The default's type is the key's type, except where
# ``SPECIAL_TYPES`` says otherwise.
DEFAULTS: dict[str, Any] = {
    "name": "experiment",
    "seed": 0,
    "dataset": {
        "name": "mnist",  # a registered dataset name; ignored when ``path`` is given
        "path": None,  # a folder holding the four IDX files
        "train_subset": None,  # use only this many official training images (stratified)
        "test_subset": None,  # use only this many official test images (stratified)
        # ``dataset: {synthetic: {...}}`` (or name: synthetic): y = f(x) + noise, see
        # mlpsel.data.synthetic
        "synthetic": {"function": "sine", "n_train": 1000, "n_test": 1000, "noise": 0.2,
                      "seed": 0},
    },
    "split": {
        "validation": 1 / 6,  # fraction (0 < v < 1) or a count of training images; MNIST: 10,000
        "stratify": True,
    },
    "cv": {
        "folds": 5,
        "repeats": 1,
        "stratify": True,
    },
    "curve": {
        # ``mlpsel curve``: training-set sizes, fractions (0 < f <= 1.0) of each fold's
        # training part or whole counts
        "train_sizes": [0.1, 0.25, 0.5, 1.0],
    },
    "biasvar": {
        # ``mlpsel biasvar``: rounds of independent training sets of train_size samples drawn
        # from the holdout train part (disjoint while the pool allows; with replacement when
        # bootstrap), every round predicting the validation part
        "rounds": 20,
        "train_size": 1000,
        "bootstrap": False,
    },
    "model": {
        "hidden_layers": [128],
        "activation": "relu",
        "output": "softmax",
        "dropout": 0.0,
    },
    "training": {
        "epochs": 10,
        "batch_size": 128,
        "optimizer": "momentum",
        "learning_rate": 0.05,
        "momentum": 0.9,
        "nesterov": False,
        "beta1": 0.9,
        "beta2": 0.999,
        "weight_decay": 0.0,
        "early_stopping_patience": 0,
    },
    "selection": {
        "metric": "validation_accuracy",
        # best: the best mean; one_se (k-fold): the simplest grid point within one standard
        # error of the best mean
        "rule": "best",
        # one_se's "simplest": fewest trainable parameters, or this setting's smallest value
        # ("-key": its largest), e.g. "-training.weight_decay"
        "simplest_by": None,
    },
    "search": {},
}

# Selection metrics and whether higher is better (scikit-learn's naming: *_loss lower is better).
SELECTION_METRICS = {f"validation_{name}": SCORES[name].higher_is_better
                     for name in VALIDATION_SCORES}
SELECTION_RULES = ("best", "one_se")
ALIASES = {"training.lr": "training.learning_rate", "model.hidden": "model.hidden_layers"}


EXECUTORS = ("local", "dask")
EXECUTOR_DEFAULTS: dict[str, Any] = {"name": "local", "address": None, "scheduler_file": None}


@dataclass(frozen=True)
class Config:
    """A validated, fully resolved config.

    Attributes
    ----------
    values : dict
        The nested mapping with every default filled in.
    source : str
        Where it came from (a file path, or ``"<packaged quickstart>"``).
    executor : dict
        Where the trials run (the ``executor:`` section): ``name`` (local or dask), ``address``,
        ``scheduler_file``. Not part of :attr:`values`: where trials run changes no result, so
        it is neither in ``config.yaml`` nor in what resume matches.
    """

    values: dict[str, Any]
    source: str = "<defaults>"
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    executor: dict[str, Any] = field(default_factory=lambda: dict(EXECUTOR_DEFAULTS),
                                     compare=False)

    def __getitem__(self, dotted_key: str) -> Any:
        return get_dotted(self.values, dotted_key)

    @property
    def name(self) -> str:
        return self.values["name"]

    @property
    def search(self) -> dict[str, list[Any]]:
        return self.values["search"]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.values, sort_keys=False, default_flow_style=None)


# ---------------------------------------------------------------------------------------------
# Dotted keys


def get_dotted(values: Mapping[str, Any], dotted_key: str) -> Any:
    node: Any = values
    for part in dotted_key.split("."):
        node = node[part]
    return node


def set_dotted(values: dict[str, Any], dotted_key: str, value: Any) -> None:
    parts = dotted_key.split(".")
    node = values
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def leaf_keys(defaults: Mapping[str, Any] = DEFAULTS, prefix: str = "") -> list[str]:
    """Every settable dotted key of the schema (``search`` excluded)."""
    keys = []
    for key, value in defaults.items():
        dotted = f"{prefix}{key}"
        if dotted == "search":
            continue
        if isinstance(value, dict) and dotted != "search":
            keys.extend(leaf_keys(value, dotted + "."))
        else:
            keys.append(dotted)
    return keys


SEARCHABLE_KEYS = tuple(k for k in leaf_keys()
                        if not k.startswith(("dataset.", "name", "cv.", "curve.", "biasvar.")))


def _did_you_mean(key: str, candidates: Iterable[str]) -> str:
    candidates = list(candidates)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    if not close:
        last = key.rsplit(".", 1)[-1]
        close = [c for c in candidates if c.rsplit(".", 1)[-1] == last]
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid keys: " + ", ".join(candidates)


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


def _line_map(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Map each dotted key in a composed YAML mapping to its 1-based line."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            lines[dotted] = key_node.start_mark.line + 1
            lines.update(_line_map(value_node, dotted + "."))
    return lines


def _read_yaml(text: str, file: str) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"not valid YAML: {problem}", file=file, line=line) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"a config is a YAML mapping of settings, not a {type(data).__name__}", file=file
        )
    return data, _line_map(node) if node is not None else {}


# ---------------------------------------------------------------------------------------------
# Loading


def packaged_config_path(name: str = "quickstart") -> Path:
    """Path of a config shipped inside the package (``mlpsel/configs/<name>.yaml``)."""
    return Path(str(resources.files("mlpsel") / "configs" / f"{name}.yaml"))


def default_config_path(working_directory: Path | None = None) -> Path:
    """``mlpsel.yaml`` in the working directory if present, else the packaged quick start."""
    local = (working_directory or Path.cwd()) / "mlpsel.yaml"
    return local if local.is_file() else packaged_config_path("quickstart")


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> Config:
    """Read, merge with defaults, apply ``--set`` overrides, and validate a config.

    Parameters
    ----------
    path : str or Path, optional
        The YAML file; ``None`` means :func:`default_config_path`.
    overrides : iterable of str
        ``"dotted.key=value"`` strings, values parsed as YAML
        (``search.training.learning_rate=[0.1, 0.2]``).

    Raises
    ------
    ConfigError
        On any unknown key, wrong type or impossible value.
    """
    path = Path(path) if path is not None else default_config_path()
    file = str(path)
    if not path.is_file():
        raise ConfigError("no such config file; give the path of a YAML config", file=file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the file: {error}", file=file) from None
    data, lines = _read_yaml(text, file)
    return config_from_mapping(data, overrides=overrides, file=file, lines=lines)


def config_from_mapping(
    data: Mapping[str, Any],
    *,
    overrides: Iterable[str] = (),
    file: str = "<mapping>",
    lines: Mapping[str, int] | None = None,
) -> Config:
    """Build a validated :class:`Config` from a plain mapping (as YAML gives it)."""
    lines = dict(lines or {})
    values = copy.deepcopy(DEFAULTS)
    data = dict(data)
    if isinstance(data.get("dataset"), str):
        data["dataset"] = {"name": data["dataset"]}
    if isinstance(data.get("dataset"), dict) and "synthetic" in data["dataset"] \
            and "name" not in data["dataset"]:
        data["dataset"] = {**data["dataset"], "name": "synthetic"}
    executor = _executor_settings(data.pop("executor", None), file=file, lines=lines)
    _merge(values, data, DEFAULTS, prefix="", file=file, lines=lines)
    overridden = {_apply_override(values, override) for override in overrides}
    _validate(values, file=file, lines=lines, overridden=overridden)
    return Config(values=values, source=file, lines=lines, executor=executor)


def _executor_settings(value: Any, *, file: str, lines: Mapping[str, int]) -> dict[str, Any]:
    """The ``executor:`` section: ``local``, ``dask``, or a mapping of name, address and
    scheduler_file."""
    settings = dict(EXECUTOR_DEFAULTS)
    if value is None:
        return settings
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise ConfigError("expected local, dask, or a mapping with keys name, address, "
                          "scheduler_file", file=file, key="executor", line=lines.get("executor"))
    for key, item in value.items():
        dotted = f"executor.{key}"
        if key not in settings:
            hint = _did_you_mean(dotted, [f"executor.{name}" for name in settings])
            raise ConfigError(f"unknown key; {hint}", file=file, key=dotted,
                              line=lines.get(dotted))
        if item is not None and not isinstance(item, str):
            raise ConfigError(f"expected text, got {item!r}", file=file, key=dotted,
                              line=lines.get(dotted))
        settings[key] = item
    if settings["name"] not in EXECUTORS:
        raise ConfigError(f"unknown executor '{settings['name']}'; valid: {', '.join(EXECUTORS)}",
                          file=file, key="executor.name", line=lines.get("executor.name"))
    return settings


def _merge(values: dict, data: Mapping, defaults: Mapping, *, prefix: str, file: str,
           lines: Mapping[str, int]) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        line = lines.get(dotted)
        if not isinstance(key, str):
            raise ConfigError(f"keys are names, not {key!r}", file=file, key=dotted, line=line)
        dotted = ALIASES.get(dotted, dotted)
        key = dotted.rsplit(".", 1)[-1]
        if key not in defaults:
            candidates = [f"{prefix}{k}" for k in defaults]
            raise ConfigError(
                f"unknown key; {_did_you_mean(dotted, candidates)}", file=file, key=dotted,
                line=line,
            )
        default = defaults[key]
        if dotted == "search":
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise ConfigError(
                    "search is a mapping of dotted keys to lists of values, e.g. "
                    "'training.learning_rate: [0.05, 0.1]'", file=file, key=dotted, line=line,
                )
            values["search"] = _check_search(value, file=file, lines=lines)
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a mapping with keys {', '.join(default)}", file=file, key=dotted,
                    line=line,
                )
            _merge(values[key], value, default, prefix=dotted + ".", file=file, lines=lines)
        else:
            values[key] = _check_type(dotted, value, file=file, line=line)


def _check_search(search: Mapping, *, file: str, lines: Mapping[str, int]) -> dict[str, list]:
    checked: dict[str, list] = {}
    for key, candidates in search.items():
        line = lines.get(f"search.{key}")
        key = ALIASES.get(str(key), str(key))
        if key not in SEARCHABLE_KEYS:
            raise ConfigError(
                f"not a searchable setting; {_did_you_mean(key, SEARCHABLE_KEYS)}", file=file,
                key=f"search.{key}", line=line,
            )
        if not isinstance(candidates, list) or not candidates:
            raise ConfigError(
                "a search entry is a non-empty list of values, e.g. [0.05, 0.1]", file=file,
                key=f"search.{key}", line=line,
            )
        checked[key] = [
            _check_type(key, candidate, file=file, line=line, shown_key=f"search.{key}")
            for candidate in candidates
        ]
    return checked


def _check_type(dotted: str, value: Any, *, file: str, line: int | None,
                shown_key: str | None = None) -> Any:
    """Check ``value`` against the type of the default of ``dotted``; return it normalised."""
    shown_key = shown_key or dotted
    default = get_dotted(DEFAULTS, dotted)

    def fail(expected: str) -> ConfigError:
        return ConfigError(f"expected {expected}, got {value!r}", file=file, key=shown_key,
                           line=line)

    if dotted == "model.hidden_layers":
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise fail("a list of layer widths such as [256, 128]")
        return list(value)
    if dotted == "curve.train_sizes":
        if not isinstance(value, list) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        ):
            raise fail("a list of fractions such as [0.1, 0.5, 1.0] or of counts such as "
                       "[1000, 5000]")
        return list(value)
    if dotted == "selection.simplest_by":
        if value is not None and not isinstance(value, str):
            raise fail("a setting such as model.hidden_layers, or -training.weight_decay")
        return value
    if dotted in ("dataset.path",):
        if value is not None and not isinstance(value, str):
            raise fail("a folder path (text)")
        return value
    if dotted in ("dataset.train_subset", "dataset.test_subset"):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail("a whole number of images, or null for all")
        return value
    if dotted == "split.validation":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a fraction between 0 and 1 or a count of images")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise fail("text")
        return value
    return value  # pragma: no cover - every schema type is handled above


def _apply_override(values: dict[str, Any], override: str) -> str:
    """Apply one ``key=value`` override; return the dotted key it set (``search.<key>``: grids)."""
    file = "--set"
    if "=" not in override:
        raise ConfigError(
            f"'{override}' is not of the form key=value, e.g. training.learning_rate=0.01",
            file=file,
        )
    dotted, raw = override.split("=", 1)
    dotted = ALIASES.get(dotted.strip(), dotted.strip())
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"cannot read the value {raw!r}", file=file, key=dotted) from None
    if dotted.startswith("search."):
        search_key = ALIASES.get(dotted[len("search."):], dotted[len("search."):])
        if not isinstance(value, list):
            value = [value]
        values["search"].update(_check_search({search_key: value}, file=file, lines={}))
        return f"search.{search_key}"
    if dotted == "dataset" and isinstance(value, str):
        dotted = "dataset.name"
    if dotted not in leaf_keys():
        raise ConfigError(f"unknown key; {_did_you_mean(dotted, leaf_keys())}", file=file,
                          key=dotted)
    set_dotted(values, dotted, _check_type(dotted, value, file=file, line=None))
    return dotted


# ---------------------------------------------------------------------------------------------
# Value checks


def _validate(values: dict[str, Any], *, file: str, lines: Mapping[str, int],
              overridden: set[str] = frozenset()) -> None:
    """Check values that have the right type but are impossible."""

    def fail(dotted: str, message: str, in_search: bool = False) -> ConfigError:
        shown = f"search.{dotted}" if in_search else dotted
        if shown in overridden:
            return ConfigError(message, file="--set", key=shown)
        line = lines.get(shown) or lines.get(shown.rsplit(".", 1)[0])
        return ConfigError(message, file=file, key=shown, line=line)

    def check(dotted: str, value: Any, in_search: bool = False) -> None:
        problem = value_problem(dotted, value)
        if problem:
            raise fail(dotted, problem, in_search)

    for dotted in leaf_keys():
        check(dotted, get_dotted(values, dotted))
    dataset = values["dataset"]
    if dataset["name"] == "synthetic":
        if values["model"]["output"] != "identity" or "model.output" in values["search"]:
            raise fail("model.output", "synthetic data is regression: use output: identity "
                       "(squared error)")
        if values["selection"]["metric"] != "validation_loss":
            raise fail("selection.metric", "synthetic data is regression: choose on "
                       "validation_loss (squared error)")
    if dataset["path"] is None and dataset["name"] not in [*dataset_names(), "synthetic"]:
        close = difflib.get_close_matches(dataset["name"], dataset_names(), n=1)
        suggestion = f"did you mean '{close[0]}'? " if close else ""
        raise fail("dataset.name", f"unknown dataset '{dataset['name']}'; {suggestion}"
                   f"valid: {', '.join(dataset_names())}, or dataset.path: <folder>")
    if dataset["path"] is not None and not Path(dataset["path"]).expanduser().is_dir():
        raise fail("dataset.path", f"no such folder '{dataset['path']}'; give a folder holding "
                   "the four IDX files (train-images-idx3-ubyte[.gz], ...)")
    for dotted, candidates in values["search"].items():
        for candidate in candidates:
            check(dotted, candidate, in_search=True)


def value_problem(dotted: str, value: Any) -> str | None:
    """Why ``value`` is impossible for ``dotted``, or ``None`` when it is fine."""
    positive_ints = {"training.epochs", "training.batch_size", "cv.folds", "cv.repeats",
                     "biasvar.train_size"}
    if dotted in positive_ints and value < 1:
        return f"must be at least 1, got {value}"
    if dotted == "cv.folds" and value < 2:
        return f"k-fold needs at least 2 folds, got {value}"
    if dotted == "selection.rule" and value not in SELECTION_RULES:
        return f"unknown rule '{value}'; valid: {', '.join(SELECTION_RULES)}"
    if dotted == "selection.simplest_by" and value is not None and \
            value.removeprefix("-") not in SEARCHABLE_KEYS:
        hint = _did_you_mean(value.removeprefix("-"), SEARCHABLE_KEYS)
        return f"'{value}' is not a setting; {hint}"
    if dotted == "biasvar.rounds" and value < 2:
        return f"bias and variance need at least 2 rounds, got {value}"
    if dotted == "curve.train_sizes":
        bad = [v for v in value if (isinstance(v, float) and not 0 < v <= 1)
               or (isinstance(v, int) and v < 1)]
        if bad:
            return (f"sizes are fractions 0 < f <= 1.0 or counts of at least 1, got "
                    f"{', '.join(map(str, bad))}")
    if dotted == "training.learning_rate" and not (value > 0 and math.isfinite(value)):
        return f"must be a positive number such as 0.05, got {value}"
    if dotted in ("training.momentum", "training.beta1", "training.beta2") and not 0 <= value < 1:
        return f"must be in [0, 1), got {value}"
    if dotted == "training.weight_decay" and not value >= 0:
        return f"must be zero or positive, got {value}"
    if dotted == "training.early_stopping_patience" and value < 0:
        return f"must be 0 (off) or a number of epochs, got {value}"
    if dotted == "model.dropout" and not 0 <= value < 1:
        return f"is the probability of dropping a hidden unit, in [0, 1), got {value}"
    if dotted == "model.hidden_layers" and any(width < 1 for width in value):
        return f"layer widths must be at least 1, got {value}"
    if dotted == "model.activation" and value not in HIDDEN_ACTIVATIONS:
        return f"unknown activation '{value}'; valid: {', '.join(HIDDEN_ACTIVATIONS)}"
    if dotted == "model.output" and value not in OUTPUTS:
        return f"unknown output '{value}'; valid: softmax (cross-entropy), identity (squared error)"
    if dotted == "training.optimizer" and value not in OPTIMIZERS:
        return f"unknown optimizer '{value}'; valid: {', '.join(OPTIMIZERS)}"
    if dotted == "selection.metric" and value not in SELECTION_METRICS:
        return f"unknown metric '{value}'; valid: {', '.join(SELECTION_METRICS)}"
    if dotted == "split.validation":
        if isinstance(value, float) and not 0 < value < 1:
            return f"a fraction must be between 0 and 1 (exclusive), got {value}"
        if isinstance(value, int) and value < 1:
            return f"a count must be at least 1, got {value}"
    if dotted in ("dataset.synthetic.n_train", "dataset.synthetic.n_test") and value < 2:
        return f"must be at least 2 samples, got {value}"
    if dotted == "dataset.synthetic.noise" and not value >= 0:
        return f"is the noise's standard deviation, zero or positive, got {value}"
    if dotted == "dataset.synthetic.function" and value not in SYNTHETIC_FUNCTIONS:
        return f"unknown function '{value}'; valid: {', '.join(SYNTHETIC_FUNCTIONS)}"
    if dotted in ("dataset.train_subset", "dataset.test_subset") and value is not None and (
        value < 10
    ):
        return f"must be at least 10 images (or null for all), got {value}"
    if dotted == "name" and (not value or "/" in value or value.startswith(".")):
        return f"must be a short name without '/', got {value!r}"
    return None


# ---------------------------------------------------------------------------------------------
# Smoke runs

SMOKE_TRAIN_IMAGES = 1000
SMOKE_TEST_IMAGES = 500


SMOKE_BIASVAR_ROUNDS = 3
SMOKE_BIASVAR_TRAIN_SIZE = 200


def smoke_config(config: Config) -> Config:
    """The same config cut down to a smoke run: the whole pipeline in seconds.

    1,000 training images (a stratified sample), 500 test images, 1 epoch, 2 folds, 3 bias–variance
    rounds of at most 200 images, and at most 2 grid points: the first value of every searched
    setting, except the first setting that varies, which keeps its first two values.
    """
    values = copy.deepcopy(config.values)
    dataset = values["dataset"]
    dataset["train_subset"] = min(dataset["train_subset"] or SMOKE_TRAIN_IMAGES, SMOKE_TRAIN_IMAGES)
    dataset["test_subset"] = min(dataset["test_subset"] or SMOKE_TEST_IMAGES, SMOKE_TEST_IMAGES)
    validation = values["split"]["validation"]
    if isinstance(validation, int) and validation >= SMOKE_TRAIN_IMAGES // 2:
        values["split"]["validation"] = 0.2
    values["training"]["epochs"] = 1
    values["cv"]["folds"], values["cv"]["repeats"] = 2, 1
    values["biasvar"]["rounds"] = min(values["biasvar"]["rounds"], SMOKE_BIASVAR_ROUNDS)
    values["biasvar"]["train_size"] = min(values["biasvar"]["train_size"],
                                          SMOKE_BIASVAR_TRAIN_SIZE)
    kept_two = False
    for key in sorted(values["search"]):
        candidates = values["search"][key]
        if len(candidates) > 1 and not kept_two:
            values["search"][key] = candidates[:2]
            kept_two = True
        else:
            values["search"][key] = candidates[:1]
    values["name"] = f"{values['name']}-smoke"
    return Config(values=values, source=config.source, lines=config.lines,
                  executor=dict(config.executor))
