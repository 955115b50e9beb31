"""Faults of the main process: SIGTERM stops a sweep as Ctrl-C does (exit 143, run marked
interrupted, finished trials kept), and no worker process outlives the main one, whatever kills
it (kill -9 included)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import QUICKSTART

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux signals")

SWEEP = ["dataset.train_subset=1500", "dataset.test_subset=200", "training.epochs=6",
         "cv.folds=3", "search.model.hidden_layers=[[64], [128]]",
         "search.training.learning_rate=[0.05, 0.1]"]


def start(runs_dir: Path) -> subprocess.Popen:
    arguments = [item for s in SWEEP for item in ("--set", s)]
    return subprocess.Popen([sys.executable, "-m", "mlpsel", "cv", str(QUICKSTART), "--runs-dir",
                             str(runs_dir), "--jobs", "2", "--quiet", *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for_a_result(runs_dir: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not list(runs_dir.glob("*/trials/*/result.json")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no trial finished in 60 s"
        time.sleep(0.05)


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def wait_until_gone(pgid: int, seconds: float = 15) -> list[int]:
    """The processes of the group still alive after ``seconds``; they are then killed, so a
    failing test leaves nothing running."""
    deadline = time.monotonic() + seconds
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = group_members(pgid)
    if survivors:
        os.killpg(pgid, signal.SIGKILL)
    return survivors


def test_sigterm_stops_the_sweep_like_ctrl_c(tmp_path):
    process = start(tmp_path)
    wait_for_a_result(tmp_path, process)
    assert len(group_members(process.pid)) >= 3  # the main process and its two workers
    process.send_signal(signal.SIGTERM)  # the main process only, as a service manager does
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "terminated (SIGTERM): finished trials are stored" in stderr
    assert "Traceback" not in stderr
    (run,) = tmp_path.iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    assert list(run.glob("trials/*/result.json"))  # finished trials kept
    assert wait_until_gone(process.pid) == []


def test_kill_9_of_the_main_process_leaves_no_worker_running(tmp_path):
    process = start(tmp_path)
    wait_for_a_result(tmp_path, process)
    workers = [pid for pid in group_members(process.pid) if pid != process.pid]
    assert workers
    os.kill(process.pid, signal.SIGKILL)  # the main process only
    process.communicate(timeout=30)
    assert wait_until_gone(process.pid) == [], "worker processes outlived the main one"
