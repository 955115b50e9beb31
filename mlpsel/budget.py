"""What a sweep will cost before it runs: trials, multiply-adds, a rough time, and disk.

A sweep left alone for hours should not be one by mistake. :func:`estimate_sweep` adds up the
planned tasks: a task trains ``epochs`` passes over its ``n_train`` rows and scores its
``n_validation`` rows after each, so with ``w`` weights (``Σ n_l · n_(l−1)``) it costs about

    3 · w · n_train · epochs + w · n_validation · epochs   multiply-adds

(forward Z = W·A, then dW = dZ·Aᵀ and dA_prev = Wᵀ·dZ backward). The time divides that by the
multiply-adds per second this machine does in a short float32 product on one worker's BLAS
threads (measured when asked, about 20 ms), times the workers running at once: a rough figure,
right to within a factor of two or so. Disk is what the run folder will hold at its largest:
each task's ``result.json`` and ``history.csv``, the model files the config keeps
(``keep.trial_models``), stored predictions and checkpoints, and ``best/``.

:func:`limits_passed` says which of :data:`MAX_TRIALS`, :data:`MAX_HOURS` and :data:`MAX_DISK_GB`
(or the free space of the runs folder) a sweep passes; the pipeline refuses such a sweep unless
the user said ``--yes``.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_TRIALS = 1000
"""More tasks than this need ``--yes``."""
MAX_HOURS = 12.0
"""A rough time estimate past this many hours needs ``--yes``."""
MAX_DISK_GB = 10.0
"""A run folder estimated past this many gigabytes (or past the free space) needs ``--yes``."""

RESULT_BYTES = 1_500  # result.json
HISTORY_BYTES_PER_EPOCH = 110  # one history.csv row
FIXED_BYTES = 400_000  # run.json, config.yaml, env.json, tables, summary and figures


@dataclass(frozen=True)
class PlannedTask:
    """One task of a sweep as the estimate sees it.

    Attributes
    ----------
    layer_sizes : tuple of int
        n_0 … n_L of its network.
    n_train, n_validation : int
        Rows trained on and scored after each epoch.
    epochs : int
        Epochs it trains (successive halving: those beyond the checkpoint it continues).
    keeps_model, keeps_predictions, keeps_checkpoint : bool
        What it stores beside ``result.json`` and ``history.csv``.
    """

    layer_sizes: tuple[int, ...]
    n_train: int
    n_validation: int
    epochs: int
    keeps_model: bool = False
    keeps_predictions: bool = False
    keeps_checkpoint: bool = False

    @property
    def weights(self) -> int:
        """``Σ n_l · n_(l−1)``: the multiply-adds of one sample's forward pass."""
        sizes = self.layer_sizes
        return sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))

    @property
    def parameters(self) -> int:
        """Weights and biases."""
        return self.weights + sum(self.layer_sizes[1:])

    @property
    def multiply_adds(self) -> float:
        return float(self.weights) * self.epochs * (3 * self.n_train + self.n_validation)

    @property
    def model_bytes(self) -> int:
        """Its ``model.npz``: float32 parameters, the input scaling, the archive's headers."""
        return 4 * self.parameters + 16 * self.layer_sizes[0] + 2_000

    @property
    def disk_bytes(self) -> int:
        size = RESULT_BYTES + HISTORY_BYTES_PER_EPOCH * (self.epochs + 1)
        model = self.model_bytes
        if self.keeps_model:
            size += model
        if self.keeps_checkpoint:  # the network and the optimizer's state (Adam: two more)
            size += 3 * model
        if self.keeps_predictions:
            size += 8 * self.n_validation + 128
        return size


@dataclass(frozen=True)
class SweepEstimate:
    """A sweep's cost before it runs.

    Attributes
    ----------
    n_tasks : int
        Tasks to train, a refit counted.
    epochs : int
        Epochs over all tasks.
    multiply_adds : float
    seconds : float
        Rough wall time with ``jobs`` workers.
    disk_bytes : int
        The run folder at its largest.
    free_bytes : int or None
        Free space where the run folder goes (None where it cannot be told).
    jobs : int
    """

    n_tasks: int
    epochs: int
    multiply_adds: float
    seconds: float
    disk_bytes: int
    free_bytes: int | None
    jobs: int

    def describe(self) -> str:
        """One sentence: trials, epochs, time and disk."""
        workers = f"{self.jobs} worker{'s' if self.jobs != 1 else ''}"
        return (f"{self.n_tasks:,} trials, {self.epochs:,} epochs, {self.multiply_adds:.2g} "
                f"multiply-adds: roughly {format_duration(self.seconds)} on {workers} and "
                f"{format_bytes(self.disk_bytes)} on disk")


def estimate_sweep(tasks: Sequence[PlannedTask], *, jobs: int, runs_dir: Path,
                   multiply_adds_per_second: float | None = None,
                   extra_bytes: int = 0) -> SweepEstimate:
    """Add up ``tasks`` (see the module docstring); ``extra_bytes`` is what the run writes
    besides them (``best/``). The rate is measured here unless given."""
    rate = multiply_adds_per_second or measured_rate()
    work = sum(task.multiply_adds for task in tasks)
    workers = max(1, min(jobs, len(tasks)))
    disk = FIXED_BYTES + extra_bytes + sum(task.disk_bytes for task in tasks)
    return SweepEstimate(
        n_tasks=len(tasks), epochs=sum(task.epochs for task in tasks), multiply_adds=work,
        seconds=work / (rate * workers), disk_bytes=disk, free_bytes=free_space(runs_dir),
        jobs=workers)


def limits_passed(estimate: SweepEstimate) -> list[str]:
    """The limits the sweep passes, each as a phrase ("over 1,000 trials"); [] when none."""
    passed = []
    if estimate.n_tasks > MAX_TRIALS:
        passed.append(f"over {MAX_TRIALS:,} trials")
    if estimate.seconds > MAX_HOURS * 3600:
        passed.append(f"over {MAX_HOURS:g} hours")
    if estimate.disk_bytes > MAX_DISK_GB * 1e9:
        passed.append(f"over {MAX_DISK_GB:g} GB on disk")
    if estimate.free_bytes is not None and estimate.disk_bytes > estimate.free_bytes:
        passed.append(f"more than the {format_bytes(estimate.free_bytes)} free")
    return passed


def measured_rate(blas_threads: int = 1, repeats: int = 3) -> float:
    """Multiply-adds per second of a float32 product the size of a hidden layer's forward pass
    over a mini-batch (256 × 784 by 784 × 128) on ``blas_threads`` threads, the best of
    ``repeats``."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    weights = rng.random((256, 784), dtype=np.float32)  # W: (n_l, n_(l-1))
    activations = rng.random((784, 128), dtype=np.float32)  # A: (n_(l-1), m)
    best = math.inf
    with threadpool_limits(blas_threads):
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(10):
                weights @ activations
            best = min(best, (time.perf_counter() - started) / 10)
    return 256 * 784 * 128 / max(best, 1e-9)


def free_space(folder: Path) -> int | None:
    """Free bytes on the file system of ``folder`` (or its nearest existing parent)."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def format_duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3.2 hours``, ``4.5 days``."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def format_bytes(size: float) -> str:
    """``12 kB``, ``3.4 MB``, ``1.2 GB`` (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size < 10 * scale else \
                f"{size / scale:.0f} {unit}"
    return f"{size:.0f} B"
