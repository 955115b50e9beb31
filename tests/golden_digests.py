"""Digests of every file of a run folder, with what changes from run to run taken out.

What is taken out: run ids, start times, process ids, host, argv (it holds the runs folder), the
git commit, and every timing (``seconds``, ``fit_seconds``, ``mean_fit_seconds``). ``.npz``
files are digested member by member (a zip member's header holds the time it was written);
every other file is digested byte for byte (CSV files after dropping their timing columns).

``python -m tests.golden_digests`` prints the digests of fresh quick-start runs in the form
``tests/test_golden.py`` holds them, with the environment they were made in.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

VOLATILE_JSON_KEYS = {"run_id", "started", "seconds", "pid", "host", "argv", "git_commit",
                      "fit_seconds"}
# env.json's description of the machine: the environment key below stands for it.
MACHINE_JSON_KEYS = {"python", "numpy", "platform", "cpu", "cpu_count", "blas",
                     "openblas_coretype"}
TIMING_COLUMNS = {"seconds", "fit_seconds", "mean_fit_seconds"}

GOLDEN_RUNS = {
    "train": ["train", "configs/quickstart.yaml"],
    "cv": ["cv", "configs/quickstart.yaml", "--folds", "3"],
}
COMMON_OPTIONS = ["--jobs", "2", "--blas-threads", "1", "--quiet"]


def environment_key() -> dict[str, str]:
    """What the digests depend on besides the code: library versions and the BLAS kernel."""
    import matplotlib
    import numpy as np
    from threadpoolctl import threadpool_info

    # NumPy's own BLAS (scikit-learn's SciPy may have loaded another into the process)
    blas = sorted(f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')}"
                  for pool in threadpool_info() if pool.get("user_api") == "blas"
                  and "numpy" in str(pool.get("filepath")))
    # the refit uses every core: its BLAS thread count is the number of cores
    return {"numpy": np.__version__, "matplotlib": matplotlib.__version__,
            "blas": "; ".join(blas), "cores": str(len(os.sched_getaffinity(0)))}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _json_digest(path: Path) -> str:
    value = json.loads(path.read_text(encoding="utf-8"))
    drop = VOLATILE_JSON_KEYS | (MACHINE_JSON_KEYS if path.name == "env.json" else set())
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if key not in drop}
    return _digest(json.dumps(value, indent=2).encode())


def _csv_digest(path: Path) -> str:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in TIMING_COLUMNS] if rows else []
    text = "\n".join(",".join(row[i] for i in keep) for row in rows)
    return _digest(text.encode())


def _npz_digest(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        members = sorted(archive.namelist())
        return _digest(b"".join(name.encode() + archive.read(name) for name in members))


def run_folder_digests(run: Path) -> dict[str, str]:
    """``relative path → digest`` for every file under ``run``."""
    digests = {}
    for path in sorted(p for p in run.rglob("*") if p.is_file()):
        relative = path.relative_to(run).as_posix()
        if path.suffix == ".json":
            digests[relative] = _json_digest(path)
        elif path.suffix == ".csv":
            digests[relative] = _csv_digest(path)
        elif path.suffix == ".npz":
            digests[relative] = _npz_digest(path)
        else:
            digests[relative] = _digest(path.read_bytes())
    return digests


def make_run(command: str, runs_dir: Path) -> Path:
    """Run one golden command through the CLI into ``runs_dir``; return its run folder."""
    from typer.testing import CliRunner

    from mlpsel.cli import app

    result = CliRunner().invoke(app, [*GOLDEN_RUNS[command], *COMMON_OPTIONS,
                                      "--runs-dir", str(runs_dir)])
    if result.exit_code != 0:
        raise AssertionError(f"mlpsel {command} failed ({result.exit_code}): {result.output}")
    (run,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    return run


if __name__ == "__main__":  # pragma: no cover - prints the digests to record
    import pprint
    import tempfile

    print("ENVIRONMENT =", environment_key())
    for name in GOLDEN_RUNS:
        with tempfile.TemporaryDirectory() as folder:
            print(f"GOLDEN_{name.upper()} = ", end="")
            pprint.pprint(run_folder_digests(make_run(name, Path(folder))), width=100)
