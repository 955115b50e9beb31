"""Training speed of mlpsel's NumPy loop against PyTorch (CPU) and scikit-learn, side by side.

Full MNIST, 50,000 training images, ReLU hidden layers, softmax + cross-entropy, SGD with
momentum 0.9 (learning rate 0.05, no weight decay), float32, two BLAS threads. Every contestant
is its own process holding its own network (so no thread pool spins on another's cores), and
trains one epoch per request; the epochs are interleaved (A B C … A B C …), with a pause
between, after one warm-up epoch each, so that a noisy machine slows all alike. Reported per
contestant: the median epoch time and its spread; the ratio mlpsel ÷ peer (the median of the
per-round ratios); the share of the matrix-multiply floor (the epoch's matrix products timed
alone on the same shapes, in the same process, just before each epoch: the median of the
per-round floor ÷ epoch, and in brackets the best floor ÷ the best epoch, since this machine
switches between a fast and a slow state, sometimes between the two measurements); and the
test accuracy after the epochs, so speed never comes at the cost of a wrong result (mlpsel's,
PyTorch's and scikit-learn's must agree within a point). Peers that are not installed are
skipped; neither is a dependency of mlpsel.

The mlpsel contestants: the fast path as shipped; the plain course-form path
(``fit(..., fast_path=False)``, what the loop was before); the fast path with NumPy forms only
(``MLPSEL_NUMPY_BLAS=0``: no BLAS calls beyond NumPy's own); and the fast path with the other
OpenBLAS kernel choice (``OPENBLAS_CORETYPE=Haswell`` when the environment leaves it unset, unset
when the environment forces it): the tests and CI keep the environment as it is.

Also measured, each in a fresh process: the peak resident memory of a full-MNIST training run
through the real path (``mlpsel.experiment.run_trial``, as ``mlpsel train`` runs it), and of
``fit`` on the uint8 rows alone; loading MNIST warm from the cache; evaluation (validation
every epoch, test once) against an epoch; sweep throughput (two single-thread trainings side by
side against one two-thread training); with ``--full``, a 5-fold CV of one 784-512-10 config.

    python benchmarks/bench_train.py            # quick: 784-512-10, batch 128, 4 epochs; ~2 min
    python benchmarks/bench_train.py --full     # every setting, 10 epochs, the CV; ~10 min
    python benchmarks/bench_train.py --json results.json
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
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_info, threadpool_limits

REPOSITORY = Path(__file__).resolve().parents[1]
N_TRAIN = 50_000
LEARNING_RATE = 0.05
MOMENTUM = 0.9
THREADS = 2
PAUSE_SECONDS = 0.3  # lets the last contestant's BLAS / OpenMP threads stop spinning


def data_dir() -> str | None:
    shared = str(REPOSITORY.parent / "shared" / "data")
    for candidate in (os.environ.get("MLPSEL_DATA_DIR"), shared):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return candidate
    return None


def blas_kernel() -> str:
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return str(pools[0].get("architecture")) if pools else "unknown"


# ---------------------------------------------------------------------------------------------
# The contestants, each served in its own process


@dataclass
class Contestant:
    """One process: a peer (mlpsel, pytorch, scikit-learn) with its options and environment."""

    label: str
    peer: str
    options: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    measures_floor: bool = False


def importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def contestants(console: Console) -> list[Contestant]:
    forced = os.environ.get("OPENBLAS_CORETYPE")
    other_kernel = ({"OPENBLAS_CORETYPE": None} if forced else {"OPENBLAS_CORETYPE": "Haswell"})
    other_label = "unset" if forced else "Haswell"
    found = [Contestant("mlpsel", "mlpsel", measures_floor=True),
             Contestant("mlpsel, plain path", "mlpsel", {"fast_path": False}),
             Contestant("mlpsel, NumPy only", "mlpsel", environment={"MLPSEL_NUMPY_BLAS": "0"}),
             Contestant(f"mlpsel, OPENBLAS_CORETYPE={other_label}", "mlpsel",
                        environment=other_kernel, measures_floor=True)]
    for peer, module in (("pytorch", "torch"), ("scikit-learn", "sklearn")):
        if importable(module):
            found.append(Contestant(peer, peer))
        else:
            console.print(f"{peer} is not installed: skipped")
    return found


def load_rows(directory: str):
    from mlpsel.data import load_dataset

    data = load_dataset("mnist", data_dir=directory)
    return (data.train_images, data.train_labels, data.test_images, data.test_labels)


def mlpsel_peer(sizes, batch, images, labels, test_images, test_labels, options):
    from mlpsel.nn import MLP, evaluate, fit
    from mlpsel.nn.optimizers import Momentum

    network = MLP(sizes, rng=np.random.default_rng(0))
    optimizer = Momentum(LEARNING_RATE, MOMENTUM)
    rng = np.random.default_rng(1)
    X, y = images[:N_TRAIN], labels[:N_TRAIN]  # views: the rows stay uint8, no copy

    def epoch() -> None:
        fit(network, optimizer, X, y, epochs=1, batch_size=batch, rng=rng, **options)

    def evaluation() -> dict:
        started = time.perf_counter()
        evaluate(network, images[N_TRAIN:], labels[N_TRAIN:])
        validation = time.perf_counter() - started
        started = time.perf_counter()
        network.predict_proba(test_images)
        return {"validation_seconds": validation, "test_seconds": time.perf_counter() - started}

    def accuracy() -> float:
        return float(np.mean(network.predict(test_images) == test_labels))

    return {"epoch": epoch, "accuracy": accuracy, "evaluate": evaluation,
            "floor": lambda: matmul_floor(sizes, batch, X),
            "update": lambda: update_cost(sizes, batch)}


def torch_peer(sizes, batch, images, labels, test_images, test_labels, options):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    layers: list = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_function = torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(np.array(images[:N_TRAIN]))  # uint8, converted per batch
    y = torch.from_numpy(np.array(labels[:N_TRAIN]))
    generator = torch.Generator().manual_seed(1)

    def epoch() -> None:
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch):
            index = order[start:start + batch]
            inputs = X[index].float().mul_(1.0 / 255)
            optimizer.zero_grad(set_to_none=True)
            loss_function(model(inputs), y[index]).backward()
            optimizer.step()

    def accuracy() -> float:
        with torch.no_grad():
            scores = model(torch.from_numpy(np.array(test_images)).float() / 255)
        return float((scores.argmax(1).numpy() == test_labels).mean())

    return {"epoch": epoch, "accuracy": accuracy}


def sklearn_peer(sizes, batch, images, labels, test_images, test_labels, options):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), solver="sgd", alpha=0.0,
                          batch_size=batch, learning_rate_init=LEARNING_RATE, momentum=MOMENTUM,
                          nesterovs_momentum=False, max_iter=1, warm_start=True, shuffle=True,
                          random_state=0)
    inputs = images[:N_TRAIN].astype(np.float32) / np.float32(255)  # its fast case: float32
    targets = labels[:N_TRAIN]

    def epoch() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(inputs, targets)

    def accuracy() -> float:
        return float(model.score(test_images.astype(np.float32) / np.float32(255), test_labels))

    return {"epoch": epoch, "accuracy": accuracy}


PEERS: dict[str, Callable] = {"mlpsel": mlpsel_peer, "pytorch": torch_peer,
                              "scikit-learn": sklearn_peer}


def serve_peer(peer: str, sizes: list[int], batch: int, directory: str, options: dict) -> None:
    """The peer process: reads one request per line, answers one JSON value per line."""
    with threadpool_limits(THREADS):
        handlers = PEERS[peer](sizes, batch, *load_rows(directory), options)
        handlers["kernel"] = blas_kernel
        print(json.dumps("ready"), flush=True)
        for request in sys.stdin:
            request = request.strip()
            if request in ("epoch", "floor"):
                started = time.perf_counter()
                handlers[request]()
                answer = time.perf_counter() - started
            else:
                answer = handlers[request]()
            print(json.dumps(answer), flush=True)


class PeerProcess:
    def __init__(self, contestant: Contestant, sizes: list[int], batch: int,
                 directory: str) -> None:
        self.contestant = contestant
        environment = dict(os.environ)
        for key, value in contestant.environment.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", contestant.peer, "--sizes",
             "-".join(map(str, sizes)), "--batch", str(batch), "--data-dir", directory,
             "--options", json.dumps(contestant.options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment)
        assert self.ask(None) == "ready"

    def ask(self, request: str | None):
        if request is not None:
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.contestant.label}: the peer process ended")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


# ---------------------------------------------------------------------------------------------
# What an epoch cannot beat: its matrix products alone


def epoch_products(sizes: list[int], batch: int, X_rows: np.ndarray) -> list[Callable]:
    """One batch's products as the loop computes them (Z = W·A_prev, dW = dZ·A_prevᵀ,
    dA_prev = Wᵀ·dZ except for the first layer), on the loop's shapes and memory layouts."""
    rng = np.random.default_rng(0)
    A_previous = np.multiply(X_rows[:batch].T, 1 / 255, dtype=np.float32)  # (n_0, m) F-order
    products = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        W = (rng.standard_normal((n_out, n_in)) * 0.05).astype(np.float32)  # (n_l, n_{l-1})
        dZ = rng.standard_normal((n_out, batch)).astype(np.float32)  # (n_l, m)
        dW = np.empty_like(W)
        A = A_previous
        products.append(lambda W=W, A=A: W @ A)
        products.append(lambda dZ=dZ, A=A, dW=dW: np.matmul(dZ, A.T, out=dW))
        if layer > 0:
            products.append(lambda W=W, dZ=dZ: W.T @ dZ)
        A_previous = np.maximum(W @ A, 0)  # (n_l, m) C-order
    return products


def product_flop(sizes: list[int]) -> float:
    """Matrix-product FLOP per training sample: 2·n_l·n_{l-1} for Z, for dW, and (but for the
    first layer) for dA_prev."""
    flop = 0.0
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        flop += 2 * n_out * n_in * (2 if layer == 0 else 3)
    return flop


def matmul_floor(sizes: list[int], batch: int, X_rows: np.ndarray) -> None:
    """Run one epoch's matrix products: ⌊N/m⌋ full batches and the last, smaller one."""
    full, rest = divmod(N_TRAIN, batch)
    products = epoch_products(sizes, batch, X_rows)
    for _ in range(full):
        for product in products:
            product()
    if rest:
        for product in epoch_products(sizes, rest, X_rows):
            product()


def update_cost(sizes: list[int], batch: int) -> dict:
    """Microseconds per step of the first layer's weight update (momentum), beyond its dW product:
    the plain path (dW·1/m, then g, v ← μ·v + g, W ← W − α·v), the scaled three-pass form, and the
    fast path's (u ← μ·u + α·dW inside the product, W ← W − u as one axpy)."""
    from mlpsel.nn.blas import axpy, matmul_accumulate
    from mlpsel.nn.optimizers import Momentum

    rng = np.random.default_rng(0)
    n_out, n_in = sizes[1], sizes[0]
    W = (rng.standard_normal((n_out, n_in)) * 0.05).astype(np.float32)
    dZ = (rng.standard_normal((n_out, batch)) * 1e-3).astype(np.float32)
    X = rng.random((batch, n_in), dtype=np.float32).T  # (n_0, m), as the loop's
    dW = np.empty_like(W)
    plain, scaled = Momentum(LEARNING_RATE, MOMENTUM), Momentum(LEARNING_RATE, MOMENTUM)
    u = np.zeros_like(W)

    def product() -> None:
        np.matmul(dZ, X.T, out=dW)

    def plain_update() -> None:
        np.matmul(dZ, X.T, out=dW)
        np.multiply(dW, 1.0 / batch, out=dW)
        plain.step([W], [dW])

    def scaled_update() -> None:
        np.matmul(dZ, X.T, out=dW)
        scaled.step_scaled([W], [dW], [True])

    def fast_update() -> None:
        matmul_accumulate(u, dZ, X.T, alpha=1.0, beta=MOMENTUM)
        axpy(-1.0, u, W)

    timings: dict[str, list[float]] = {name: [] for name in ("product", "plain", "scaled",
                                                              "fast")}
    functions = {"product": product, "plain": plain_update, "scaled": scaled_update,
                 "fast": fast_update}
    repeats = max(20, 20_000 // batch)
    for _ in range(7):  # interleaved, medians
        for name, function in functions.items():
            started = time.perf_counter()
            for _ in range(repeats):
                function()
            timings[name].append((time.perf_counter() - started) / repeats * 1e6)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {name: medians[name] - medians["product"] for name in ("plain", "scaled", "fast")} | {
        "product": medians["product"]}


# ---------------------------------------------------------------------------------------------
# One setting


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def compare(sizes: list[int], batch: int, epochs: int, directory: str,
            console: Console) -> dict:
    processes = [PeerProcess(c, sizes, batch, directory) for c in contestants(console)]
    times: dict[str, list[float]] = {p.contestant.label: [] for p in processes}
    floors: dict[str, list[float]] = {p.contestant.label: [] for p in processes
                                      if p.contestant.measures_floor}
    kernels = {p.contestant.label: p.ask("kernel") for p in processes}
    for process in processes:  # warm-up: first-touch page faults, thread pools, caches
        process.ask("epoch")
        if process.contestant.measures_floor:
            process.ask("floor")
        time.sleep(PAUSE_SECONDS)
    for round_index in range(epochs):
        for process in processes:
            label = process.contestant.label
            if process.contestant.measures_floor:
                floors[label].append(process.ask("floor"))
                time.sleep(PAUSE_SECONDS)
            times[label].append(process.ask("epoch"))
            time.sleep(PAUSE_SECONDS)
        console.print(f"  round {round_index + 1}/{epochs}: "
                      + ", ".join(f"{label} {values[-1]:.3f} s" for label, values in
                                  times.items())
                      + "; floors " + ", ".join(f"{values[-1]:.3f} s" for values in
                                                floors.values()), highlight=False)
    mlpsel = processes[0]
    evaluations = [mlpsel.ask("evaluate") for _ in range(3)]
    update = mlpsel.ask("update")
    accuracies = {p.contestant.label: p.ask("accuracy") for p in processes}
    for process in processes:
        process.close()

    result = {"sizes": sizes, "batch": batch, "epochs": epochs, "kernels": kernels,
              "gflop_per_epoch": product_flop(sizes) * N_TRAIN / 1e9, "contestants": {},
              "update_microseconds": update,
              "validation_seconds": statistics.median(e["validation_seconds"]
                                                      for e in evaluations),
              "test_seconds": statistics.median(e["test_seconds"] for e in evaluations)}
    ours = times["mlpsel"]
    for process in processes:
        label = process.contestant.label
        floor_label = label if label in floors else "mlpsel"
        result["contestants"][label] = {
            "median_seconds": statistics.median(times[label]),
            "min_seconds": min(times[label]), "max_seconds": max(times[label]),
            "seconds": times[label],
            "mlpsel_over_this": median_ratio(ours, times[label]),
            "share_of_floor": median_ratio(floors[floor_label], times[label]),
            "share_of_floor_best": min(floors[floor_label]) / min(times[label]),
            "floor_seconds": statistics.median(floors[floor_label]),
            "floor_rounds": floors[floor_label],
            "test_accuracy": accuracies[label],
        }
    return result


def setting_table(result: dict) -> Table:
    shape = "-".join(map(str, result["sizes"]))
    ours = result["contestants"]["mlpsel"]
    table = Table(title=f"{shape}, batch {result['batch']}: {result['epochs']} interleaved epochs "
                  f"after a warm-up one, {THREADS} threads; matrix products "
                  f"{result['gflop_per_epoch']:.0f} GFLOP per epoch, alone "
                  f"{ours['floor_seconds']:.3f} s (kernel {result['kernels']['mlpsel']})",
                  title_justify="left")
    for column in ("contestant", "median s/epoch", "spread", "mlpsel ÷ this",
                   "share of floor (best)", "test accuracy"):
        table.add_column(column, justify="left" if column == "contestant" else "right")
    for label, row in result["contestants"].items():
        table.add_row(label, f"{row['median_seconds']:.3f}",
                      f"{row['min_seconds']:.3f}–{row['max_seconds']:.3f}",
                      "" if label == "mlpsel" else f"{row['mlpsel_over_this']:.2f}×",
                      f"{row['share_of_floor']:.0%} ({row['share_of_floor_best']:.0%})",
                      f"{row['test_accuracy']:.2%}")
    return table


# ---------------------------------------------------------------------------------------------
# Measurements in fresh processes

CHILD = r"""
import json, sys, time
started = time.perf_counter()
def peak_rss_mb():  # VmHWM: the peak resident size of this process
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
mode, data_dir, threads, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import numpy as np
from threadpoolctl import threadpool_limits
with threadpool_limits(threads):
    if mode == "real-path":  # what `mlpsel train` runs for one trial, then the test set once
        from mlpsel.config import load_config
        from mlpsel.experiment import evaluate, run_trial
        from mlpsel.strategies import Holdout
        from mlpsel.experiment import load_run_data
        config = load_config(sys.argv[5], ["search.model.hidden_layers=[[512]]",
                                           "search.training.learning_rate=[0.05]",
                                           f"training.epochs={epochs}"])
        dataset = load_run_data(config, data_dir=data_dir)
        task = Holdout(config, dataset).plan({})[0]
        outcome = run_trial(task.grid_point.spec, dataset, task.train_index,
                            task.validation_index)
        evaluate(outcome.network, dataset.test_images, dataset.test_labels, dataset.class_names)
        print(json.dumps({"peak_rss_mb": peak_rss_mb(), "status": outcome.status,
                          "seconds": time.perf_counter() - started}))
        sys.exit()
    from mlpsel.data import load_dataset
    from mlpsel.nn import MLP, fit, evaluate
    from mlpsel.nn.optimizers import Momentum
    load_started = time.perf_counter()
    data = load_dataset("mnist", data_dir=data_dir)
    load_seconds = time.perf_counter() - load_started
    X, y = data.train_images[:50000], data.train_labels[:50000]
    network = MLP([784, 512, 10], rng=np.random.default_rng(0))
    optimizer = Momentum(0.05, 0.9)
    if mode == "sweep":  # wait for the go, so that side-by-side trainings start together
        print(json.dumps("ready"), flush=True)
        sys.stdin.readline()
    begin = time.time()
    fit(network, optimizer, X, y, epochs=epochs, batch_size=128, rng=np.random.default_rng(1),
        X_validation=data.train_images[50000:], y_validation=data.train_labels[50000:])
    end = time.time()
    network.predict_proba(data.test_images)
print(json.dumps({"load_seconds": load_seconds, "begin": begin, "end": end, "epochs": epochs,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def child(mode: str, directory: str, threads: int, epochs: int,
          *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, directory, str(threads),
                             str(epochs), *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def child_result(process: subprocess.Popen) -> dict:
    output, _ = process.communicate(timeout=900)
    return json.loads(output.strip().splitlines()[-1])


def sweep_throughput(directory: str, rounds: int, epochs: int) -> dict:
    """Training epochs per second: 2 processes × 1 BLAS thread side by side, started together,
    against 1 process × 2 threads; rounds interleaved. Loading and imports are not counted."""
    parallel, serial = [], []
    for _ in range(rounds):
        pair = [child("sweep", directory, 1, epochs) for _ in range(2)]
        for process in pair:
            json.loads(process.stdout.readline())  # "ready"
        for process in pair:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [child_result(process) for process in pair]
        span = max(r["end"] for r in results) - min(r["begin"] for r in results)
        parallel.append(sum(r["epochs"] for r in results) / span)
        time.sleep(PAUSE_SECONDS)
        single = child("sweep", directory, 2, epochs)
        json.loads(single.stdout.readline())
        single.stdin.write("go\n")
        single.stdin.flush()
        result = child_result(single)
        serial.append(result["epochs"] / (result["end"] - result["begin"]))
        time.sleep(PAUSE_SECONDS)
    return {"parallel_epochs_per_second": parallel, "serial_epochs_per_second": serial,
            "ratio": median_ratio(parallel, serial)}


def cross_validation_seconds(directory: str) -> float:
    """Wall time of `mlpsel cv configs/mnist_basic.yaml --folds 5` for one 784-512-10 config, 10
    epochs (the CLI's defaults: --jobs = cores, one BLAS thread per trial)."""
    with tempfile.TemporaryDirectory() as runs:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mlpsel", "cv", str(REPOSITORY / "configs" /
                                                                    "mnist_basic.yaml"),
                        "--folds", "5", "--quiet", "--data-dir", directory, "--runs-dir", runs,
                        "--set", "search.model.hidden_layers=[[512]]",
                        "--set", "search.training.learning_rate=[0.05]",
                        "--set", "training.epochs=10"], check=True)
        return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------


def targets_table(results: dict) -> Table:
    main = results["settings"][0]
    rows = main["contestants"]
    ours = rows["mlpsel"]
    checks = []
    if "pytorch" in rows:
        checks.append(("epoch ≤ 0.8× PyTorch's", f"{rows['pytorch']['mlpsel_over_this']:.2f}×",
                       rows["pytorch"]["mlpsel_over_this"] <= 0.8))
    if "scikit-learn" in rows:
        checks.append(("epoch ≤ 0.7× scikit-learn's",
                       f"{rows['scikit-learn']['mlpsel_over_this']:.2f}×",
                       rows["scikit-learn"]["mlpsel_over_this"] <= 0.7))
    checks.append(("≥ 85% of the matrix-multiply floor",
                   f"{ours['share_of_floor']:.0%} (best rounds {ours['share_of_floor_best']:.0%})",
                   ours["share_of_floor"] >= 0.85))
    accuracies = [rows[label]["test_accuracy"] for label in ("mlpsel", "pytorch", "scikit-learn")
                  if label in rows]
    spread = max(accuracies) - min(accuracies)
    checks.append(("test accuracies agree within a point", f"spread {spread:.2%}",
                   spread <= 0.01))
    evaluation = main["validation_seconds"] / ours["median_seconds"]
    checks.append(("validation every epoch < 10% of an epoch",
                   f"{evaluation:.1%} ({main['validation_seconds'] * 1000:.0f} ms)",
                   evaluation < 0.10))
    checks.append(("test once < 10% of an epoch",
                   f"{main['test_seconds'] / ours['median_seconds']:.1%}",
                   main["test_seconds"] / ours["median_seconds"] < 0.10))
    memory = results["memory"]
    checks.append(("peak RSS of a full-MNIST training run ≤ 150 MB",
                   f"real path {memory['real_path_peak_rss_mb']:.0f} MB; fit on the uint8 rows "
                   f"{memory['fit_peak_rss_mb']:.0f} MB",
                   memory["real_path_peak_rss_mb"] <= 150))
    checks.append(("full MNIST from the cache < 0.3 s warm",
                   f"{memory['load_seconds']:.3f} s", memory["load_seconds"] < 0.3))
    sweep = results["sweep"]
    parallel = statistics.median(sweep["parallel_epochs_per_second"])
    serial = statistics.median(sweep["serial_epochs_per_second"])
    checks.append(("2 trials × 1 thread ≥ 1.8× the epochs/s of 1 × 2 threads",
                   f"{sweep['ratio']:.2f}× ({parallel:.2f} against {serial:.2f} epochs/s)",
                   sweep["ratio"] >= 1.8))
    table = Table(title="targets (784-512-10, batch 128)", title_justify="left")
    for column in ("target", "measured", "holds"):
        table.add_column(column)
    for target, measured, holds in checks:
        table.add_row(target, measured, "yes" if holds else "no")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="every setting, 10 epochs, the 5-fold CV")
    parser.add_argument("--epochs", type=int, default=None,
                        help="timed epochs per contestant (default 4, --full 10)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve_peer(options.serve, [int(n) for n in options.sizes.split("-")], options.batch,
                   options.data_dir, json.loads(options.options))
        return
    console = Console(width=max(Console().width, 120))
    directory = data_dir()
    if directory is None:
        console.print("full MNIST is needed: set MLPSEL_DATA_DIR to a folder holding mnist/")
        sys.exit(2)
    epochs = options.epochs or (10 if options.full else 4)
    pool = next((p for p in threadpool_info() if p.get("user_api") == "blas"), {})
    console.print(f"BLAS: {pool.get('internal_api')} {pool.get('version')}, kernel "
                  f"{pool.get('architecture')}; OPENBLAS_CORETYPE="
                  f"{os.environ.get('OPENBLAS_CORETYPE')!r}; {os.cpu_count()} cores; "
                  f"load average {os.getloadavg()[0]:.2f}", highlight=False)
    load_rows(directory)  # verified and cached once, before the peers
    settings = [([784, 512, 10], 128)]
    if options.full:
        settings += [([784, 512, 10], 32), ([784, 512, 10], 512), ([784, 256, 128, 10], 128)]
    results: dict = {"kernel": pool.get("architecture"),
                     "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "settings": []}
    for sizes, batch in settings:
        console.print(f"{'-'.join(map(str, sizes))}, batch {batch}:")
        result = compare(sizes, batch, epochs, directory, console)
        results["settings"].append(result)
        console.print(setting_table(result))
        update = result["update_microseconds"]
        console.print(f"  first layer's momentum update per step, beyond its dW product "
                      f"({update['product']:.0f} µs): plain {update['plain']:.0f} µs, three "
                      f"passes {update['scaled']:.0f} µs, inside the product + axpy "
                      f"{update['fast']:.0f} µs", highlight=False)

    fit_run = child_result(child("memory", directory, THREADS, 2))
    real_run = child_result(child("real-path", directory, THREADS, 2,
                                  str(REPOSITORY / "configs" / "mnist_basic.yaml")))
    results["memory"] = {"fit_peak_rss_mb": fit_run["peak_rss_mb"],
                         "real_path_peak_rss_mb": real_run["peak_rss_mb"],
                         "load_seconds": fit_run["load_seconds"]}
    results["sweep"] = sweep_throughput(directory, rounds=3 if options.full else 2,
                                        epochs=3)
    if options.full:
        results["cross_validation_seconds"] = cross_validation_seconds(directory)
        console.print(f"mlpsel cv configs/mnist_basic.yaml --folds 5, one 784-512-10 config, 10 "
                      f"epochs: {results['cross_validation_seconds']:.1f} s wall")
    console.print(targets_table(results))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
