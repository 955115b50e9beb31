"""One trial: the only owner of "fit → score", and the data a run's trials see.

A trial takes the spec of one grid point (:class:`mlpsel.search.TrialSpec`), the training images,
and the index arrays of its train and validation parts; it builds the network, trains it, and
scores it on the validation part. :func:`evaluate` scores the chosen network once on the test set.
:func:`load_run_data` loads the config's dataset cut to its subsets (on the client, and on a Dask
worker alike). Nothing here writes a file or draws: the executor stores what a trial returns.

Images are rows here, ``(N, 784)`` uint8, as they are at rest; the network converts each batch to
columns (see :mod:`mlpsel.nn`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mlpsel import metrics
from mlpsel.config import Config
from mlpsel.data import Dataset, load_dataset
from mlpsel.data.tabular import is_table_path
from mlpsel.errors import DataError, DivergedError, SplitError
from mlpsel.events import DownloadProgress, EventHandler, ignore
from mlpsel.nn import MLP, EpochRecord, TrainingState, fit, learning_rate_at, make_optimizer
from mlpsel.nn.losses import chance_loss
from mlpsel.nn.train import training_divergence
from mlpsel.search import TrainingSpec, TrialSpec
from mlpsel.splits import holdout_split
from mlpsel.stats import wilson_interval

if TYPE_CHECKING:
    import pandas as pd

TRIAL_STATUSES = ("ok", "failed", "diverged")  # and "interrupted": not stored, to do again


def load_run_data(config: Config, *, data_dir: str | None = None,
                  on_event: EventHandler = ignore) -> Dataset:
    """Load the config's dataset and cut it to ``dataset.train_subset`` / ``test_subset``.

    A subset is a stratified sample drawn with the config's seed, so a smoke run sees every class.
    A dataset without a test set of its own (a table) has ``split.test`` of its rows held out
    as one, stratified and seeded.
    """
    spec = config["dataset"]
    seed = config["seed"]
    reference: str | dict = (
        {"synthetic": spec["synthetic"]} if spec["name"] == "synthetic" and not spec["path"]
        else {"path": spec["path"], "label": spec["label"], "features": spec["features"]}
        if spec["path"] and is_table_path(spec["path"])
        else {"path": spec["path"]} if spec["path"] else spec["name"])
    dataset = load_dataset(reference, data_dir=data_dir,
                           progress=lambda name, done, total: on_event(
                               DownloadProgress(name, done, total)))
    if config["task.one_vs_rest"] is not None:  # before any split: stratified on the binary label
        dataset = one_vs_rest(dataset, config["task.one_vs_rest"])
    if len(dataset.test_labels) == 0:
        dataset = hold_out_test_set(dataset, config["split.test"], seed, spec["path"])
    if not config.smoke:  # a smoke run's sizes are caps; a user's are requests
        for key, available, what in (("train_subset", len(dataset.train_labels), "training"),
                                     ("test_subset", len(dataset.test_labels), "test")):
            if spec[key] is not None and spec[key] > available:
                raise config.error(f"dataset.{key}", f"{spec[key]:,} {what} samples asked "
                                   f"for, but {dataset.name} has {available:,}; give at most "
                                   f"{available} or leave it out to use them all")
    keep_train = keep_test = None
    if spec["train_subset"] is not None and spec["train_subset"] < len(dataset.train_labels):
        _, keep_train = holdout_split(dataset.strata, spec["train_subset"], seed=seed,
                                      stratify=True)
    if spec["test_subset"] is not None and spec["test_subset"] < len(dataset.test_labels):
        _, keep_test = holdout_split(dataset.test_strata(), spec["test_subset"], seed=seed,
                                     stratify=True)
    if keep_train is None and keep_test is None:
        return dataset

    def cut(array: np.ndarray | None, keep: np.ndarray | None) -> np.ndarray | None:
        return array if array is None or keep is None else array[keep]

    return Dataset(
        name=dataset.name, train_images=cut(dataset.train_images, keep_train),
        train_labels=cut(dataset.train_labels, keep_train),
        test_images=cut(dataset.test_images, keep_test),
        test_labels=cut(dataset.test_labels, keep_test), class_names=dataset.class_names,
        source=dataset.source, train_truth=cut(dataset.train_truth, keep_train),
        test_truth=cut(dataset.test_truth, keep_test),
        train_source_rows=cut(dataset.train_source_rows, keep_train),
        test_source_rows=cut(dataset.test_source_rows, keep_test),
    )


def one_vs_rest(dataset: Dataset, positive: int | str) -> Dataset:
    """The binary task "``positive`` against the rest": labels 1 for that class, 0 for every
    other; classes ``("not <name>", "<name>")``.

    Raises
    ------
    DataError
        The dataset has no class of that name.
    """
    name = str(positive)
    if name not in dataset.class_names:
        shown = ", ".join(dataset.class_names[:20])
        raise DataError(f"task.one_vs_rest: '{dataset.name}' has no class {name!r}; its classes: "
                        f"{shown}")
    k = dataset.class_names.index(name)

    def binary(labels: np.ndarray) -> np.ndarray:
        return (labels == k).astype(np.int64)  # (N,) 1 = the class, 0 = the rest

    return dataclasses.replace(dataset, train_labels=binary(dataset.train_labels),
                               test_labels=binary(dataset.test_labels),
                               class_names=(f"not {name}", name))


def hold_out_test_set(dataset: Dataset, fraction: float, seed: int, source: str) -> Dataset:
    """The dataset with a stratified ``fraction`` of its training rows moved to its test set."""
    try:
        train, test = holdout_split(dataset.strata, fraction, seed=seed, stratify=True)
    except SplitError as error:
        raise DataError(f"{source}: cannot hold out split.test = {fraction} of its "
                        f"{len(dataset.train_labels)} rows as a test set: {error}") from None
    return Dataset(name=dataset.name, train_images=dataset.train_images[train],
                   train_labels=dataset.train_labels[train],
                   test_images=dataset.train_images[test], test_labels=dataset.train_labels[test],
                   class_names=dataset.class_names, source=dataset.source,
                   train_source_rows=train, test_source_rows=test)


def build_network(spec: TrialSpec, n_features: int, n_classes: int) -> MLP:
    """The MLP ``n_features → hidden_layers... → n_classes`` of a trial, initialised from its
    seed."""
    model = spec.model
    outputs = 1 if model.output == "sigmoid" else n_classes  # a binary task: one sigmoid unit
    layer_sizes = [n_features, *model.hidden_layers, outputs]
    return MLP(layer_sizes, hidden_activation=model.activation, output=model.output,
               dropout=model.dropout, rng=np.random.default_rng([spec.seed, 1]))


STATISTICS_CHUNK_ROWS = 4096
"""Rows read at a time when fitting the input scaling (bounds its memory)."""


def input_statistics(features: np.ndarray, rows: np.ndarray, how: str
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The standardisation ``(x − shift) · scale`` fitted on ``features[rows]`` alone (the
    training part: no validation or test row is seen).

    ``standard``: shift = mean, scale = 1/std per feature (population std; a constant feature
    gets scale 1); ``minmax``: shift = min, scale = 1/(max − min) (1 where max = min).

    Returns
    -------
    shift, scale : ndarray, shape (n_features,), float64
    """
    n = len(rows)
    total = np.zeros(features.shape[1])
    squares = np.zeros(features.shape[1])
    low = np.full(features.shape[1], np.inf)
    high = np.full(features.shape[1], -np.inf)
    for start in range(0, n, STATISTICS_CHUNK_ROWS):
        chunk = features[rows[start:start + STATISTICS_CHUNK_ROWS]].astype(np.float64)  # (c, d)
        total += chunk.sum(axis=0)
        squares += (chunk * chunk).sum(axis=0)
        low, high = np.minimum(low, chunk.min(axis=0)), np.maximum(high, chunk.max(axis=0))
    if how == "standard":
        mean = total / n
        std = np.sqrt(np.maximum(squares / n - mean * mean, 0.0))
        return mean, np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
    spread = high - low
    return low, np.where(spread > 0, 1.0 / np.where(spread > 0, spread, 1.0), 1.0)


def schedule_of(training: TrainingSpec) -> Callable[[int], float] | None:
    """α for each epoch under ``training.schedule``, over ``training.epochs`` (also for a refit
    or a halving round with fewer epochs: they see the rates the full training sees); None for a
    constant rate without warm-up."""
    if training.schedule == "constant" and training.warmup_epochs == 0:
        return None

    def at(epoch: int) -> float:
        return learning_rate_at(epoch, training.learning_rate, schedule=training.schedule,
                                epochs=training.epochs, warmup_epochs=training.warmup_epochs,
                                step_epochs=training.step_epochs, step_gamma=training.step_gamma)

    return at


def build_optimizer(training: TrainingSpec) -> Any:
    """The optimizer a trial's training settings name, with their hyperparameters."""
    options: dict[str, Any] = {"learning_rate": training.learning_rate,
                               "weight_decay": training.weight_decay}
    if training.optimizer == "momentum":
        options.update(momentum=training.momentum, nesterov=training.nesterov)
    elif training.optimizer == "adam":
        options.update(beta1=training.beta1, beta2=training.beta2)
    return make_optimizer(training.optimizer, **options)


@dataclass
class TrialOutcome:
    """What one trial produced.

    Attributes
    ----------
    status : str
        ``ok``, ``failed`` (an exception), ``diverged`` (the loss became NaN or infinite), or
        ``interrupted`` (``should_stop`` ended it early; such a trial is to be run again).
    error : str or None
        The one-line reason when not ``ok``.
    history : list of dict
        One row per epoch (see :class:`mlpsel.nn.EpochRecord`).
    scores : dict
        ``validation_accuracy``, ``validation_loss``, ``validation_macro_f1``, ``train_loss``,
        ``train_accuracy``, ``best_epoch``, ``epochs_run``, ``fit_seconds``.
    network : MLP or None
        The trained network (the best epoch's weights when early stopping is on).
    validation_predictions : ndarray of int, shape (n_validation,), or None
        The network's predicted class of every validation row.
    checkpoint : dict of ndarray, or None
        Where the training stopped (:func:`checkpoint_arrays`), when asked for: what a
        continued trial starts from.
    validation_scores : ndarray, shape (n_validation,), or None
        A binary task's ŷ (the estimated probability of the positive class) of every validation
        row: what a decision threshold is chosen on.
    """

    status: str
    error: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)
    network: MLP | None = None
    validation_predictions: np.ndarray | None = None
    checkpoint: dict[str, np.ndarray] | None = None
    validation_scores: np.ndarray | None = None


def checkpoint_arrays(state: TrainingState, history: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """A trial's checkpoint: :meth:`TrainingState.to_arrays` and ``history`` (its epochs so far,
    a JSON string), so that a continued trial reports its whole history."""
    return {**state.to_arrays(), "history": np.array(json.dumps(history))}


def restore_checkpoint(arrays: Mapping[str, np.ndarray],
                       training: TrainingSpec) -> tuple[TrainingState, list[dict[str, Any]]]:
    """The training state and history :func:`checkpoint_arrays` stored, with an optimizer built
    from ``training`` taking the stored optimizer state."""
    state = TrainingState.from_arrays(arrays, build_optimizer(training))
    return state, json.loads(str(arrays["history"][()]))


def run_trial(
    spec: TrialSpec,
    dataset: Dataset,
    train_index: np.ndarray,
    validation_index: np.ndarray | None,
    *,
    epochs: int | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    score_train: bool = False,
    start: Mapping[str, np.ndarray] | None = None,
    keep_checkpoint: bool = False,
) -> TrialOutcome:
    """Train one network on ``train_index`` and score it on ``validation_index``.

    Parameters
    ----------
    spec : TrialSpec
        The settings of one grid point.
    dataset : Dataset
        Images ``(N, 784)`` uint8 and labels ``(N,)``.
    train_index, validation_index : ndarray of int, shapes (n_train,) and (n_validation,)
        Rows of ``dataset.train_images``; ``validation_index`` may be ``None`` (a refit on all
        training data), then no validation scores are reported.
    epochs : int, optional
        Overrides ``training.epochs`` (a refit uses the epochs the folds chose).
    score_train : bool
        Also score the trained network on the rows it was trained on (``train_error``, 1 −
        accuracy; a learning curve's training error).
    start : dict of ndarray, optional
        A checkpoint (:func:`checkpoint_arrays`) of the same spec, trained on the same rows for
        fewer epochs: the training continues from it to ``epochs``, bit for bit as if it had
        never stopped (successive halving's survivors). ``fit_seconds`` and
        ``epochs_trained`` count this part only.
    keep_checkpoint : bool
        Return the checkpoint of the finished training in the outcome.

    Returns
    -------
    TrialOutcome
        A failure is returned with its status and message, never raised.
    """
    training = spec.training
    started = time.perf_counter()
    # Both parts are read in place through their row indices (fit's ``rows`` and
    # ``validation_rows``), a batch or a chunk at a time: copies of them would be the largest
    # arrays of the run (full MNIST: 39 + 8 MB).
    has_validation = validation_index is not None
    history_rows: list[dict[str, Any]] = []

    def record_epoch(record: EpochRecord) -> None:
        history_rows.append(_record_row(record))
        if on_epoch is not None:
            on_epoch(record)

    total_epochs = epochs or training.epochs
    initial_epoch = 0
    try:
        if start is not None:
            state, history_rows = restore_checkpoint(start, training)
            network, optimizer, rng = state.network, state.optimizer, state.rng
            initial_epoch = state.epochs_done
        else:
            network = build_network(spec, dataset.n_features, dataset.n_outputs)
            if spec.input_scaling != "none":  # fitted on the rows trained on, nothing else
                network.set_input_standardisation(*input_statistics(
                    dataset.train_images, train_index, spec.input_scaling))
            optimizer = build_optimizer(training)
            rng = np.random.default_rng([spec.seed, 2])
        history = fit(
            network, optimizer, dataset.train_images, dataset.train_labels,
            rows=train_index, initial_epoch=initial_epoch,
            epochs=total_epochs, batch_size=training.batch_size, rng=rng,
            learning_rate_at=schedule_of(training),
            X_validation=dataset.train_images if has_validation else None,
            y_validation=dataset.train_labels if has_validation else None,
            validation_rows=validation_index,
            early_stopping_patience=training.early_stopping_patience if has_validation else 0,
            on_epoch=record_epoch, should_stop=should_stop,
        )
    except DivergedError as error:
        return TrialOutcome("diverged", str(error), history_rows,
                            {"fit_seconds": time.perf_counter() - started})
    except Exception as error:  # a failed trial is a recorded result, not a crashed search
        return TrialOutcome("failed", f"{type(error).__name__}: {error}", history_rows,
                            {"fit_seconds": time.perf_counter() - started})
    fit_seconds = time.perf_counter() - started
    if history.stop_reason == "should_stop":
        return TrialOutcome("interrupted", "stopped before the last epoch", history_rows)
    last = history_rows[-1] if history_rows else {}
    best_row = next((r for r in history_rows if r["epoch"] == history.best_epoch), last)
    losses = [r["train_loss"] for r in history_rows if r["epoch"] <= best_row.get("epoch", 0)]
    diverged = training_divergence(losses, chance_loss(
        network.output, dataset.n_outputs,
        dataset.train_labels[train_index] if dataset.is_regression else None))
    if diverged is not None:
        return TrialOutcome("diverged", diverged, history_rows, {"fit_seconds": fit_seconds})
    scores: dict[str, Any] = {
        "train_loss": best_row.get("train_loss"),
        "train_accuracy": best_row.get("train_accuracy"),
        "best_epoch": history.best_epoch,
        "epochs_run": len(history_rows),
        "fit_seconds": fit_seconds,
    }
    if start is not None:
        scores["epochs_trained"] = len(history_rows) - initial_epoch
    outcome = _scored(network, dataset, train_index, validation_index, scores, history_rows,
                      score_train, best_row.get("validation_loss"))
    if keep_checkpoint and outcome.status == "ok":
        outcome.checkpoint = checkpoint_arrays(
            TrainingState(network, optimizer, rng, len(history_rows)), history_rows)
    return outcome


def _scored(network: MLP, dataset: Dataset, train_index: np.ndarray,
            validation_index: np.ndarray | None, scores: dict[str, Any],
            history_rows: list[dict[str, Any]], score_train: bool,
            validation_loss: float | None) -> TrialOutcome:
    """The outcome of a trained network: its scores on the validation rows (and its own
    training rows when ``score_train``); ``validation_loss`` is the best epoch's."""
    has_validation = validation_index is not None
    if dataset.is_regression:
        return _regression_scores(network, dataset, train_index, validation_index, scores,
                                  history_rows, score_train)
    if score_train:
        predicted = network.predict(dataset.train_images, rows=train_index)  # (n_train,)
        scores["train_error"] = 1.0 - metrics.accuracy_score(dataset.train_labels[train_index],
                                                             predicted)
    if has_validation:
        validation_labels = dataset.train_labels[validation_index]  # (n_validation,)
        scores_of_positive = None
        if network.output == "sigmoid":  # a binary task: keep ŷ for choosing a threshold
            scores_of_positive = network.predict_proba(dataset.train_images,
                                                       rows=validation_index)[:, 1]
            predictions = (scores_of_positive >= 0.5).astype(np.int64)  # (n_validation,)
        else:
            predictions = network.predict(dataset.train_images, rows=validation_index)
        confusion = metrics.confusion_matrix(validation_labels, predictions, dataset.n_classes)
        _, _, f1, _ = metrics.precision_recall_f1(confusion)
        scores.update(
            validation_accuracy=metrics.accuracy_score(validation_labels, predictions),
            validation_loss=validation_loss,
            validation_macro_f1=float(np.mean(f1)),
        )
        if not math.isfinite(scores["validation_loss"]):
            return TrialOutcome("diverged", "validation loss is not finite", history_rows, scores)
        return TrialOutcome("ok", None, history_rows, scores, network, predictions,
                            validation_scores=scores_of_positive)
    return TrialOutcome("ok", None, history_rows, scores, network)


def _regression_scores(network: MLP, dataset: Dataset, train_index: np.ndarray,
                       validation_index: np.ndarray | None, scores: dict[str, Any],
                       history_rows: list[dict[str, Any]], score_train: bool) -> TrialOutcome:
    """A regression trial's scores: mean squared errors, no accuracy.

    ``validation_loss`` is the mean squared error (y − ŷ)² of the validation rows (the network's
    cost is half of it); ``train_error`` the same on the rows trained on.
    """
    def squared_error(rows: np.ndarray) -> tuple[float, np.ndarray]:
        outputs = network.predict_proba(dataset.train_images, rows=rows)  # (n, n_L)
        targets = dataset.train_labels[rows]  # (n, n_L)
        return float(np.mean((outputs - targets) ** 2)), outputs[:, 0]

    if score_train:
        scores["train_error"] = squared_error(train_index)[0]
    if validation_index is None:
        return TrialOutcome("ok", None, history_rows, scores, network)
    error, predictions = squared_error(validation_index)
    scores.update(validation_accuracy=None, validation_loss=error, validation_macro_f1=None)
    if not math.isfinite(error):
        return TrialOutcome("diverged", "validation loss is not finite", history_rows, scores)
    return TrialOutcome("ok", None, history_rows, scores, network, predictions)


HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "validation_loss",
                   "validation_accuracy", "learning_rate", "seconds")
"""The columns of a trial's history, one row per epoch (see :func:`_record_row`)."""


def _record_row(record: EpochRecord) -> dict[str, Any]:
    return {
        "epoch": record.epoch,
        "train_loss": record.train_loss,
        "train_accuracy": record.train_accuracy,
        "validation_loss": record.validation_loss,
        "validation_accuracy": record.validation_accuracy,
        "learning_rate": record.learning_rate,
        "seconds": record.seconds,
    }


@dataclass
class Evaluation:
    """The chosen network scored once on the test set.

    Attributes
    ----------
    probabilities : ndarray, shape (N, K)
        Predicted probability of every class for every test image.
    predictions : ndarray, shape (N,)
        ``argmax`` of ``probabilities``.
    labels : ndarray, shape (N,)
        True classes.
    confusion : ndarray, shape (K, K)
        ``confusion[i, j]``: images of class i predicted as j.
    per_class : DataFrame
        class, precision, recall, f1, support.
    scores : dict
        ``test_accuracy``, ``test_loss``, ``test_macro_precision``, ``test_macro_recall``,
        ``test_macro_f1``, ``test_accuracy_interval`` (the accuracy's 95% Wilson interval);
        for regression ``test_loss`` (mean squared error) alone, and no ``confusion`` or
        ``per_class``.
    """

    probabilities: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray
    confusion: np.ndarray | None
    per_class: pd.DataFrame | None
    scores: dict[str, float]


def evaluate(network: MLP, images: np.ndarray, labels: np.ndarray,
             class_names: tuple[str, ...], threshold: float | None = None) -> Evaluation:
    """Score ``network`` on ``images`` ``(N, n_0)`` with true ``labels`` ``(N,)``; for
    regression targets ``(N, n_L)`` the score is the mean squared error (``test_loss``), and
    there is no confusion matrix. A binary task's ``threshold``: a test image is predicted
    positive where ŷ ≥ it (default: the arg-max, ŷ > 0.5)."""
    if labels.ndim == 2:
        outputs = network.predict_proba(images)  # (N, n_L)
        error = float(np.mean((outputs - labels) ** 2))
        return Evaluation(outputs, outputs[:, 0], labels[:, 0], None, None, {"test_loss": error})
    probabilities = network.predict_proba(images)  # (N, K)
    if threshold is not None:  # a binary task: positive where ŷ ≥ the decision threshold
        predictions = (probabilities[:, 1] >= threshold).astype(np.int64)  # (N,)
    else:
        predictions = np.argmax(probabilities, axis=1)  # (N,)
    n_classes = len(class_names)
    confusion = metrics.confusion_matrix(labels, predictions, n_classes)
    summary = metrics.classification_summary(labels, predictions, n_classes)
    scores: dict[str, Any] = {f"test_{name}": summary[name] for name in metrics.TEST_SCORES
                              if name != "loss"}
    if network.output in ("softmax", "sigmoid"):
        scores["test_loss"] = metrics.log_loss(labels, probabilities)
    # the accuracy's 95% Wilson interval over the N test images
    scores["test_accuracy_interval"] = list(wilson_interval(int(np.trace(confusion)),
                                                            len(labels)))
    return Evaluation(probabilities, predictions, labels, confusion,
                      metrics.per_class_table(confusion, class_names), scores)
