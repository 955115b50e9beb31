"""Your own data: CSV, Parquet and NPZ tables with integer or text labels, and every bad case
answered in one line naming the file, the column and the row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.data import load_dataset
from mlpsel.data.tabular import load_table_dataset
from mlpsel.errors import ConfigError, DataError
from mlpsel.experiment import load_run_data


def table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    kind = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "kind": kind,
                         "digit": (x[:, 2] > 0).astype(int) * 7})


def test_csv_with_text_labels_keeps_the_class_names(tmp_path):
    frame = table()
    frame.drop(columns="digit").to_csv(tmp_path / "data.csv", index=False)
    config = load_config(None, ["dataset.path=" + str(tmp_path / "data.csv"),
                                "dataset.label=kind", "split.test=0.25"])
    data = load_run_data(config)
    assert data.class_names == ("no", "yes")
    assert data.train_images.shape == (150, 3) and data.test_images.shape == (50, 3)
    assert data.train_images.dtype == np.float32
    assert not load_table_dataset(tmp_path / "data.csv", "kind").train_images.flags.writeable
    # every row is in exactly one part, with its own features and label
    rows = np.concatenate([data.train_images, data.test_images])
    labels = np.concatenate([data.train_labels, data.test_labels])
    expected = frame[["a", "b", "c"]].to_numpy(dtype=np.float32)
    order = np.lexsort(rows.T[::-1])
    expected_order = np.lexsort(expected.T[::-1])
    assert np.array_equal(rows[order], expected[expected_order])
    assert (np.array(data.class_names)[labels[order]] == frame["kind"].to_numpy()[
        expected_order]).all()
    # the test part is stratified: each class keeps its share within one row
    share = np.mean(frame["kind"] == "yes")
    assert abs(np.mean(data.test_labels == 1) - share) <= 1 / 50


def test_integer_labels_and_chosen_features(tmp_path):
    table().to_csv(tmp_path / "data.csv", index=False)
    data = load_table_dataset(tmp_path / "data.csv", "digit", ["a", "b"])
    assert data.class_names == ("0", "7") and data.n_features == 2


def test_npz_columns_and_two_dimensional_arrays(tmp_path):
    frame = table()
    np.savez(tmp_path / "data.npz", X=frame[["a", "b", "c"]].to_numpy(),
             label=frame["digit"].to_numpy())
    data = load_table_dataset(tmp_path / "data.npz", "label")
    assert data.n_features == 3 and data.class_names == ("0", "7")
    with pytest.raises(DataError, match=r"no feature column 'X.5'; columns: X.0, X.1, X.2, label"):
        load_table_dataset(tmp_path / "data.npz", "label", ["X.5"])


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    table().to_parquet(tmp_path / "data.parquet")
    data = load_table_dataset(tmp_path / "data.parquet", "kind", ["a", "b", "c"])
    assert data.class_names == ("no", "yes") and data.n_features == 3


@pytest.mark.parametrize(("text", "label", "message"), [
    ("a,b,kind\n1,2,x\n3,4,y\n", "digit", r"no label column 'digit'; columns: a, b, kind"),
    ("a,b,kind\n1,2,x\n3,oops,y\n5,6,x\n", "kind",
     r"column 'b' is not numeric \(line 3: 'oops'\); features must be numbers"),
    ("a,b,kind\n1,2,x\n3,,y\n5,6,x\n", "kind", r"column 'b' has a missing value \(line 3\)"),
    ("a,b,kind\n1,2,x\n3,4,x\n5,6,x\n", "kind", r"one class only \('x'\)"),
    ("a,kind\n1,x\n2,\n3,y\n", "kind", r"label column 'kind' has a missing value \(line 3\)"),
    ('a,b\n1,"2\n', "b", "cannot be read as CSV"),
    ("kind\nx\ny\n", "kind", "no feature columns besides the label"),
])
def test_bad_tables_are_one_line_naming_file_column_and_row(tmp_path, text, label, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as error:
        load_table_dataset(path, label)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def test_a_broken_npz_is_one_line(tmp_path):
    (tmp_path / "data.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not an NPZ file"):
        load_table_dataset(tmp_path / "data.npz", "y")
    np.savez(tmp_path / "objects.npz", y=np.array([{"a": 1}, None], dtype=object),
             x=np.arange(2))
    with pytest.raises(DataError, match=r"holds Python objects \(pickled\), which mlpsel never"):
        load_table_dataset(tmp_path / "objects.npz", "y")


def test_config_checks_the_file_and_the_label_before_any_work(tmp_path):
    (tmp_path / "c.yaml").write_text(f"dataset: {{path: {tmp_path / 'none.csv'}, label: y}}\n")
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "c.yaml")
    table().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "c.yaml").write_text(f"dataset: {{path: {tmp_path / 'data.csv'}}}\n")
    with pytest.raises(ConfigError, match="dataset.label: a table needs its label column"):
        load_config(tmp_path / "c.yaml")
    with pytest.raises(ConfigError, match="split.test: the test fraction"):
        load_config(tmp_path / "c.yaml", ["dataset.label=kind", "split.test=1.5"])


def test_train_and_cv_on_a_csv_end_to_end(tmp_path):
    table(400).to_csv(tmp_path / "data.csv", index=False)
    config = tmp_path / "c.yaml"
    config.write_text(f"""name: own
dataset: {{path: {tmp_path / 'data.csv'}, label: kind, features: [a, b, c]}}
split: {{validation: 0.25, test: 0.2}}
model: {{hidden_layers: [8]}}
training: {{epochs: 3, learning_rate: 0.1}}
""")
    for command in (["train"], ["cv", "--folds", "3"]):
        result = CliRunner().invoke(app, [*command, str(config), "--runs-dir",
                                          str(tmp_path / "runs"), "--quiet"])
        assert result.exit_code == 0, result.output
    for run in (tmp_path / "runs").iterdir():
        per_class = pd.read_csv(run / "best" / "per_class.csv")
        assert per_class["class"].astype(str).tolist() == ["no", "yes"]
        assert per_class["support"].sum() == 80  # 20% of 400 rows held out as the test set


def test_load_dataset_takes_a_table_reference(tmp_path):
    table().to_csv(tmp_path / "data.csv", index=False)
    data = load_dataset({"path": str(tmp_path / "data.csv"), "label": "kind"})
    assert data.name == "data" and len(data.train_labels) == 200 and len(data.test_labels) == 0
    assert Path(data.source) == tmp_path / "data.csv"


# ---------------------------------------------------------------------------------------------
# Scaling fitted on the training part only


def test_input_statistics_by_hand():
    from mlpsel.experiment import input_statistics

    features = np.array([[0.0, 10, 5], [2, 10, 1], [4, 10, 3], [100, -7, 0]])  # row 3: unseen
    shift, scale = input_statistics(features, np.array([0, 1, 2]), "standard")
    assert np.allclose(shift, [2, 10, 3])
    assert np.allclose(scale, [1 / np.sqrt(8 / 3), 1.0, 1 / np.sqrt(8 / 3)])  # constant: 1
    low, spread = input_statistics(features, np.array([0, 1, 2]), "minmax")
    assert np.allclose(low, [0, 10, 1]) and np.allclose(spread, [1 / 4, 1.0, 1 / 4])


def test_the_scaling_of_a_trial_sees_its_training_rows_and_nothing_else():
    from mlpsel.data import Dataset
    from mlpsel.experiment import run_trial
    from mlpsel.search import TrialSpec

    rng = np.random.default_rng(0)
    features = rng.normal(size=(100, 3)).astype(np.float32)
    features[60:] += 1000.0  # validation rows far away: any leak would move the statistics
    labels = (features[:, 0] > features[:, 0].mean()).astype(np.int64)
    labels[:2], labels[60:62] = [0, 1], [0, 1]
    data = Dataset("t", features, labels, features[:0], labels[:0], ("a", "b"), "test")
    config = load_config(None, ["preprocess.scale=standard", "training.epochs=1"])
    spec = TrialSpec.from_values(config.values)
    outcome = run_trial(spec, data, np.arange(60), np.arange(60, 100))
    network = outcome.network
    assert np.allclose(network.input_shift[:, 0], features[:60].mean(axis=0), atol=1e-4)
    assert np.allclose(network.input_scale[:, 0], 1 / features[:60].std(axis=0), rtol=1e-4)


def test_auto_scaling_is_standard_for_tables_and_none_for_images(tmp_path):
    from mlpsel.config import input_scaling

    table().to_csv(tmp_path / "data.csv", index=False)
    own = load_config(None, [f"dataset.path={tmp_path / 'data.csv'}", "dataset.label=kind"])
    assert input_scaling(own.values) == "standard"
    assert input_scaling(load_config(None).values) == "none"
    with pytest.raises(ConfigError, match="unknown scaling 'zscore'"):
        load_config(None, ["preprocess.scale=zscore"])


def three_way_run(tmp_path: Path, *settings: str) -> Path:
    table(500).to_csv(tmp_path / "data.csv", index=False)
    config = tmp_path / "c.yaml"
    config.write_text(f"""name: own
dataset: {{path: {tmp_path / 'data.csv'}, label: kind, features: [a, b, c]}}
model: {{hidden_layers: [8]}}
training: {{epochs: 2, learning_rate: 0.1}}
""")
    result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(tmp_path / "runs"),
                                      *[item for s in settings for item in ("--set", s)]])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    return run


def test_three_way_split_preset_small_is_60_20_20_stratified_and_recorded(tmp_path):
    run = three_way_run(tmp_path, "split.preset=small")
    parts = np.load(run / "split.npz")
    sizes = {name: len(parts[name]) for name in ("train", "validation", "test")}
    assert sizes == {"train": 300, "validation": 100, "test": 100}
    everything = np.concatenate([parts["train"], parts["validation"], parts["test"]])
    assert sorted(everything) == list(range(500))  # disjoint, and every row somewhere
    assert sorted(parts["train_set"]) == sorted(np.concatenate([parts["train"],
                                                                parts["validation"]]))
    kind = table(500)["kind"].to_numpy()
    share = np.mean(kind == "yes")
    for name, size in sizes.items():
        assert abs(np.mean(kind[parts[name]] == "yes") - share) <= 1 / size + 1e-9, name
    # the chosen network's scaling was fitted on the train part of the file, nothing else
    features = table(500)[["a", "b", "c"]].to_numpy()
    with np.load(run / "best" / "model.npz") as model:
        assert np.allclose(model["input_shift"][:, 0], features[parts["train"]].mean(axis=0),
                           atol=1e-5)
    report = CliRunner().invoke(app, ["report", str(run)])
    assert "from 100 test images" in report.output


def test_three_way_split_by_fractions(tmp_path):
    run = three_way_run(tmp_path, "split.train=0.9", "split.validation=0.05", "split.test=0.05")
    parts = np.load(run / "split.npz")
    assert [len(parts[n]) for n in ("train", "validation", "test")] == [450, 25, 25]


@pytest.mark.parametrize(("settings", "message"), [
    (["split.preset=small", "split.validation=0.3"], "split.preset small sets train"),
    (["split.train=0.5", "split.validation=0.2", "split.test=0.2"], r"= 0.9"),
    (["split.preset=huge"], "one of small, large"),
])
def test_bad_three_way_splits(tmp_path, settings, message):
    table().to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(ConfigError, match=message):
        load_config(None, [f"dataset.path={tmp_path / 'data.csv'}", "dataset.label=kind",
                           *settings])


def test_a_three_way_split_of_mnist_is_refused(tmp_path):
    (tmp_path / "c.yaml").write_text("dataset: mnist\nsplit: {preset: large}\n")
    with pytest.raises(ConfigError, match="'mnist' has a test set of its own"):
        load_config(tmp_path / "c.yaml")
