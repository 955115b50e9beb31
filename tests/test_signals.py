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


def test_sighup_stops_the_sweep_like_sigterm(tmp_path):
    """The terminal or SSH session went away: the run is marked interrupted, exit 129."""
    process = start(tmp_path)
    wait_for_a_result(tmp_path, process)
    os.killpg(process.pid, signal.SIGHUP)  # as a terminal does: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 129, stderr
    assert "terminated (SIGHUP): finished trials are stored" in stderr
    (run,) = tmp_path.iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    assert wait_until_gone(process.pid) == []


def test_kill_9_of_the_main_process_leaves_no_worker_running(tmp_path):
    process = start(tmp_path)
    wait_for_a_result(tmp_path, process)
    workers = [pid for pid in group_members(process.pid) if pid != process.pid]
    assert workers
    os.kill(process.pid, signal.SIGKILL)  # the main process only
    process.communicate(timeout=30)
    assert wait_until_gone(process.pid) == [], "worker processes outlived the main one"


def test_kill_9_leaves_no_dask_localcluster_process_running(tmp_path):
    """``--executor dask`` without an address starts a LocalCluster of this machine: its
    worker processes (and the spawn helpers) go with the main process too."""
    pytest.importorskip("distributed")
    arguments = [item for s in SWEEP for item in ("--set", s)]
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpsel", "cv", str(QUICKSTART), "--runs-dir", str(tmp_path),
         "--jobs", "2", "--quiet", "--executor", "dask", *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for_a_result(tmp_path, process)
        assert len(group_members(process.pid)) >= 3  # the main process and the cluster's
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        assert wait_until_gone(process.pid, seconds=30) == [], "Dask processes outlived it"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def test_figure_processes_ask_to_die_with_the_main_process(tmp_path, monkeypatch):
    """Figures drawn in forked processes ask for SIGKILL at the parent's death and leave
    Ctrl-C, SIGTERM and SIGHUP to the main process."""
    import ctypes

    from mlpsel.report import figures
    from mlpsel.store import RunFolder

    def probe(run, chosen):
        libc = ctypes.CDLL(None, use_errno=True)
        value = ctypes.c_int(0)
        libc.prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
        handlers = [signal.getsignal(number)
                    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
        (tmp_path / "probe.json").write_text(json.dumps(
            {"pdeathsig": value.value, "ignored": [h == signal.SIG_IGN for h in handlers]}))

    monkeypatch.setattr(figures, "stage_figures", lambda run, stage: [probe])
    drawer = figures.RunFigures(parallel=True)
    drawer.draw(RunFolder(tmp_path), "selection", "000-x")
    drawer.wait()
    assert json.loads((tmp_path / "probe.json").read_text()) == {
        "pdeathsig": int(signal.SIGKILL), "ignored": [True, True, True]}
