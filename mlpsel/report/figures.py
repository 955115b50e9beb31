"""The run folder's own figures, drawn from its files: a report step the pipeline is handed.

``learning_curves.png`` (every grid point's learning curve, the chosen one highlighted), or for
a ``curve`` run ``learning_curve.png`` (error against training-set size),
``cv_spread.png`` (k-fold: each grid point's score on every fold), ``halving.png``
(successive halving: every candidate's score round by round) and ``confusion_matrix.png``
(the chosen network on the test set). :class:`RunFigures` is what :func:`mlpsel.study.run_study`
takes as ``figures``: stage ``selection`` draws the first two once the tables and histories are
stored, stage ``test`` the last once ``best/`` is; with ``parallel`` each is drawn in a forked
process, so the drawing overlaps the scoring of the test set.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from typing import Any

from mlpsel.processes import die_with_parent
from mlpsel.report import plots
from mlpsel.report.loading import grid_point_histories, last_round_frame, planned_splits
from mlpsel.store import (
    BIASVAR_FIGURE,
    BIASVAR_TABLE,
    CONFUSION_MATRIX_FIGURE,
    CV_SPREAD_FIGURE,
    HALVING_FIGURE,
    LEARNING_CURVE_FIGURE,
    LEARNING_CURVE_TABLE,
    LEARNING_CURVES_FIGURE,
    THRESHOLD_FIGURE,
    RunFolder,
    read_json,
    write_figure,
)

SELECTION_STAGE = "selection"
TEST_STAGE = "test"


def draw_learning_curves(run: RunFolder, chosen: str) -> None:
    import pandas as pd

    finished = run.finished_trial_results()
    histories = grid_point_histories(run, finished, pd.read_csv)
    write_figure(run.figure(LEARNING_CURVES_FIGURE),
                 plots.learning_curves_figure(histories, chosen))


def draw_cv_spread(run: RunFolder, chosen: str) -> None:
    import pandas as pd

    info = run.read_run_info()
    _, n_splits = planned_splits(info, {}, "cv")
    metric = "validation_accuracy"
    frame = last_round_frame(pd.read_csv(run.cv_results_csv))  # halving: the last round
    write_figure(run.figure(CV_SPREAD_FIGURE),
                 plots.cv_spread_figure(frame, metric=metric, n_splits=n_splits,
                                        best_id=chosen))


def draw_halving(run: RunFolder, chosen: str) -> None:
    import pandas as pd

    metric = run.read_run_info()["halving"]["metric"]
    if run.cv_results_csv.is_file():
        frame, column = pd.read_csv(run.cv_results_csv), f"mean_{metric}"
    else:
        frame, column = pd.read_csv(run.trials_csv), metric
    write_figure(run.figure(HALVING_FIGURE),
                 plots.halving_figure(frame, score_column=column, best_id=chosen))


def draw_threshold(run: RunFolder, chosen: str) -> None:
    import pandas as pd

    write_figure(run.figure(THRESHOLD_FIGURE),
                 plots.threshold_figure(pd.read_csv(run.pr_curve_csv),
                                        read_json(run.threshold_json)))


def draw_confusion_matrix(run: RunFolder, chosen: str) -> None:
    import pandas as pd

    frame = pd.read_csv(run.confusion_matrix_csv, index_col=0)
    write_figure(run.figure(CONFUSION_MATRIX_FIGURE),
                 plots.confusion_matrix_figure(frame.to_numpy(),
                                               tuple(str(name) for name in frame.columns)))


def draw_training_size_curve(run: RunFolder, chosen: str | None) -> None:
    import pandas as pd

    write_figure(run.figure(LEARNING_CURVE_FIGURE),
                 plots.training_size_curve_figure(pd.read_csv(run.table(LEARNING_CURVE_TABLE))))


def draw_biasvar(run: RunFolder, chosen: str | None) -> None:
    import pandas as pd

    write_figure(run.figure(BIASVAR_FIGURE),
                 plots.biasvar_figure(pd.read_csv(run.table(BIASVAR_TABLE))))


def stage_figures(run: RunFolder, stage: str) -> list[Callable[[RunFolder, str], None]]:
    """The figures of ``stage`` for this run."""
    if stage == SELECTION_STAGE and run.table(BIASVAR_TABLE).is_file():
        return [draw_biasvar]  # a biasvar run: the trade-off picture
    if stage == SELECTION_STAGE and run.table(LEARNING_CURVE_TABLE).is_file():
        return [draw_training_size_curve]  # a curve run: error against the amount of data
    if stage == SELECTION_STAGE:
        drawings = [draw_learning_curves]
        if run.cv_results_csv.is_file():
            drawings.append(draw_cv_spread)
        if "halving" in run.read_run_info():
            drawings.append(draw_halving)
        return drawings
    if stage == TEST_STAGE:  # regression runs have no confusion matrix
        drawings = [draw_confusion_matrix] if run.confusion_matrix_csv.is_file() else []
        if run.threshold_json.is_file():  # a binary task's decision threshold
            drawings.append(draw_threshold)
        return drawings
    raise ValueError(f"unknown figure stage {stage!r}")


def _draw_in_child(drawing: Callable[[RunFolder, str], None], run: RunFolder,
                   chosen: str) -> None:
    """A forked figure process: it dies with the main process, however that dies (``kill -9``
    included), and leaves Ctrl-C, SIGTERM and SIGHUP to it."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    die_with_parent()
    drawing(run, chosen)


class RunFigures:
    """Draws a run's figures into its folder, in forked processes when ``parallel`` (a sweep that
    used several workers has cores to spare while the test set is scored), else here.

    A figure whose process fails is drawn again here, so a figure is never missing.
    """

    def __init__(self, parallel: bool = False) -> None:
        self.parallel = parallel
        self.pending: list[tuple[Any, Callable[[RunFolder, str], None], RunFolder, str]] = []

    def draw(self, run: RunFolder, stage: str, chosen: str) -> None:
        for drawing in stage_figures(run, stage):
            if not self.parallel:
                drawing(run, chosen)
                continue
            process = multiprocessing.get_context("fork").Process(
                target=_draw_in_child, args=(drawing, run, chosen), daemon=True)
            process.start()
            self.pending.append((process, drawing, run, chosen))

    def wait(self) -> None:
        for process, drawing, run, chosen in self.pending:
            process.join(timeout=300)
            if process.exitcode != 0:
                process.kill()
                drawing(run, chosen)
        self.pending.clear()
