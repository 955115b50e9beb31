"""Successive halving over epochs (``search: {strategy: halving, factor: 3, min_epochs: 1}``).

Every candidate (the grid, or ``trials`` points drawn from the space) is trained for a small
budget of epochs; the best ⌈n / factor⌉ of the n by the selection metric (the mean over folds
in ``cv``) go on to a budget ``factor`` times larger, and so on, until a round's budget is
``training.epochs``::

    round (iter)      0        1        2
    budget (epochs)   1        3        9        min_epochs × factor^i, the last = training.epochs
    candidates        27   →   9    →   3        the best ⌈n / factor⌉ go on

A candidate that goes on *continues* its training from where it stopped: its network,
optimizer state and random stream are kept with the task (``checkpoint.npz``), so a network
trained to 3 then to 9 epochs is bit for bit the network trained 9 epochs straight. A
checkpoint is removed once no task will continue it.

The splits, the refit and the summary are those of the base strategy: :class:`Holdout`
(``train``: the chosen candidate's own network is tested) or :class:`KFold` (``cv``: the choice
is refit on all training data). The choice is made among the last round's candidates.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.budget import PlannedTask
from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.executor import Task
from mlpsel.results import (
    choose_best,
    choose_one_se,
    cv_results_frame,
    halving_rows,
    higher_is_better,
    holdout_trials_frame,
    last_round,
    task_frame,
)
from mlpsel.store import CV_RESULTS_TABLE, TRIALS_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy
from mlpsel.strategies.holdout import Holdout
from mlpsel.strategies.kfold import KFold

if TYPE_CHECKING:
    import pandas as pd


def halving_budgets(min_epochs: int, factor: int, epochs: int) -> list[int]:
    """The epochs of each round: ``min_epochs × factor^i`` while below ``epochs``, then
    ``epochs`` (1, 3, 9 for (1, 3, 9); 1, 3, 9, 20 for (1, 3, 20))."""
    budgets = []
    budget = min(min_epochs, epochs)
    while budget < epochs:
        budgets.append(budget)
        budget *= factor
    return [*budgets, epochs]


def survivors(n_candidates: int, factor: int) -> int:
    """How many of ``n_candidates`` go on to the next round: ⌈n / factor⌉."""
    return max(1, math.ceil(n_candidates / factor))


def candidates_per_round(n_candidates: int, factor: int, rounds: int) -> list[int]:
    """Candidates trained in each round (27, 9, 3 for 27 candidates, factor 3, 3 rounds)."""
    counts = [n_candidates]
    for _ in range(rounds - 1):
        counts.append(survivors(counts[-1], factor))
    return counts


class Halving(Strategy):
    """Successive halving on the splits of ``base`` (:class:`Holdout` or :class:`KFold`).

    Parameters
    ----------
    config, dataset
        As every strategy.
    base : type
        :class:`Holdout` (``mlpsel train``) or :class:`KFold` (``mlpsel cv``).
    """

    def __init__(self, config: Config, dataset: Dataset, base: type[Holdout | KFold]) -> None:
        super().__init__(config, dataset)
        self.base = base(config, dataset)
        self.command = self.base.command
        self.splits_per_grid_point = self.base.splits_per_grid_point
        self.folds = getattr(self.base, "folds", 1)
        # the splits: those of the base's first grid point
        self.splits = [(task.id.repeat, task.id.fold, task.train_index, task.validation_index)
                       for task in self.base.tasks[:self.splits_per_grid_point]]
        settings = config.search_settings
        self.factor = settings["factor"]
        self.budgets = halving_budgets(settings["min_epochs"], self.factor,
                                       config["training.epochs"])
        self.counts = candidates_per_round(len(self.points), self.factor, len(self.budgets))
        self.rounds: list[list[Task]] = []
        self.run: RunFolder | None = None

    @property
    def n_tasks(self) -> int:
        """Tasks of every round (the rounds' sizes are known before the first)."""
        return sum(self.counts) * self.splits_per_grid_point

    @property
    def split_sizes(self) -> Any:
        return self.base.split_sizes

    def listed_tasks(self) -> list[Task]:
        """The base's tasks: every candidate on every split at the full epochs (the rounds
        train them first for fewer)."""
        return self.base.tasks

    def planned_tasks(self) -> list[PlannedTask]:
        """Round by round: the first ``counts[i]`` grid points (a stand-in for the survivors,
        unknown yet) on every split, each training the epochs from the last budget to this one
        and keeping a checkpoint but in the last round; then the base's refit."""
        planned = []
        for iteration, (count, budget) in enumerate(zip(self.counts, self.budgets, strict=True)):
            previous = self.budgets[iteration - 1] if iteration else 0
            last = iteration == len(self.budgets) - 1
            for point in self.points[:count]:
                for split in self.splits:
                    n_validation = len(split[3]) if split[3] is not None else 0
                    planned.append(self.planned(
                        point, len(split[2]), n_validation, budget - previous,
                        keeps_model=last and self.command == "train",
                        keeps_checkpoint=not last))
        if self.base.refits and self.points:
            planned += self.base.planned_tasks()[len(self.base.tasks):]
        return planned

    def run_details(self) -> dict[str, Any]:
        return {**self.base.run_details(), "halving": self.design()}

    def design(self) -> dict[str, Any]:
        """The rounds: factor, each round's epochs and number of candidates, and the metric
        that decides who goes on."""
        return {"factor": self.factor, "budgets": self.budgets, "candidates": self.counts,
                "metric": self.metric}

    def prepare(self, run: RunFolder) -> None:
        self.base.prepare(run)
        self.run = run

    def task_id(self, point_id: str, split: tuple[Any, ...], budget: int) -> TaskId:
        repeat, fold = split[0], split[1]
        return TaskId(point_id, repeat, fold, epochs=budget)

    def plan(self, finished: Results) -> list[Task]:
        iteration = len(self.rounds)
        if iteration == len(self.budgets):
            for tasks in self.rounds:
                self._discard_checkpoints(tasks, keep=())
            return []
        if iteration == 0:
            candidates = list(self.points)
        else:
            candidates = self.going_on(self.rounds[-1], finished)
            if not candidates:  # nothing succeeded: the choice will say so
                return []
            if iteration >= 2:
                self._discard_checkpoints(self.rounds[-2], keep=())
            self._discard_checkpoints(self.rounds[-1],
                                      keep={point.grid_point_id for point in candidates})
        budget = self.budgets[iteration]
        previous = self.budgets[iteration - 1] if iteration else None
        last = iteration == len(self.budgets) - 1
        tasks = [
            Task(self.task_id(point.grid_point_id, split, budget), point, split[2], split[3],
                 epochs=budget, iteration=iteration,
                 continue_from=(self.task_id(point.grid_point_id, split, previous)
                                if previous is not None else None),
                 keep_checkpoint=not last,
                 save_model=last and self.command == "train")
            for point in candidates for split in self.splits
        ]
        self.rounds.append(tasks)
        return tasks

    def going_on(self, tasks: list[Task], finished: Results) -> list[Any]:
        """The candidates of a finished round that go on: the best ⌈n / factor⌉ ``ok`` ones by
        the mean selection metric over their splits (ties go to the earlier grid point)."""
        results = [finished[task.task_id] for task in tasks]
        rows = halving_rows(results, n_splits=self.splits_per_grid_point, folds=self.folds,
                            metric=self.metric)
        ok = [row for row in rows if row["status"] == "ok"]
        sign = -1.0 if higher_is_better(self.metric) else 1.0
        ranked = sorted(ok, key=lambda row: sign * row[f"mean_{self.metric}"])
        keep = {row["trial_id"] for row in ranked[:survivors(len(rows), self.factor)]}
        return [point for point in self.points if point.grid_point_id in keep]

    def _discard_checkpoints(self, tasks: list[Task], keep: Any) -> None:
        if self.run is None:
            return
        for task in tasks:
            if task.grid_point.grid_point_id not in keep:
                self.run.discard_checkpoint(task.id)

    def sweep_results(self, finished: Results) -> list[Any]:
        """Every round's results, round by round, in grid order within a round."""
        return [finished[task.task_id] for tasks in self.rounds for task in
                sorted(tasks, key=lambda task: task.grid_point.index)]

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        split_sizes = self.split_sizes if self.command == "cv" else None
        return halving_rows(self.sweep_results(finished), n_splits=self.splits_per_grid_point,
                            folds=self.folds, metric=self.metric, split_sizes=split_sizes)

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice:
        positions = last_round(rows)
        final = [rows[position] for position in positions]
        best = choose_best(final, self.metric)
        if self.config["selection.rule"] == "one_se":
            complexity = dict(zip((point.grid_point_id for point in self.points),
                                  self.complexity(), strict=True))
            best = choose_one_se(final, self.metric,
                                 [complexity[row["trial_id"]] for row in final])
        position = positions[best]
        point = next(p for p in self.points if p.grid_point_id == rows[position]["trial_id"])
        budget = rows[position]["n_resources"]
        if self.command == "train":
            task_id = self.task_id(point.grid_point_id, self.splits[0], budget)
            return Choice(position, point, refit=None, model_task=task_id)
        refit = Task(TaskId(point.grid_point_id, refit=True), point, np.arange(self.n_train),
                     None, save_model=True, epochs=budget)
        return Choice(position, point, refit=refit, model_task=refit.id)

    def choice_tasks(self, choice: Choice) -> list[Task]:
        """The chosen candidate's tasks of the last round (trained the full epochs)."""
        return [task for task in self.rounds[-1]
                if task.grid_point.grid_point_id == choice.grid_point.grid_point_id]

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        results = self.sweep_results(finished)
        if self.command == "train":
            return {TRIALS_TABLE: holdout_trials_frame(results, rows, self.metric)}
        return {CV_RESULTS_TABLE: cv_results_frame(rows), TRIALS_TABLE: task_frame(results)}

    def summary_fields(self) -> dict[str, Any]:
        return {**self.base.summary_fields(), "halving": self.design()}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        best = self.base.best_summary(choice, rows, finished)
        best["n_resources"] = rows[choice.position]["n_resources"]
        best["halving_compute"] = self.compute(finished)
        return best

    def compute(self, finished: Results) -> dict[str, int]:
        """Epochs trained by the sweep (beyond every checkpoint continued), and what the full
        grid would have trained: every candidate, every split, ``training.epochs``."""
        trained = sum(task.epochs_to_train for tasks in self.rounds for task in tasks
                      if task.task_id in finished)
        return {"epochs_trained": trained,
                "full_grid_epochs": len(self.points) * self.splits_per_grid_point
                * self.config["training.epochs"]}
