"""Bias and variance (``mlpsel biasvar``): the same network trained on many training sets.

Each grid point is trained ``biasvar.rounds`` times, each round on its own training set of
``biasvar.train_size`` samples drawn from the holdout train part (disjoint across rounds while
the pool allows, fresh draws after; with replacement when ``biasvar.bootstrap``) and with its own
initialisation seed — so the variance includes the initialisation's. Every round predicts the
same evaluation set, the holdout validation part (never the test set), and the predictions are
decomposed (:func:`mlpsel.stats.zero_one_decomposition`, Domingos 2000). An examination, not a
selection: nothing is refit and the test set is not touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel.config import Config
from mlpsel.data import Dataset
from mlpsel.errors import ConfigError
from mlpsel.executor import Task
from mlpsel.results import table_cell
from mlpsel.splits import holdout_split
from mlpsel.stats import squared_error_decomposition, zero_one_decomposition
from mlpsel.store import BIASVAR_TABLE, RunFolder, TaskId
from mlpsel.strategies.base import Choice, Results, Strategy

if TYPE_CHECKING:
    import pandas as pd


def round_training_sets(pool: np.ndarray, rounds: int, size: int, *, bootstrap: bool,
                        seed: int) -> list[np.ndarray]:
    """``rounds`` training sets of ``size`` rows of ``pool`` (n,): disjoint slices of one
    permutation while the pool allows, then fresh draws without replacement; with
    ``bootstrap``, draws with replacement. Each (size,), in drawing order."""
    rng = np.random.default_rng(seed)
    if bootstrap:
        return [rng.choice(pool, size=size, replace=True) for _ in range(rounds)]
    order = rng.permutation(pool)  # (n,)
    disjoint = min(rounds, len(pool) // size)
    sets = [order[r * size:(r + 1) * size] for r in range(disjoint)]
    sets += [rng.choice(pool, size=size, replace=False) for _ in range(rounds - disjoint)]
    return sets


class BiasVariance(Strategy):
    """``biasvar.rounds`` training sets of ``biasvar.train_size`` per grid point."""

    command = "biasvar"

    def __init__(self, config: Config, dataset: Dataset) -> None:
        super().__init__(config, dataset)
        settings = config["biasvar"]
        self.rounds, self.train_size = settings["rounds"], settings["train_size"]
        self.bootstrap = settings["bootstrap"]
        split = config["split"]
        pool, self.evaluation_index = holdout_split(
            dataset.strata, split["validation"], seed=config["seed"],
            stratify=split["stratify"])  # (n_pool,), (n_eval,)
        if self.train_size > len(pool) and not self.bootstrap:
            raise ConfigError(f"{self.train_size} training samples per round, but the train part "
                              f"holds {len(pool)}; lower biasvar.train_size or use --bootstrap",
                              key="biasvar.train_size")
        self.regression = dataset.is_regression
        targets = dataset.train_labels[self.evaluation_index]  # (n_eval,) or (n_eval, 1)
        self.targets = targets[:, 0] if self.regression else targets  # (n_eval,)
        self.truth = (dataset.train_truth[self.evaluation_index][:, 0]
                      if self.regression and dataset.train_truth is not None else None)
        self.n_classes = dataset.n_classes
        self.disjoint = self.bootstrap is False and len(pool) // self.train_size >= self.rounds
        training_sets = round_training_sets(pool, self.rounds, self.train_size,
                                            bootstrap=self.bootstrap, seed=config["seed"] + 17)
        self.tasks = [Task(TaskId(point.grid_point_id, round=r), point, rows,
                           self.evaluation_index, seed=point.spec.seed * 1000 + r,
                           keep_predictions=True)
                      for point in self.points for r, rows in enumerate(training_sets)]
        self.predictions: np.ndarray | None = None  # (G, R, n_eval), once rows() ran

    def run_details(self) -> dict[str, Any]:
        return {**super().run_details(), "rounds": self.rounds, "train_size": self.train_size,
                "evaluation_size": len(self.evaluation_index), "bootstrap": self.bootstrap}

    def rows(self, finished: Results) -> list[dict[str, Any]]:
        """``biasvar.csv``: one row per grid point (see :mod:`mlpsel.stats`)."""
        return [self._row(point, [finished[task.task_id] for task in self.tasks
                                  if task.grid_point is point]) for point in self.points]

    def _row(self, point: Any, results: list[Any]) -> dict[str, Any]:
        row: dict[str, Any] = {"trial_id": point.grid_point_id}
        row.update({f"param_{key}": table_cell(value) for key, value in point.params.items()})
        row.update(rounds=self.rounds, train_size=self.train_size)
        failures = [r for r in results if r["status"] != "ok"]
        names = ("loss", "bias", "variance", "unbiased_variance", "biased_variance",
                 "net_variance")
        if failures:
            row.update({name: None for name in names}, noise=None, status=failures[0]["status"],
                       error=f"{failures[0]['task_id']}: {failures[0].get('error')}")
        elif self.regression:
            decomposition = squared_error_decomposition(self._predictions(point), self.targets,
                                                        self.truth)
            row.update(loss=decomposition["loss"], bias=decomposition["bias"],
                       variance=decomposition["variance"], unbiased_variance=None,
                       biased_variance=None, net_variance=None, noise=decomposition["noise"],
                       error_against_truth=decomposition["error_against_truth"], status="ok",
                       error="")
        else:
            row.update(zero_one_decomposition(self._predictions(point), self.targets,
                                              self.n_classes), noise=None, status="ok", error="")
        row["fit_seconds"] = float(np.mean([r.get("fit_seconds") or 0.0 for r in results]))
        return row

    def _predictions(self, point: Any) -> np.ndarray:
        """The rounds' predictions (R, n_eval) of one grid point, from the run folder."""
        return np.stack([np.load(self._run.trial_predictions(task.id), allow_pickle=False)
                         for task in self.tasks if task.grid_point is point])

    def prepare(self, run: RunFolder) -> None:
        self._run = run

    def choose(self, rows: list[dict[str, Any]], finished: Results) -> Choice | None:
        return None  # an examination, not a selection: no refit, no test

    def tables(self, rows: list[dict[str, Any]], finished: Results) -> dict[str, pd.DataFrame]:
        import pandas as pd

        ok = [point for point, row in zip(self.points, rows, strict=True) if row["status"] == "ok"]
        if ok:
            self._run.write_biasvar_predictions(
                [point.grid_point_id for point in ok],
                np.stack([self._predictions(point) for point in ok]), self.targets, self.truth)
        return {BIASVAR_TABLE: pd.DataFrame(rows)}

    def readings(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        if self.regression:
            return {row["trial_id"]: (
                f"squared error {row['loss']:.4f} against the noisy targets; against the true "
                f"f: {row['error_against_truth']:.4f} = bias² {row['bias']:.4f} + variance "
                f"{row['variance']:.4f}; noise σ² {row['noise']:.4f}; {self.rounds} rounds of "
                f"{self.train_size} samples, each with its own initialisation seed")
                if row["status"] == "ok" else f"no decomposition: {row['error']}"
                for row in rows}
        draws = ("disjoint training sets" if self.disjoint else
                 "bootstrap training sets" if self.bootstrap else "overlapping training sets")
        return {row["trial_id"]: (
            f"0-1 loss {row['loss']:.4f} = bias {row['bias']:.4f} + net variance "
            f"{row['net_variance']:.4f} (variance {row['variance']:.4f}: unbiased "
            f"{row['unbiased_variance']:.4f}, biased {row['biased_variance']:.4f}); "
            f"{self.rounds} rounds of {self.train_size} samples, {draws}, each with its own "
            "initialisation seed (the variance includes the initialisation's)")
            if row["status"] == "ok" else f"no decomposition: {row['error']}" for row in rows}

    def summary_fields(self) -> dict[str, Any]:
        return {"rounds": self.rounds, "train_size": self.train_size,
                "evaluation_size": len(self.evaluation_index), "bootstrap": self.bootstrap}

    def best_summary(self, choice: Choice, rows: list[dict[str, Any]],
                     finished: Results) -> dict[str, Any]:
        raise NotImplementedError("bias and variance choose nothing")
