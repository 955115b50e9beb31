"""Successive halving against the full grid, side by side, on full MNIST.

The 24 candidates of ``configs/mnist_halving.yaml`` (3 widths × 4 learning rates × 2 weight
decays, 9 epochs, holdout 50,000 / 10,000) chosen twice, each by ``mlpsel train`` in a fresh
process with ``--jobs 2``: by the full grid (every candidate trained 9 epochs) and by successive
halving (factor 3: rounds of 1, 3 and 9 epochs with 24, 8 and 3 candidates, survivors
continuing their trainings). It prints each choice, its validation and test accuracy, the wall
time, the epochs trained and the multiply-adds of the training (weights × images × epochs, the
sweep's compute), and halving's share of the grid's.

    python benchmarks/bench_halving.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CONFIG = REPOSITORY / "configs" / "mnist_halving.yaml"


def run(strategy: str, data_dir: str, runs_dir: Path) -> dict:
    """One ``mlpsel train`` of the config with ``search.strategy`` set; its summary and cost."""
    command = [sys.executable, "-m", "mlpsel", "train", str(CONFIG), "--data-dir", data_dir,
               "--runs-dir", str(runs_dir), "--jobs", "2", "--quiet",
               "--set", f"search.strategy={strategy}"]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPOSITORY)
    seconds = time.perf_counter() - started
    (run_dir,) = runs_dir.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    epochs = multiply_adds = 0
    for path in run_dir.glob("trials/*/result.json"):
        result = json.loads(path.read_text())
        trained = result.get("epochs_trained", result["epochs_run"])
        widths = [784, *result["params"]["model.hidden_layers"], 10]
        weights = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=False))
        epochs += trained
        multiply_adds += weights * summary["split"]["train"] * trained
    return {"strategy": strategy, "seconds": seconds, "chosen": summary["best"]["params"],
            "validation_accuracy": summary["best"]["validation_accuracy"],
            "test_accuracy": summary["test"]["test_accuracy"], "epochs": epochs,
            "multiply_adds": multiply_adds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("MLPSEL_DATA_DIR",
                                                              str(REPOSITORY.parent / "shared"
                                                                  / "data")))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for strategy in ("grid", "halving"):
            rows.append(run(strategy, args.data_dir, Path(scratch) / strategy))
    grid, halving = rows
    print("| search | chosen | validation accuracy | test accuracy | epochs trained | "
          "multiply-adds (share) | wall s (share) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        chosen = ", ".join(f"{key.split('.')[-1]}={value}" for key, value in row["chosen"].items())
        print(f"| {row['strategy']} | {chosen} | {row['validation_accuracy']:.4f} | "
              f"{row['test_accuracy']:.4f} | {row['epochs']} | "
              f"{row['multiply_adds'] / 1e12:.2f}e12 "
              f"({row['multiply_adds'] / grid['multiply_adds']:.0%}) | "
              f"{row['seconds']:.1f} ({row['seconds'] / grid['seconds']:.0%}) |")
    gap = 100 * (grid["test_accuracy"] - halving["test_accuracy"])
    print(f"\nhalving's choice: {gap:+.2f} points of test accuracy below the grid's "
          f"(target: within 0.3); compute {halving['multiply_adds'] / grid['multiply_adds']:.0%}"
          f" of the grid's (target: at most 40%)")


if __name__ == "__main__":
    main()
