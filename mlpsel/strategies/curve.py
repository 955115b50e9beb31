"""Learning curves against training-set size (``mlpsel curve``): the third axis of overfitting.

Every grid point is trained, on every fold of a (stratified) k-fold, on stratified subsets of
that fold's training part of each size in ``curve.train_sizes`` — nested, each smaller subset
inside the larger ones, so that sizes differ in nothing but the amount of data — and validated on
the fold's whole validation part; the training error is measured on the subset trained on. The
result is a table and a reading per grid point (:func:`mlpsel.stats.read_learning_curve`), not a
choice: nothing is refit and the test set is not touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import ConfigError
from mlpsel.executor import Task
from mlpsel.results import learning_curve_rows
from mlpsel.splits import nested_subsets
from mlpsel.stats import read_learning_curve
from mlpsel.store import LEARNING_CURVE_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy

if TYPE_CHECKING:
    import pandas as pd


def resolve_sizes(sizes: list[float | int], n_available: int) -> list[int]:
    """Fractions (floats, 0 < f <= 1) of ``n_available`` and counts (ints), as sorted counts."""
    counts = sorted({round(size * n_available) if isinstance(size, float) else int(size)
                     for size in sizes})
    if counts[0] < 1 or counts[-1] > n_available:
        raise ConfigError(f"training-set sizes {counts} must lie between 1 and the "
                          f"{n_available} samples of each fold's training part",
                          key="curve.train_sizes")
    return counts


class LearningCurve(Strategy):
    """``cv.folds`` × ``cv.repeats`` folds × ``curve.train_sizes`` per grid point."""

    command = "curve"

    def __init__(self, config: Config, dataset: Dataset) -> None:
        super().__init__(config, dataset)
        splits = self._kfold(dataset)
        self.regression = dataset.is_regression
        smallest_part = min(len(train_index) for _, _, train_index, _ in splits)
        self.sizes = resolve_sizes(config["curve.train_sizes"], smallest_part)
        self.tasks = []
        for point in self.points:
            for repeat, fold, train_index, validation_index in splits:
                subsets = nested_subsets(dataset.strata, train_index, self.sizes,
                                         seed=config["seed"] + 1 + repeat * self.folds + fold)
                self.tasks += [Task(TaskId(point.grid_point_id, repeat, fold, train_size=size),
                                    point, subset, validation_index, score_train=True)
                               for size, subset in zip(self.sizes, subsets, strict=True)]

    def run_details(self) -> dict[str, Any]:
        return {**super().run_details(), "folds": self.folds, "repeats": self.repeats,
                "train_sizes": self.sizes}

    def prepare(self, run: RunFolder) -> None:
        run.write_folds(self.assignment, self.labels)

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        return learning_curve_rows(self.sweep_results(finished),
                                   n_splits=self.splits_per_grid_point, folds=self.folds)

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice | None:
        return None  # an examination, not a selection: no refit, no test

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        import pandas as pd

        return {LEARNING_CURVE_TABLE: pd.DataFrame(rows)}

    def readings(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """Grid point id → its reading (see :func:`mlpsel.stats.read_learning_curve`)."""
        readings = {}
        for point in self.points:
            curve = [row for row in rows if row["trial_id"] == point.grid_point_id
                     and row["mean_validation_error"] is not None
                     and row["mean_train_error"] is not None]
            if not curve:
                readings[point.grid_point_id] = "no reading: no size finished on every fold"
                continue
            readings[point.grid_point_id] = read_learning_curve(
                [row["train_size"] for row in curve], [row["mean_train_error"] for row in curve],
                [row["mean_validation_error"] for row in curve],
                [row["std_validation_error"] or 0.0 for row in curve],
                self.splits_per_grid_point, regression=self.regression).text
        return readings

    def summary_fields(self) -> dict[str, Any]:
        return {"folds": self.folds, "repeats": self.repeats, "train_sizes": self.sizes}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        raise NotImplementedError("a learning curve chooses nothing")
