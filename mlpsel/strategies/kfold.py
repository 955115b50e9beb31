"""k-fold cross-validation (``mlpsel cv``): choose on the mean over folds, then refit.

Every grid point is trained on k−1 folds and validated on the remaining one, for every fold of
every repeat; the grid point with the best mean validation metric is chosen (its spread across
folds says how far to trust that mean), refit on the whole training set, and that network is
scored once on the test set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.executor import Task
from mlpsel.results import choose_one_se, cv_results_frame, grid_point_rows, task_frame
from mlpsel.store import CV_RESULTS_TABLE, TRIALS_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy

if TYPE_CHECKING:
    import pandas as pd


def refit_epochs(early_stopping_patience: int, epochs: int, best_epochs: list[int]) -> int:
    """Epochs for the refit: the configured number, or with early stopping the mean best epoch
    the folds found (rounded, at least 1)."""
    if early_stopping_patience > 0 and best_epochs:
        return max(1, int(round(float(np.mean(best_epochs)))))
    return epochs


class KFold(Strategy):
    """``cv.folds`` folds × ``cv.repeats`` repeats, stratified unless ``cv.stratify`` is false."""

    command = "cv"
    refits = True

    def __init__(self, config: Config, dataset: Dataset) -> None:
        super().__init__(config, dataset)
        splits = self._kfold(dataset)
        self.tasks_by_point = {
            point.grid_point_id: [Task(TaskId(point.grid_point_id, repeat, fold), point,
                                       train_index, validation_index)
                                  for repeat, fold, train_index, validation_index in splits]
            for point in self.points
        }
        self.tasks = [task for tasks in self.tasks_by_point.values() for task in tasks]

    @property
    def split_sizes(self) -> tuple[int, int]:
        """(n_train, n_validation) of a split, on average over the folds."""
        n_validation = round(self.n_train / self.folds)
        return self.n_train - n_validation, n_validation

    def run_details(self) -> dict[str, Any]:
        return {**super().run_details(), "folds": self.folds, "repeats": self.repeats,
                "split_sizes": list(self.split_sizes)}

    def prepare(self, run: RunFolder) -> None:
        run.write_folds(self.assignment, self.labels)
        self._write_split(run)

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        return grid_point_rows(self.sweep_results(finished), n_splits=self.splits_per_grid_point,
                               folds=self.folds, metric=self.metric,
                               split_sizes=self.split_sizes)

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice:
        position = self._best_position(rows)
        if self.config["selection.rule"] == "one_se":
            position = choose_one_se(rows, self.metric, self.complexity())
        point = self.points[position]
        fold_results = [finished[task.task_id] for task in self.tasks_by_point[point.grid_point_id]]
        training = point.spec.training
        epochs = refit_epochs(training.early_stopping_patience, training.epochs,
                              [result.get("best_epoch") or 0 for result in fold_results])
        refit = Task(TaskId(point.grid_point_id, refit=True), point, np.arange(self.n_train),
                     None, save_model=True, epochs=epochs)
        return Choice(position, point, refit=refit, model_task=refit.id)

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        return {CV_RESULTS_TABLE: cv_results_frame(rows),
                TRIALS_TABLE: task_frame(self.sweep_results(finished))}

    def summary_fields(self) -> dict[str, Any]:
        return {"folds": self.folds, "repeats": self.repeats, "stratify": self.stratify,
                "split": {"train": self.n_train, "test": self.n_test}}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        row = rows[choice.position]
        metric = self.metric
        best = {
            "trial_id": choice.grid_point.grid_point_id,
            "params": choice.grid_point.params,
            f"mean_{metric}": float(row[f"mean_{metric}"]),
            f"std_{metric}": float(row[f"std_{metric}"]),
            "mean_validation_accuracy": row["mean_validation_accuracy"],
            "std_validation_accuracy": row["std_validation_accuracy"],
            "refit_epochs": choice.refit.epochs if choice.refit else None,
        }
        if best["mean_validation_accuracy"] is None:  # regression: no accuracy
            del best["mean_validation_accuracy"], best["std_validation_accuracy"]
        if self.config["selection.rule"] == "one_se":
            by_mean = rows[self._best_position(rows)]
            best.update(rule="one_se", simplest_by=self.config["selection.simplest_by"]
                        or "trainable parameters", best_mean_trial_id=by_mean["trial_id"],
                        best_mean=by_mean[f"mean_{metric}"],
                        standard_error=by_mean[f"se_{metric}"])
        return best
