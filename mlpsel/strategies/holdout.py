"""Holdout (``mlpsel train``): one train/validation split of the official training set.

Every grid point is trained on the train part and scored on the validation part; the best on the
validation metric alone is chosen, and that trial's own network is scored once on the test set.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import ConfigError, SplitError
from mlpsel.executor import Task
from mlpsel.results import grid_point_rows, holdout_trials_frame
from mlpsel.splits import holdout_split
from mlpsel.store import TRIALS_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy

if TYPE_CHECKING:
    import pandas as pd


class Holdout(Strategy):
    """One split, ``split.validation`` of the training images held out (stratified by default).
    """

    command = "train"
    splits_per_grid_point = 1

    def __init__(self, config: Config, dataset: Dataset) -> None:
        super().__init__(config, dataset)
        if config["selection.rule"] == "one_se":
            raise ConfigError("the one-SE rule needs a standard error, so several validation "
                              "splits: use 'mlpsel cv', or selection.rule: best",
                              key="selection.rule")
        split = config["split"]
        validation = split["validation"]
        if split["train"] is not None:  # a three-way split: fractions of the whole table
            validation = math.floor(validation * (self.n_train + self.n_test) + 0.5)
        try:
            self.train_index, self.validation_index = holdout_split(
                dataset.strata, validation, seed=config["seed"],
                stratify=split["stratify"])  # (n_train,), (n_validation,)
        except SplitError as error:  # say which setting cannot be met
            if not str(error).startswith("validation_size "):
                raise
            raise config.error("split.validation",
                               str(error).replace("validation_size ", "", 1)) from None
        self.tasks = [Task(TaskId(point.grid_point_id), point, self.train_index,
                           self.validation_index, save_model=True) for point in self.points]

    @property
    def split_sizes(self) -> dict[str, int]:
        return {"train": len(self.train_index), "validation": len(self.validation_index),
                "test": self.n_test}

    def run_details(self) -> dict[str, Any]:
        return {**super().run_details(), "split": self.split_sizes}

    def prepare(self, run: RunFolder) -> None:
        self._write_split(run, train=self.train_index, validation=self.validation_index)

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        return grid_point_rows(self.sweep_results(finished), n_splits=1, metric=self.metric)

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice:
        position = self._best_position(rows)
        task = self.tasks[position]
        return Choice(position, task.grid_point, refit=None, model_task=task.id)

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        return {TRIALS_TABLE: holdout_trials_frame(self.sweep_results(finished), rows, self.metric)}

    def summary_fields(self) -> dict[str, Any]:
        return {"split": self.split_sizes}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        result = finished[str(choice.model_task)]
        best = {
            "trial_id": choice.grid_point.grid_point_id,
            "params": choice.grid_point.params,
            self.metric: float(result[self.metric]),
            "validation_accuracy": result["validation_accuracy"],  # None for regression
            "best_epoch": int(result["best_epoch"]),
        }
        if best["validation_accuracy"] is None:
            del best["validation_accuracy"]
        return best
