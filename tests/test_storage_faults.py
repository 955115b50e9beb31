"""File-system faults at the run folder: a runs directory that is a file, a name too long, a
full disk or a read-only folder mid-sweep. Each is one line naming the path and the cause (exit
2), finished trials are kept, the run is marked ``incomplete`` and the same command continues it.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlpsel.config import load_config
from mlpsel.errors import StorageError
from mlpsel.store import RunFolder
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART, TINY_OVERRIDES

FOUR_TRIALS = [*TINY_OVERRIDES, "search.training.learning_rate=[0.02, 0.05, 0.1, 0.2]"]


def cli(*arguments: str, cwd: Path, prelude: str = "") -> subprocess.CompletedProcess:
    """``mlpsel ARGUMENTS`` in a subprocess; ``prelude`` is Python run first (a fault)."""
    code = f"{prelude}\nimport sys\nfrom mlpsel.cli import main\nsys.argv = ['mlpsel', " \
           f"*{list(arguments)!r}]\nmain()\n"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def one_error_line(process: subprocess.CompletedProcess) -> str:
    lines = process.stderr.strip().splitlines()
    assert "Traceback" not in process.stderr, process.stderr
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def full_disk_after(n_results: int) -> str:
    """Python that makes the file system full once ``n_results`` trial results are stored."""
    return f"""
import errno, os
from mlpsel.store import RunFolder
_write_task = RunFolder.write_task
def write_task(self, task_id, result, *args, **kwargs):
    if len(list(self.trials_dir.glob('*/result.json'))) >= {n_results}:
        path = str(self.trial_result(task_id))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    return _write_task(self, task_id, result, *args, **kwargs)
RunFolder.write_task = write_task
"""


def test_a_runs_directory_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    process = cli("train", str(QUICKSTART), "--smoke", "--jobs", "1", "--runs-dir", "runs",
                  cwd=tmp_path)
    assert process.returncode == 2
    line = one_error_line(process)
    assert "runs: cannot create the run folder" in line and "a file stands where" in line
    assert (tmp_path / "runs").read_text() == "not a folder"


def test_a_run_folder_inside_a_file_is_one_line(tmp_path):
    (tmp_path / "here").write_text("x")
    process = cli("train", str(QUICKSTART), "--smoke", "--jobs", "1", "--runs-dir",
                  "here/runs", cwd=tmp_path)
    assert process.returncode == 2
    assert "here/runs: cannot create the run folder (Not a directory" in one_error_line(process)


def test_a_name_too_long_for_a_folder_is_refused_by_the_config(tmp_path):
    config = tmp_path / "long.yaml"
    config.write_text("name: " + "a" * 300 + "\n")
    process = cli("train", str(config), "--smoke", "--runs-dir", "runs", cwd=tmp_path)
    assert process.returncode == 2
    line = one_error_line(process)
    assert "long.yaml:1: name: must be 1 to 100 characters" in line and "got 300" in line
    assert not (tmp_path / "runs").exists()


def test_a_full_disk_mid_sweep_keeps_the_finished_trials_and_the_run_continues(tmp_path):
    arguments = ["train", str(QUICKSTART), "--jobs", "1", "--quiet", "--runs-dir", "runs",
                 *[item for s in FOUR_TRIALS for item in ("--set", s)]]
    process = cli(*arguments, cwd=tmp_path, prelude=full_disk_after(2))
    assert process.returncode == 2
    line = one_error_line(process)
    assert "result.json: cannot write (No space left on device)" in line
    assert "marked incomplete" in line and "run the same command again" in line
    [run_path] = (tmp_path / "runs").iterdir()
    info = json.loads((run_path / "run.json").read_text())
    assert info["status"] == "incomplete" and "No space left" in info["error"]
    stored = sorted(p.parent.name for p in run_path.glob("trials/*/result.json"))
    assert len(stored) == 2
    assert not list(run_path.glob("**/*.tmp")), "a half-written file was left"

    again = cli(*arguments, cwd=tmp_path)  # space again: the same command continues
    assert again.returncode == 0, again.stderr
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [run_path.name]
    info = json.loads((run_path / "run.json").read_text())
    assert info["status"] == "finished" and info["continued"] is True
    assert len(list(run_path.glob("trials/*/result.json"))) == 4  # holdout: no refit


def test_a_storage_fault_in_a_worker_process_is_not_a_failed_trial(tmp_path, monkeypatch):
    """With worker processes the fault is raised in the worker: the trial must not be stored as
    ``failed`` (a retry would skip it), and the run is marked incomplete."""
    write_task = RunFolder.write_task

    def full_for_lr_02(self, task_id, result, *args, **kwargs):
        if result.get("params", {}).get("training.learning_rate") == 0.2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.trial_result(task_id)))
        return write_task(self, task_id, result, *args, **kwargs)

    monkeypatch.setattr(RunFolder, "write_task", full_for_lr_02)  # forked workers inherit it
    config = load_config(QUICKSTART, FOUR_TRIALS)
    with pytest.raises(StorageError, match="No space left on device") as caught:
        run_study("train", config, StudyOptions(runs_dir=tmp_path, jobs=2))
    assert "result.json: cannot write" in str(caught.value)
    [run_path] = tmp_path.iterdir()
    assert json.loads((run_path / "run.json").read_text())["status"] == "incomplete"
    statuses = [json.loads(p.read_text())["status"] for p in run_path.glob("trials/*/result.json")]
    assert "failed" not in statuses


@pytest.mark.parametrize("fault", [errno.EACCES, errno.EROFS, errno.ENOSPC])
def test_a_run_json_that_cannot_be_written_leaves_no_half_made_run_folder(tmp_path, monkeypatch,
                                                                          fault):
    import mlpsel.store as store

    write_json = store.write_json

    def refuse_run_json(path, value):
        if Path(path).name == "run.json":
            raise OSError(fault, os.strerror(fault), str(path))
        return write_json(path, value)

    monkeypatch.setattr(store, "write_json", refuse_run_json)
    config = load_config(QUICKSTART, TINY_OVERRIDES)
    with pytest.raises(StorageError, match=os.strerror(fault)) as caught:
        run_study("train", config, StudyOptions(runs_dir=tmp_path))
    assert "run.json: cannot create the run folder" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_runs_directory_is_one_line(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0o555)
    try:
        process = cli("train", str(QUICKSTART), "--smoke", "--jobs", "1", "--runs-dir", "runs",
                      cwd=tmp_path)
    finally:
        runs.chmod(0o755)
    assert process.returncode == 2
    assert "cannot create the run folder (Permission denied)" in one_error_line(process)
