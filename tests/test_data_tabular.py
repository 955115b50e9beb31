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
