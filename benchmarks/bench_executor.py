"""Sweep throughput: a 12-trial grid on mnist-mini with ``--jobs 1`` against ``--jobs 2``.

Runs the real holdout selection (:func:`mlpsel.run_holdout`: the pipeline and its figures)
both ways, interleaved (1, 2, 1, 2, …) so a noisy machine affects both alike, and prints the
median wall time of each, their ratio, and whether the two produced identical results (every
column of ``trials.csv`` but the seconds, and the chosen network's test predictions byte for
byte).

    python benchmarks/bench_executor.py [--rounds 5] [--epochs N]   (default: the quick start's 15)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from mlpsel import run_holdout
from mlpsel.config import load_config

REPOSITORY = Path(__file__).resolve().parents[1]
GRID = [
    "search.model.hidden_layers=[[32], [64], [128]]",
    "search.training.learning_rate=[0.02, 0.05, 0.1, 0.2]",
]


def one_sweep(jobs: int, epochs: int | None, runs_dir: Path) -> tuple[float, Path]:
    overrides = [*GRID] + ([f"training.epochs={epochs}"] if epochs else [])
    config = load_config(REPOSITORY / "configs" / "quickstart.yaml", overrides)
    started = time.perf_counter()
    result = run_holdout(config, runs_dir=runs_dir, jobs=jobs, blas_threads=1)
    return time.perf_counter() - started, result.run.path


def same_results(first: Path, second: Path) -> bool:
    a = pd.read_csv(first / "trials.csv").drop(columns=["fit_seconds"])
    b = pd.read_csv(second / "trials.csv").drop(columns=["fit_seconds"])
    predictions_equal = ((first / "best" / "predictions.csv").read_bytes()
                         == (second / "best" / "predictions.csv").read_bytes())
    return a.equals(b) and predictions_equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per trial (default: the quick start's own)")
    options = parser.parse_args()
    console = Console()
    times: dict[int, list[float]] = {1: [], 2: []}
    runs: dict[int, list[Path]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        for round_index in range(options.rounds):
            for jobs in (1, 2):
                seconds, run = one_sweep(jobs, options.epochs, Path(folder) / f"r{round_index}")
                times[jobs].append(seconds)
                runs[jobs].append(run)
                console.print(f"round {round_index + 1}: --jobs {jobs}: {seconds:.2f} s")
        identical = all(same_results(runs[1][0], run) for run in runs[1][1:] + runs[2])
    epochs = options.epochs or load_config(REPOSITORY / "configs" / "quickstart.yaml")[
        "training.epochs"]
    table = Table(title=f"12 trials × {epochs} epochs on mnist-mini, 1 BLAS thread per trial, "
                  f"median of {options.rounds} interleaved rounds")
    table.add_column("jobs")
    table.add_column("median seconds", justify="right")
    table.add_column("spread (min–max)", justify="right")
    table.add_column("speed-up", justify="right")
    serial = statistics.median(times[1])
    for jobs in (1, 2):
        median = statistics.median(times[jobs])
        table.add_row(str(jobs), f"{median:.2f}", f"{min(times[jobs]):.2f}–{max(times[jobs]):.2f}",
                      f"{serial / median:.2f}×")
    console.print(table)
    console.print(f"identical results across all runs: {identical}")


if __name__ == "__main__":
    main()
