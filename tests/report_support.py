"""Run folders for the report tests (no tests here).

One real holdout run and one real k-fold run are trained per test session on the quick-start
config shrunk by overrides (6 grid points on 1,000 images, two of which really diverge); copies
are edited into the other shapes a report must handle: a run still running, an interrupted one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import QUICKSTART, TINY_OVERRIDES

# Two settings vary (validation curves have two panels); the huge learning rate diverges.
REPORT_OVERRIDES = [
    *TINY_OVERRIDES,
    "search.model.hidden_layers=[[8], [16]]",
    "search.training.learning_rate=[0.05, 0.2, 10000.0]",
]
N_GRID_POINTS = 6
N_DIVERGED = 2
N_TEST = 200
CV_FOLDS = 3

_trained: dict[str, Path] = {}


def holdout_run(base: Path) -> Path:
    """The session's real holdout run folder (trained on first use, read-only afterwards)."""
    if "holdout" not in _trained:
        from mlpsel import run_holdout
        from mlpsel.config import load_config

        result = run_holdout(load_config(QUICKSTART, REPORT_OVERRIDES),
                             runs_dir=base / "trained-runs", argv=["train", "quickstart.yaml"])
        _trained["holdout"] = result.run.path
    return _trained["holdout"]


def cv_run(base: Path) -> Path:
    """The session's real k-fold run folder (``mlpsel cv``, 3 folds, same grid as above)."""
    if "cv" not in _trained:
        from mlpsel import run_cv
        from mlpsel.config import load_config

        result = run_cv(load_config(QUICKSTART, [*REPORT_OVERRIDES, f"cv.folds={CV_FOLDS}"]),
                        runs_dir=base / "trained-runs", argv=["cv", "quickstart.yaml"])
        _trained["cv"] = result.run.path
    return _trained["cv"]


def copy_run(source: Path, runs_dir: Path, run_id: str) -> Path:
    """A copy of ``source`` named ``run_id`` in ``runs_dir``, with ``run.json`` saying so."""
    destination = runs_dir / run_id
    shutil.copytree(source, destination)
    edit_json(destination / "run.json", run_id=run_id)
    if (destination / "summary.json").is_file():
        edit_json(destination / "summary.json", run_id=run_id)
    return destination


def edit_json(path: Path, **fields: object) -> dict:
    value = json.loads(path.read_text())
    value.update(fields)
    path.write_text(json.dumps(value, indent=2))
    return value


def make_unfinished_run(source: Path, runs_dir: Path, status: str,
                        run_id: str = "20260101-000000-unfinished-bbbb") -> Path:
    """A run stopped half way: ``status`` in run.json, no results table, no summary, no best/,
    and only the first half of the trials (in id order) finished."""
    run = copy_run(source, runs_dir, run_id)
    info = json.loads((run / "run.json").read_text())
    info["status"] = status
    info.pop("seconds", None)
    (run / "run.json").write_text(json.dumps(info))
    for name in ("summary.json", "trials.csv", "cv_results.csv", "learning_curves.png",
                 "confusion_matrix.png", "cv_spread.png"):
        (run / name).unlink(missing_ok=True)
    shutil.rmtree(run / "best")
    trial_folders = sorted((run / "trials").iterdir())
    for trial_folder in trial_folders[len(trial_folders) // 2:]:
        (trial_folder / "result.json").unlink()
    return run
