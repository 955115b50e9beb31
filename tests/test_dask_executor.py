"""The Dask executor on a real LocalCluster: 2 worker processes × 1 thread, on loopback.

Same results as the local executor; a worker killed mid-trial; a trial that always kills its
worker; an interrupted client resumed; a missing extra and an unreachable scheduler.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.errors import Interrupted
from mlpsel.events import TaskFinished
from mlpsel.search import grid_points
from mlpsel.store import run_identity
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART, TINY_OVERRIDES
from tests.golden_digests import run_folder_digests

distributed = pytest.importorskip("distributed")
import cloudpickle  # noqa: E402  (comes with distributed)

from mlpsel.dask_executor import Cluster, DaskExecutor, connect, run_on_worker  # noqa: E402

pytestmark = [pytest.mark.dask, pytest.mark.slow]
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the wrappers below, to workers

CV_OVERRIDES = [*TINY_OVERRIDES, "cv.folds=2"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import dask

    cache = tmp_path_factory.getbasetemp() / "mlpsel-cache"
    os.environ["MLPSEL_CACHE_DIR"] = str(cache)  # inherited by the worker processes
    with dask.config.set({"distributed.scheduler.allowed-failures": 2,
                          "distributed.scheduler.worker-saturation": 1.0}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address="127.0.0.1:0")
        client = distributed.Client(local, timeout=30)
        yield Cluster(client, local, "test cluster")
        client.close()
        local.close()


def executor_for(cluster, config, trial_function=None):
    return DaskExecutor(cluster, config, run_identity("cv", config, 1), blas_threads=1,
                        trial_function=trial_function)


def comparable(digests: dict[str, str]) -> dict[str, str]:
    """Every file but run.json (which records the executor)."""
    return {name: digest for name, digest in digests.items() if name != "run.json"}


def test_same_results_as_the_local_executor(cluster, tmp_path):
    config = load_config(QUICKSTART, CV_OVERRIDES)
    local = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "local", jobs=2))
    on_dask = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "dask", jobs=2),
                        executor=executor_for(cluster, config))
    assert comparable(run_folder_digests(on_dask.run.path)) == comparable(
        run_folder_digests(local.run.path))
    for name in ("predictions.csv", "confusion_matrix.csv", "per_class.csv"):  # byte for byte
        assert (on_dask.run.best_dir / name).read_bytes() == (
            local.run.best_dir / name).read_bytes()
    # model.npz: member by member (a zip member's header holds the time it was written)
    assert run_folder_digests(on_dask.run.best_dir)["model.npz"] == run_folder_digests(
        local.run.best_dir)["model.npz"]
    info = on_dask.run.read_run_info()
    assert info["executor"]["name"] == "dask" and len(info["executor"]["workers"]) >= 1


def test_halving_continues_its_survivors_on_workers_as_locally(cluster, tmp_path):
    """Checkpoints travel with the tasks (the client reads and stores them): the same rounds,
    scores and chosen network as the local executor."""
    config = load_config(QUICKSTART, [*CV_OVERRIDES, "training.epochs=4",
                                      "search.strategy=halving", "search.factor=2",
                                      "search.space.training.learning_rate=[0.02, 0.05, 0.2]"])
    local = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "local", jobs=2))
    on_dask = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "dask", jobs=2),
                        executor=executor_for(cluster, config))
    assert comparable(run_folder_digests(on_dask.run.path)) == comparable(
        run_folder_digests(local.run.path))
    assert any(name.endswith("-epochs4/result.json") for name in
               run_folder_digests(on_dask.run.path))


def kill_worker_once(task, blas_threads, marker_dir, start=None):
    """The first attempt at fold 1 of the first grid point kills its worker process."""
    if task.task_id.endswith("r0f1") and task.grid_point.index == 0:
        marker = Path(marker_dir) / "killed"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
    return run_on_worker(task, blas_threads, start)


def always_kill(task, blas_threads, victim, start=None):
    if task.task_id == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_on_worker(task, blas_threads, start)


def counting(task, blas_threads, count_dir, start=None):
    with open(Path(count_dir) / task.task_id, "a") as file:
        file.write("run\n")
    return run_on_worker(task, blas_threads, start)


def test_a_worker_killed_mid_trial_still_completes_the_sweep_once(cluster, tmp_path):
    import functools

    config = load_config(QUICKSTART, CV_OVERRIDES)
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    events = []
    executor = executor_for(cluster, config, functools.partial(kill_worker_once,
                                                               marker_dir=str(marker_dir)))
    result = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "runs"),
                       executor=executor, on_event=events.append)
    assert (marker_dir / "killed").exists()  # a worker really died
    finished = [e.task_id for e in events if isinstance(e, TaskFinished)]
    assert len(finished) == len(set(finished)) == 5  # 4 fold trials + the refit, once each
    results = result.run.finished_trial_results()
    assert len(results) == 5 and all(r["status"] == "ok" for r in results.values())


def test_a_trial_that_always_kills_its_worker_is_failed_and_the_rest_finish(cluster, tmp_path):
    import functools

    config = load_config(QUICKSTART, CV_OVERRIDES)
    victim = f"{grid_points(config)[0].grid_point_id}-r0f0"
    executor = executor_for(cluster, config, functools.partial(always_kill, victim=victim))
    result = run_study("cv", config, StudyOptions(runs_dir=tmp_path / "runs"), executor=executor)
    stored = result.run.finished_trial_results()
    assert stored[victim]["status"] == "failed" and "KilledWorker" in stored[victim]["error"]
    others = [r for task_id, r in stored.items() if task_id != victim]
    assert len(others) == 4 and all(r["status"] == "ok" for r in others)
    assert result.summary["best"]["trial_id"] != grid_points(config)[0].grid_point_id


def test_an_interrupted_client_resumes_without_retraining(cluster, tmp_path):
    import functools

    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=3"])
    count_dir = tmp_path / "counts"
    count_dir.mkdir()
    trial = functools.partial(counting, count_dir=str(count_dir))
    seen = []

    def interrupt_after_two(event):
        if isinstance(event, TaskFinished):
            seen.append(event.task_id)
            if len(seen) == 2:
                raise KeyboardInterrupt

    options = StudyOptions(runs_dir=tmp_path / "runs")
    with pytest.raises(Interrupted, match="interrupted with 2 of 6 trials finished and stored"):
        run_study("cv", config, options, executor=executor_for(cluster, config, trial),
                  on_event=interrupt_after_two)
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    stored_first = {p.parent.name for p in run.glob("trials/*/result.json")}
    assert len(stored_first) >= 2
    events = []
    # (in a new process the same command finds the run itself; this process is still alive)
    again = StudyOptions(runs_dir=tmp_path / "runs", resume=run.name)
    result = run_study("cv", config, again, executor=executor_for(cluster, config, trial),
                       on_event=events.append)
    assert result.run.path == run  # the same run, continued
    resumed = {e.task_id for e in events if isinstance(e, TaskFinished) and e.resumed}
    assert stored_first <= resumed
    for task_id in stored_first:  # trained once, not again
        assert (count_dir / task_id).read_text().count("run") == 1
    assert len(result.run.finished_trial_results()) == 6 + 1


def test_a_missing_extra_is_one_line_exit_2(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(app, ["cv", str(QUICKSTART), "--executor", "dask", "--smoke",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        'error: the Dask executor needs the dask extra: pip install "mlpsel[dask]"']
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # no run folder


def test_an_unreachable_scheduler_is_one_line_exit_2(tmp_path):
    import socket

    with socket.socket() as probe:  # a free loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(app, ["cv", str(QUICKSTART), "--address",
                                      f"tcp://127.0.0.1:{port}", "--smoke",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} "
                           "within 10 s")


def test_connect_starts_a_local_cluster_sized_to_the_machine_and_says_so():
    cluster = connect(blas_threads=1)
    try:
        assert cluster.description.startswith("started a Dask LocalCluster on this machine")
        workers = cluster.client.scheduler_info()["workers"]
        assert len(workers) == max(1, len(os.sched_getaffinity(0)))
        assert all(w["nthreads"] == 1 for w in workers.values())
    finally:
        cluster.close()


def test_a_worker_with_other_data_or_versions_is_refused_naming_the_worker(cluster):
    from mlpsel.dask_executor import PLUGIN_NAME, WorkerData, dataset_fingerprint
    from mlpsel.errors import DataError, ExecutorError
    from mlpsel.experiment import load_run_data

    config = load_config(QUICKSTART, CV_OVERRIDES)
    other = load_run_data(load_config(QUICKSTART, [*CV_OVERRIDES, "dataset.test_subset=100"]))
    executor = executor_for(cluster, config)  # the workers load the config's data ...
    with pytest.raises(DataError, match=r"worker tcp://127\.0\.0\.1:\d+ loaded other data"):
        executor._register_data(other)  # ... which is not the client's
    plugin = WorkerData(config.values, dataset_fingerprint(load_run_data(config)), None)
    plugin.versions = {**plugin.versions, "mlpsel": "0.0.1"}
    with pytest.raises(ExecutorError, match=r"worker tcp://127\.0\.0\.1:\d+ has mlpsel 0\.1\.0, "
                       r"the client 0\.0\.1"):
        cluster.client.register_plugin(plugin, name=PLUGIN_NAME)


def test_dask_scheduler_address_is_honoured(monkeypatch, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", f"tcp://127.0.0.1:{port}")
    result = CliRunner().invoke(app, ["train", str(QUICKSTART), "--executor", "dask", "--smoke",
                                      "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in result.output
