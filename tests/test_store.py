"""Run folders: ids, task ids, atomic writes and permissions, model files, lookup by id / prefix /
latest / path."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpsel.atomic import atomic_open
from mlpsel.errors import DataError, RunNotFound
from mlpsel.nn import MLP
from mlpsel.store import (
    RUN_ID_PATTERN,
    RunFolder,
    TaskId,
    create_run,
    list_runs,
    load_model,
    new_run_id,
    resolve_run,
    save_model,
    write_csv,
    write_json,
    write_rows_csv,
)


def test_run_id_sorts_by_time_and_reads_well():
    run_id = new_run_id("quick start!", datetime(2026, 11, 28, 14, 30, 5))
    assert re.fullmatch(r"20261128-143005-quick-start-[0-9a-f]{4}", run_id)
    assert RUN_ID_PATTERN.match(run_id)


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "result.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write('{"half": ')
        raise RuntimeError("interrupted mid-write")
    assert target.read_text().strip().startswith('{\n  "a": 1')
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def make_runs(runs_dir: Path) -> list[str]:
    ids = ["20261101-100000-alpha-aaaa", "20261102-100000-beta-bbbb", "20261102-110000-beta-cccc"]
    for run_id in ids:
        (runs_dir / run_id).mkdir(parents=True)
        write_json(runs_dir / run_id / "run.json", {"run_id": run_id})
    (runs_dir / "not-a-run").mkdir()
    return ids


def test_resolve_by_id_prefix_latest_and_path(tmp_path):
    ids = make_runs(tmp_path)
    assert [r.run_id for r in list_runs(tmp_path)] == ids[::-1]
    assert resolve_run("latest", tmp_path).run_id == ids[2]
    assert resolve_run(ids[0], tmp_path).run_id == ids[0]
    assert resolve_run("20261101", tmp_path).run_id == ids[0]
    assert resolve_run(str(tmp_path / ids[1]), tmp_path).run_id == ids[1]


@pytest.mark.parametrize(("reference", "fragment"), [
    ("20261102", "matches 2 runs"),
    ("2025", "no run '2025'"),
    ("not-a-run", "no run"),
])
def test_resolve_errors(tmp_path, reference, fragment):
    make_runs(tmp_path)
    with pytest.raises(RunNotFound, match=fragment):
        resolve_run(reference, tmp_path)


def test_folder_that_is_not_a_run(tmp_path):
    make_runs(tmp_path)
    with pytest.raises(RunNotFound, match="not a run folder"):
        resolve_run(str(tmp_path / "not-a-run"), tmp_path)


def test_latest_without_runs(tmp_path):
    with pytest.raises(RunNotFound, match="no runs"):
        resolve_run("latest", tmp_path / "empty")


def test_create_run_marks_running(tmp_path):
    run = create_run(tmp_path, "demo", "train", ["train", "x.yaml"])
    info = run.read_run_info()
    assert info["status"] == "running" and info["command"] == "train"
    assert RUN_ID_PATTERN.match(run.run_id)


def test_rows_csv_is_written_as_pandas_writes_the_same_rows(tmp_path):
    columns = ["epoch", "train_loss", "validation_loss", "note", "learning_rate"]
    rows = [
        {"epoch": 1, "train_loss": 0.1, "validation_loss": None, "note": "a, b",
         "learning_rate": 1.0},
        {"epoch": 2, "train_loss": 2.0 / 3.0, "validation_loss": float("nan"), "note": 'say "x"',
         "learning_rate": 1e-05},
        {"epoch": np.int64(3), "train_loss": float("inf"), "validation_loss": 0.25,
         "learning_rate": np.float64(0.05)},  # "note" missing
    ]
    write_rows_csv(tmp_path / "rows.csv", rows, columns)
    write_csv(tmp_path / "frame.csv", pd.DataFrame(rows, columns=columns))
    assert (tmp_path / "rows.csv").read_text() == (tmp_path / "frame.csv").read_text()
    back = pd.read_csv(tmp_path / "rows.csv")
    assert back["train_loss"].tolist()[:2] == [0.1, 2.0 / 3.0]
    assert back["validation_loss"].isna().tolist() == [True, True, False]


def test_model_file_round_trip(tmp_path):
    network = MLP([6, 5, 4, 3], "leaky_relu", dropout=0.25, rng=np.random.default_rng(0))
    path = tmp_path / "model.npz"
    save_model(path, network)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no temporary left over
    loaded = load_model(path)
    assert (loaded.layer_sizes, loaded.hidden_activation, loaded.output, loaded.dropout) == (
        [6, 5, 4, 3], "leaky_relu", "softmax", 0.25)
    X_rows = np.random.default_rng(1).integers(0, 256, (10, 6), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.predict_proba(X_rows), network.predict_proba(X_rows))
    for W, W_loaded in zip(network.W, loaded.W, strict=True):
        assert W_loaded.dtype == np.float32
        np.testing.assert_array_equal(W, W_loaded)
    with np.load(path, allow_pickle=False) as file:
        metadata = json.loads(str(file["metadata"]))
    assert metadata["layer_sizes"] == [6, 5, 4, 3]


def test_model_file_keeps_the_exact_name_and_replaces(tmp_path):
    path = tmp_path / "weights.bin"
    save_model(path, MLP([3, 2], rng=np.random.default_rng(0)))
    second = MLP([3, 4, 2], rng=np.random.default_rng(1))
    save_model(path, second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.bin"]
    assert load_model(path).layer_sizes == [3, 4, 2]


def test_load_garbage_is_a_data_error(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"this is not a zip file at all")
    with pytest.raises(DataError, match="garbage.npz") as caught:
        load_model(path)
    assert "\n" not in str(caught.value)


def test_load_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="missing.npz: model file not found"):
        load_model(tmp_path / "missing.npz")


def test_load_foreign_npz_is_a_data_error(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(DataError, match="other.npz"):
        load_model(path)


def test_load_rejects_inconsistent_shapes(tmp_path):
    path = tmp_path / "model.npz"
    network = MLP([3, 4, 2], rng=np.random.default_rng(0))
    network.W[1] = np.ones((2, 5), np.float32)
    save_model(path, network)
    with pytest.raises(DataError, match="layer 2"):
        load_model(path)


@given(st.from_regex(r"[0-9]{3}-[0-9a-f]{8}", fullmatch=True),
       st.one_of(st.none(), st.tuples(st.integers(0, 30), st.integers(0, 30))), st.booleans(),
       st.one_of(st.none(), st.integers(1, 60000)), st.one_of(st.none(), st.integers(0, 50)))
def test_task_ids_format_and_parse_back(grid_point, split, refit, size, round_):
    repeat, fold = split if split and not refit else (None, None)
    task = TaskId(grid_point, repeat, fold, refit=refit,
                  train_size=size if fold is not None else None,
                  round=round_ if fold is None and not refit else None)
    assert TaskId.parse(str(task)) == task
    assert RunFolder(Path("runs/x")).trial_dir(task).name == str(task)


def test_task_id_names_as_the_run_folder_spells_them():
    assert str(TaskId("003-fff6bd61")) == "003-fff6bd61"
    assert str(TaskId("003-fff6bd61", 1, 4)) == "003-fff6bd61-r1f4"
    assert str(TaskId("003-fff6bd61", refit=True)) == "refit-003-fff6bd61"
    assert str(TaskId("003-fff6bd61", 0, 2, train_size=500)) == "003-fff6bd61-r0f2-n500"
    assert str(TaskId("003-b1234567", round=4)) == "003-b1234567-round4"
    assert TaskId.parse("003-b1234567") == TaskId("003-b1234567")  # hex, not a round


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_run_files_get_the_users_normal_permissions(tmp_path):
    """Files renamed into place keep 0666 less the umask, not mkstemp's 0600."""
    run = create_run(tmp_path, "perm", "train")
    write_json(run.summary_json, {"a": 1})
    save_model(run.best_model, MLP([3, 2], rng=np.random.default_rng(0)))
    umask = os.umask(0)
    os.umask(umask)
    for path in (run.run_json, run.summary_json, run.best_model):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
    assert json.loads(run.summary_json.read_text()) == {"a": 1}
