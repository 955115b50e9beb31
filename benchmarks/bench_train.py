"""Training speed of mlpsel's NumPy loop against PyTorch (CPU) and scikit-learn, side by side.

Full MNIST, 50,000 training images, softmax + cross-entropy, SGD with momentum 0.9, float32,
two BLAS threads. Each peer trains its own network one epoch at a time, the peers interleaved
(A B C A B C …) so that a noisy machine slows all alike; the table shows the median epoch time,
its spread, the ratios to the peers, the share of the matrix-multiply floor (the epoch's matrix
products timed alone on the same shapes), and the test accuracy after the epochs, so speed never
comes at the cost of a wrong result. Peers that are not installed are skipped (neither is a
dependency of mlpsel).

Also measured: peak resident memory of a full-MNIST training run (the real path, in a fresh
process), the cost of evaluation against an epoch, loading MNIST warm from the cache, sweep
throughput (two single-thread trainings side by side against one two-thread training), and the
same mlpsel epoch with ``OPENBLAS_CORETYPE`` forced to Haswell and unset.

    python benchmarks/bench_train.py            # quick: the main setting, 5 epochs, ~2 minutes
    python benchmarks/bench_train.py --full     # every setting, 10 epochs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_info, threadpool_limits

from mlpsel.data import load_dataset
from mlpsel.nn import MLP, fit
from mlpsel.nn.optimizers import Momentum

REPOSITORY = Path(__file__).resolve().parents[1]
N_TRAIN = 50_000
LEARNING_RATE = 0.05
MOMENTUM = 0.9
THREADS = 2


def data_dir() -> str | None:
    shared = str(REPOSITORY.parent / "shared" / "data")
    for candidate in (os.environ.get("MLPSEL_DATA_DIR"), shared):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# The peers: each returns (train_one_epoch, test_accuracy)


def mlpsel_peer(sizes, batch, X, y, X_test, y_test):
    network = MLP(sizes, rng=np.random.default_rng(0))
    optimizer = Momentum(LEARNING_RATE, MOMENTUM)
    rng = np.random.default_rng(1)

    def epoch() -> None:
        fit(network, optimizer, X, y, epochs=1, batch_size=batch, rng=rng)

    return epoch, lambda: float(np.mean(network.predict(X_test) == y_test))


def torch_peer(sizes, batch, X, y, X_test, y_test):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    layers: list = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_function = torch.nn.CrossEntropyLoss()
    images, labels = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(1)

    def epoch() -> None:
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), batch):
            index = order[start:start + batch]
            inputs = images[index].float().mul_(1.0 / 255)
            optimizer.zero_grad(set_to_none=True)
            loss_function(model(inputs), labels[index]).backward()
            optimizer.step()

    def accuracy() -> float:
        with torch.no_grad():
            scores = model(torch.from_numpy(X_test).float() / 255)
        return float((scores.argmax(1).numpy() == y_test).mean())

    return epoch, accuracy


def sklearn_peer(sizes, batch, X, y, X_test, y_test):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), solver="sgd", alpha=0.0,
                          batch_size=batch, learning_rate_init=LEARNING_RATE, momentum=MOMENTUM,
                          nesterovs_momentum=False, max_iter=1, warm_start=True, shuffle=True,
                          random_state=0)
    inputs = X.astype(np.float32) / np.float32(255)

    def epoch() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(inputs, y)

    return epoch, lambda: float(model.score(X_test.astype(np.float32) / np.float32(255), y_test))


PEERS: dict[str, tuple[str, Callable]] = {
    "mlpsel": ("mlpsel", mlpsel_peer),
    "pytorch": ("torch", torch_peer),
    "scikit-learn": ("sklearn", sklearn_peer),
}


def available_peers() -> dict[str, Callable]:
    found = {}
    for name, (module, build) in PEERS.items():
        try:
            __import__(module)
            found[name] = build
        except ImportError:
            pass
    return found


# ---------------------------------------------------------------------------------------------
# The matrix-multiply floor


def matmul_floor(sizes: list[int], batch: int, rounds: int = 3) -> tuple[float, float]:
    """(seconds, GFLOP) of one epoch's matrix products alone, on the loop's shapes and layouts."""
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 255, (batch, sizes[0])).astype(np.float32)
    flop = 0.0
    products = []
    A_previous = rows.T  # (n_0, m): a transposed view, as the loop uses
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        W = rng.standard_normal((n_out, n_in)).astype(np.float32)
        dZ = rng.standard_normal((n_out, batch)).astype(np.float32)
        A = A_previous
        products.append(lambda W=W, A=A: W @ A)  # Z = W·A_prev
        products.append(lambda dZ=dZ, A=A: dZ @ A.T)  # dW = dZ·A_prevᵀ
        flop += 2 * 2 * n_out * n_in * batch
        if layer > 0:
            products.append(lambda W=W, dZ=dZ: W.T @ dZ)  # dA_prev = Wᵀ·dZ
            flop += 2 * n_out * n_in * batch
        A_previous = np.maximum(W @ A, 0)
    steps = N_TRAIN // batch
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(steps):
            for product in products:
                product()
        best = min(best, time.perf_counter() - started)
    return best, flop * steps / 1e9


# ---------------------------------------------------------------------------------------------
# One setting


def peer_process(name: str, sizes: list[int], batch: int, directory: str) -> subprocess.Popen:
    """A process that holds one peer's network and trains it one epoch per request."""
    return subprocess.Popen(
        [sys.executable, __file__, "--peer", name, "--sizes", ",".join(map(str, sizes)),
         "--batch", str(batch), "--data-dir", directory],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(process: subprocess.Popen, request: str) -> float:
    process.stdin.write(request + "\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def serve_peer(name: str, sizes: list[int], batch: int, directory: str) -> None:
    """The peer process: ``epoch`` → seconds of one epoch; ``accuracy`` → test accuracy."""
    data = load_dataset("mnist", data_dir=directory)
    X = np.array(data.train_images[:N_TRAIN])  # writable copies (PyTorch wants them)
    y = np.array(data.train_labels[:N_TRAIN])
    X_test, y_test = np.array(data.test_images), np.array(data.test_labels)
    with threadpool_limits(THREADS):
        epoch, accuracy = available_peers()[name](sizes, batch, X, y, X_test, y_test)
        for request in sys.stdin:
            if request.strip() == "epoch":
                started = time.perf_counter()
                epoch()
                print(time.perf_counter() - started, flush=True)
            elif request.strip() == "accuracy":
                print(accuracy(), flush=True)


def compare_peers(sizes: list[int], batch: int, epochs: int, directory: str) -> dict:
    """Each peer in its own process (so no peer's thread pool spins on another's cores), the
    epochs interleaved across them, a short pause between."""
    processes = {name: peer_process(name, sizes, batch, directory) for name in available_peers()}
    times: dict[str, list[float]] = {name: [] for name in processes}
    for process in processes.values():
        ask(process, "epoch")  # a warm-up epoch, not counted: first-touch page faults, caches
    for _ in range(epochs):
        for name, process in processes.items():
            time.sleep(0.3)
            times[name].append(ask(process, "epoch"))
    result = {"sizes": sizes, "batch": batch, "epochs": epochs, "peers": {}}
    for name, process in processes.items():
        result["peers"][name] = {"median": statistics.median(times[name]),
                                 "min": min(times[name]), "max": max(times[name]),
                                 "test_accuracy": ask(process, "accuracy")}
        process.stdin.close()
        process.wait(timeout=60)
    with threadpool_limits(THREADS):
        result["floor_seconds"], result["gflop_per_epoch"] = matmul_floor(sizes, batch)
    return result


def setting_table(result: dict) -> Table:
    shape = "-".join(map(str, result["sizes"]))
    table = Table(title=f"{shape}, batch {result['batch']}, {result['epochs']} interleaved "
                  f"epochs after a warm-up one, {THREADS} threads; matrix products alone: "
                  f"{result['floor_seconds']:.3f} s ({result['gflop_per_epoch']:.0f} GFLOP)",
                  title_justify="left")
    for column in ("peer", "median epoch s", "spread", "mlpsel ÷ peer", "share of floor",
                   "test accuracy"):
        table.add_column(column, justify="left" if column == "peer" else "right")
    ours = result["peers"]["mlpsel"]["median"]
    for name, peer in result["peers"].items():
        table.add_row(name, f"{peer['median']:.3f}", f"{peer['min']:.3f}–{peer['max']:.3f}",
                      f"{ours / peer['median']:.2f}×" if name != "mlpsel" else "",
                      f"{result['floor_seconds'] / peer['median']:.0%}",
                      f"{peer['test_accuracy']:.2%}")
    return table


# ---------------------------------------------------------------------------------------------
# Measurements in fresh processes

CHILD = r"""
import json, sys, time
def peak_rss_mb():  # VmHWM: the peak resident size of this program (reset at exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
import numpy as np
from threadpoolctl import threadpool_limits, threadpool_info
mode, data_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
from mlpsel.data import load_dataset
from mlpsel.nn import MLP, fit, evaluate
from mlpsel.nn.optimizers import Momentum
started = time.perf_counter()
data = load_dataset("mnist", data_dir=data_dir)
load_seconds = time.perf_counter() - started
X, y = data.train_images[:50000], data.train_labels[:50000]
with threadpool_limits(threads):
    network = MLP([784, 512, 10], rng=np.random.default_rng(0))
    optimizer = Momentum(0.05, 0.9)
    epochs = 3 if mode == "sweep" else 2
    started = time.perf_counter()
    fit(network, optimizer, X, y, epochs=epochs, batch_size=128, rng=np.random.default_rng(1))
    epoch_seconds = (time.perf_counter() - started) / epochs
    started = time.perf_counter()
    evaluate(network, data.train_images[50000:], data.train_labels[50000:])
    validation_seconds = time.perf_counter() - started
    started = time.perf_counter()
    network.predict_proba(data.test_images)
    test_seconds = time.perf_counter() - started
print(json.dumps({"load_seconds": load_seconds, "epoch_seconds": epoch_seconds,
                  "epochs": epochs, "validation_seconds": validation_seconds,
                  "test_seconds": test_seconds,
                  "peak_rss_mb": peak_rss_mb(),
                  "kernel": threadpool_info()[0].get("architecture")}))
"""


def child(mode: str, data_directory: str, threads: int,
          env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, data_directory, str(threads)],
                            stdout=subprocess.PIPE, text=True, env=env)


def child_result(process: subprocess.Popen) -> dict:
    output, _ = process.communicate(timeout=600)
    return json.loads(output.strip().splitlines()[-1])


def sweep_throughput(data_directory: str, rounds: int) -> dict:
    """Epochs per second: 2 processes × 1 BLAS thread side by side, against 1 × 2 threads."""
    parallel, serial = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        results = [child_result(p) for p in [child("sweep", data_directory, 1) for _ in range(2)]]
        elapsed = time.perf_counter() - started
        parallel.append(sum(r["epochs"] for r in results) / elapsed)
        started = time.perf_counter()
        result = child_result(child("sweep", data_directory, 2))
        serial.append(result["epochs"] / (time.perf_counter() - started))
    return {"parallel": statistics.median(parallel), "serial": statistics.median(serial),
            "parallel_all": parallel, "serial_all": serial}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every setting, 10 epochs")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.peer:
        serve_peer(options.peer, [int(n) for n in options.sizes.split(",")], options.batch,
                   options.data_dir)
        return
    console = Console(width=max(Console().width, 110))
    directory = data_dir()
    if directory is None:
        console.print("full MNIST is needed: set MLPSEL_DATA_DIR to a folder holding mnist/")
        sys.exit(2)
    epochs = options.epochs or (10 if options.full else 5)
    pool = threadpool_info()[0] if threadpool_info() else {}
    console.print(f"peers found: {', '.join(available_peers())}; BLAS: {pool.get('internal_api')} "
                  f"{pool.get('version')}, kernel {pool.get('architecture')}; "
                  f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r}")
    load_dataset("mnist", data_dir=directory)  # verified and cached once, before the peers
    settings = [([784, 512, 10], 128)]
    if options.full:
        settings += [([784, 512, 10], 32), ([784, 512, 10], 512), ([784, 256, 128, 10], 128)]
    for sizes, batch in settings:
        console.print(setting_table(compare_peers(sizes, batch, epochs, directory)))

    measured = child_result(child("memory", directory, THREADS))
    evaluation_seconds = measured["validation_seconds"] + measured["test_seconds"]
    console.print(
        f"full-MNIST training run in a fresh process: peak RSS {measured['peak_rss_mb']:.0f} MB; "
        f"MNIST loaded from the cache in {measured['load_seconds']:.3f} s; evaluation "
        f"(10,000 validation + 10,000 test images) {measured['validation_seconds']:.3f} + "
        f"{measured['test_seconds']:.3f} s = "
        f"{evaluation_seconds / measured['epoch_seconds']:.1%}"
        f" of a {measured['epoch_seconds']:.3f} s epoch")
    sweep = sweep_throughput(directory, rounds=2 if not options.full else 3)
    console.print(
        f"sweep, 784-512-10: 2 trainings × 1 BLAS thread side by side {sweep['parallel']:.2f} "
        f"epochs/s against 1 × 2 threads {sweep['serial']:.2f} epochs/s: "
        f"{sweep['parallel'] / sweep['serial']:.2f}× "
        f"(rounds: {[round(x, 2) for x in sweep['parallel_all']]} against "
        f"{[round(x, 2) for x in sweep['serial_all']]})")
    for label, value in (("forced Haswell", "Haswell"), ("unset", None)):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE",
                                                                "OPENBLAS_L2_SIZE")}
        if value:
            env["OPENBLAS_CORETYPE"] = value
        result = child_result(child("kernel", directory, THREADS, env))
        console.print(f"OPENBLAS_CORETYPE {label}: kernel {result['kernel']}, mlpsel epoch "
                      f"{result['epoch_seconds']:.3f} s (784-512-10, batch 128, 2 threads)")


if __name__ == "__main__":
    main()
