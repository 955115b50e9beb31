"""Run folders: ids, atomic writes, lookup by id / prefix / latest / path."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpsel.errors import RunNotFound
from mlpsel.store import (
    RUN_ID_PATTERN,
    atomic_open,
    create_run,
    list_runs,
    new_run_id,
    resolve_run,
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
