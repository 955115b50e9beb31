"""Nested cross-validation (``mlpsel cv --outer-folds K``): how good is the *choosing*?

The best inner-CV score of a grid is optimistic: it is the maximum of several noisy estimates,
picked because it is high. Nested CV measures the whole procedure instead::

    outer fold o = 0 … K−1 (stratified):
        inner k-fold CV on the other K−1 outer folds chooses a grid point   (choice made there)
        that grid point is trained on those K−1 outer folds and scored on outer fold o
    nested estimate = mean ± std over the K outer scores
    optimism        = best inner score on all training data − nested estimate  (for a loss:
                      the other way round, so that optimism > 0 means "looked better")

Then, as plain ``cv`` does, the inner CV on all training data chooses the final network, which
is refit on everything and tested once: the nested estimate says how far to trust that choice,
it does not replace it. ``nested_results.csv`` has one row per outer fold (winner, its inner
score, its outer score); the summary says how often the final choice won an outer fold.

Round 1 trains every inner split of every outer fold, and the inner splits on all training data;
round 2 trains each outer fold's winner. No early stopping looks at an outer fold: the outer
training uses the epochs the inner folds chose.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.budget import PlannedTask
from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.executor import Task
from mlpsel.results import choose_best, grid_point_rows, higher_is_better, table_cell
from mlpsel.search import GridPoint
from mlpsel.splits import StratifiedKFold, splits_from_assignment
from mlpsel.store import NESTED_RESULTS_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy
from mlpsel.strategies.kfold import KFold, refit_epochs

if TYPE_CHECKING:
    import pandas as pd

OUTER_SEED_OFFSET = 1_000_003
"""The outer folds are shuffled with ``seed + OUTER_SEED_OFFSET`` (not the inner folds' seed)."""


class NestedKFold(Strategy):
    """``cv.outer_folds`` outer folds around the inner ``cv.folds`` × ``cv.repeats`` k-fold."""

    command = "cv"

    def __init__(self, config: Config, dataset: Dataset) -> None:
        super().__init__(config, dataset)
        self.main = KFold(config, dataset)
        self.splits_per_grid_point = self.main.splits_per_grid_point
        self.outer_folds = config["cv.outer_folds"]
        cv = config["cv"]
        outer = StratifiedKFold(self.outer_folds, stratify=cv["stratify"],
                                seed=config["seed"] + OUTER_SEED_OFFSET)
        strata = dataset.strata  # (N,)
        self.outer_assignment = outer.fold_assignment(strata)[0]  # (N,) outer fold of each row
        self.outer_splits = [(train, test) for _, _, train, test
                             in splits_from_assignment(self.outer_assignment[None, :])]
        inner = StratifiedKFold(cv["folds"], n_repeats=cv["repeats"], stratify=cv["stratify"],
                                seed=config["seed"])
        self.inner_tasks: dict[int, dict[str, list[Task]]] = {}
        for o, (outer_train, _) in enumerate(self.outer_splits):
            assignment = inner.fold_assignment(strata[outer_train])  # (repeats, n_outer_train)
            self.inner_tasks[o] = {
                point.grid_point_id: [
                    Task(TaskId(point.grid_point_id, repeat, fold, outer=o), point,
                         outer_train[train], outer_train[validation])
                    for repeat, fold, train, validation in splits_from_assignment(assignment)]
                for point in self.points}
        self.tasks = [task for by_point in self.inner_tasks.values()
                      for tasks in by_point.values() for task in tasks] + self.main.tasks
        self.outer_tasks: list[Task] = []
        self._round = 0

    refits = True

    @property
    def n_tasks(self) -> int:
        return len(self.tasks) + self.outer_folds

    def planned_tasks(self) -> list[PlannedTask]:
        """The inner and main folds, the main refit, and each outer fold's winner trained on
        its outer training part (taken as the largest grid point)."""
        planned = super().planned_tasks()
        largest = planned[-1]
        return planned + [dataclasses.replace(largest, n_train=len(train), n_validation=len(test))
                          for train, test in self.outer_splits]

    @property
    def split_sizes(self) -> tuple[int, int]:
        return self.main.split_sizes

    def run_details(self) -> dict[str, Any]:
        return {**self.main.run_details(), "outer_folds": self.outer_folds}

    def prepare(self, run: RunFolder) -> None:
        self.main.prepare(run)
        run.write_outer_folds(self.outer_assignment)

    def plan(self, finished: Results) -> list[Task]:
        self._round += 1
        if self._round == 1:
            return self.tasks
        if self._round > 2:
            return []
        self.outer_tasks = []
        for o, (outer_train, outer_test) in enumerate(self.outer_splits):
            winner, _ = self.outer_winner(o, finished)
            if winner is None:
                continue  # no grid point succeeded inside this outer fold
            fold_results = [finished[task.task_id]
                            for task in self.inner_tasks[o][winner.grid_point_id]]
            training = winner.spec.training
            epochs = refit_epochs(training.early_stopping_patience, training.epochs,
                                  [result.get("best_epoch") or 0 for result in fold_results])
            # the outer fold is only scored: no early stopping may look at it
            point = dataclasses.replace(winner, spec=dataclasses.replace(
                winner.spec, training=dataclasses.replace(training, early_stopping_patience=0)))
            self.outer_tasks.append(Task(TaskId(winner.grid_point_id, refit=True, outer=o), point,
                                         outer_train, outer_test, epochs=epochs))
        return self.outer_tasks

    def inner_rows(self, o: int, finished: Results) -> list[dict[str, Any]]:
        """The inner-CV table of outer fold ``o``."""
        results = [finished[task.task_id] for tasks in self.inner_tasks[o].values()
                   for task in tasks]
        return grid_point_rows(results, n_splits=self.splits_per_grid_point,
                               folds=self.main.folds, metric=self.metric)

    def outer_winner(self, o: int, finished: Results) -> tuple[GridPoint | None, float | None]:
        """The grid point the inner CV of outer fold ``o`` chooses, and its inner mean."""
        rows = self.inner_rows(o, finished)
        if not any(row["status"] == "ok" for row in rows):
            return None, None
        position = choose_best(rows, self.metric)
        return self.points[position], rows[position][f"mean_{self.metric}"]

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        return self.main.rows(finished)

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice:
        return self.main.choose(rows, finished)

    def choice_tasks(self, choice: Choice) -> list[Task]:
        return self.main.choice_tasks(choice)

    def nested_rows(self, finished: Results) -> list[dict[str, Any]]:
        """``nested_results.csv``: per outer fold, its sizes, the winner, its inner mean and its
        score on the outer fold."""
        rows = []
        by_fold = {task.id.outer: task for task in self.outer_tasks}
        for o, (outer_train, outer_test) in enumerate(self.outer_splits):
            winner, inner_score = self.outer_winner(o, finished)
            task = by_fold.get(o)
            result = finished.get(task.task_id) if task is not None else None
            rows.append({
                "outer_fold": o, "n_train": len(outer_train), "n_test": len(outer_test),
                "winner": winner.grid_point_id if winner else None,
                **{f"param_{key}": value for key, value in (winner.params if winner
                                                           else {}).items()},
                f"inner_mean_{self.metric}": inner_score,
                f"outer_{self.metric}": result.get(self.metric) if result else None,
                "status": result["status"] if result else "failed",
            })
        return rows

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        import pandas as pd

        nested = [{key: table_cell(value) for key, value in row.items()}
                  for row in self.nested_rows(finished)]
        return {**self.main.tables(rows, finished), NESTED_RESULTS_TABLE: pd.DataFrame(nested)}

    def summary_fields(self) -> dict[str, Any]:
        return {**self.main.summary_fields(), "outer_folds": self.outer_folds}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        best = self.main.best_summary(choice, rows, finished)
        best["nested"] = self.nested_summary(choice, rows, finished)
        return best

    def nested_summary(self, choice: Choice, rows: list[dict[str, Any]],
                       finished: Results) -> dict[str, Any]:
        """The nested estimate beside the non-nested best inner score, and how often the final
        choice won an outer fold."""
        metric = self.metric
        nested = self.nested_rows(finished)
        scores = [row[f"outer_{metric}"] for row in nested if row[f"outer_{metric}"] is not None]
        estimate = float(np.mean(scores)) if scores else None
        inner_best = float(rows[choice.position][f"mean_{metric}"])
        chosen = choice.grid_point.grid_point_id
        wins = sum(row["winner"] == chosen for row in nested)
        sign = 1.0 if higher_is_better(metric) else -1.0
        return {
            f"mean_{metric}": estimate,
            f"std_{metric}": float(np.std(scores)) if scores else None,
            "outer_scores": scores,
            f"non_nested_best_{metric}": inner_best,
            # how much better the inner score looks than the procedure does (in the better
            # direction of the metric)
            "optimism": (sign * (inner_best - estimate)) if estimate is not None else None,
            "winners": [row["winner"] for row in nested],
            "final_choice_won": f"{wins} of {len(nested)}",
        }
