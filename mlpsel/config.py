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
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mlpsel.data import dataset_names
from mlpsel.data.synthetic import FUNCTIONS as SYNTHETIC_FUNCTIONS
from mlpsel.data.tabular import is_table_path
from mlpsel.errors import ConfigError
from mlpsel.metrics import SCORES, VALIDATION_SCORES
from mlpsel.nn import HIDDEN_ACTIVATIONS, OPTIMIZERS, OUTPUTS, SCHEDULES

# The schema: every key with its default. The default's type is the key's type, except where
# ``SPECIAL_TYPES`` says otherwise.
DEFAULTS: dict[str, Any] = {
    "name": "experiment",
    "seed": 0,
    "dataset": {
        "name": "mnist",  # a registered dataset name; ignored when ``path`` is given
        "path": None,  # a folder holding the four IDX files, or a .csv/.parquet/.npz table
        "label": None,  # a table's label column
        "features": None,  # a table's feature columns; null: every other column
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
        # a table (which has no test part of its own): the fraction of its rows held out as the
        # test set (stratified, seeded)
        "test": 0.2,
        # a table: train, validation and test as fractions of all its rows (summing to 1; set
        # train to use them), or a preset: small = 60/20/20, large = 98/1/1
        "train": None,
        "preset": None,
    },
    "cv": {
        "folds": 5,
        "repeats": 1,
        "stratify": True,
        # nested CV (``mlpsel cv --outer-folds K``): K >= 2 outer folds around the inner
        # k-fold; 0 is off
        "outer_folds": 0,
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
    "task": {
        # a binary task: this class (its name, e.g. 5 or "cat") against all the others, with one
        # sigmoid output unit and binary cross-entropy
        "one_vs_rest": None,
    },
    "threshold": {
        # a binary task's decision threshold (positive when ŷ ≥ t): fixed, or chosen on the
        # validation part: choose: max_f1 | {recall: 0.95} (the highest t reaching it) |
        # {precision: 0.99} (the lowest t reaching it); then applied once to the test set
        "choose": None,
        "fixed": 0.5,
    },
    "preprocess": {
        # the inputs' scaling, fitted on each training part only: standard (mean 0, std 1 per
        # feature), minmax ([0, 1] per feature), none (images: /255), or auto (standard for a
        # table of your own, none for images)
        "scale": "auto",
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
        # learning-rate schedule per epoch: constant | step (× step_gamma every step_epochs) |
        # cosine (towards 0 over training.epochs), after warmup_epochs of linear warm-up
        "schedule": "constant",
        "warmup_epochs": 0,
        "step_epochs": 10,
        "step_gamma": 0.1,
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
    "keep": {
        # the model.npz of each holdout trial (k-fold trials keep none; the refit is the model):
        # all (any trial can be loaded again; about 4 bytes per weight each) | chosen (the
        # others are deleted once the choice is made; best/model.npz is always written)
        "trial_models": "all",
    },
    "search": {},
}

# Selection metrics and whether higher is better (scikit-learn's naming: *_loss lower is better).
SELECTION_METRICS = {f"validation_{name}": SCORES[name].higher_is_better
                     for name in VALIDATION_SCORES}
SELECTION_RULES = ("best", "one_se")
TRIAL_MODELS = ("all", "chosen")
SCALINGS = ("auto", "standard", "minmax", "none")
SPLIT_PRESETS = {"small": (0.6, 0.2, 0.2), "large": (0.98, 0.01, 0.01)}
"""The course's three-way splits (train, validation, test): small data 60/20/20, large 98/1/1."""

# ``search: {strategy: ..., space: {...}, ...}``: how the space is searched. A plain mapping of
# dotted keys to lists is the grid.
SEARCH_STRATEGIES = ("grid", "random", "halving")
SEARCH_SETTINGS: dict[str, Any] = {"strategy": "grid", "trials": None, "seed": None,
                                   "factor": 3, "min_epochs": 1}
# which settings each strategy keeps in the resolved config
STRATEGY_SETTINGS = {"grid": (), "random": ("trials", "seed"),
                     "halving": ("factor", "min_epochs", "trials", "seed")}
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "int", "intloguniform")
"""A space entry is a list (every value, or a uniform choice in random search) or one of
``{choice: [...]}``, ``{uniform: [low, high]}``, ``{loguniform: [low, high]}`` (floats),
``{int: [low, high]}``, ``{intloguniform: [low, high]}`` (whole numbers, both ends included)."""
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
    smoke : bool
        Cut down by :func:`smoke_config`: its subset sizes are caps, not requests (a dataset
        smaller than a smoke run's 1,000 images is used whole).
    """

    values: dict[str, Any]
    source: str = "<defaults>"
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    executor: dict[str, Any] = field(default_factory=lambda: dict(EXECUTOR_DEFAULTS),
                                     compare=False)
    smoke: bool = field(default=False, compare=False)
    overridden: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __getitem__(self, dotted_key: str) -> Any:
        return get_dotted(self.values, dotted_key)

    def error(self, key: str, message: str) -> ConfigError:
        """A ConfigError about ``key``, naming where its value came from (``--set``, or the
        file and line)."""
        if key in self.overridden:
            return ConfigError(message, file="--set", key=key)
        return ConfigError(message, file=self.source, key=key, line=self.lines.get(key))

    @property
    def name(self) -> str:
        return self.values["name"]

    @property
    def search(self) -> dict[str, Any]:
        """The search space: dotted key → a list of values, or a distribution (random
        search)."""
        return search_space(self.values)

    @property
    def search_settings(self) -> dict[str, Any]:
        """How the space is searched: ``strategy`` (grid, random, halving), ``trials``,
        ``seed`` (random; ``None``: the config's seed), ``factor``, ``min_epochs``
        (halving)."""
        return search_settings(self.values)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.values, sort_keys=False, default_flow_style=None)


# ---------------------------------------------------------------------------------------------
# The search section


def is_structured_search(search: Mapping[str, Any]) -> bool:
    """True for ``{strategy: ..., space: {...}}``; False for a plain grid of dotted keys."""
    return any(isinstance(key, str) and "." not in key for key in search)


def input_scaling(values: Mapping[str, Any]) -> str:
    """``preprocess.scale`` resolved: ``auto`` is ``standard`` for a table of the user's own,
    ``none`` for images (and synthetic data)."""
    scale = values["preprocess"]["scale"]
    if scale != "auto":
        return scale
    path = values["dataset"]["path"]
    return "standard" if path is not None and is_table_path(path) else "none"


def search_space(values: Mapping[str, Any]) -> dict[str, Any]:
    """The space of a resolved config's ``search`` section (either form)."""
    search = values.get("search") or {}
    return dict(search.get("space") or {}) if is_structured_search(search) else dict(search)


def search_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy and its settings of a resolved config's ``search`` section."""
    search = values.get("search") or {}
    settings = dict(SEARCH_SETTINGS)
    if is_structured_search(search):
        settings.update({key: value for key, value in search.items() if key != "space"})
    return settings


def flatten_search(search: Mapping[str, Any]) -> dict[str, Any]:
    """A ``search`` section as dotted keys: ``search.<key>`` → its list of a grid, or
    ``search.strategy``, ``search.trials``... and ``search.space.<key>`` of the long form."""
    if not is_structured_search(search):
        return {f"search.{key}": value for key, value in search.items()}
    flat = {f"search.{key}": value for key, value in search.items() if key != "space"}
    flat.update({f"search.space.{key}": value
                 for key, value in (search.get("space") or {}).items()})
    return flat


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
                        if not k.startswith(("dataset.", "name", "cv.", "curve.", "biasvar.",
                                             "task.", "threshold.", "split.", "keep.")))


def _did_you_mean(key: str, candidates: Iterable[str]) -> str:
    candidates = list(candidates)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    if not close:
        last = key.rsplit(".", 1)[-1]
        close = [c for c in candidates if c.rsplit(".", 1)[-1] == last]
    if close:
        return f"did you mean '{close[0]}'?"
    section = key.split(".", 1)[0]
    same = [c for c in candidates if c.split(".", 1)[0] == section and "." in c]
    if same:
        shown = ", ".join(same[:16]) + (", …" if len(same) > 16 else "")
        return f"valid keys of {section}: {shown}"
    sections = list(dict.fromkeys([*(c.split(".", 1)[0] for c in candidates), "search"]))
    return f"valid: {', '.join(sections)} (a key inside a section is written section.key)"


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


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading every number a person writes as one: YAML 1.1 (PyYAML's)
    takes ``1e-3`` and ``1e308`` for text; YAML 1.2 and this loader read them as floats. A
    quoted ``'0.1'`` stays text."""


ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
                  |[-+]?\.[0-9_]+[eE][-+]?[0-9]+)$""", re.X),
    list("-+0123456789."))


def parse_yaml(text: str, file: str = "--set") -> Any:
    """A YAML document read with :class:`ConfigLoader` (safe: plain data only), refused as
    :func:`_check_nodes` refuses a config file's."""
    node = yaml.compose(text, Loader=ConfigLoader)
    if node is None:
        return None
    _check_nodes(node, file)
    return ConfigLoader("").construct_document(node)


MAX_CONFIG_NODES = 100_000
"""A config's YAML may hold at most this many values once its aliases are expanded: a few
anchors that refer to each other can otherwise stand for billions (and take that long)."""


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Refuse a mapping that gives one key twice (naming both lines) and a document whose
    aliases expand beyond :data:`MAX_CONFIG_NODES` values; each node is visited once."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:  # an alias: the same node again, counted again but not re-read
            return sizes[id(node)]
        sizes[id(node)] = 1  # (a node that contains itself counts once)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError(f"'{str(key)[:80]}' is given twice (lines {seen[key]} and "
                                      f"{line}); keep one", file=file, line=line)
                seen[key] = line
                total += size(key_node) + size(value_node)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > MAX_CONFIG_NODES:
            raise ConfigError(f"the document stands for more than {MAX_CONFIG_NODES:,} values "
                              "once its aliases are expanded; a config is a few dozen settings",
                              file=file, line=node.start_mark.line + 1)
        sizes[id(node)] = total
        return total

    size(root)


def _read_yaml(text: str, file: str) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(text, Loader=ConfigLoader)
        if node is not None:
            _check_nodes(node, file)
        data = ConfigLoader("").construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"not valid YAML: {problem}", file=file, line=line) from None
    except RecursionError:
        raise ConfigError("the document is nested too deeply to be a config", file=file) from None
    if data is None:
        raise ConfigError("the config is empty; write {} to use every default", file=file)
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
    if path.is_dir():
        raise ConfigError("is a folder, not a config file; give the path of a YAML config",
                          file=file)
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
    _apply_split_preset(values, data, overridden, file=file, lines=lines)
    if values["task"]["one_vs_rest"] is not None and values["model"]["output"] == "softmax":
        values["model"]["output"] = "sigmoid"  # one output unit: this class against the rest
    if any(key.startswith("search.") for key in overridden):
        values["search"] = _check_search_section(values["search"], file="--set", lines={})
        if is_structured_search(values["search"]):
            overridden |= {f"search.space.{key.removeprefix('search.')}" for key in overridden}
    _validate(values, file=file, lines=lines, overridden=overridden)
    for key in sorted(overridden):
        if key in search_space(values) and not key.startswith("search."):
            raise ConfigError(f"the search varies {key}, so this value would be used by no "
                              f"trial; to replace the grid's values, --set "
                              f"'search.{key}=[{values_of(overrides, key)[:40]}]'",
                              file="--set", key=key)
    return Config(values=values, source=file, lines=lines, executor=executor,
                  overridden=frozenset(overridden))


def values_of(overrides: Iterable[str], key: str) -> str:
    """The text the last ``key=...`` override gives (for a message)."""
    texts = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].strip() == key]
    return texts[-1].strip() if texts else ""


def _apply_split_preset(values: dict[str, Any], data: Mapping[str, Any], overridden: set[str],
                        *, file: str, lines: Mapping[str, int]) -> None:
    """``split.preset`` written out as the three fractions it stands for (so that config.yaml
    says them); refused beside fractions given by hand."""
    preset = values["split"]["preset"]
    if preset is None:
        return
    given = set((data.get("split") or {}) if isinstance(data.get("split"), dict) else {})
    given |= {key.removeprefix("split.") for key in overridden if key.startswith("split.")}
    clash = sorted(given & {"train", "validation", "test"})
    if clash:
        raise ConfigError(f"split.preset {preset} sets train, validation and test itself; "
                          f"drop split.{clash[0]} (or the preset)", file=file, key="split.preset",
                          line=lines.get("split.preset"))
    split = values["split"]
    split["train"], split["validation"], split["test"] = SPLIT_PRESETS[preset]


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
            raise ConfigError(f"expected text, got {_shown(item)}", file=file, key=dotted,
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
                    "'training.learning_rate: [0.05, 0.1]', or {strategy: random, trials: 20, "
                    "space: {...}}", file=file, key=dotted, line=line,
                )
            values["search"] = _check_search_section(value, file=file, lines=lines)
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"expected a mapping with keys {', '.join(default)}", file=file, key=dotted,
                    line=line,
                )
            _merge(values[key], value, default, prefix=dotted + ".", file=file, lines=lines)
        else:
            values[key] = _check_type(dotted, value, file=file, line=line)


def _check_search_section(section: Mapping, *, file: str,
                          lines: Mapping[str, int]) -> dict[str, Any]:
    """The ``search`` section resolved: a grid as the plain mapping of its lists; random search
    and halving as ``{strategy, <its settings>, space}``."""
    if not is_structured_search(section):
        return _check_search(section, file=file, lines=lines, prefix="search",
                             distributions=False)
    settings = dict(SEARCH_SETTINGS)
    for key, value in section.items():
        dotted = f"search.{key}"
        line = lines.get(dotted)
        if key == "space":
            continue
        if not isinstance(key, str) or key not in SEARCH_SETTINGS:
            if isinstance(key, str) and "." in key:
                message = (f"with search.strategy, the settings to search go under search.space "
                           f"(search.space.{key})")
            else:
                message = ("unknown search setting; valid: space, "
                           + ", ".join(SEARCH_SETTINGS))
            raise ConfigError(message, file=file, key=dotted, line=line)
        settings[key] = _check_search_setting(key, value, file=file, line=line)
    space = section.get("space")
    if space is None:
        space = {}
    if not isinstance(space, dict):
        raise ConfigError("expected a mapping of dotted keys to lists or distributions, e.g. "
                          "'training.learning_rate: {loguniform: [0.01, 0.3]}'", file=file,
                          key="search.space", line=lines.get("search.space"))
    strategy = settings["strategy"]
    space = _check_search(space, file=file, lines=lines, prefix="search.space",
                          distributions=strategy != "grid")
    if strategy == "grid":
        return space
    if strategy == "random" and settings["trials"] is None:
        raise ConfigError("random search needs the number of trials, e.g. trials: 20", file=file,
                          key="search.trials", line=lines.get("search.strategy"))
    if strategy == "halving" and settings["trials"] is None and any(
            isinstance(candidates, dict) for candidates in space.values()):
        raise ConfigError("halving over distributions needs trials: N (the candidates to "
                          "sample), or lists only (the whole grid)", file=file,
                          key="search.trials", line=lines.get("search.strategy"))
    return {"strategy": strategy,
            **{key: settings[key] for key in STRATEGY_SETTINGS[strategy]}, "space": space}


def _check_search_setting(key: str, value: Any, *, file: str, line: int | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"expected {expected}, got {_shown(value)}", file=file,
                           key=f"search.{key}", line=line)

    whole = isinstance(value, int) and not isinstance(value, bool)
    if key == "strategy":
        if value not in SEARCH_STRATEGIES:
            raise fail(f"one of {', '.join(SEARCH_STRATEGIES)}")
        return value
    if key == "seed":
        if value is not None and not whole:
            raise fail("a whole number (or null: the config's seed)")
        return value
    if key == "trials" and value is None:
        return value
    minimum = {"trials": 1, "factor": 2, "min_epochs": 1}[key]
    if not whole or value < minimum:
        raise fail(f"a whole number of at least {minimum}")
    return value


def _shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _check_search(search: Mapping, *, file: str, lines: Mapping[str, int], prefix: str,
                  distributions: bool) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, candidates in search.items():
        line = lines.get(f"{prefix}.{key}")
        key = ALIASES.get(str(key), str(key))
        shown_key = f"{prefix}.{key}"
        if key not in SEARCHABLE_KEYS:
            raise ConfigError(
                f"not a searchable setting; {_did_you_mean(key, SEARCHABLE_KEYS)}", file=file,
                key=shown_key, line=line,
            )
        if isinstance(candidates, dict):
            if not distributions:
                raise ConfigError(
                    "a grid takes a list of values; a distribution such as "
                    f"{_shown(candidates)} needs search.strategy: random (or halving with "
                    "trials)", file=file, key=shown_key, line=line)
            distribution = _check_distribution(key, candidates, file=file, line=line,
                                               shown_key=shown_key)
            if "choice" not in distribution:
                checked[key] = distribution
                continue
            candidates = distribution["choice"]
        if not isinstance(candidates, list) or not candidates:
            raise ConfigError(
                "a search entry is a non-empty list of values, e.g. [0.05, 0.1]"
                + (", or a distribution such as {loguniform: [0.01, 0.3]}" if distributions
                   else ""), file=file, key=shown_key, line=line,
            )
        checked[key] = [
            _check_type(key, candidate, file=file, line=line, shown_key=shown_key)
            for candidate in candidates
        ]
    return checked


def _check_distribution(key: str, spec: Mapping[Any, Any], *, file: str, line: int | None,
                        shown_key: str) -> dict[str, Any]:
    """``{name: arguments}`` checked: a known distribution, of a type the setting takes, with
    bounds ``[low, high]`` in order (a log range above zero)."""
    def fail(message: str) -> ConfigError:
        return ConfigError(message, file=file, key=shown_key, line=line)

    if len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
        raise fail(f"a distribution is one of {', '.join(DISTRIBUTIONS)} with its arguments, "
                   f"e.g. {{loguniform: [0.01, 0.3]}}; got {_shown(spec)}")
    name, arguments = next(iter(spec.items()))
    if name == "choice":
        return {"choice": arguments}
    default = get_dotted(DEFAULTS, key)
    takes_floats = isinstance(default, float)
    takes_ints = key == "model.hidden_layers" or (isinstance(default, int)
                                                  and not isinstance(default, bool))
    if name in ("uniform", "loguniform") and not takes_floats:
        raise fail(f"{name} draws real numbers; {key} takes "
                   + ("whole numbers: use int or intloguniform" if takes_ints
                      else "values from a list: use choice"))
    if name in ("int", "intloguniform") and not takes_ints:
        raise fail(f"{name} draws whole numbers; {key} takes "
                   + ("real numbers: use uniform or loguniform" if takes_floats
                      else "values from a list: use choice"))
    kind = int if name.startswith("int") else (int, float)
    if (not isinstance(arguments, list) or len(arguments) != 2
            or not all(isinstance(v, kind) and not isinstance(v, bool) for v in arguments)):
        raise fail(f"{name} takes [low, high], two {'whole ' if kind is int else ''}numbers; "
                   f"got {_shown(arguments)}")
    low, high = arguments
    if name.startswith("int") and not low <= high or not name.startswith("int") and \
            not low < high:
        raise fail(f"{name} needs low {'<=' if name.startswith('int') else '<'} high; "
                   f"got [{low}, {high}]")
    if name in ("loguniform", "intloguniform") and not low > 0:
        raise fail(f"a log range needs 0 < low; got [{low}, {high}]")
    return {name: [float(low), float(high)] if takes_floats else [int(low), int(high)]}


def _check_type(dotted: str, value: Any, *, file: str, line: int | None,
                shown_key: str | None = None) -> Any:
    """Check ``value`` against the type of the default of ``dotted``; return it normalised."""
    shown_key = shown_key or dotted
    default = get_dotted(DEFAULTS, dotted)

    def fail(expected: str) -> ConfigError:
        return ConfigError(f"expected {expected}, got {_shown(value)}", file=file, key=shown_key,
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
    if dotted in ("dataset.path", "dataset.label"):
        if value is not None and not isinstance(value, str):
            raise fail("a folder or file path (text)" if dotted == "dataset.path"
                       else "a column name (text)")
        return value
    if dotted == "dataset.features":
        if value is not None and (not isinstance(value, list)
                                  or not all(isinstance(v, str) for v in value) or not value):
            raise fail("a list of column names, or null for every column but the label")
        return value
    if dotted in ("dataset.train_subset", "dataset.test_subset"):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail("a whole number of images, or null for all")
        return value
    if dotted == "split.validation":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a fraction between 0 and 1 or a count of images")
        return value
    if dotted == "threshold.choose":
        if value is None or value == "max_f1":
            return value
        if (isinstance(value, dict) and len(value) == 1
                and next(iter(value)) in ("recall", "precision")
                and isinstance(next(iter(value.values())), (int, float))
                and not isinstance(next(iter(value.values())), bool)):
            ((name, target),) = value.items()
            return {name: float(target)}
        raise fail("max_f1, {recall: 0.95} or {precision: 0.99}")
    if dotted == "task.one_vs_rest":
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, (int, str))):
            raise fail("a class name such as 5 or cat, or null")
        return value
    if dotted == "split.train":
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise fail("a fraction between 0 and 1, or null")
        return None if value is None else float(value)
    if dotted == "split.preset":
        if value is not None and value not in SPLIT_PRESETS:
            raise fail(f"one of {', '.join(SPLIT_PRESETS)} (or null)")
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
        value = parse_yaml(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"cannot read the value {_shown(raw)}", file=file, key=dotted) from None
    except RecursionError:
        raise ConfigError("the value is nested too deeply", file=file, key=dotted) from None
    if dotted.startswith("search."):
        # the section in its long form, changed, and resolved again
        # (left unresolved: config_from_mapping resolves it once every override is applied)
        section: dict[str, Any] = {**search_settings(values), "space": search_space(values)}
        rest = dotted[len("search."):]
        if "." not in rest:
            section[rest] = value
            values["search"] = section
            return dotted
        search_key = ALIASES.get(rest.removeprefix("space."), rest.removeprefix("space."))
        section["space"][search_key] = value if isinstance(value, (list, dict)) else [value]
        values["search"] = section
        return f"search.{search_key}"
    if dotted == "dataset" and isinstance(value, str):
        dotted = "dataset.name"
    if dotted == "search":
        raise ConfigError("give one entry at a time, e.g. --set "
                          "'search.training.learning_rate=[0.05, 0.1]'", file=file, key=dotted)
    if dotted.split(".", 1)[0] == "executor":
        raise ConfigError("where trials run is given by --executor, --address and "
                          "--scheduler-file (or the config's executor: section), not --set",
                          file=file, key=dotted)
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
        if values["model"]["output"] != "identity" or "model.output" in search_space(values):
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
    if dataset["path"] is not None and is_table_path(dataset["path"]):
        if not Path(dataset["path"]).expanduser().is_file():
            raise fail("dataset.path", f"no such file '{dataset['path']}'")
        if dataset["label"] is None:
            raise fail("dataset.label", "a table needs its label column: dataset.label: "
                       "<column>")
    elif dataset["path"] is not None and not Path(dataset["path"]).expanduser().is_dir():
        raise fail("dataset.path", f"no such folder '{dataset['path']}'; give a folder holding "
                   "the four IDX files (train-images-idx3-ubyte[.gz], ...), or a .csv, "
                   ".parquet or .npz table")
    training = values["training"]
    if training["warmup_epochs"] >= training["epochs"] and training["warmup_epochs"] > 0:
        raise fail("training.warmup_epochs", f"{training['warmup_epochs']} warm-up epochs leave "
                   f"none of the {training['epochs']} epochs at the full learning rate")
    binary = values["task"]["one_vs_rest"] is not None
    if binary and (values["model"]["output"] != "sigmoid" or dataset["name"] == "synthetic"):
        raise fail("task.one_vs_rest", "a one-vs-rest task is a classification with one "
                   "sigmoid output unit: use model.output sigmoid (the default for it) and "
                   "class labels")
    choose = values["threshold"]["choose"]
    if isinstance(choose, dict) and not 0 < next(iter(choose.values())) <= 1:
        raise fail("threshold.choose", f"a {next(iter(choose))} target is between 0 and 1 "
                   f"(exclusive of 0), got {next(iter(choose.values()))}")
    if not 0 <= values["threshold"]["fixed"] <= 1:
        raise fail("threshold.fixed", "a decision threshold on ŷ is between 0 and 1, got "
                   f"{values['threshold']['fixed']}")
    if choose is not None and not binary:
        raise fail("threshold.choose", "decision thresholds are for binary tasks: set "
                   "task.one_vs_rest (the class to tell from the rest)")
    if not binary and values["model"]["output"] == "sigmoid":
        raise fail("model.output", "a sigmoid output is one unit for a binary task: set "
                   "task.one_vs_rest to the class to tell from the rest")
    if "model.output" in search_space(values) and binary:
        raise fail("task.one_vs_rest", "a one-vs-rest task fixes the output (one sigmoid "
                   "unit): do not search model.output")
    split = values["split"]
    if split["train"] is not None:
        is_table = dataset["path"] is not None and is_table_path(dataset["path"])
        if not is_table:
            name = dataset["name"] if dataset["path"] is None else dataset["path"]
            raise fail("split.train", f"'{name}' has a test set of its own; split.train and "
                       "split.preset make a three-way split of a table of your own (dataset: "
                       "{path: data.csv, label: ...})")
        fractions = (split["train"], split["validation"], split["test"])
        if not all(isinstance(f, float) and 0 < f < 1 for f in fractions) or \
                abs(sum(fractions) - 1.0) > 1e-9:
            raise fail("split.train", "a three-way split takes fractions train + validation + "
                       f"test = 1, each between 0 and 1; got {fractions[0]} + {fractions[1]} + "
                       f"{fractions[2]} = {sum(fractions):g}")
    structured = is_structured_search(values["search"])
    for dotted, candidates in search_space(values).items():
        shown = f"space.{dotted}" if structured else dotted
        if isinstance(candidates, dict):  # a distribution: both ends must be possible values
            (name, (low, high)), = candidates.items()
            for end in (low, high):
                problem = value_problem(dotted, [end] if dotted == "model.hidden_layers" else end)
                if problem:
                    raise fail(shown, f"{name} [{low}, {high}]: {problem}", in_search=True)
            continue
        for candidate in candidates:
            problem = value_problem(dotted, candidate)
            if problem:
                raise fail(shown, problem, in_search=True)
    settings = search_settings(values)
    if settings["strategy"] == "halving":
        _validate_halving(values, settings, fail)


def _validate_halving(values: dict[str, Any], settings: Mapping[str, Any],
                      fail: Callable[..., ConfigError]) -> None:
    """Successive halving trains every candidate in rounds of growing epochs, continuing the
    survivors: the budget is ``training.epochs``, and nothing may restore an earlier epoch."""
    space = search_space(values)
    for key in ("training.epochs", "training.early_stopping_patience"):
        if key in space:
            raise fail(f"space.{key}", "successive halving sets the epochs itself (rounds of "
                       f"min_epochs × factor^i up to training.epochs): do not search {key}",
                       in_search=True)
    if values["training"]["early_stopping_patience"] > 0:
        raise fail("training.early_stopping_patience", "successive halving continues its "
                   "survivors' trainings, which early stopping would cut back to an earlier "
                   "epoch: set it to 0")
    if settings["min_epochs"] > values["training"]["epochs"]:
        raise fail("search.min_epochs", f"the first round's budget ({settings['min_epochs']} "
                   f"epochs) is above training.epochs ({values['training']['epochs']})")


MAX_NAME_LENGTH = 100  # run ids stay well inside a file system's 255-byte names


def value_problem(dotted: str, value: Any) -> str | None:
    """Why ``value`` is impossible for ``dotted``, or ``None`` when it is fine."""
    positive_ints = {"training.epochs", "training.batch_size", "cv.folds", "cv.repeats",
                     "biasvar.train_size"}
    if dotted in positive_ints and value < 1:
        return f"must be at least 1, got {value}"
    if dotted == "seed" and value < 0:
        return f"must be a whole number of at least 0, got {value}"
    if dotted == "name" and not 0 < len(value) <= MAX_NAME_LENGTH:
        return (f"must be 1 to {MAX_NAME_LENGTH} characters (it names the run folder), got "
                f"{len(value)}")
    if dotted == "cv.folds" and value < 2:
        return f"k-fold needs at least 2 folds, got {value}"
    if dotted == "cv.outer_folds" and (value < 0 or value == 1):
        return f"nested CV needs at least 2 outer folds (0 is off), got {value}"
    if dotted == "preprocess.scale" and value not in SCALINGS:
        return f"unknown scaling '{value}'; valid: {', '.join(SCALINGS)}"
    if dotted == "keep.trial_models" and value not in TRIAL_MODELS:
        return f"unknown choice '{value}'; valid: {', '.join(TRIAL_MODELS)}"
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
    if dotted == "training.schedule" and value not in SCHEDULES:
        return f"unknown schedule '{value}'; valid: {', '.join(SCHEDULES)}"
    if dotted == "training.warmup_epochs" and value < 0:
        return f"must be 0 (none) or a number of epochs, got {value}"
    if dotted == "training.step_epochs" and value < 1:
        return f"must be at least 1 epoch, got {value}"
    if dotted == "training.step_gamma" and not 0 < value <= 1:
        return f"is the factor each step multiplies the rate by, in (0, 1], got {value}"
    if dotted == "training.early_stopping_patience" and value < 0:
        return f"must be 0 (off) or a number of epochs, got {value}"
    if dotted == "model.dropout" and not 0 <= value < 1:
        return f"is the probability of dropping a hidden unit, in [0, 1), got {value}"
    if dotted == "model.hidden_layers" and any(width < 1 for width in value):
        return f"layer widths must be at least 1, got {value}"
    if dotted == "model.activation" and value not in HIDDEN_ACTIVATIONS:
        return f"unknown activation '{value}'; valid: {', '.join(HIDDEN_ACTIVATIONS)}"
    if dotted == "model.output" and value not in OUTPUTS:
        return (f"unknown output '{value}'; valid: softmax (cross-entropy), identity (squared "
                "error), sigmoid (binary cross-entropy, with task.one_vs_rest)")
    if dotted == "training.optimizer" and value not in OPTIMIZERS:
        return f"unknown optimizer '{value}'; valid: {', '.join(OPTIMIZERS)}"
    if dotted == "selection.metric" and value not in SELECTION_METRICS:
        return f"unknown metric '{value}'; valid: {', '.join(SELECTION_METRICS)}"
    if dotted == "split.test" and not 0 < value < 1:
        return f"the test fraction must be between 0 and 1 (exclusive), got {value}"
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
    if dotted == "name" and (any(c in value for c in "/\\\0") or value.startswith(".")):
        return ("must be a short name of letters, digits, '-', '_' and '.' (not starting with "
                f"'.'; it names the run folder), got {_shown(value)}")
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
    values["training"]["warmup_epochs"] = 0
    values["cv"]["folds"], values["cv"]["repeats"] = 2, 1
    if values["cv"]["outer_folds"]:
        values["cv"]["outer_folds"] = 2
    values["biasvar"]["rounds"] = min(values["biasvar"]["rounds"], SMOKE_BIASVAR_ROUNDS)
    values["biasvar"]["train_size"] = min(values["biasvar"]["train_size"],
                                          SMOKE_BIASVAR_TRAIN_SIZE)
    space = search_space(values)
    kept_two = False
    for key in sorted(space):
        candidates = space[key]
        if isinstance(candidates, dict):  # a distribution: trials are cut below
            continue
        if len(candidates) > 1 and not kept_two:
            space[key] = candidates[:2]
            kept_two = True
        else:
            space[key] = candidates[:1]
    if is_structured_search(values["search"]):
        values["search"]["space"] = space
        if values["search"].get("trials") is not None:
            values["search"]["trials"] = min(values["search"]["trials"], 2)
        if "min_epochs" in values["search"]:
            values["search"]["min_epochs"] = 1
    else:
        values["search"] = space
    values["name"] = f"{values['name']}-smoke"
    return Config(values=values, source=config.source, lines=config.lines,
                  executor=dict(config.executor), smoke=True, overridden=config.overridden)
