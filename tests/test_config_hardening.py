"""Configs a person (or a fuzzer) gets wrong: every mistake one ConfigError line, quickly.

Duplicate keys, empty documents, alias bombs, nesting too deep, a --set value that the search
would silently shadow, unbounded values in messages, a --data-dir that does not exist; and a
fuzz test: random documents and overrides either load or raise the project's ConfigError.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.errors import ConfigError
from tests.conftest import QUICKSTART


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_given_twice_names_both_lines(tmp_path):
    with pytest.raises(ConfigError, match=r"c.yaml:4: 'epochs' is given twice \(lines 2 and 4\)"):
        load_config(write(tmp_path, "training:\n  epochs: 2\n  batch_size: 8\n  epochs: 3\n"))
    with pytest.raises(ConfigError, match="'seed' is given twice"):
        load_config(write(tmp_path, "seed: 1\nname: x\nseed: 2\n"))


@pytest.mark.parametrize("text", ["", "\n\n# only a comment\n", "~\n", "null\n", "---\n"])
def test_an_empty_config_is_refused_saying_how_to_use_the_defaults(tmp_path, text):
    with pytest.raises(ConfigError, match=r"the config is empty; write \{\} to use every"):
        load_config(write(tmp_path, text))
    assert load_config(write(tmp_path, "{}\n")).name == "experiment"


def billion_laughs(levels: int = 12) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_aliases_that_expand_exponentially_are_refused_quickly(tmp_path):
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="more than 100,000 values once its aliases"):
        load_config(write(tmp_path, billion_laughs()))
    with pytest.raises(ConfigError, match="more than 100,000 values"):
        load_config(QUICKSTART, ["training.epochs=" + billion_laughs().replace("\n", ", ")
                                 .join(["{", "}"])])
    assert time.perf_counter() - started < 5
    # an anchor used the ordinary way is fine
    config = load_config(write(tmp_path, "search:\n  model.hidden_layers: &w [[8], [16]]\n"
                                         "  model.activation: [relu]\n"))
    assert config.search["model.hidden_layers"] == [[8], [16]]


def test_nesting_too_deep_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(write(tmp_path, "a: " + "[" * 50_000 + "]" * 50_000 + "\n"))


def test_a_set_value_the_search_would_shadow_is_refused():
    with pytest.raises(ConfigError, match=r"the search varies training.learning_rate, so this "
                                          r"value would be used by no trial.*--set "
                                          r"'search.training.learning_rate=\[0.001\]'"):
        load_config(QUICKSTART, ["training.learning_rate=0.001"])
    replaced = load_config(QUICKSTART, ["search.training.learning_rate=[0.001]"])
    assert replaced.search["training.learning_rate"] == [0.001]
    # a setting the search does not vary is taken as before
    assert load_config(QUICKSTART, ["training.epochs=3"])["training.epochs"] == 3


def test_messages_cut_long_values(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(QUICKSTART, ["training.epochs=" + "x" * 5000])
    assert len(str(error.value)) < 300 and "…" in str(error.value)
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "training:\n  epochs: [" + ", ".join(["1"] * 3000) + "]\n"))
    assert len(str(error.value)) < 300


def test_a_data_dir_that_does_not_exist_is_an_error_not_a_fallback(tmp_path):
    result = CliRunner().invoke(app, ["train", str(QUICKSTART), "--smoke", "--runs-dir",
                                      str(tmp_path / "runs"), "--data-dir",
                                      str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such folder" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()  # nothing written


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
KEYS = st.sampled_from(["name", "seed", "dataset", "split", "model", "training", "search",
                        "cv", "task", "threshold", "preprocess", "epochs", "hidden_layers",
                        "learning_rate", "strategy", "space", "trials", "validation", "x"])
DOCUMENTS = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(document=DOCUMENTS)
def test_random_documents_load_or_raise_config_error(tmp_path, document):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as error:
        assert "\n" not in str(error)


OVERRIDE_KEYS = st.sampled_from(["seed", "training.epochs", "training.learning_rate",
                                 "model.hidden_layers", "search.training.learning_rate",
                                 "search.strategy", "search.trials", "search.space.x",
                                 "split.preset", "task.one_vs_rest", "threshold.choose",
                                 "cv.outer_folds", "nope", "training.schedule"])


@settings(max_examples=150, deadline=2000)
@given(overrides=st.lists(st.tuples(OVERRIDE_KEYS, st.one_of(
    st.text(max_size=20), SCALARS.map(lambda v: yaml.safe_dump(v).strip()))), max_size=3))
def test_random_overrides_load_or_raise_config_error(overrides):
    try:
        load_config(QUICKSTART, [f"{key}={value}" for key, value in overrides])
    except ConfigError as error:
        assert "\n" not in str(error)


# ---------------------------------------------------------------------------------------------
# Resuming


def smoke(runs_dir: Path, *arguments: str, command: str = "train"):
    return CliRunner().invoke(app, [command, str(QUICKSTART), "--smoke", "--quiet",
                                    "--runs-dir", str(runs_dir), *arguments])


def test_resume_of_a_finished_run_leaves_it_as_it_is(tmp_path):
    assert smoke(tmp_path).exit_code == 0
    (run,) = tmp_path.iterdir()
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    result = smoke(tmp_path, "--resume", run.name)
    assert result.exit_code == 0, result.output
    assert f"run {run.name} is finished; it is left as it is" in result.output
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_resume_latest_takes_the_newest_run_of_the_same_command(tmp_path):
    assert smoke(tmp_path).exit_code == 0  # a train run
    assert smoke(tmp_path, command="cv").exit_code == 0  # then a newer cv run
    result = smoke(tmp_path, "--resume", "latest")  # train: the train run, not the cv one
    assert result.exit_code == 0 and "is finished" in result.output, result.output
    train_run = next(p for p in tmp_path.iterdir()
                     if '"train"' in (p / "run.json").read_text())
    assert train_run.name in result.output
    missing = CliRunner().invoke(app, ["curve", str(QUICKSTART), "--smoke", "--runs-dir",
                                       str(tmp_path), "--resume", "latest"])
    assert missing.exit_code == 2 and "no 'curve' run in" in missing.output


def test_a_damaged_run_folder_does_not_stop_new_runs_or_the_listing(tmp_path):
    damaged = tmp_path / "20261201-000000-damaged-aaaa"
    (damaged / "trials" / "x").mkdir(parents=True)
    (damaged / "run.json").write_text("{not json")
    (damaged / "trials" / "x" / "result.json").write_text("garbage")
    assert smoke(tmp_path).exit_code == 0  # the automatic resume lookup reads past it
    assert smoke(tmp_path, "--resume", "latest").exit_code == 0
    listing = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert listing.exit_code == 0 and "damaged" in listing.output
