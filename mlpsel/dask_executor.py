"""The Dask executor: a sweep's trials as tasks on a Dask cluster (``pip install "mlpsel[dask]"``).

Same tasks, same results, same run folder and same resume as :class:`mlpsel.executor.LocalExecutor`:

- Each trial is one Dask task with a deterministic key, ``mlpsel-<run identity>-<task id>``.
- The data reaches every worker once: :class:`WorkerData`, a worker plugin, loads the run's
  dataset on the worker itself (from the worker's ``MLPSEL_DATA_DIR``, the client's
  ``--data-dir`` if that path exists there too, the worker's cache, or a download), checks its
  content hash and the mlpsel and NumPy versions against the client's, and refuses a mismatch
  with a message naming the worker. Tasks carry only the trial spec and its row indices.
- Dask runs a task *at least* once (a worker that dies mid-trial makes the scheduler run it
  again elsewhere). So the client is the only writer of the run folder: it stores each result
  atomically the moment it arrives, ignores a second copy of one it already holds, and releases
  the future. A trial that raises is recorded as ``failed``, as locally; one that kills its worker
  every time ends as ``failed`` (``KilledWorker``) after the scheduler's allowed failures, and the
  sweep goes on.
- BLAS threads are capped inside the task before the first product, as locally, so a trial gives
  the same bits on a worker as in a local run with the same ``--blas-threads`` on the same kind
  of machine.

What a worker needs: the same mlpsel and NumPy versions as the client (and, for identical bits,
the same OpenBLAS on the same kind of CPU), ``dask[distributed]``, and the dataset: full MNIST in
its ``MLPSEL_DATA_DIR`` or cache (``mnist-mini`` ships with the package).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import DataError, ExecutorError, Interrupted, MlpselError
from mlpsel.events import ClusterStatus, EventHandler, TaskFinished, TaskStarted, ignore
from mlpsel.executor import Task, default_jobs, stored_results
from mlpsel.experiment import HISTORY_COLUMNS, load_run_data, run_trial
from mlpsel.nn import MLP
from mlpsel.store import RunFolder
from mlpsel.version import __version__

PLUGIN_NAME = "mlpsel-data"
CONNECT_TIMEOUT_S = 10
INSTALL_HINT = 'the Dask executor needs the dask extra: pip install "mlpsel[dask]"'


def dataset_fingerprint(dataset: Dataset) -> str:
    """SHA-256 of the images, labels and class names a run trains and tests on."""
    digest = hashlib.sha256()
    for array in (dataset.train_images, dataset.train_labels, dataset.test_images,
                  dataset.test_labels):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\0".join(dataset.class_names).encode())
    return digest.hexdigest()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(INSTALL_HINT) from None
    return distributed


try:  # the plugin is a WorkerPlugin where Dask is installed; the module imports without it
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - exercised by the missing-extra test
    _WorkerPlugin = object


class WorkerData(_WorkerPlugin):
    """A Dask worker plugin: the run's dataset, loaded once on the worker and checked.

    Parameters
    ----------
    config_values : dict
        The run's resolved config (its ``dataset`` section and seed decide the data).
    fingerprint : str
        :func:`dataset_fingerprint` of the client's dataset.
    data_dir : str or None
        The client's ``--data-dir``, used where the same path exists on the worker.
    """

    name = PLUGIN_NAME

    def __init__(self, config_values: dict[str, Any], fingerprint: str,
                 data_dir: str | None) -> None:
        self.config_values = config_values
        self.fingerprint = fingerprint
        self.data_dir = data_dir
        self.versions = {"mlpsel": __version__, "numpy": np.__version__}
        self.dataset: Dataset | None = None

    def setup(self, worker: Any) -> None:
        here = {"mlpsel": __version__, "numpy": np.__version__}
        for package, version in self.versions.items():
            if here[package] != version:
                raise ExecutorError(f"worker {worker.address} has {package} {here[package]}, the "
                                    f"client {version}: install the same version on every worker")
        data_dir = os.environ.get("MLPSEL_DATA_DIR")
        if not data_dir and self.data_dir and os.path.isdir(self.data_dir):
            data_dir = self.data_dir
        dataset = load_run_data(Config(self.config_values, smoke=True),  # checked by the client
                                data_dir=data_dir)
        if dataset_fingerprint(dataset) != self.fingerprint:
            raise DataError(f"worker {worker.address} loaded other data for "
                            f"'{dataset.name}' than the client (content hash differs): give it "
                            "the same files (MLPSEL_DATA_DIR on the worker)")
        self.dataset = dataset


def run_on_worker(task: Task, blas_threads: int,
                  start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The Dask task: train one trial on this worker's copy of the data (continuing the
    checkpoint ``start`` when the task continues one); return what the client stores (the
    result, the history, the model's arrays and the checkpoint when kept, the worker's
    address)."""
    from distributed import get_worker
    from threadpoolctl import threadpool_limits

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None or plugin.dataset is None:
        raise ExecutorError(f"worker {worker.address} has no mlpsel data (its plugin failed)")
    with threadpool_limits(task.blas_threads or blas_threads):
        outcome = run_trial(task.spec, plugin.dataset, task.train_index,
                            task.validation_index, epochs=task.epochs,
                            score_train=task.score_train, start=start,
                            keep_checkpoint=task.keep_checkpoint)
    result = {**task.result_fields(), "status": outcome.status, "error": outcome.error,
              **outcome.scores}
    model = (outcome.network.to_arrays()
             if task.save_model and outcome.network is not None else None)
    predictions = outcome.validation_predictions if task.keep_predictions else None
    return {"result": result, "history": outcome.history, "model": model,
            "predictions": predictions, "checkpoint": outcome.checkpoint,
            "scores": outcome.validation_scores, "worker": worker.address}


@dataclass
class Cluster:
    """A connected Dask client, and the LocalCluster behind it when mlpsel started one."""

    client: Any
    local_cluster: Any
    description: str

    def close(self) -> None:
        self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()


def connect(address: str | None = None, scheduler_file: str | None = None, *,
            blas_threads: int = 1, timeout: float = CONNECT_TIMEOUT_S) -> Cluster:
    """Connect to the scheduler at ``address`` (or in ``scheduler_file``, or
    ``DASK_SCHEDULER_ADDRESS``); with none, start a LocalCluster of this machine's cores
    (workers × BLAS threads = cores, one thread each) on loopback.

    Raises
    ------
    ExecutorError
        The extra is missing, or the scheduler cannot be reached within ``timeout`` seconds.
    """
    distributed = _import_distributed()
    address = address or (None if scheduler_file else os.environ.get("DASK_SCHEDULER_ADDRESS"))
    if address is None and scheduler_file is None:
        import dask

        workers = max(1, default_jobs() // blas_threads)
        # one trial per worker thread, none queued behind it: a worker that dies takes no
        # innocent trial down with it
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                               processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0")
        client = distributed.Client(cluster, timeout=timeout)
        return Cluster(client, cluster, f"started a Dask LocalCluster on this machine: {workers} "
                       f"workers × 1 thread, {blas_threads} BLAS thread(s) per trial, "
                       f"scheduler {cluster.scheduler_address}")
    where = address or f"the scheduler file {scheduler_file}"
    try:
        if address is not None:
            client = distributed.Client(address, timeout=timeout)
        else:
            client = distributed.Client(scheduler_file=scheduler_file, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ExecutorError(f"cannot reach the Dask scheduler at {where} within {timeout:g} s "
                            f"({reason}); start one with 'dask scheduler', or drop --address "
                            "to start a local cluster") from None
    workers = client.scheduler_info().get("workers", {})
    return Cluster(client, None, f"connected to the Dask scheduler {client.scheduler.address} "
                   f"({len(workers)} workers)")


class DaskExecutor:
    """Runs tasks on a Dask cluster; the client stores every result (see the module docstring).

    Parameters
    ----------
    cluster : Cluster
        From :func:`connect`.
    config : Config
        The run's config: the workers load its dataset.
    identity : str
        The run's identity (:func:`mlpsel.store.run_identity`), for the task keys.
    blas_threads : int
    data_dir : str or None
    trial_function : callable, optional
        What each Dask task runs; :func:`run_on_worker` unless a test wraps it.
    """

    def __init__(self, cluster: Cluster, config: Config, identity: str, *, blas_threads: int = 1,
                 data_dir: str | None = None, trial_function: Any = None) -> None:
        self.cluster = cluster
        self.config = config
        self.identity = identity
        self.blas_threads = blas_threads
        self.data_dir = data_dir
        self.trial_function = trial_function or run_on_worker
        self.workers_seen: set[str] = set()
        self._plugin_for: str | None = None

    def describe(self) -> dict[str, Any]:
        """What ``run.json`` records about where the trials ran."""
        return {"name": "dask", "scheduler": self.cluster.client.scheduler.address,
                "workers": sorted(self.workers_seen)}

    def _register_data(self, dataset: Dataset) -> None:
        fingerprint = dataset_fingerprint(dataset)
        if self._plugin_for == fingerprint:
            return
        plugin = WorkerData(self.config.values, fingerprint, self.data_dir)
        try:
            self.cluster.client.register_plugin(plugin, name=PLUGIN_NAME)
        except MlpselError:
            raise
        except Exception as error:  # noqa: BLE001 - a worker's setup error comes back as it is
            raise ExecutorError(f"a Dask worker refused the run: {error}") from None
        self._plugin_for = fingerprint

    def run(self, tasks: Sequence[Task], dataset: Dataset, run: RunFolder,
            on_event: EventHandler | None = None) -> dict[str, dict[str, Any]]:
        """Run every task not already stored in ``run`` on the cluster; return
        ``task id → result`` for all of them.

        Raises
        ------
        Interrupted
            On Ctrl-C: the submitted tasks are cancelled; every result that arrived is stored.
        """
        distributed = _import_distributed()
        emit = on_event or ignore
        results, pending = stored_results(tasks, run, emit)
        if not pending:
            return {task.task_id: results[task.task_id] for task in tasks}
        self._register_data(dataset)
        client = self.cluster.client
        # a continued task carries its checkpoint: only the client reads the run folder
        futures = {client.submit(self.trial_function, task, self.blas_threads,
                                 start=run.read_checkpoint(task.continue_from)
                                 if task.continue_from is not None else None,
                                 key=f"mlpsel-{self.identity}-{task.task_id}", pure=False): task
                   for task in pending}
        by_key = {future.key: task for future, task in futures.items()}
        started: set[str] = set()
        try:
            arriving = distributed.as_completed(list(futures))
            last_status = 0.0
            while not arriving.is_empty():
                for future in arriving.next_batch(block=False) if arriving.has_ready() else []:
                    task = futures[future]
                    if task.task_id not in results:
                        results[task.task_id] = self._store(future, task, run, emit)
                    future.release()
                if time.monotonic() - last_status > 0.5:
                    last_status = time.monotonic()
                    self._cluster_status(by_key, started, results, emit)
                if not arriving.has_ready():
                    time.sleep(0.05)
        except KeyboardInterrupt:
            client.cancel(list(futures))
            stored = sum(run.trial_result(task.id).is_file() for task in tasks)
            raise Interrupted(f"interrupted with {stored} of {len(tasks)} trials finished and "
                              "stored") from None
        return {task.task_id: results[task.task_id] for task in tasks}

    def _store(self, future: Any, task: Task, run: RunFolder,
               emit: EventHandler) -> dict[str, Any]:
        """Record one arrived future (its result, or its failure) in the run folder."""
        if run.trial_result(task.id).is_file():  # a second copy: keep the first
            return run.finished_trial_results()[task.task_id]
        try:
            # waits where the finished result was lost with its worker and is being recomputed
            payload = future.result()
        except Exception as error:  # noqa: BLE001 - KilledWorker, or raised outside run_trial
            result = {**task.result_fields(), "status": "failed",
                      "error": f"{type(error).__name__}: {error}".strip()}
            run.write_task(task.id, result)
        else:
            self.workers_seen.add(payload["worker"])
            network = MLP.from_arrays(payload["model"]) if payload["model"] else None
            result = payload["result"]
            run.write_task(task.id, result, payload["history"], HISTORY_COLUMNS, network,
                           payload.get("predictions"), payload.get("checkpoint"),
                           payload.get("scores"))
        emit(TaskFinished(task.task_id, result, refit=task.id.refit))
        return result

    def _cluster_status(self, by_key: dict[str, Task], started: set[str],
                        results: dict[str, Any], emit: EventHandler) -> None:
        try:
            processing = self.cluster.client.processing()
        except Exception:  # noqa: BLE001 - progress is best effort; results never depend on it
            return
        running = {}
        for worker, keys in processing.items():
            ours = [by_key[key] for key in keys if key in by_key]
            running[worker] = len(ours)
            self.workers_seen.add(worker)
            for task in ours:
                if task.task_id not in started and task.task_id not in results:
                    started.add(task.task_id)
                    emit(TaskStarted(task.task_id, task.total_epochs))
        emit(ClusterStatus(running))
