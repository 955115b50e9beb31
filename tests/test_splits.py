"""Tests of mlpsel.splits: the partition, cover and balance invariants, determinism and errors."""

from __future__ import annotations

import ast
import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpsel import splits
from mlpsel.errors import SplitError
from mlpsel.splits import KFold, StratifiedKFold, holdout_split, splits_from_assignment

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

LABEL_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42]


@st.composite
def labelled_data(draw, min_per_class: int = 1, max_classes: int = 6, max_per_class: int = 40):
    """Labels (N,) whose classes each have at least ``min_per_class`` samples, in random order."""
    n_classes = draw(st.integers(1, max_classes))
    values = draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=n_classes,
                           max_size=n_classes, unique=True))
    counts = draw(st.lists(st.integers(min_per_class, max_per_class), min_size=n_classes,
                           max_size=n_classes))
    labels = np.repeat(np.array(values, dtype=np.int64), counts)  # (N,)
    order_seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(order_seed).permutation(labels)  # (N,) classes interleaved


def assert_partition(train_index: np.ndarray, validation_index: np.ndarray, n_samples: int):
    """The two index arrays are int64, ascending, disjoint and together cover 0 .. N - 1."""
    for index in (train_index, validation_index):
        assert index.dtype == np.int64
        assert index.ndim == 1
        assert np.all(np.diff(index) > 0), "index arrays must be strictly ascending"
    together = np.concatenate([train_index, validation_index])
    np.testing.assert_array_equal(np.sort(together), np.arange(n_samples))


# ---------------------------------------------------------------------------------------------
# k-fold: invariants
# ---------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n_folds=st.integers(2, 7), n_repeats=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_stratified_folds_partition_and_balance(data, n_folds, n_repeats, seed):
    labels = data.draw(labelled_data(min_per_class=n_folds))
    n_samples = labels.shape[0]
    splitter = StratifiedKFold(n_folds, n_repeats=n_repeats, seed=seed)
    assignment = splitter.fold_assignment(labels)
    assert assignment.shape == (n_repeats, n_samples)
    assert assignment.dtype == np.int64

    pairs = list(splitter.split(labels))
    assert len(pairs) == splitter.get_n_splits() == n_folds * n_repeats
    assert [(r, f) for r, f, _, _ in pairs] == [
        (r, f) for r in range(n_repeats) for f in range(n_folds)
    ]

    classes, class_counts = np.unique(labels, return_counts=True)
    for repeat_index in range(n_repeats):
        folds = [pair for pair in pairs if pair[0] == repeat_index]
        seen = np.zeros(n_samples, dtype=np.int64)
        fold_sizes = []
        for _, fold_index, train_index, validation_index in folds:
            assert_partition(train_index, validation_index, n_samples)
            np.testing.assert_array_equal(
                validation_index, np.flatnonzero(assignment[repeat_index] == fold_index)
            )
            seen[validation_index] += 1
            fold_sizes.append(validation_index.size)
            # Each class within one sample of its even share in this fold.
            for value, count in zip(classes, class_counts, strict=True):
                in_fold = int(np.sum(labels[validation_index] == value))
                assert count // n_folds <= in_fold <= math.ceil(count / n_folds)
        # Validation folds are disjoint and cover every sample exactly once per repeat.
        np.testing.assert_array_equal(seen, np.ones(n_samples, dtype=np.int64))
        # Fold sizes within one of each other overall.
        assert max(fold_sizes) - min(fold_sizes) <= 1
        assert sum(fold_sizes) == n_samples


@settings(max_examples=100, deadline=None)
@given(labels=labelled_data(min_per_class=1), n_folds=st.integers(2, 9),
       seed=st.integers(0, 2**32 - 1))
def test_plain_folds_partition_and_balance(labels, n_folds, seed):
    n_samples = labels.shape[0]
    if n_samples < n_folds:
        with pytest.raises(SplitError, match=f"cannot split {n_samples} sample"):
            KFold(n_folds, seed=seed).fold_assignment(labels)
        return
    seen = np.zeros(n_samples, dtype=np.int64)
    fold_sizes = []
    for repeat_index, _, train_index, validation_index in KFold(n_folds, seed=seed).split(labels):
        assert repeat_index == 0
        assert_partition(train_index, validation_index, n_samples)
        seen[validation_index] += 1
        fold_sizes.append(validation_index.size)
    assert len(fold_sizes) == n_folds
    np.testing.assert_array_equal(seen, np.ones(n_samples, dtype=np.int64))
    assert max(fold_sizes) - min(fold_sizes) <= 1


def test_first_folds_take_the_extra_samples():
    # 23 samples in 5 folds: 23 = 5·4 + 3, so folds 0, 1, 2 hold 5 and folds 3, 4 hold 4.
    labels = np.array([0] * 9 + [1] * 7 + [2] * 7)
    for stratify in (True, False):
        assignment = StratifiedKFold(5, stratify=stratify, seed=3).fold_assignment(labels)
        np.testing.assert_array_equal(np.bincount(assignment[0]), [5, 5, 5, 4, 4])


def test_class_remainders_continue_round_robin():
    # Three classes of 4 samples in 3 folds: each class puts 2 samples in one fold and 1 in the
    # others. Dealt round-robin continuing across classes, the doubled fold moves on: class 0
    # doubles fold 0, class 1 fold 1, class 2 fold 2, so every fold ends with 4 samples.
    labels = np.repeat([0, 1, 2], 4)
    assignment = StratifiedKFold(3, seed=0).fold_assignment(labels)[0]
    per_class = np.stack([np.bincount(assignment[labels == c], minlength=3) for c in range(3)])
    np.testing.assert_array_equal(per_class, [[2, 1, 1], [1, 2, 1], [1, 1, 2]])
    np.testing.assert_array_equal(np.bincount(assignment), [4, 4, 4])


def test_string_labels_are_stratified():
    labels = np.array(["cat"] * 6 + ["dog"] * 9)
    for _, _, _, validation_index in StratifiedKFold(3, seed=5).split(labels):
        assert np.sum(labels[validation_index] == "cat") == 2
        assert np.sum(labels[validation_index] == "dog") == 3


# ---------------------------------------------------------------------------------------------
# k-fold: determinism
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(labels=labelled_data(min_per_class=3), seed=st.integers(0, 2**32 - 1),
       stratify=st.booleans())
def test_same_seed_same_folds(labels, seed, stratify):
    first = StratifiedKFold(3, n_repeats=2, stratify=stratify, seed=seed)
    second = StratifiedKFold(3, n_repeats=2, stratify=stratify, seed=seed)
    np.testing.assert_array_equal(first.fold_assignment(labels), second.fold_assignment(labels))
    for one, other in zip(first.split(labels), second.split(labels), strict=True):
        assert one[:2] == other[:2]
        np.testing.assert_array_equal(one[2], other[2])
        np.testing.assert_array_equal(one[3], other[3])


def test_repeats_shuffle_differently():
    labels = np.repeat(np.arange(10), 20)  # (200,)
    for stratify in (True, False):
        assignment = StratifiedKFold(5, n_repeats=3, stratify=stratify, seed=0).fold_assignment(
            labels
        )
        assert not np.array_equal(assignment[0], assignment[1])
        assert not np.array_equal(assignment[1], assignment[2])
        assert not np.array_equal(assignment[0], assignment[2])


def test_seeds_shuffle_differently():
    labels = np.repeat(np.arange(10), 20)
    one = StratifiedKFold(5, seed=0).fold_assignment(labels)
    other = StratifiedKFold(5, seed=1).fold_assignment(labels)
    assert not np.array_equal(one, other)


def test_repeat_does_not_depend_on_number_of_repeats():
    labels = np.repeat(np.arange(4), 15)
    single = StratifiedKFold(5, n_repeats=1, seed=11).fold_assignment(labels)
    triple = StratifiedKFold(5, n_repeats=3, seed=11).fold_assignment(labels)
    np.testing.assert_array_equal(single[0], triple[0])


def test_split_replays_from_saved_assignment(tmp_path):
    labels = np.repeat(np.arange(3), 7)
    splitter = StratifiedKFold(4, n_repeats=2, seed=9)
    np.savez(tmp_path / "folds.npz", fold_assignment=splitter.fold_assignment(labels))
    saved = np.load(tmp_path / "folds.npz")["fold_assignment"]
    replayed = list(splits_from_assignment(saved))
    direct = list(splitter.split(labels))
    assert len(replayed) == len(direct) == 8
    for one, other in zip(replayed, direct, strict=True):
        assert one[:2] == other[:2]
        np.testing.assert_array_equal(one[2], other[2])
        np.testing.assert_array_equal(one[3], other[3])


def test_get_n_splits_and_repr():
    splitter = StratifiedKFold(4, n_repeats=3, seed=2)
    assert splitter.get_n_splits() == 12
    assert repr(splitter) == "StratifiedKFold(n_folds=4, n_repeats=3, stratify=True, seed=2)"
    assert KFold(3).stratify is False
    assert StratifiedKFold().n_folds == 5


# ---------------------------------------------------------------------------------------------
# k-fold: errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_folds", [1, 0, -3, 2.5, "5", True, None])
def test_bad_n_folds_rejected_in_init(n_folds):
    with pytest.raises(SplitError, match="n_folds must be a whole number of at least 2"):
        StratifiedKFold(n_folds)


@pytest.mark.parametrize("n_repeats", [0, -1, 1.0, False])
def test_bad_n_repeats_rejected_in_init(n_repeats):
    with pytest.raises(SplitError, match="n_repeats must be a whole number of at least 1"):
        StratifiedKFold(3, n_repeats=n_repeats)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed_rejected_in_init(seed):
    with pytest.raises(SplitError, match="seed must be a non-negative integer"):
        StratifiedKFold(3, seed=seed)


def test_numpy_integers_accepted():
    splitter = StratifiedKFold(np.int64(3), n_repeats=np.int32(2), seed=np.uint8(4))
    assert splitter.get_n_splits() == 6


def test_small_class_error_names_class_and_fix():
    labels = np.array([7] * 3 + [1] * 10 + [2] * 10)
    message = (
        "class '7' has 3 samples, fewer than the 5 folds; use at most 3 folds or stratify: false"
    )
    with pytest.raises(SplitError) as caught:
        StratifiedKFold(5).split(labels)  # raises on the call, before any fold is yielded
    assert str(caught.value) == message
    # Without stratification the same data splits fine.
    assert len(list(StratifiedKFold(5, stratify=False).split(labels))) == 5


def test_single_sample_class_error():
    labels = np.array([3] + [1] * 10)
    with pytest.raises(SplitError) as caught:
        StratifiedKFold(2).fold_assignment(labels)
    assert str(caught.value) == "class '3' has 1 sample, fewer than the 2 folds; stratify: false"


def test_more_folds_than_samples():
    with pytest.raises(SplitError, match="cannot split 3 samples into 4 folds; use at most 3"):
        KFold(4).fold_assignment(np.array([0, 1, 0]))


@pytest.mark.parametrize("labels", [np.zeros((4, 2)), np.array([1]), np.array([])])
def test_bad_labels_shape(labels):
    with pytest.raises(SplitError):
        StratifiedKFold(2, stratify=False).fold_assignment(labels)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        (np.zeros(5, dtype=np.int64), "non-empty"),
        (np.array([[0.0, 1.0]]), "integer"),
        (np.array([[0, -1, 1]]), ">= 0"),
        (np.array([[0, 0, 0]]), "at least 2 folds"),
        (np.array([[0, 2, 0, 2]]), "fold 1 of repeat 0 holds no samples"),
    ],
)
def test_bad_assignment(assignment, message):
    with pytest.raises(SplitError, match=message):
        list(splits_from_assignment(assignment))


# ---------------------------------------------------------------------------------------------
# holdout
# ---------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), stratify=st.booleans())
def test_holdout_exact_size_and_stratification(data, seed, stratify):
    labels = data.draw(labelled_data(min_per_class=1))
    n_samples = labels.shape[0]
    if n_samples < 2:
        return
    validation_count = data.draw(st.integers(1, n_samples - 1))
    train_index, validation_index = holdout_split(
        labels, validation_count, seed=seed, stratify=stratify
    )
    assert_partition(train_index, validation_index, n_samples)
    assert validation_index.size == validation_count
    assert train_index.size == n_samples - validation_count
    if stratify:
        classes, class_counts = np.unique(labels, return_counts=True)
        for value, count in zip(classes, class_counts, strict=True):
            exact_share = validation_count * count / n_samples
            in_validation = int(np.sum(labels[validation_index] == value))
            # floor or ceiling of the exact proportional share
            assert math.floor(exact_share) <= in_validation <= math.ceil(exact_share)


@settings(max_examples=60, deadline=None)
@given(labels=labelled_data(min_per_class=2), fraction=st.floats(0.05, 0.95),
       seed=st.integers(0, 1000))
def test_holdout_fraction_rounds_half_up(labels, fraction, seed):
    n_samples = labels.shape[0]
    expected = math.floor(fraction * n_samples + 0.5)
    if not 1 <= expected < n_samples:
        with pytest.raises(SplitError, match="leaving an empty part"):
            holdout_split(labels, fraction, seed=seed)
        return
    _, validation_index = holdout_split(labels, fraction, seed=seed)
    assert validation_index.size == expected


def test_holdout_by_hand():
    # 10 samples: 6 of class 0, 4 of class 1; 5 validation samples.
    # Exact shares 5·6/10 = 3 and 5·4/10 = 2 are whole, so exactly 3 and 2.
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 0])
    train_index, validation_index = holdout_split(labels, 0.5, seed=0)
    assert np.sum(labels[validation_index] == 0) == 3
    assert np.sum(labels[validation_index] == 1) == 2
    assert train_index.size == 5


def test_holdout_largest_remainder_by_hand():
    # Classes of 5, 3 and 2 samples (N = 10), 4 validation samples.
    # Exact shares 4·5/10 = 2.0, 4·3/10 = 1.2, 4·2/10 = 0.8. Floors 2, 1, 0 sum to 3; the one
    # sample left goes to the largest remainder (0.8, class 2): shares 2, 1, 1.
    labels = np.array([0] * 5 + [1] * 3 + [2] * 2)
    for seed in range(20):
        _, validation_index = holdout_split(labels, 4, seed=seed)
        np.testing.assert_array_equal(np.bincount(labels[validation_index], minlength=3),
                                      [2, 1, 1])


def test_holdout_ties_broken_by_seed_not_class_order():
    # Three classes of 3 samples, 4 validation samples: shares 4/3 each; floors 1, 1, 1 and one
    # sample left with equal remainders. Different seeds should not always favour class 0.
    labels = np.repeat([0, 1, 2], 3)
    favoured = set()
    for seed in range(30):
        _, validation_index = holdout_split(labels, 4, seed=seed)
        counts = np.bincount(labels[validation_index], minlength=3)
        assert sorted(counts.tolist()) == [1, 1, 2]
        favoured.add(int(np.argmax(counts)))
    assert favoured == {0, 1, 2}


def test_holdout_deterministic_and_seed_dependent():
    labels = np.repeat(np.arange(10), 30)
    first = holdout_split(labels, 0.2, seed=4)
    again = holdout_split(labels, 0.2, seed=4)
    other = holdout_split(labels, 0.2, seed=5)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize(
    "validation_size", [0, 10, 11, -1, 0.0, 1.0, 1.5, -0.2, float("nan"), True, "0.2", None]
)
def test_holdout_impossible_sizes(validation_size):
    labels = np.repeat([0, 1], 5)  # N = 10
    with pytest.raises(SplitError) as caught:
        holdout_split(labels, validation_size, seed=0)
    message = str(caught.value)
    assert "validation_size" in message
    assert "from 1 to 9" in message and "strictly between 0 and 1" in message


def test_holdout_fraction_too_small_names_the_count():
    labels = np.repeat([0, 1], 5)
    with pytest.raises(SplitError, match=r"validation_size 0\.01 of 10 samples gives 0"):
        holdout_split(labels, 0.01, seed=0)


def test_holdout_seed_is_keyword_only_and_checked():
    labels = np.repeat([0, 1], 5)
    with pytest.raises(TypeError):
        holdout_split(labels, 0.2, 0)  # type: ignore[misc]
    with pytest.raises(SplitError, match="seed must be a non-negative integer"):
        holdout_split(labels, 0.2, seed=-1)


# ---------------------------------------------------------------------------------------------
# layering
# ---------------------------------------------------------------------------------------------


def test_imports_only_numpy_and_errors():
    tree = ast.parse(inspect.getsource(splits))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"__future__", "math", "collections.abc", "numbers", "numpy",
                        "mlpsel.errors"}


@given(st.lists(st.integers(0, 3), min_size=20, max_size=300), st.integers(0, 10**6))
def test_nested_subsets_lie_inside_each_other_and_keep_class_shares(labels, seed):
    from mlpsel.splits import nested_subsets

    labels = np.array(labels)
    index = np.arange(0, len(labels), 1)[::-1]  # any rows, any order
    n = len(index)
    sizes = sorted({max(1, n // 10), max(1, n // 4), max(1, n // 2), n})
    subsets = nested_subsets(labels, index, sizes, seed=seed)
    for small, large in zip(subsets, subsets[1:], strict=False):
        assert set(small) <= set(large)
    for size, subset in zip(sizes, subsets, strict=True):
        assert len(subset) == size == len(set(subset)) and set(subset) <= set(index)
        for label in np.unique(labels):
            share = size * np.mean(labels[index] == label)
            assert abs(np.sum(labels[subset] == label) - share) < 2
    again = nested_subsets(labels, index, sizes, seed=seed)
    assert all(np.array_equal(a, b) for a, b in zip(subsets, again, strict=True))
