"""The run folder ``runs/<run-id>/``: ids, atomic writes, listing and safe lookup.

This is the only module that knows the layout of a run folder::

    runs/20261128-143005-quickstart-3f2a/
      run.json                 command, start time, status (running/finished/failed/interrupted)
      config.yaml              the fully resolved config
      env.json                 Python, NumPy, BLAS, CPU, seed, git commit
      trials.csv               one row per trial (holdout) · cv_results.csv (k-fold)
      trials/<trial-id>/       history.csv, result.json (written last: the trial is done), model.npz
      best/                    model.npz, predictions.csv, confusion_matrix.csv, per_class.csv
      learning_curves.png, confusion_matrix.png, summary.json

Every file is written to a temporary file in the same folder and renamed into place, so a reader
never sees half a file and an interrupted run never leaves one.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from mlpsel.errors import RunNotFound

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[A-Za-z0-9_.-]+-[0-9a-f]{4}$")
RUN_MARKER = "run.json"


def default_runs_dir() -> Path:
    """``$MLPSEL_RUNS_DIR`` if set, else ``runs/`` in the working directory."""
    return Path(os.environ.get("MLPSEL_RUNS_DIR", "runs"))


def new_run_id(name: str, now: datetime | None = None) -> str:
    """An id that sorts by time and reads well: ``20261128-143005-quickstart-3f2a``."""
    now = now or datetime.now()
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"
    return f"{now:%Y%m%d-%H%M%S}-{safe_name}-{secrets.token_hex(2)}"


# ---------------------------------------------------------------------------------------------
# Atomic writes


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        binary = "b" in mode
        encoding, newline = (None, None) if binary else ("utf-8", "")
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)


def write_json(path: Path, value: Any) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_csv(path: Path, frame: Any, index: bool = False) -> None:
    """Write a pandas DataFrame as CSV atomically."""
    write_text(path, frame.to_csv(index=index, lineterminator="\n"))


def write_rows_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Write dict rows as CSV atomically, cell for cell as :func:`write_csv` writes the same rows
    in a DataFrame: None and NaN empty, numbers by ``repr``.

    Trial workers write their ``history.csv`` with it, so that training never imports pandas
    (its import alone is about 40 MB resident in every process).
    """
    with atomic_open(path, "w") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column)) for column in columns])


def _csv_cell(value: Any) -> Any:
    if hasattr(value, "item"):  # NumPy scalars
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def write_figure(path: Path, figure: Any) -> None:
    """Save a matplotlib figure as PNG atomically."""
    with atomic_open(path, "wb") as f:
        figure.savefig(f, format="png", dpi=100)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# The run folder


@dataclass(frozen=True)
class RunFolder:
    """Paths inside one run folder."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def run_json(self) -> Path:
        return self.path / RUN_MARKER

    @property
    def config_yaml(self) -> Path:
        return self.path / "config.yaml"

    @property
    def env_json(self) -> Path:
        return self.path / "env.json"

    @property
    def trials_csv(self) -> Path:
        return self.path / "trials.csv"

    @property
    def cv_results_csv(self) -> Path:
        return self.path / "cv_results.csv"

    @property
    def folds_npz(self) -> Path:
        return self.path / "folds.npz"

    @property
    def summary_json(self) -> Path:
        return self.path / "summary.json"

    @property
    def best_dir(self) -> Path:
        return self.path / "best"

    def trial_dir(self, trial_id: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", trial_id):
            raise ValueError(f"unsafe trial id {trial_id!r}")
        return self.path / "trials" / trial_id

    def trial_result(self, trial_id: str) -> Path:
        return self.trial_dir(trial_id) / "result.json"

    def finished_trial_results(self) -> dict[str, dict[str, Any]]:
        """``trial id → result.json`` for every trial whose result was stored."""
        results = {}
        for result_path in sorted((self.path / "trials").glob("*/result.json")):
            results[result_path.parent.name] = read_json(result_path)
        return results

    def read_run_info(self) -> dict[str, Any]:
        return read_json(self.run_json) if self.run_json.is_file() else {}

    def update_run_info(self, **fields: Any) -> dict[str, Any]:
        info = self.read_run_info()
        info.update(fields)
        write_json(self.run_json, info)
        return info


def create_run(runs_dir: Path, name: str, command: str, argv: list[str] | None = None) -> RunFolder:
    """Make a fresh run folder and its ``run.json`` (status ``running``)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    while True:
        run = RunFolder(runs_dir / new_run_id(name))
        try:
            run.path.mkdir()
            break
        except FileExistsError:  # same second and same random suffix: draw again
            continue
    run.update_run_info(
        run_id=run.run_id, command=command, argv=argv or [], status="running",
        started=datetime.now().isoformat(timespec="seconds"),
    )
    return run


def is_run_folder(path: Path) -> bool:
    return (path / RUN_MARKER).is_file()


def list_runs(runs_dir: Path) -> list[RunFolder]:
    """Run folders in ``runs_dir``, newest first."""
    if not runs_dir.is_dir():
        return []
    runs = [RunFolder(p) for p in runs_dir.iterdir() if p.is_dir() and is_run_folder(p)]
    return sorted(runs, key=lambda run: run.run_id, reverse=True)


def resolve_run(reference: str, runs_dir: Path) -> RunFolder:
    """Find a run by id, unique id prefix, ``latest``, or path to a run folder.

    Raises
    ------
    RunNotFound
        No run matches, the prefix is ambiguous, or the path is not a run folder.
    """
    runs = list_runs(runs_dir)
    if reference == "latest":
        if not runs:
            raise RunNotFound(f"no runs in {runs_dir}/ yet; start one with 'mlpsel train'")
        return runs[0]
    by_id = [run for run in runs if run.run_id == reference]
    if by_id:
        return by_id[0]
    candidate = Path(reference)
    if candidate.is_dir():
        if is_run_folder(candidate):
            return RunFolder(candidate)
        raise RunNotFound(f"{reference} is a folder but not a run folder (it has no {RUN_MARKER})")
    if "/" not in reference and reference:
        matches = [run for run in runs if run.run_id.startswith(reference)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(run.run_id for run in matches[:4])
            raise RunNotFound(
                f"'{reference}' matches {len(matches)} runs ({shown}); give more of the id")
    raise RunNotFound(
        f"no run '{reference}' in {runs_dir}/; give a run id, a unique prefix, 'latest' or a run "
        "folder path ('mlpsel runs' lists them)"
    )
