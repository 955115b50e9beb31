"""The run folder ``runs/<run-id>/``: the only module that spells its paths and file names.

Layout::

    runs/20261128-143005-quickstart-3f2a/
      run.json                 command, start time, status (running/finished/failed/interrupted),
                               pid and host while running, the identity resume matches
      config.yaml              the fully resolved config
      env.json                 Python, NumPy, BLAS, CPU, seed, git commit
      trials.csv               one row per trial (holdout: per grid point, ranked; k-fold: per task)
      cv_results.csv           k-fold: one row per grid point (scikit-learn's cv_results_ columns)
      learning_curve.csv       curve: one row per grid point and training-set size
      biasvar.csv              biasvar: loss, bias and variance per grid point, and
      biasvar_predictions.npz  every round's predictions on the evaluation rows
      folds.npz                k-fold: the fold of every training image in every repeat
      trials/<task-id>/        history.csv, model.npz (when kept), predictions.npy (biasvar),
                               result.json (written last: the task is done)
      best/                    model.npz, predictions.csv, confusion_matrix.csv, per_class.csv
      learning_curves.png, confusion_matrix.png, cv_spread.png, learning_curve.png,
      summary.json, report.html

Task ids (:class:`TaskId`) name the folders under ``trials/``: the grid point id for a holdout
trial, ``<grid point id>-r<repeat>f<fold>`` for a k-fold task, ``refit-<grid point id>`` for the
final fit of the chosen grid point on all training data.

Every file is written through :mod:`mlpsel.atomic`: a reader never sees half a file, an
interrupted run never leaves one, and files get the user's normal permissions. Resume (finding
the run an interrupted command should continue) and process liveness live here too, since both
are questions about run folders.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.atomic import atomic_open, write_text
from mlpsel.config import Config, flatten_search, leaf_keys
from mlpsel.errors import ConfigError, DataError, RunAlreadyFinished, RunNotFound
from mlpsel.nn import MLP
from mlpsel.search import stable_id

if TYPE_CHECKING:
    import pandas as pd

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[A-Za-z0-9_.-]+-[0-9a-f]{4}$")
RUN_MARKER = "run.json"
# run.json statuses an automatic resume continues (a run whose process is gone)
CONTINUABLE = ("running", "interrupted", "incomplete")
TRIALS_FOLDER = "trials"
BEST_FOLDER = "best"
MODEL_FILE = "model.npz"
PREDICTIONS_FILE = "predictions.npy"
CHECKPOINT_FILE = "checkpoint.npz"  # where a halving candidate's training stopped
SCORES_FILE = "validation_scores.npy"  # a binary task's ŷ of every validation row
HISTORY_FILE = "history.csv"
RESULT_FILE = "result.json"
TRIAL_RESULTS = f"{TRIALS_FOLDER}/*/{RESULT_FILE}"  # every stored task result, as a glob

# The results tables a strategy writes, by name (see :meth:`RunFolder.table`).
TRIALS_TABLE = "trials"
CV_RESULTS_TABLE = "cv_results"
LEARNING_CURVE_TABLE = "learning_curve"
BIASVAR_TABLE = "biasvar"
NESTED_RESULTS_TABLE = "nested_results"
TABLES = (TRIALS_TABLE, CV_RESULTS_TABLE, LEARNING_CURVE_TABLE, BIASVAR_TABLE,
          NESTED_RESULTS_TABLE)

# The figures of a run, by name (see :meth:`RunFolder.figure`).
LEARNING_CURVES_FIGURE = "learning_curves"
CONFUSION_MATRIX_FIGURE = "confusion_matrix"
CV_SPREAD_FIGURE = "cv_spread"
LEARNING_CURVE_FIGURE = "learning_curve"
BIASVAR_FIGURE = "biasvar"
HALVING_FIGURE = "halving"
THRESHOLD_FIGURE = "threshold"
FIGURES = (LEARNING_CURVES_FIGURE, CONFUSION_MATRIX_FIGURE, CV_SPREAD_FIGURE,
           LEARNING_CURVE_FIGURE, BIASVAR_FIGURE, HALVING_FIGURE, THRESHOLD_FIGURE)


def default_runs_dir() -> Path:
    """``$MLPSEL_RUNS_DIR`` if set, else ``runs/`` in the working directory."""
    return Path(os.environ.get("MLPSEL_RUNS_DIR", "runs"))


def new_run_id(name: str, now: datetime | None = None) -> str:
    """An id that sorts by time and reads well: ``20261128-143005-quickstart-3f2a``.

    Other characters than letters, digits, ``-``, ``_`` and ``.`` become ``-``. A name that
    would reach outside the runs folder (a path separator, or a leading ``.``: ``../x``, ``a/b``)
    is refused (:class:`ConfigError` on ``name``), whatever the config checks already did: the
    id is always the name of one direct child of the runs folder.
    """
    name = str(name)
    separators = {"/", "\\", os.sep, os.altsep or "/", "\0"}
    if any(separator in name for separator in separators) or name.startswith("."):
        raise ConfigError(f"must be a short name of letters, digits, '-', '_' and '.' (not "
                          f"starting with '.'), without a path separator; got {name[:80]!r}",
                          key="name")
    now = now or datetime.now()
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"
    run_id = f"{now:%Y%m%d-%H%M%S}-{safe_name}-{secrets.token_hex(2)}"
    if not RUN_ID_PATTERN.fullmatch(run_id):  # pragma: no cover - the substitution guarantees it
        raise ConfigError(f"cannot make a run id of {name[:80]!r}", key="name")
    return run_id


# ---------------------------------------------------------------------------------------------
# Writing and reading files (all atomic)


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


def save_model(path: Path, network: MLP) -> None:
    """Write ``network`` to ``path`` (.npz: ``W1..WL``, ``b1..bL``, ``metadata``) atomically."""
    with atomic_open(path, "wb") as file:
        np.savez(file, **network.to_arrays())


def load_model(path: Path) -> MLP:
    """Read a network :func:`save_model` wrote; :class:`DataError` (one line) if it cannot.

    Nothing is ever unpickled: a file holding Python objects (a pickle, or an array of dtype
    ``object``) is refused as such, and so is a truncated or foreign file. Reading only: a
    refused model changes nothing in its run folder.
    """
    path = Path(path)
    try:
        if not path.is_file():  # a folder, or nothing: np.load would say less
            raise FileNotFoundError(path)
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an .npz archive")
        with loaded as file:
            return MLP.from_arrays(file)
    except FileNotFoundError:
        raise DataError(f"{path}: model file not found") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, UnicodeError,
            zipfile.BadZipFile, ConfigError) as error:
        if holds_python_objects(path):
            raise DataError(f"{path}: holds Python objects (pickled), which mlpsel never "
                            "loads; an mlpsel model file holds numeric arrays only") from None
        reason = " ".join(str(error).split()) or type(error).__name__
        raise DataError(f"{path}: not a readable mlpsel model file ({reason[:200]})") from None


def holds_python_objects(path: Path) -> bool:
    """True when ``path`` is a pickle, or a ``.npy`` / ``.npz`` file with an array of Python
    objects: decided from the file's first bytes and the arrays' headers alone, nothing is
    unpickled. False too for a file that cannot be read this far."""
    from numpy.lib import format as npy

    headers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}

    def objects(stream: Any) -> bool:
        read_header = headers.get(npy.read_magic(stream))
        return read_header is not None and read_header(stream)[2].hasobject

    try:
        with open(path, "rb") as file:
            start = file.read(6)
            if start[:1] == b"\x80":  # the pickle protocol 2+ opcode
                return True
            if start == npy.MAGIC_PREFIX:
                file.seek(0)
                return objects(file)
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                with archive.open(name) as member:
                    if member.read(6) != npy.MAGIC_PREFIX:
                        continue
                with archive.open(name) as member:
                    if objects(member):
                        return True
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, SyntaxError):
        return False
    return False


# ---------------------------------------------------------------------------------------------
# Task ids


# A task id is the grid point id and, in this order, the suffixes of the parts it names; no
# suffix can end a grid point id (``NNN-`` and 8 hex digits): every suffix word has a letter
# beyond ``a-f``.
_TASK = re.compile(r"^(?P<grid_point>.+?)(?:-outer(?P<outer>\d+))?"
                   r"(?:-r(?P<repeat>\d+)f(?P<fold>\d+))?(?:-n(?P<size>\d+))?"
                   r"(?:-round(?P<round>\d+))?(?:-epochs(?P<epochs>\d+))?$")
_REFIT_PREFIX = "refit-"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class TaskId:
    """The name of one task: a grid point, where it was validated (and, in a learning curve, on
    how many training samples), or that it is the refit.

    ``str(task_id)`` is its folder name under ``trials/``: the grid point id, then
    ``-outer<o>`` (nested CV: inside outer fold o), ``-r<repeat>f<fold>`` (a k-fold split),
    ``-n<train size>`` (a learning curve's size), ``-round<r>`` (a bias–variance round) and
    ``-epochs<e>`` (successive halving: trained to e epochs), each where it applies;
    ``refit-`` in front for a refit. :meth:`parse` reads one back.
    """

    grid_point_id: str
    repeat: int | None = None
    fold: int | None = None
    refit: bool = False
    train_size: int | None = None
    round: int | None = None
    outer: int | None = None
    epochs: int | None = None

    def __str__(self) -> str:
        parts = [f"{_REFIT_PREFIX}{self.grid_point_id}" if self.refit else self.grid_point_id]
        if self.outer is not None:
            parts.append(f"outer{self.outer}")
        if self.fold is not None:
            parts.append(f"r{self.repeat or 0}f{self.fold}")
        if self.train_size is not None:
            parts.append(f"n{self.train_size}")
        if self.round is not None:
            parts.append(f"round{self.round}")
        if self.epochs is not None:
            parts.append(f"epochs{self.epochs}")
        return "-".join(parts)

    @classmethod
    def parse(cls, text: str) -> TaskId:
        """The task id whose folder name is ``text``."""
        refit = text.startswith(_REFIT_PREFIX)
        match = _TASK.match(text.removeprefix(_REFIT_PREFIX))
        if match is None:  # pragma: no cover - the pattern matches every text
            return cls(text)

        def number(name: str) -> int | None:
            value = match.group(name)
            return int(value) if value is not None else None

        return cls(match.group("grid_point"), number("repeat"), number("fold"), refit=refit,
                   train_size=number("size"), round=number("round"), outer=number("outer"),
                   epochs=number("epochs"))


# ---------------------------------------------------------------------------------------------
# The run folder


@dataclass(frozen=True)
class RunFolder:
    """One run folder: its paths, and reading and writing its files."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    # -- paths ---------------------------------------------------------------------------------
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
    def summary_json(self) -> Path:
        return self.path / "summary.json"

    @property
    def folds_npz(self) -> Path:
        return self.path / "folds.npz"

    @property
    def split_npz(self) -> Path:
        return self.path / "split.npz"

    @property
    def outer_folds_npz(self) -> Path:
        return self.path / "outer_folds.npz"

    @property
    def report_html(self) -> Path:
        return self.path / "report.html"

    def table(self, name: str) -> Path:
        """``trials.csv`` or ``cv_results.csv`` (names in :data:`TABLES`)."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; known: {', '.join(TABLES)}")
        return self.path / f"{name}.csv"

    @property
    def trials_csv(self) -> Path:
        return self.table(TRIALS_TABLE)

    @property
    def cv_results_csv(self) -> Path:
        return self.table(CV_RESULTS_TABLE)

    def figure(self, name: str) -> Path:
        """``<name>.png`` for a name in :data:`FIGURES`."""
        if name not in FIGURES:
            raise ValueError(f"unknown figure {name!r}; known: {', '.join(FIGURES)}")
        return self.path / f"{name}.png"

    @property
    def best_dir(self) -> Path:
        return self.path / BEST_FOLDER

    @property
    def best_model(self) -> Path:
        return self.best_dir / MODEL_FILE

    @property
    def predictions_csv(self) -> Path:
        return self.best_dir / "predictions.csv"

    @property
    def confusion_matrix_csv(self) -> Path:
        return self.best_dir / "confusion_matrix.csv"

    @property
    def per_class_csv(self) -> Path:
        return self.best_dir / "per_class.csv"

    @property
    def threshold_json(self) -> Path:
        return self.best_dir / "threshold.json"

    @property
    def pr_curve_csv(self) -> Path:
        return self.best_dir / "pr_curve.csv"

    @property
    def confusion_2x2_csv(self) -> Path:
        return self.best_dir / "confusion_2x2.csv"

    def write_threshold(self, choice: Mapping[str, Any], pr_curve: pd.DataFrame,
                        table: pd.DataFrame) -> None:
        """A binary task's decision threshold: ``threshold.json`` (rule, target, threshold, the
        validation and test counts at it), ``pr_curve.csv`` (threshold, precision and recall on
        validation and test) and ``confusion_2x2.csv`` (actual P/N by predicted P/N, with
        totals), in ``best/``."""
        write_json(self.threshold_json, dict(choice))
        write_text(self.pr_curve_csv, pr_curve.to_csv(index=False))
        write_text(self.confusion_2x2_csv, table.to_csv())

    @property
    def trials_dir(self) -> Path:
        return self.path / TRIALS_FOLDER

    def trial_dir(self, task_id: str | TaskId) -> Path:
        name = str(task_id)
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"unsafe trial id {name!r}")
        return self.trials_dir / name

    def trial_result(self, task_id: str | TaskId) -> Path:
        return self.trial_dir(task_id) / RESULT_FILE

    def trial_history(self, task_id: str | TaskId) -> Path:
        return self.trial_dir(task_id) / HISTORY_FILE

    def trial_model(self, task_id: str | TaskId) -> Path:
        return self.trial_dir(task_id) / MODEL_FILE

    def trial_predictions(self, task_id: str | TaskId) -> Path:
        """A task's predictions on its evaluation rows (bias–variance rounds keep them)."""
        return self.trial_dir(task_id) / PREDICTIONS_FILE

    def trial_scores(self, task_id: str | TaskId) -> Path:
        """A binary task's ŷ of every validation row (for choosing the decision threshold)."""
        return self.trial_dir(task_id) / SCORES_FILE

    def read_validation_scores(self, task_id: str | TaskId) -> np.ndarray:
        """The scores :meth:`write_task` stored, shape (n_validation,)."""
        return np.load(self.trial_scores(task_id), allow_pickle=False)

    def trial_checkpoint(self, task_id: str | TaskId) -> Path:
        """Where a task's training stopped (network, optimizer state, random stream), kept
        while a later task may continue it (successive halving)."""
        return self.trial_dir(task_id) / CHECKPOINT_FILE

    def read_checkpoint(self, task_id: str | TaskId) -> dict[str, np.ndarray]:
        """The arrays of a task's checkpoint; :class:`DataError` when it is missing or
        unreadable."""
        path = self.trial_checkpoint(task_id)
        try:
            with np.load(path, allow_pickle=False) as file:
                return {name: file[name] for name in file.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise DataError(f"{path}: cannot continue the training from it ({reason})") from None

    def discard_trial_models(self, keep: str | TaskId) -> int:
        """Delete every trial's ``model.npz`` but ``keep``'s (``keep.trial_models: chosen``);
        returns how many were deleted."""
        deleted = 0
        for path in sorted(self.trials_dir.glob(f"*/{MODEL_FILE}")):
            if path.parent.name != str(keep) and not path.is_symlink():
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    def discard_checkpoint(self, task_id: str | TaskId) -> None:
        """Remove a checkpoint no task will continue (a candidate that did not go on)."""
        self.trial_checkpoint(task_id).unlink(missing_ok=True)

    @property
    def biasvar_predictions_npz(self) -> Path:
        return self.path / "biasvar_predictions.npz"

    # -- tasks ---------------------------------------------------------------------------------
    def finished_trial_results(self) -> dict[str, dict[str, Any]]:
        """``task id → result.json`` for every task whose result was stored."""
        results = {}
        for result_path in sorted(self.path.glob(TRIAL_RESULTS)):
            results[result_path.parent.name] = read_json(result_path)
        return results

    def stored_histories(self) -> list[Path]:
        """The ``history.csv`` of every task that wrote one, in task-id order."""
        return sorted(self.trials_dir.glob(f"*/{HISTORY_FILE}"))

    def write_task(self, task_id: str | TaskId, result: Mapping[str, Any],
                   history: Iterable[Mapping[str, Any]] | None = None,
                   history_columns: Sequence[str] = (), network: MLP | None = None,
                   predictions: np.ndarray | None = None,
                   checkpoint: Mapping[str, np.ndarray] | None = None,
                   scores: np.ndarray | None = None) -> None:
        """Store a finished task: its history, model, predictions and checkpoint first,
        ``result.json`` last (a task whose ``result.json`` exists is done and never run
        again)."""
        if history is not None:
            write_rows_csv(self.trial_history(task_id), history, history_columns)
        if network is not None:
            save_model(self.trial_model(task_id), network)
        if predictions is not None:
            with atomic_open(self.trial_predictions(task_id), "wb") as file:
                np.save(file, predictions, allow_pickle=False)
        if checkpoint is not None:
            with atomic_open(self.trial_checkpoint(task_id), "wb") as file:
                np.savez(file, **checkpoint)
        if scores is not None:
            with atomic_open(self.trial_scores(task_id), "wb") as file:
                np.save(file, scores, allow_pickle=False)
        write_json(self.trial_result(task_id), dict(result))

    def read_histories(self, task_ids: Iterable[str | TaskId]) -> dict[str, pd.DataFrame]:
        """``task id → history.csv`` as a DataFrame."""
        import pandas as pd

        return {str(task_id): pd.read_csv(self.trial_history(task_id)) for task_id in task_ids}

    # -- run.json --------------------------------------------------------------------------------
    def read_run_info(self) -> dict[str, Any]:
        return read_json(self.run_json) if self.run_json.is_file() else {}

    def update_run_info(self, **fields: Any) -> dict[str, Any]:
        info = self.read_run_info()
        info.update(fields)
        write_json(self.run_json, info)
        return info

    # -- what a strategy and the pipeline write ------------------------------------------------
    def write_folds(self, assignment: np.ndarray, labels: np.ndarray) -> None:
        """``folds.npz``: ``fold_assignment`` (repeats, N) — the fold of every training image in
        every repeat — and the ``labels`` (N,) it was made from."""
        with atomic_open(self.folds_npz, "wb") as f:
            np.savez(f, fold_assignment=assignment, labels=labels)

    def write_split(self, parts: Mapping[str, np.ndarray]) -> None:
        """``split.npz``: for a table the run split, the file rows (0-based data rows) of each
        part: ``test``, ``train_set`` (everything else), and ``train`` / ``validation`` of a
        holdout split."""
        with atomic_open(self.split_npz, "wb") as f:
            np.savez(f, **{name: np.asarray(rows, dtype=np.int64)
                           for name, rows in parts.items()})

    def write_outer_folds(self, assignment: np.ndarray) -> None:
        """``outer_folds.npz``: ``outer_fold`` (N,), nested CV's outer fold of every training
        image."""
        with atomic_open(self.outer_folds_npz, "wb") as f:
            np.savez(f, outer_fold=assignment)

    def write_biasvar_predictions(self, grid_point_ids: Sequence[str], predictions: np.ndarray,
                                  targets: np.ndarray, truth: np.ndarray | None = None) -> None:
        """``biasvar_predictions.npz``: ``grid_point_ids`` (G,), ``predictions`` (G, R, n_eval)
        — every round's predicted class (or value) of every evaluation row —, ``targets``
        (n_eval,), and ``f`` (n_eval,) where the true function is known, so that anyone can
        recompute ``biasvar.csv``."""
        arrays = {"grid_point_ids": np.array(list(grid_point_ids)), "predictions": predictions,
                  "targets": targets}
        if truth is not None:
            arrays["f"] = truth
        with atomic_open(self.biasvar_predictions_npz, "wb") as f:
            np.savez(f, **arrays)

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        write_csv(self.table(name), frame)

    def write_best(self, network: MLP, probabilities: np.ndarray, predictions: np.ndarray,
                   labels: np.ndarray, confusion: np.ndarray | None,
                   per_class: pd.DataFrame | None,
                   class_names: Sequence[str]) -> None:
        """``best/``: the chosen network and its one scoring on the test set.

        Parameters
        ----------
        probabilities : ndarray, shape (N, K)
        predictions, labels : ndarray of int, shape (N,)
        confusion : ndarray of int, shape (K, K)
            ``C[i, j]``: test images of class i predicted as j.
        per_class : DataFrame
            class, precision, recall, f1, support.
        """
        import pandas as pd

        save_model(self.best_model, network)
        if confusion is None:  # regression: the targets and the network's outputs
            write_csv(self.predictions_csv, pd.DataFrame({
                "test_index": np.arange(len(labels)), "true_value": labels,
                "predicted_value": predictions}))
            return
        frame = pd.DataFrame({"test_index": np.arange(len(labels)), "true_label": labels,
                              "predicted_label": predictions})
        for k, name in enumerate(class_names):
            frame[f"probability_{name}"] = probabilities[:, k]
        write_csv(self.predictions_csv, frame)
        write_csv(self.confusion_matrix_csv,
                  pd.DataFrame(confusion, index=pd.Index(list(class_names), name="actual"),
                               columns=pd.Index(list(class_names), name="predicted")),
                  index=True)
        write_csv(self.per_class_csv, per_class)

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        write_json(self.summary_json, dict(summary))


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
    try:
        run.update_run_info(
            run_id=run.run_id, command=command, argv=argv or [], status="running",
            started=datetime.now().isoformat(timespec="seconds"),
        )
    except OSError:
        shutil.rmtree(run.path, ignore_errors=True)  # no half-made run folder
        raise
    return run


def _lstat_mode(path: Path) -> int | None:
    """The mode of ``path`` itself (a link is not followed); None when there is nothing."""
    try:
        return os.lstat(path).st_mode
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path``, every symbolic link on the way followed, lies in ``folder`` (its
    links followed too). What reading a run folder checks before it opens a file there."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL in the name
        return False


def link_target(path: Path) -> str:
    """What the symbolic link ``path`` points to, as written in the link."""
    try:
        return os.readlink(path)
    except (OSError, ValueError):
        return "?"


def escaping_links(folder: Path) -> list[Path]:
    """The symbolic links in ``folder`` (at any depth; none is followed) that lead outside it.

    A run folder mlpsel made holds none; a run holding one is never continued (its files would
    be read and written through the link).
    """
    found: list[Path] = []
    pending = [Path(folder)]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            path = Path(entry.path)
            if entry.is_symlink():
                if not is_inside(path, folder):
                    found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(path)
    return sorted(found)


def is_run_folder(path: Path) -> bool:
    """True for a folder holding ``run.json``, neither of them a symbolic link (mlpsel never
    follows a linked run folder or run.json; see :func:`resolve_run`)."""
    folder, marker = _lstat_mode(Path(path)), _lstat_mode(Path(path) / RUN_MARKER)
    return (folder is not None and stat.S_ISDIR(folder) and marker is not None
            and stat.S_ISREG(marker))


def list_runs(runs_dir: Path) -> list[RunFolder]:
    """Run folders in ``runs_dir`` (its direct children, see :func:`is_run_folder`), newest
    first. A symbolic link there is left out, never followed."""
    if not runs_dir.is_dir():
        return []
    runs = [RunFolder(p) for p in runs_dir.iterdir() if is_run_folder(p)]
    return sorted(runs, key=lambda run: run.run_id, reverse=True)


# run.json's fields that mlpsel reads back, and the JSON types each may have (null: unknown)
RUN_INFO_FIELDS: dict[str, tuple[type, ...]] = {
    "run_id": (str,), "command": (str,), "argv": (list,), "status": (str,), "started": (str,),
    "dataset": (str,), "host": (str,), "identity": (str,), "error": (str,), "pid": (int,),
    "n_grid_points": (int,), "blas_threads": (int,), "jobs": (int,), "folds": (int,),
    "repeats": (int,), "seconds": (int, float), "split": (dict,), "split_sizes": (list,),
    "continued": (bool,),
}
_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", int: "an integer",
               float: "a number", bool: "true or false"}


def wrong_fields(values: Mapping[str, Any], fields: Mapping[str, tuple[type, ...]]) -> list[str]:
    """``key: is X, not a Y`` for every known field of ``values`` of the wrong JSON type (null
    is allowed: unknown)."""
    wrong = []
    for key, types in fields.items():
        value = values.get(key)
        if value is None:
            continue
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            shown = json.dumps(value, default=str)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            wanted = "a number" if float in types else _TYPE_NAMES[types[0]]
            wrong.append(f"'{key}' is {shown}, not {wanted}")
    return wrong


def read_run_json(run: RunFolder) -> dict[str, Any]:
    """``run.json`` of ``run``, checked: a JSON object whose known fields
    (:data:`RUN_INFO_FIELDS`) have their types, read from a real file in the run folder.

    Raises
    ------
    DataError
        One line, naming the file: missing, a symbolic link (not followed), unreadable, not
        JSON, not an object, or a field of the wrong type. The run folder is damaged.
    """
    path = run.run_json
    mode = _lstat_mode(path)
    damaged = "the run folder is damaged ('mlpsel runs' marks it)"
    if mode is None:
        raise DataError(f"{path}: missing; {damaged}")
    if stat.S_ISLNK(mode):
        raise DataError(f"{path}: a symbolic link (to {link_target(path)}), which mlpsel does "
                        f"not follow; {damaged}")
    try:
        info = read_json(path)
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error}); {damaged}") \
            from None
    except ValueError as error:  # UnicodeDecodeError too
        reason = " ".join(str(error).split())[:120]
        raise DataError(f"{path}: not JSON ({reason}); {damaged}") from None
    if not isinstance(info, dict):
        raise DataError(f"{path}: not a JSON object but {type(info).__name__}; {damaged}")
    wrong = wrong_fields(info, RUN_INFO_FIELDS)
    if wrong:
        raise DataError(f"{path}: {'; '.join(wrong[:3])}; {damaged}")
    return info


def _is_path_reference(reference: str) -> bool:
    separators = {"/", os.sep, os.altsep or "/"}
    return reference in (".", "..") or any(separator in reference for separator in separators)


def _linked_run(path: Path, runs_dir: Path, shown: str) -> RunNotFound:
    outside = "" if is_inside(path, runs_dir) else f" pointing outside {runs_dir}/"
    return RunNotFound(f"{shown}: a symbolic link{outside} (to {link_target(path)}); mlpsel "
                       "does not follow links to run folders: give the folder itself as a path "
                       "if you trust it")


def _checked_run(path: Path, runs_dir: Path, shown: str) -> RunFolder:
    """``path`` as a run folder, or why it is not one (one line)."""
    mode = _lstat_mode(path)
    if mode is None:
        raise RunNotFound(f"{shown}: no such folder; give a run folder, a run id, a unique "
                          f"prefix or 'latest' ('mlpsel runs' lists the runs in {runs_dir}/)")
    if stat.S_ISLNK(mode):
        raise _linked_run(path, runs_dir, shown)
    if not stat.S_ISDIR(mode):
        raise RunNotFound(f"{shown} is a file, not a run folder")
    if _lstat_mode(path / RUN_MARKER) is None:
        raise RunNotFound(f"{shown} is a folder but not a run folder (it has no {RUN_MARKER})")
    run = RunFolder(path)
    read_run_json(run)  # DataError when damaged
    return run


def resolve_run(reference: str, runs_dir: Path) -> RunFolder:
    """Find a run by id, unique id prefix, ``latest``, or path to a run folder.

    The rule: a reference holding a path separator, or ``.`` or ``..``, is a path; it must be
    an existing run folder (a folder with ``run.json``), wherever it is. Anything else is an
    id, a unique prefix of one or ``latest`` (the newest readable run), looked up only among
    the direct children of ``runs_dir``: a bare word never names a folder elsewhere, so no
    reference makes mlpsel read outside ``runs_dir`` unless it is a path to a run folder.

    A run folder that is a symbolic link, or whose ``run.json`` is one, is never followed
    (refused by name, left out of ``latest``); nor is one whose ``run.json`` is damaged.

    Raises
    ------
    RunNotFound
        No run matches, the prefix is ambiguous, the path is not a run folder, or it is a
        symbolic link.
    DataError
        The run folder's ``run.json`` is damaged (see :func:`read_run_json`).
    """
    runs_dir = Path(runs_dir)
    reference = str(reference)
    if not reference.strip():
        raise RunNotFound("an empty run reference; give a run id, a unique prefix, 'latest' "
                          "or a run folder path ('mlpsel runs' lists them)")
    if _is_path_reference(reference):
        return _checked_run(Path(reference), runs_dir, reference)
    if reference == "latest":
        runs = list_runs(runs_dir)
        if not runs:
            raise RunNotFound(f"no runs in {runs_dir}/ yet; start one with 'mlpsel train'")
        for run in runs:  # newest first; a damaged one is skipped ('mlpsel runs' marks it)
            try:
                read_run_json(run)
            except DataError:
                continue
            return run
        raise RunNotFound(f"no readable run in {runs_dir}/: every run.json there is damaged "
                          "('mlpsel runs' lists them)")
    exact = runs_dir / reference
    if _lstat_mode(exact) is not None:
        return _checked_run(exact, runs_dir, str(exact))
    try:
        children = list(runs_dir.iterdir()) if runs_dir.is_dir() else []
    except OSError:
        children = []
    candidates = [path for path in children if path.name.startswith(reference) and (
        is_run_folder(path) or path.is_symlink()
        or (path.is_dir() and RUN_ID_PATTERN.fullmatch(path.name)))]
    if len(candidates) == 1:
        return _checked_run(candidates[0], runs_dir, str(candidates[0]))
    if len(candidates) > 1:
        shown = ", ".join(sorted((path.name for path in candidates), reverse=True)[:4])
        raise RunNotFound(
            f"'{reference}' matches {len(candidates)} runs ({shown}); give more of the id")
    raise RunNotFound(
        f"no run '{reference}' in {runs_dir}/; give a run id, a unique prefix, 'latest' or a run "
        "folder path ('mlpsel runs' lists them)"
    )


# ---------------------------------------------------------------------------------------------
# The environment (env.json)


def environment_info(seed: int, blas_threads: int, jobs: int) -> dict[str, Any]:
    """Python, NumPy and BLAS versions, CPU, seed and git commit, for ``env.json``."""
    from threadpoolctl import threadpool_info

    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "blas": [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()
        ],
        "blas_threads_per_trial": blas_threads,
        "jobs": jobs,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "seed": seed,
        "git_commit": _git_commit(),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                   timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (completed.stdout.strip() or None) if completed.returncode == 0 else None


# ---------------------------------------------------------------------------------------------
# Resume: which run an interrupted command continues


def process_alive(pid: Any, host: Any) -> bool | None:
    """Whether process ``pid`` on ``host`` still runs; None when this host cannot tell (another
    host, or no pid recorded)."""
    if not isinstance(pid, int) or not pid or host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: the process exists under another user
        return True
    return True


def run_identity(command: str, config: Config, blas_threads: int) -> str:
    """What must match for a run to be continued: command, resolved config, BLAS threads."""
    return stable_id({"command": command, "config": config.values, "blas_threads": blas_threads},
                     length=16)


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    flat = {key: _get(values, key) for key in leaf_keys()}
    flat.update(flatten_search(values.get("search") or {}))
    return flat


def _get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old → new`` for every setting that differs."""
    old_flat, new_flat = _flatten(old), _flatten(new)
    return [f"{key}: {old_flat.get(key)!r} → {new_flat.get(key)!r}"
            for key in sorted(set(old_flat) | set(new_flat))
            if old_flat.get(key) != new_flat.get(key)]


def find_run_to_continue(runs_dir: Path, command: str, config: Config, blas_threads: int,
                         resume: str | None) -> RunFolder | None:
    """The run to continue: ``resume`` if given (refused if its config differs; ``latest``: the
    newest run of the same command), else the newest unfinished run of the same command and
    config whose process is gone; ``None`` for a new run.

    ``resume`` is resolved as :func:`resolve_run` resolves a RUN argument. A run folder holding
    a symbolic link that leads outside it (:func:`escaping_links`) is never continued: named,
    it is refused; found automatically, it is passed over (a new run is made).

    Raises
    ------
    RunAlreadyFinished
        ``resume`` names a finished run: nothing is redone or rewritten.
    """
    import yaml

    identity = run_identity(command, config, blas_threads)
    if resume == "latest":  # the newest run of this command (any other cannot be continued)
        same = [run for run in list_runs(runs_dir) if _readable_info(run).get("command") == command]
        if not same:
            raise RunNotFound(f"no '{command}' run in {runs_dir}/ to resume; drop --resume to "
                              "start one")
        run = same[0]
    elif resume is not None:
        run = resolve_run(resume, runs_dir)
    if resume is not None:
        info = read_run_json(run)
        links = escaping_links(run.path)
        if links:
            raise DataError(f"{links[0]}: a symbolic link pointing outside the run folder (to "
                            f"{link_target(links[0])}); mlpsel does not continue a run through "
                            "links, it would read and write there. Drop --resume to start a new "
                            "run")
        if info.get("command") != command:
            raise ConfigError(f"run {run.run_id} is a '{info.get('command')}' run; resume it "
                              f"with 'mlpsel {info.get('command')}'", key="--resume")
        if info.get("identity") != identity:
            stored: Any = {}
            try:
                if run.config_yaml.is_file():
                    stored = yaml.safe_load(run.config_yaml.read_text(encoding="utf-8"))
            except (OSError, ValueError, yaml.YAMLError):
                stored = {}
            differences = config_differences(stored if isinstance(stored, dict) else {},
                                             config.values)
            if info.get("blas_threads") != blas_threads:
                differences.append(f"--blas-threads: {info.get('blas_threads')} → {blas_threads}")
            raise ConfigError(
                f"run {run.run_id} was made with other settings, so its trials cannot be reused: "
                + "; ".join(differences[:6]) + (" …" if len(differences) > 6 else "")
                + ". Drop --resume to start a new run", key="--resume")
        if info.get("status") == "finished" and run.summary_json.is_file():
            raise RunAlreadyFinished(f"run {run.run_id} is finished; it is left as it is "
                                     f"(mlpsel report {run.run_id} shows it)")
        return run
    for run in list_runs(runs_dir):
        info = _readable_info(run)  # a damaged run folder is never continued, nor in the way
        if (info.get("identity") == identity and info.get("status") in CONTINUABLE
                and not process_alive(info.get("pid"), info.get("host"))
                and not escaping_links(run.path)):
            return run
    return None


def _readable_info(run: RunFolder) -> dict[str, Any]:
    """``run.json`` of another run, or ``{}`` when it cannot be read (a damaged folder: see
    :func:`read_run_json`; a linked ``run.json`` is not followed)."""
    try:
        return read_run_json(run)
    except DataError:
        return {}


@dataclass(frozen=True)
class RunStart:
    """A run folder ready for work: new or ``continued``, with what ``run.json`` (``info``) and
    ``env.json`` (``environment``) now hold."""

    run: RunFolder
    continued: bool
    info: dict[str, Any]
    environment: dict[str, Any]


def start_or_continue(runs_dir: Path, command: str, config: Config, *, resume: str | None,
                      blas_threads: int, jobs: int, argv: list[str] | None, dataset: str,
                      details: Mapping[str, Any]) -> RunStart:
    """Make a new run folder or take the one to continue; write ``env.json`` and record this
    process in ``run.json``."""
    run = find_run_to_continue(runs_dir, command, config, blas_threads, resume)
    continued = run is not None
    if run is None:
        run = create_run(runs_dir, config.name, command, argv)
    try:
        if not continued:
            write_text(run.config_yaml, config.to_yaml())
        environment = environment_info(config.values["seed"], blas_threads, jobs)
        write_json(run.env_json, environment)
        info = run.update_run_info(
            status="running", identity=run_identity(command, config, blas_threads),
            blas_threads=blas_threads, jobs=jobs, pid=os.getpid(), host=socket.gethostname(),
            dataset=dataset, continued=continued, **details,
        )
    except OSError:
        if not continued:  # a new run folder that could not be set up is not left half-made
            shutil.rmtree(run.path, ignore_errors=True)
        raise
    return RunStart(run, continued, info, environment)
