"""The job a user would otherwise run: scikit-learn's GridSearchCV against ``mlpsel cv``.

Both on full MNIST (float32, /255), the same 2 × 2 grid, 3 folds, 5 epochs, refit on all training
images and one score on the test set, each in a fresh process, interleaved (mlpsel, scikit-learn,
mlpsel, …) so a noisy machine affects both alike::

    GridSearchCV(MLPClassifier(solver="sgd", momentum=0.9, batch_size=128, max_iter=5),
                 {"hidden_layer_sizes": [(256,), (512,)], "learning_rate_init": [0.05, 0.1]},
                 cv=3, n_jobs=2)
    mlpsel cv configs/mnist_basic.yaml --folds 3 --set training.epochs=5   (the same grid)

It prints both wall times (mlpsel: the whole command, start-up and files included; scikit-learn:
fit, refit and test score), their ratio, both choices and test accuracies, and the share of the
sweep's matrix-product floor mlpsel reaches: every product of every fold training, validation
pass, the refit and the test pass, each timed alone on its shape with two BLAS threads, summed.
With ``OPENBLAS_CORETYPE`` set in the environment it runs both ways (as set, and unset).

    python benchmarks/bench_gridsearch.py [--rounds 1] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
HIDDEN = (256, 512)
LEARNING_RATES = (0.05, 0.1)
FOLDS, EPOCHS, BATCH = 3, 5, 128
N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = 60_000, 10_000, 784, 10
EVALUATION_CHUNK = 1024  # mlpsel.nn.train.EVALUATION_CHUNK_ROWS

SKLEARN = r"""
import json, sys, time, warnings
import numpy as np
from mlpsel.data import load_dataset
data = load_dataset("mnist", data_dir=sys.argv[1])
X = (data.train_images / np.float32(255)).astype(np.float32)
X_test = (data.test_images / np.float32(255)).astype(np.float32)
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
warnings.filterwarnings("ignore")
started = time.perf_counter()
search = GridSearchCV(MLPClassifier(solver="sgd", momentum=0.9, batch_size=128, max_iter=5),
                      {"hidden_layer_sizes": [(256,), (512,)],
                       "learning_rate_init": [0.05, 0.1]}, cv=3, n_jobs=2)
search.fit(X, data.train_labels)
accuracy = search.score(X_test, data.test_labels)
print(json.dumps({"seconds": time.perf_counter() - started, "test_accuracy": accuracy,
                  "chosen": str(search.best_params_)}))
"""


def run_mlpsel(data_dir: str, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        command = [sys.executable, "-m", "mlpsel", "cv",
                   str(REPOSITORY / "configs" / "mnist_basic.yaml"),
                   "--folds", str(FOLDS), "--set", f"training.epochs={EPOCHS}",
                   "--set", f"training.batch_size={BATCH}",
                   "--set", "search.model.hidden_layers=[[256], [512]]",
                   "--set", "search.training.learning_rate=[0.05, 0.1]",
                   "--data-dir", data_dir, "--runs-dir", runs, "--quiet"]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        (run,) = Path(runs).iterdir()
        summary = json.loads((run / "summary.json").read_text())
    return {"seconds": seconds, "test_accuracy": summary["test"]["test_accuracy"],
            "chosen": str(summary["best"]["params"])}


def run_sklearn(data_dir: str, env: dict[str, str]) -> dict:
    completed = subprocess.run([sys.executable, "-c", SKLEARN, data_dir], check=True, env=env,
                               capture_output=True, text=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def product_floor_seconds(env: dict[str, str], refit_hidden: int) -> float:
    """Seconds the sweep's matrix products take at two-core sgemm speed (measured in a fresh
    process with ``env``); the refit and test pass are those of ``refit_hidden`` units."""
    code = f"""
import json, time
import numpy as np
from threadpoolctl import threadpool_limits
def timed(a, b, repeats=20):
    out = a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        np.matmul(a, b, out=out)
    return (time.perf_counter() - started) / repeats
rng = np.random.default_rng(0)
m, n0, k, chunk = {BATCH}, {N_FEATURES}, {N_CLASSES}, {EVALUATION_CHUNK}
total = 0.0
with threadpool_limits(2):
    for h in {HIDDEN}:
        f = lambda *s: rng.standard_normal(s).astype(np.float32)
        W1, W2 = f(h, n0), f(k, h)
        X, A1, dZ2, dZ1 = f(n0, m), f(h, m), f(k, m), f(h, m)
        step = (timed(W1, X) + timed(W2, A1)          # Z1 = W1·X, Z2 = W2·A1
                + timed(dZ2, A1.T) + timed(W2.T, dZ2)  # dW2 = dZ2·A1ᵀ, dA1 = W2ᵀ·dZ2
                + timed(dZ1, X.T))                     # dW1 = dZ1·Xᵀ (no dA0)
        Xc, A1c = f(n0, chunk), f(h, chunk)
        forward_chunk = timed(W1, Xc) + timed(W2, A1c)
        fold_train = {N_TRAIN} * ({FOLDS} - 1) // {FOLDS}
        fold_validation = {N_TRAIN} // {FOLDS}
        for lr in range({len(LEARNING_RATES)}):
            total += {FOLDS} * {EPOCHS} * (fold_train / m) * step            # fold training
            total += {FOLDS} * {EPOCHS} * (fold_validation / chunk) * forward_chunk
    h = {refit_hidden}  # the refit and the test pass of the chosen network
    W1, W2, X, A1 = f(h, n0), f(k, h), f(n0, m), f(h, m)
    dZ2, dZ1 = f(k, m), f(h, m)
    step = timed(W1, X) + timed(W2, A1) + timed(dZ2, A1.T) + timed(W2.T, dZ2) + timed(dZ1, X.T)
    total += {EPOCHS} * ({N_TRAIN} / m) * step
    total += ({N_TEST} / chunk) * (timed(W1, f(n0, chunk)) + timed(W2, f(h, chunk)))
print(json.dumps(total))
"""
    completed = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                               capture_output=True, text=True)
    return float(completed.stdout.strip())


def environments() -> list[tuple[str, dict[str, str]]]:
    as_is = dict(os.environ)
    if "OPENBLAS_CORETYPE" not in as_is and "OPENBLAS_L2_SIZE" not in as_is:
        return [("environment as it is (OPENBLAS_CORETYPE not set)", as_is)]
    unset = {k: v for k, v in as_is.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return [(f"OPENBLAS_CORETYPE={as_is.get('OPENBLAS_CORETYPE')}", as_is),
            ("OPENBLAS_CORETYPE unset", unset)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    default_data = os.environ.get("MLPSEL_DATA_DIR", str(REPOSITORY.parent / "shared/data"))
    parser.add_argument("--data-dir", default=default_data)
    arguments = parser.parse_args()
    if not (Path(arguments.data_dir) / "mnist").is_dir():
        sys.exit(f"needs full MNIST in {arguments.data_dir}/mnist (--data-dir)")
    for label, env in environments():
        mlpsel_runs, sklearn_runs = [], []
        for _ in range(arguments.rounds):
            mlpsel_runs.append(run_mlpsel(arguments.data_dir, env))
            sklearn_runs.append(run_sklearn(arguments.data_dir, env))
        chosen_hidden = json.loads(mlpsel_runs[-1]["chosen"].replace("'", '"'))[
            "model.hidden_layers"][0]
        floor = product_floor_seconds(env, chosen_hidden)
        mine = statistics.median(r["seconds"] for r in mlpsel_runs)
        theirs = statistics.median(r["seconds"] for r in sklearn_runs)
        print(f"\n{label}: {arguments.rounds} interleaved round(s), median wall seconds")
        print("| tool | seconds | ratio | chosen | test accuracy |")
        print("| --- | --- | --- | --- | --- |")
        print(f"| mlpsel cv | {mine:.1f} | {mine / theirs:.2f}× | {mlpsel_runs[-1]['chosen']} | "
              f"{mlpsel_runs[-1]['test_accuracy']:.4f} |")
        print(f"| scikit-learn GridSearchCV | {theirs:.1f} | 1.00× | {sklearn_runs[-1]['chosen']}"
              f" | {sklearn_runs[-1]['test_accuracy']:.4f} |")
        print(f"matrix-product floor of the sweep (two-core sgemm): {floor:.1f} s = "
              f"{floor / mine:.0%} of mlpsel's wall time (target ≥ 85%); "
              f"ratio target ≤ 0.70×: {'yes' if mine / theirs <= 0.7 else 'no'}")
        print("all runs (mlpsel / scikit-learn seconds): " + ", ".join(
            f"{a['seconds']:.1f} / {b['seconds']:.1f}"
            for a, b in zip(mlpsel_runs, sklearn_runs, strict=True)))


if __name__ == "__main__":
    main()
