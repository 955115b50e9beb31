"""Holdout and (stratified, repeated) k-fold splits of a labelled data set into index arrays.

Rows are samples, as in scikit-learn: every function takes the labels ``(N,)`` of the data it
splits and returns ``int64`` index arrays into those rows, sorted ascending. Nothing here touches
the features, so a split can be computed, saved (``folds.npz`` holds
:meth:`StratifiedKFold.fold_assignment`) and checked on its own.

Every random choice is drawn from a NumPy ``Generator`` seeded from the ``seed`` argument, so the
same labels and seed give the same arrays on every machine.

Stratification
--------------
A stratified split keeps each class's share of the samples in every part:

- :func:`holdout_split` gives class ``c`` (with ``N_c`` of the ``N`` samples) either
  ``floor(V * N_c / N)`` or ``ceil(V * N_c / N)`` validation samples, choosing by largest remainder
  so the validation set has exactly ``V`` samples.
- :class:`StratifiedKFold` deals each class's shuffled samples to the folds round-robin, each class
  starting at the fold where the previous class stopped. Each class then has ``floor(N_c / K)`` or
  ``ceil(N_c / K)`` samples in every fold, and the fold sizes differ by at most one overall.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np

from mlpsel.errors import SplitError

__all__ = [
    "KFold",
    "StratifiedKFold",
    "holdout_split",
    "splits_from_assignment",
]


def _as_labels(labels: np.ndarray) -> np.ndarray:
    """Return ``labels`` as a 1-D array of at least two samples, or raise :class:`SplitError`."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise SplitError(
            f"labels must be a 1-D array with one label per sample, got shape {labels.shape}"
        )
    if labels.shape[0] < 2:
        plural = "sample" if labels.shape[0] == 1 else "samples"
        raise SplitError(f"cannot split {labels.shape[0]} {plural}; at least 2 samples are needed")
    return labels


def _is_integer(value: object) -> bool:
    """True for Python and NumPy integers, but not for ``bool``."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _check_seed(seed: object) -> int:
    """Return ``seed`` as an ``int`` if it is a non-negative integer, else raise ``SplitError``."""
    if not _is_integer(seed) or int(seed) < 0:
        raise SplitError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _class_name(value: object) -> str:
    """The label as users wrote it (``7`` rather than ``np.int64(7)``)."""
    return str(value.item() if isinstance(value, np.generic) else value)


def _validation_count(validation_size: float | int, n_samples: int) -> int:
    """Turn a fraction in (0, 1) or a count in [1, N) into a count in [1, N).

    A fraction is rounded half up: ``floor(fraction * N + 0.5)``.
    """
    valid = (
        f"a fraction strictly between 0 and 1, or a whole number of samples from 1 to "
        f"{n_samples - 1} (the data has {n_samples} samples)"
    )
    if _is_integer(validation_size):
        count = int(validation_size)
        if not 1 <= count < n_samples:
            raise SplitError(f"validation_size {count} is not valid; use {valid}")
        return count
    if isinstance(validation_size, (bool, np.bool_)) or not isinstance(validation_size, Real):
        raise SplitError(f"validation_size {validation_size!r} is not valid; use {valid}")
    fraction = float(validation_size)
    if not 0.0 < fraction < 1.0:
        raise SplitError(f"validation_size {fraction!r} is not valid; use {valid}")
    count = math.floor(fraction * n_samples + 0.5)
    if not 1 <= count < n_samples:
        raise SplitError(
            f"validation_size {fraction!r} of {n_samples} samples gives {count} validation "
            f"samples, leaving an empty part; use {valid}"
        )
    return count


def _largest_remainder(
    total: int, class_counts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Share ``total`` among classes in proportion to ``class_counts``, in whole samples.

    Parameters
    ----------
    total : int
        How many samples to share out, ``0 <= total <= class_counts.sum()``.
    class_counts : np.ndarray, shape (n_classes,)
        Samples in each class.
    rng : np.random.Generator
        Breaks ties between equal remainders.

    Returns
    -------
    np.ndarray, shape (n_classes,), int64
        Each class's share, the floor or the ceiling of
        ``total * class_counts / class_counts.sum()``, summing to ``total``.
    """
    n_samples = int(class_counts.sum())
    scaled = total * class_counts.astype(np.int64)  # (n_classes,) exact share times N
    shares = scaled // n_samples  # (n_classes,) floors of the exact shares, in integers
    remainders = scaled % n_samples  # (n_classes,) fractional parts times N
    extra = total - int(shares.sum())
    if extra > 0:
        # Largest remainder first; ties in a random order so no class is always favoured.
        order = rng.permutation(class_counts.shape[0])
        ranked = order[np.argsort(-remainders[order], kind="stable")]
        shares[ranked[:extra]] += 1
    return shares


def holdout_split(
    labels: np.ndarray,
    validation_size: float | int,
    *,
    seed: int,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Split the samples once into a training part and a validation part.

    Parameters
    ----------
    labels : np.ndarray, shape (N,)
        One label per sample (any type ``np.unique`` can sort; MNIST uses ``uint8`` digits).
    validation_size : float or int
        A fraction strictly between 0 and 1 of the ``N`` samples (rounded half up to a count), or a
        whole number of samples ``1 <= validation_size < N``.
    seed : int
        Non-negative seed of ``np.random.default_rng``.
    stratify : bool, default True
        Keep each class's share: class ``c`` with ``N_c`` samples gives ``floor`` or ``ceil`` of
        ``validation_count * N_c / N`` samples (largest remainder, ties broken at random), so the
        validation part has exactly the requested size. Without it, a uniform random subset.

    Returns
    -------
    train_index : np.ndarray, shape (N - validation_count,), int64
        Rows of the training part, ascending.
    validation_index : np.ndarray, shape (validation_count,), int64
        Rows of the validation part, ascending; disjoint from ``train_index``, together all rows.

    Raises
    ------
    SplitError
        If ``labels`` is not 1-D with at least two samples, ``validation_size`` would leave either
        part empty, or ``seed`` is not a non-negative integer.
    """
    labels = _as_labels(labels)
    n_samples = labels.shape[0]
    validation_count = _validation_count(validation_size, n_samples)
    rng = np.random.default_rng(_check_seed(seed))

    is_validation = np.zeros(n_samples, dtype=bool)  # (N,)
    if stratify:
        _, class_of_sample = np.unique(labels, return_inverse=True)  # (N,) in 0..n_classes-1
        class_counts = np.bincount(class_of_sample)  # (n_classes,)
        shares = _largest_remainder(validation_count, class_counts, rng)  # (n_classes,)
        for class_index, share in enumerate(shares):
            members = np.flatnonzero(class_of_sample == class_index)  # (N_c,)
            is_validation[rng.permutation(members)[:share]] = True
    else:
        is_validation[rng.permutation(n_samples)[:validation_count]] = True

    train_index = np.flatnonzero(~is_validation).astype(np.int64)  # (N - validation_count,)
    validation_index = np.flatnonzero(is_validation).astype(np.int64)  # (validation_count,)
    return train_index, validation_index


def nested_subsets(labels: np.ndarray, index: np.ndarray, sizes: list[int], *,
                   seed: int) -> list[np.ndarray]:
    """Stratified subsets of ``index`` of the given ``sizes``, each smaller one inside the larger.

    The rows are put in one order and every subset is a prefix of it, so a subset of size s lies
    inside every larger one (a learning curve then changes one thing between sizes: how much
    data). The order deals the classes in turn by their share: each class's rows are shuffled and
    row j of class c (of N_c) gets the key (j + u_c) / N_c, u_c uniform in [0, 1) per class;
    sorting by key keeps every prefix's count of each class within two of its share of the
    prefix. (No order keeps every prefix within one of every share: Balinski and Young's
    impossibility for apportionment.)

    Parameters
    ----------
    labels : np.ndarray, shape (N,)
        Labels of all rows.
    index : np.ndarray of int, shape (n,)
        The rows to draw from (a fold's training part).
    sizes : list of int
        Subset sizes, each ``1 <= size <= n``.
    seed : int

    Returns
    -------
    list of np.ndarray of int, shape (size,)
        One ascending array of rows per size, in the order of ``sizes``.
    """
    index = np.asarray(index, dtype=np.int64)  # (n,)
    for size in sizes:
        if not 1 <= size <= index.size:
            raise SplitError(f"a training-set size of {size} is not between 1 and the "
                             f"{index.size} samples it is drawn from")
    rng = np.random.default_rng(_check_seed(seed))
    _, class_of_row = np.unique(_as_labels(labels)[index], return_inverse=True)  # (n,)
    keys = np.empty(index.size)  # (n,)
    for class_index in range(class_of_row.max() + 1):
        members = rng.permutation(np.flatnonzero(class_of_row == class_index))  # (N_c,)
        keys[members] = (np.arange(members.size) + rng.random()) / members.size
    order = index[np.argsort(keys, kind="stable")]  # (n,)
    return [np.sort(order[:size]) for size in sizes]


def splits_from_assignment(
    fold_assignment: np.ndarray,
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield the train/validation index arrays of every fold of every repeat.

    This is how saved folds (``folds.npz``) are replayed: the assignment alone fixes the splits.

    Parameters
    ----------
    fold_assignment : np.ndarray, shape (n_repeats, N), int
        ``fold_assignment[r, i]`` is the fold (``0 .. n_folds - 1``) in which sample ``i`` is held
        out in repeat ``r``; ``n_folds`` is ``fold_assignment.max() + 1``.

    Yields
    ------
    repeat_index : int
    fold_index : int
    train_index : np.ndarray, shape (N - n_validation,), int64
        Ascending rows of every other fold.
    validation_index : np.ndarray, shape (n_validation,), int64
        Ascending rows of fold ``fold_index``.

    Raises
    ------
    SplitError
        If the assignment is not a 2-D integer array of folds ``0 .. n_folds - 1``, each non-empty.
    """
    fold_assignment = np.asarray(fold_assignment)
    if fold_assignment.ndim != 2 or fold_assignment.size == 0:
        raise SplitError(
            f"a fold assignment must be a non-empty (n_repeats, N) array, got shape "
            f"{fold_assignment.shape}"
        )
    if not np.issubdtype(fold_assignment.dtype, np.integer):
        raise SplitError(
            f"a fold assignment must hold integer fold numbers, got dtype {fold_assignment.dtype}"
        )
    if fold_assignment.min() < 0:
        raise SplitError(f"fold numbers must be >= 0, found {int(fold_assignment.min())}")
    n_folds = int(fold_assignment.max()) + 1
    if n_folds < 2:
        raise SplitError("a fold assignment must have at least 2 folds, found 1")
    for repeat_index, folds in enumerate(fold_assignment):
        fold_sizes = np.bincount(folds, minlength=n_folds)  # (n_folds,)
        if not fold_sizes.all():
            empty = int(np.flatnonzero(fold_sizes == 0)[0])
            raise SplitError(f"fold {empty} of repeat {repeat_index} holds no samples")
        for fold_index in range(n_folds):
            held_out = folds == fold_index  # (N,)
            train_index = np.flatnonzero(~held_out).astype(np.int64)  # (N - n_validation,)
            validation_index = np.flatnonzero(held_out).astype(np.int64)  # (n_validation,)
            yield repeat_index, fold_index, train_index, validation_index


class StratifiedKFold:
    """Repeated k-fold cross-validation, stratified by class unless told otherwise.

    Each repeat shuffles the samples with its own generator, seeded from ``(seed, repeat_index)``
    (``np.random.SeedSequence(seed, spawn_key=(repeat_index,))``), so repeat ``r`` is the same
    whatever ``n_repeats`` is, and different repeats shuffle differently.

    Within a repeat the validation folds are disjoint and together hold every sample exactly once;
    fold sizes differ by at most one (the first ``N % n_folds`` folds hold the extra samples). When
    stratified, each class has ``floor(N_c / n_folds)`` or ``ceil(N_c / n_folds)`` samples in every
    fold.

    Parameters
    ----------
    n_folds : int, default 5
        Number of folds, at least 2.
    n_repeats : int, default 1
        Number of differently shuffled repeats, at least 1.
    stratify : bool, default True
        Keep each class's share in every fold.
    seed : int, default 0
        Non-negative seed.

    Raises
    ------
    SplitError
        If a parameter is out of range (raised here, before any data is seen).

    Examples
    --------
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> splitter = StratifiedKFold(3, seed=1)
    >>> splitter.get_n_splits()
    3
    >>> [validation.size for _, _, _, validation in splitter.split(labels)]
    [2, 2, 2]
    """

    def __init__(
        self, n_folds: int = 5, *, n_repeats: int = 1, stratify: bool = True, seed: int = 0
    ) -> None:
        if not _is_integer(n_folds) or int(n_folds) < 2:
            raise SplitError(f"n_folds must be a whole number of at least 2, got {n_folds!r}")
        if not _is_integer(n_repeats) or int(n_repeats) < 1:
            raise SplitError(f"n_repeats must be a whole number of at least 1, got {n_repeats!r}")
        if not isinstance(stratify, (bool, np.bool_)):
            raise SplitError(f"stratify must be true or false, got {stratify!r}")
        self.n_folds = int(n_folds)
        self.n_repeats = int(n_repeats)
        self.stratify = bool(stratify)
        self.seed = _check_seed(seed)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_folds={self.n_folds}, n_repeats={self.n_repeats}, "
            f"stratify={self.stratify}, seed={self.seed})"
        )

    def get_n_splits(self) -> int:
        """Number of (train, validation) pairs :meth:`split` yields: ``n_folds * n_repeats``."""
        return self.n_folds * self.n_repeats

    def _check_sizes(self, labels: np.ndarray) -> None:
        """Raise :class:`SplitError` if some fold would be empty (of a class, when stratified)."""
        n_samples = labels.shape[0]
        if n_samples < self.n_folds:
            raise SplitError(
                f"cannot split {n_samples} samples into {self.n_folds} folds; use at most "
                f"{n_samples} folds"
            )
        if not self.stratify:
            return
        classes, class_counts = np.unique(labels, return_counts=True)
        smallest = int(np.argmin(class_counts))
        count = int(class_counts[smallest])
        if count < self.n_folds:
            name = _class_name(classes[smallest])
            plural = "sample" if count == 1 else "samples"
            fix = f"use at most {count} folds or " if count >= 2 else ""
            raise SplitError(
                f"class '{name}' has {count} {plural}, fewer than the {self.n_folds} folds; "
                f"{fix}stratify: false"
            )

    def _repeat_rng(self, repeat_index: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(repeat_index,)))

    def fold_assignment(self, labels: np.ndarray) -> np.ndarray:
        """Each sample's validation fold in each repeat (what ``folds.npz`` saves).

        Parameters
        ----------
        labels : np.ndarray, shape (N,)
            One label per sample.

        Returns
        -------
        np.ndarray, shape (n_repeats, N), int64
            ``assignment[r, i]`` in ``0 .. n_folds - 1``: the fold in which sample ``i`` is
            held out in repeat ``r``.

        Raises
        ------
        SplitError
            If there are fewer samples than folds, or (stratified) a class has fewer samples
            than folds.
        """
        labels = _as_labels(labels)
        self._check_sizes(labels)
        n_samples = labels.shape[0]
        if self.stratify:
            _, class_of_sample = np.unique(labels, return_inverse=True)  # (N,)
            class_of_sample = class_of_sample.reshape(-1)  # (N,) on every NumPy version
        else:
            class_of_sample = np.zeros(n_samples, dtype=np.int64)  # (N,) one class
        members_of_class = [
            np.flatnonzero(class_of_sample == class_index)
            for class_index in range(int(class_of_sample.max()) + 1)
        ]

        assignment = np.empty((self.n_repeats, n_samples), dtype=np.int64)  # (n_repeats, N)
        for repeat_index in range(self.n_repeats):
            rng = self._repeat_rng(repeat_index)
            # Deal every class's shuffled members round-robin, each class starting at the fold
            # where the previous one stopped: position p in the concatenated deal goes to fold
            # p % n_folds, so classes and folds are both balanced to within one sample.
            dealt = np.concatenate([rng.permutation(members) for members in members_of_class])
            assignment[repeat_index, dealt] = np.arange(n_samples) % self.n_folds  # (N,)
        return assignment

    def split(self, labels: np.ndarray) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Yield ``(repeat_index, fold_index, train_index, validation_index)`` for every fold.

        Parameters
        ----------
        labels : np.ndarray, shape (N,)
            One label per sample.

        Yields
        ------
        repeat_index : int
        fold_index : int
        train_index : np.ndarray, shape (N - n_validation,), int64
            Ascending rows to fit on.
        validation_index : np.ndarray, shape (n_validation,), int64
            Ascending rows to score on.

        Raises
        ------
        SplitError
            As :meth:`fold_assignment`, before the first pair is yielded.
        """
        assignment = self.fold_assignment(labels)  # (n_repeats, N); raises before yielding
        return splits_from_assignment(assignment)


class KFold(StratifiedKFold):
    """:class:`StratifiedKFold` with ``stratify=False`` by default: plain shuffled k-fold.

    Parameters
    ----------
    n_folds : int, default 5
    n_repeats : int, default 1
    stratify : bool, default False
    seed : int, default 0
    """

    def __init__(
        self, n_folds: int = 5, *, n_repeats: int = 1, stratify: bool = False, seed: int = 0
    ) -> None:
        super().__init__(n_folds, n_repeats=n_repeats, stratify=stratify, seed=seed)
