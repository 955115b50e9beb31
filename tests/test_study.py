"""The one pipeline: strategies in rounds, figures passed in from the top, events, exit codes."""

from __future__ import annotations

from importlib.metadata import version

import pandas as pd
import pytest
from typer.testing import CliRunner

from mlpsel.cli import EXIT_CODES, app, exit_code
from mlpsel.config import load_config
from mlpsel.errors import (
    ConfigError,
    DataError,
    Interrupted,
    MlpselError,
    NoSuccessfulTrial,
    RunNotFound,
    SplitError,
    WorkerDied,
)
from mlpsel.events import RunStarted, TaskFinished
from mlpsel.report.figures import RunFigures
from mlpsel.strategies import Holdout
from mlpsel.study import StudyOptions, run_study
from tests.conftest import QUICKSTART, TINY_OVERRIDES

THREE_POINTS = [*TINY_OVERRIDES, "search.training.learning_rate=[0.05, 0.1, 0.2]"]


class TwoRounds(Holdout):
    """Holdout that trains the first grid point, looks at its result, then plans the rest."""

    seen: list[list[str]] = []

    def plan(self, finished):
        TwoRounds.seen.append(sorted(finished))
        if not finished:
            return self.tasks[:1]
        if len(finished) == 1:
            assert finished[self.tasks[0].task_id]["status"] == "ok"
            return self.tasks[1:]
        return []


def test_a_strategy_may_plan_in_rounds_without_touching_the_pipeline(tmp_path):
    config = load_config(QUICKSTART, THREE_POINTS)
    TwoRounds.seen = []
    result = run_study("train", config, StudyOptions(runs_dir=tmp_path), strategy=TwoRounds)
    first = TwoRounds.seen[1]
    assert [len(seen) for seen in TwoRounds.seen] == [0, 1, 3]
    assert first == [result.rows[0]["trial_id"]]
    trials = pd.read_csv(result.run.trials_csv)
    assert len(trials) == 3 and (trials["status"] == "ok").all()
    assert result.summary["best"]["trial_id"] in set(trials["trial_id"])
    assert result.run.read_run_info()["status"] == "finished"


def test_the_pipeline_draws_nothing_itself_and_figures_come_from_the_top(tmp_path):
    config = load_config(QUICKSTART, TINY_OVERRIDES)
    bare = run_study("train", config, StudyOptions(runs_dir=tmp_path / "bare"))
    assert not list(bare.run.path.glob("*.png"))
    drawn = run_study("cv", load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=2"]),
                      StudyOptions(runs_dir=tmp_path / "drawn", jobs=2),
                      figures=RunFigures(parallel=True))
    assert sorted(p.name for p in drawn.run.path.glob("*.png")) == [
        "confusion_matrix.png", "cv_spread.png", "learning_curves.png"]


def test_events_say_when_the_run_starts_and_which_task_is_the_refit(tmp_path):
    events = []
    config = load_config(QUICKSTART, [*TINY_OVERRIDES, "cv.folds=2"])
    run_study("cv", config, StudyOptions(runs_dir=tmp_path), on_event=events.append)
    started = [e for e in events if isinstance(e, RunStarted)]
    assert len(started) == 1 and started[0].n_tasks == 4 and started[0].splits_per_grid_point == 2
    finished = [e for e in events if isinstance(e, TaskFinished)]
    assert [e.refit for e in finished] == [False] * 4 + [True]
    assert finished[-1].task_id.startswith("refit-")


@pytest.mark.parametrize("error, code", [
    (NoSuccessfulTrial("x"), 1), (WorkerDied("x"), 1), (Interrupted("x"), 130),
    (KeyboardInterrupt(), 130), (ConfigError("x"), 2), (DataError("x"), 2),
    (SplitError("x"), 2), (RunNotFound("x"), 2),
])
def test_one_map_from_error_kinds_to_exit_codes(error, code):
    assert exit_code(error) == code
    assert EXIT_CODES[-1] == (MlpselError, 2)  # the catch-all comes last


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"mlpsel {version('mlpsel')}"
