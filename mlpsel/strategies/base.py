"""What every strategy provides, and the parts holdout and k-fold share.

See :mod:`mlpsel.study` for how the pipeline calls a strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlpsel.budget import PlannedTask
from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import SplitError
from mlpsel.executor import Task
from mlpsel.results import choose_best
from mlpsel.search import GridPoint, grid_points
from mlpsel.splits import StratifiedKFold, splits_from_assignment
from mlpsel.store import RunFolder, TaskId

if TYPE_CHECKING:
    import pandas as pd

Results = Mapping[str, Mapping[str, Any]]
"""Task id → the task's result, for every task finished so far."""


@dataclass(frozen=True)
class Choice:
    """What a strategy chose.

    Attributes
    ----------
    position : int
        The chosen row of the results table.
    grid_point : GridPoint
    refit : Task or None
        A final fit the pipeline runs before testing (k-fold: on all training data).
    model_task : TaskId
        The task whose stored network is the one tested once.
    """

    position: int
    grid_point: GridPoint
    refit: Task | None
    model_task: TaskId


class Strategy:
    """A way of choosing: plans tasks, tabulates their results, chooses.

    Subclasses set :attr:`command`, :attr:`splits_per_grid_point` and :attr:`tasks`, and
    implement :meth:`rows`, :meth:`choose`, :meth:`tables` and :meth:`best_summary`; the rest has
    defaults. The default :meth:`plan` is one round: every task of :attr:`tasks` at once. A
    strategy that works in rounds overrides it.

    Parameters
    ----------
    config : Config
        The resolved config.
    dataset : Dataset
        The run's data (its training labels decide the splits). A split that cannot be made
        raises :class:`mlpsel.errors.SplitError` here, before any run folder exists.
    """

    command: str = ""
    splits_per_grid_point: int = 1

    def __init__(self, config: Config, dataset: Dataset) -> None:
        self.config = config
        self.metric: str = config["selection.metric"]
        self.points = grid_points(config)
        self.n_train = len(dataset.train_labels)
        self.n_test = len(dataset.test_labels)
        self.n_features, self.n_outputs = dataset.n_features, dataset.n_outputs
        # a table split by the run: the file's row of every training and test sample
        self.source_rows = (dataset.train_source_rows, dataset.test_source_rows)
        self.tasks: list[Task] = []
        self._planned = False

    @property
    def n_tasks(self) -> int:
        """Tasks of the sweep (for progress)."""
        return len(self.tasks)

    def run_details(self) -> dict[str, Any]:
        """What ``run.json`` records about the plan (after the dataset's name)."""
        return {"n_grid_points": len(self.points)}

    def prepare(self, run: RunFolder) -> None:
        """Write what the strategy stores before any task runs (k-fold: the folds)."""

    def _write_split(self, run: RunFolder, **parts: Any) -> None:
        """``split.npz`` for a table the run split: the file rows of the test set, the training
        set, and of ``parts`` (positions in the training set, e.g. the validation part)."""
        train_rows, test_rows = self.source_rows
        if train_rows is None:
            return
        run.write_split({"train_set": train_rows, "test": test_rows,
                         **{name: train_rows[index] for name, index in parts.items()}})

    def listed_tasks(self) -> list[Task]:
        """The sweep's tasks as they can be listed before it runs (``--dry-run``, the batch
        check): :attr:`tasks`; a strategy that plans in rounds lists its first grid."""
        return self.tasks

    def planned_tasks(self) -> list[PlannedTask]:
        """Every task the sweep will train, as the cost estimate sees it (:mod:`mlpsel.budget`),
        before any runs: :attr:`tasks` and, where the strategy refits, one refit on all the
        training data of its most expensive grid point."""
        planned = [self.planned(task.grid_point, len(task.train_index),
                                len(task.validation_index) if task.validation_index is not None
                                else 0, task.total_epochs, keeps_model=task.save_model,
                                keeps_predictions=task.keep_predictions)
                   for task in self.tasks]
        if self.refits and self.points:
            largest = max(self.points, key=lambda point: self.planned(point, 1, 0, 1).weights)
            planned.append(self.planned(largest, self.n_train, 0, largest.spec.training.epochs,
                                        keeps_model=True))
        return planned

    refits = False
    """Whether the strategy trains its choice again on all the training data."""

    def planned(self, point: GridPoint, n_train: int, n_validation: int, epochs: int,
                **stores: bool) -> PlannedTask:
        sizes = (self.n_features, *point.spec.model.hidden_layers, self.n_outputs)
        return PlannedTask(sizes, n_train, n_validation, epochs, **stores)

    def plan(self, finished: Results) -> list[Task]:
        """The next round of tasks given the results so far; ``[]`` when there is no more."""
        if self._planned:
            return []
        self._planned = True
        return self.tasks

    def sweep_results(self, finished: Results) -> list[Mapping[str, Any]]:
        """The results of :attr:`tasks`, in their order."""
        return [finished[task.task_id] for task in self.tasks]

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        """The ranked grid-point table (:func:`mlpsel.results.grid_point_rows`)."""
        raise NotImplementedError

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice | None:
        """The best grid point on the validation data alone (raises
        :class:`mlpsel.errors.NoSuccessfulTrial` when none succeeded); None for a strategy that
        examines rather than chooses (then nothing is refit and the test set is not touched)."""
        raise NotImplementedError

    def choice_tasks(self, choice: Choice) -> list[Task]:
        """The validation tasks of the chosen grid point (its folds; the holdout trial): where a
        binary task's decision threshold is chosen."""
        return [task for task in self.tasks
                if task.grid_point.grid_point_id == choice.grid_point.grid_point_id]

    def readings(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """Grid point id → a sentence on what its results say (``summary.json``'s
        ``readings``); none by default."""
        return {}

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        """The tables to write: table name (:data:`mlpsel.store.TABLES`) → frame."""
        raise NotImplementedError

    def summary_fields(self) -> dict[str, Any]:
        """What ``summary.json`` says about the design (after the dataset's name)."""
        return {}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        """``summary.json``'s ``best``: the choice and its validation scores."""
        raise NotImplementedError

    def _best_position(self, rows: list[dict[str, Any]]) -> int:
        return choose_best(rows, self.metric)

    def _kfold(self, dataset: Dataset) -> list[tuple[int, int, Any, Any]]:
        """Set up ``cv.folds`` × ``cv.repeats`` stratified folds of the training set:
        :attr:`folds`, :attr:`repeats`, :attr:`splits_per_grid_point`, :attr:`labels` (N,) and
        :attr:`assignment` (repeats, N); return ``(repeat, fold, train_index,
        validation_index)`` of every split."""
        cv = self.config["cv"]
        self.folds, self.repeats, self.stratify = cv["folds"], cv["repeats"], cv["stratify"]
        self.splits_per_grid_point = self.folds * self.repeats
        splitter = StratifiedKFold(self.folds, n_repeats=self.repeats, stratify=self.stratify,
                                   seed=self.config["seed"])
        self.labels = dataset.strata  # (N,) the labels; zeros for regression
        try:
            self.assignment = splitter.fold_assignment(dataset.strata)  # (repeats, N)
        except SplitError as error:  # say which setting cannot be met
            raise self.config.error("cv.folds", str(error)) from None
        return list(splits_from_assignment(self.assignment))

    def complexity(self) -> list[float]:
        """How complex each grid point is, for the one-SE rule: its trainable parameters
        Σ (n_{l−1} + 1)·n_l, or the value of ``selection.simplest_by`` (negated for
        ``-key``; a list of layer widths counts by its sum)."""
        key = self.config["selection.simplest_by"]
        values = []
        for point in self.points:
            if key is None:
                sizes = [self.n_features, *point.spec.model.hidden_layers, self.n_outputs]
                values.append(float(sum((a + 1) * b for a, b in zip(sizes, sizes[1:],
                                                                    strict=False))))
                continue
            name = key.removeprefix("-")
            value = point.params.get(name, self.config[name])
            value = sum(value) if isinstance(value, list) else float(value)
            values.append(-value if key.startswith("-") else value)
        return values
