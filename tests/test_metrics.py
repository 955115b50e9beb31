"""Tests of mlpsel.metrics: cases worked by hand, invariants, and scikit-learn as an oracle."""

from __future__ import annotations

import ast
import inspect
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlpsel import metrics
from mlpsel.metrics import (
    accuracy_score,
    average_precision_score,
    classification_summary,
    confusion_matrix,
    log_loss,
    one_vs_rest_pr_curves,
    per_class_table,
    precision_recall_curve,
    precision_recall_f1,
    summary_from_confusion,
)

try:
    import sklearn.metrics as sklearn_metrics
except ImportError:  # scikit-learn is an optional, test-only oracle
    sklearn_metrics = None

needs_sklearn = pytest.mark.skipif(sklearn_metrics is None, reason="scikit-learn not installed")

# ---------------------------------------------------------------------------------------------
# A 3-class, 10-sample example worked by hand
# ---------------------------------------------------------------------------------------------
#
#   sample   0  1  2  3  4  5  6  7  8  9
#   y_true   0  0  0  0  1  1  1  2  2  2
#   y_pred   0  0  1  2  1  1  0  2  2  1
#
# Confusion matrix C[true, predicted]:
#   true 0 predicted as 0, 0, 1, 2 -> row [2, 1, 1]
#   true 1 predicted as 1, 1, 0    -> row [1, 2, 0]
#   true 2 predicted as 2, 2, 1    -> row [0, 1, 2]
# Sum 10 = N. Accuracy = trace / N = (2 + 2 + 2) / 10 = 0.6.
#
#   class  TP  FP (column - TP)  FN (row - TP)  precision    recall       F1 = 2TP/(2TP+FP+FN)
#   0      2   1 + 0 = 1         1 + 1 = 2      2/3          2/4 = 1/2    4/7
#   1      2   1 + 1 = 2         1 + 0 = 1      2/4 = 1/2    2/3          4/7
#   2      2   1 + 0 = 1         0 + 1 = 1      2/3          2/3          4/6 = 2/3
# Check F1 of class 0 as a harmonic mean: 2·(2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7.
# Support (row sums) 4, 3, 3.
# Macro precision = (2/3 + 1/2 + 2/3) / 3 = (11/6) / 3 = 11/18; macro recall likewise 11/18.
# Macro F1 = (4/7 + 4/7 + 2/3) / 3 = (24/21 + 14/21) / 3 = 38/63.
# Weighted F1 = (4·4/7 + 3·4/7 + 3·2/3) / 10 = (16/7 + 12/7 + 2) / 10 = 6/10.

Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 2, 1, 1, 0, 2, 2, 1])
CONFUSION = np.array([[2, 1, 1], [1, 2, 0], [0, 1, 2]])
PRECISION = np.array([2 / 3, 1 / 2, 2 / 3])
RECALL = np.array([1 / 2, 2 / 3, 2 / 3])
F1 = np.array([4 / 7, 4 / 7, 2 / 3])
SUPPORT = np.array([4, 3, 3])


def test_accuracy_by_hand():
    assert accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(0.6)
    assert isinstance(accuracy_score(Y_TRUE, Y_PRED), float)
    assert accuracy_score(Y_TRUE, Y_TRUE) == 1.0


def test_confusion_matrix_by_hand():
    confusion = confusion_matrix(Y_TRUE, Y_PRED, 3)
    assert confusion.dtype == np.int64
    assert confusion.shape == (3, 3)
    np.testing.assert_array_equal(confusion, CONFUSION)


def test_confusion_matrix_keeps_absent_classes():
    # Classes 3 and 4 never occur but still get a zero row and column.
    confusion = confusion_matrix(Y_TRUE, Y_PRED, 5)
    assert confusion.shape == (5, 5)
    np.testing.assert_array_equal(confusion[:3, :3], CONFUSION)
    assert confusion[3:].sum() == 0 and confusion[:, 3:].sum() == 0


def test_precision_recall_f1_by_hand():
    precision, recall, f1, support = precision_recall_f1(CONFUSION)
    np.testing.assert_allclose(precision, PRECISION)
    np.testing.assert_allclose(recall, RECALL)
    np.testing.assert_allclose(f1, F1)
    np.testing.assert_array_equal(support, SUPPORT)
    assert precision.dtype == recall.dtype == f1.dtype == np.float64
    assert support.dtype == np.int64
    # F1 is the harmonic mean of precision and recall where both are positive.
    np.testing.assert_allclose(f1, 2 * precision * recall / (precision + recall))


def test_summary_by_hand():
    summary = classification_summary(Y_TRUE, Y_PRED, 3)
    assert set(summary) == {"accuracy", "macro_precision", "macro_recall", "macro_f1",
                            "weighted_f1"}
    assert summary["accuracy"] == pytest.approx(0.6)
    assert summary["macro_precision"] == pytest.approx(11 / 18)
    assert summary["macro_recall"] == pytest.approx(11 / 18)
    assert summary["macro_f1"] == pytest.approx(38 / 63)
    assert summary["weighted_f1"] == pytest.approx(0.6)
    assert all(isinstance(value, float) for value in summary.values())
    assert summary_from_confusion(CONFUSION) == summary


def test_per_class_table_by_hand():
    table = per_class_table(CONFUSION, ["zero", "one", "two"])
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["class", "precision", "recall", "f1", "support"]
    assert table["class"].tolist() == ["zero", "one", "two"]
    np.testing.assert_allclose(table["precision"].to_numpy(), PRECISION)
    np.testing.assert_allclose(table["recall"].to_numpy(), RECALL)
    np.testing.assert_allclose(table["f1"].to_numpy(), F1)
    assert table["support"].dtype == np.int64
    np.testing.assert_array_equal(table["support"].to_numpy(), SUPPORT)
    # Default names are the class numbers.
    assert per_class_table(CONFUSION)["class"].tolist() == ["0", "1", "2"]
    with pytest.raises(ValueError, match="class_names has 2 names"):
        per_class_table(CONFUSION, ["a", "b"])


def test_zero_division_gives_zero():
    # y_true 0 0 1 2, y_pred 0 1 1 0, four classes:
    #   C = [[1, 1, 0, 0],    class 2 is never predicted: precision 0/0 -> 0, recall 0/1 = 0
    #        [0, 1, 0, 0],    class 3 never occurs at all: precision, recall, F1 all 0/0 -> 0
    #        [1, 0, 0, 0],    class 0: precision 1/2, recall 1/2, F1 2/(2+1+1) = 1/2
    #        [0, 0, 0, 0]]    class 1: precision 1/2, recall 1/1, F1 2/(2+1+0) = 2/3
    confusion = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 4)
    np.testing.assert_array_equal(confusion, [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0],
                                              [0, 0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0 / 0
        precision, recall, f1, support = precision_recall_f1(confusion)
        summary = summary_from_confusion(confusion)
    np.testing.assert_allclose(precision, [1 / 2, 1 / 2, 0.0, 0.0])
    np.testing.assert_allclose(recall, [1 / 2, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(f1, [1 / 2, 2 / 3, 0.0, 0.0])
    np.testing.assert_array_equal(support, [2, 1, 1, 0])
    # Macro averages include the absent class 3: macro F1 = (1/2 + 2/3 + 0 + 0) / 4 = 7/24.
    assert summary["macro_f1"] == pytest.approx(7 / 24)
    # Weighted F1 = (2·1/2 + 1·2/3 + 1·0 + 0·0) / 4 = (5/3) / 4 = 5/12.
    assert summary["weighted_f1"] == pytest.approx(5 / 12)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n_classes=st.integers(1, 12), n_samples=st.integers(1, 300))
def test_confusion_matrix_invariants(data, n_classes, n_samples):
    labels = hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
    y_true = data.draw(labels)
    y_pred = data.draw(labels)
    confusion = confusion_matrix(y_true, y_pred, n_classes)
    assert confusion.shape == (n_classes, n_classes)
    assert confusion.dtype == np.int64
    assert confusion.sum() == n_samples  # every sample counted once
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(y_true, minlength=n_classes))
    np.testing.assert_array_equal(confusion.sum(axis=0), np.bincount(y_pred, minlength=n_classes))
    assert np.trace(confusion) / n_samples == pytest.approx(accuracy_score(y_true, y_pred))
    precision, recall, f1, _ = precision_recall_f1(confusion)
    for scores in (precision, recall, f1):
        assert np.all((scores >= 0) & (scores <= 1))
    assert np.all(f1 <= np.maximum(precision, recall) + 1e-12)
    summary = summary_from_confusion(confusion)
    # Support-weighted recall is accuracy.
    assert np.sum(recall * confusion.sum(axis=1)) / n_samples == pytest.approx(
        summary["accuracy"]
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (np.array([0, 1]), np.array([0]), "same length"),
        (np.array([[0, 1]]), np.array([[0, 1]]), "1-D"),
        (np.array([], dtype=int), np.array([], dtype=int), "empty"),
        (np.array([0.0, 1.0]), np.array([0, 1]), "integer"),
        (np.array([0, 3]), np.array([0, 1]), "y_true holds label 3, outside 0 .. 2"),
        (np.array([0, 1]), np.array([-1, 1]), "y_pred holds label -1"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred, 3)


@pytest.mark.parametrize("confusion", [np.zeros((2, 3)), np.zeros(3), np.array([[1, -1], [0, 1]])])
def test_precision_recall_f1_rejects_bad_confusion(confusion):
    with pytest.raises(ValueError):
        precision_recall_f1(confusion)


def test_summary_rejects_empty_confusion():
    with pytest.raises(ValueError, match="no samples"):
        summary_from_confusion(np.zeros((3, 3), dtype=np.int64))


# ---------------------------------------------------------------------------------------------
# log loss
# ---------------------------------------------------------------------------------------------


def test_log_loss_by_hand():
    # Probability of the true class: 0.7 (sample 0, class 0), 0.4 (sample 1, class 2) and
    # 0 (sample 2, class 0), clipped to eps = 1e-15.
    # Loss = -(ln 0.7 + ln 0.4 + ln 1e-15) / 3.
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.0, 1.0, 0.0]])
    y_true = np.array([0, 2, 0])
    expected = -(math.log(0.7) + math.log(0.4) + math.log(1e-15)) / 3
    assert log_loss(y_true, probabilities) == pytest.approx(expected)
    # float32 input: computed in float64, same answer to float32 precision.
    assert log_loss(y_true, probabilities.astype(np.float32)) == pytest.approx(expected, rel=1e-6)
    # A perfect prediction costs nothing.
    assert log_loss(np.array([1]), np.array([[0.0, 1.0]])) == 0.0


@pytest.mark.parametrize(
    ("y_true", "probabilities"),
    [
        (np.array([0, 1]), np.ones((3, 2)) / 2),
        (np.array([0, 2]), np.ones((2, 2)) / 2),
        (np.array([0.0, 1.0]), np.ones((2, 2)) / 2),
        (np.array([0, 1]), np.ones(2) / 2),
    ],
)
def test_log_loss_rejects_bad_input(y_true, probabilities):
    with pytest.raises(ValueError):
        log_loss(y_true, probabilities)


# ---------------------------------------------------------------------------------------------
# precision-recall curves by hand
# ---------------------------------------------------------------------------------------------
#
# Five scores. Sorted from the highest score down, predicting positive for score >= t:
#
#   threshold t   0.8  0.65  0.4  0.35  0.1
#   label         0    1     1    1     0      (3 positives)
#   TP            0    1     2    3     3
#   FP            1    1     1    1     2
#   precision     0/1  1/2   2/3  3/4   3/5
#   recall        0/3  1/3   2/3  3/3   3/3
#
# Returned with thresholds ascending, plus the closing point (precision 1, recall 0).
# Average precision, from the highest threshold down, AP = Σ (R_n − R_{n−1}) P_n:
#   0.8: (0 − 0)·0 = 0; 0.65: (1/3)·(1/2) = 1/6; 0.4: (1/3)·(2/3) = 2/9; 0.35: (1/3)·(3/4) = 1/4;
#   0.1: (1 − 1)·3/5 = 0.   AP = 6/36 + 8/36 + 9/36 = 23/36.

CURVE_LABELS = np.array([0, 1, 1, 0, 1])
CURVE_SCORES = np.array([0.1, 0.4, 0.35, 0.8, 0.65])


def test_precision_recall_curve_by_hand():
    precision, recall, thresholds = precision_recall_curve(CURVE_LABELS, CURVE_SCORES)
    np.testing.assert_allclose(thresholds, [0.1, 0.35, 0.4, 0.65, 0.8])
    np.testing.assert_allclose(precision, [3 / 5, 3 / 4, 2 / 3, 1 / 2, 0.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 2 / 3, 1 / 3, 0.0, 0.0])
    assert precision.dtype == recall.dtype == np.float64


def test_average_precision_by_hand():
    assert average_precision_score(CURVE_LABELS, CURVE_SCORES) == pytest.approx(23 / 36)
    # Boolean labels work the same.
    assert average_precision_score(CURVE_LABELS.astype(bool), CURVE_SCORES) == pytest.approx(
        23 / 36
    )


def test_precision_recall_curve_with_ties_by_hand():
    # Two samples tie at 0.5 (one positive, one negative); they cross the threshold together.
    #   threshold   0.9   0.5 (two samples)   0.1        (2 positives)
    #   TP          1     2                   2
    #   FP          0     1                   2
    #   precision   1     2/3                 1/2
    #   recall      1/2   1                   1
    # AP = (1/2)·1 + (1/2)·(2/3) + 0 = 5/6.
    labels = np.array([1, 0, 1, 0])
    scores = np.array([0.5, 0.5, 0.9, 0.1])
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    np.testing.assert_allclose(thresholds, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(precision, [1 / 2, 2 / 3, 1.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 1 / 2, 0.0])
    assert average_precision_score(labels, scores) == pytest.approx(5 / 6)
    # The order of tied samples does not matter.
    swapped = precision_recall_curve(labels[[1, 0, 2, 3]], scores[[1, 0, 2, 3]])
    np.testing.assert_allclose(swapped[0], precision)
    np.testing.assert_allclose(swapped[1], recall)


def test_precision_recall_curve_edge_cases():
    # All scores equal: one threshold, everything predicted positive: precision 2/4, recall 1.
    precision, recall, thresholds = precision_recall_curve(
        np.array([1, 0, 1, 0]), np.full(4, 0.3)
    )
    np.testing.assert_allclose(thresholds, [0.3])
    np.testing.assert_allclose(precision, [0.5, 1.0])
    np.testing.assert_allclose(recall, [1.0, 0.0])
    # No positives: recall is 1 at every threshold (scikit-learn's convention) and AP is 0.
    labels = np.zeros(3, dtype=int)
    scores = np.array([0.2, 0.9, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, thresholds = precision_recall_curve(labels, scores)
        assert average_precision_score(labels, scores) == 0.0
    np.testing.assert_allclose(recall, [1.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(precision, [0.0, 0.0, 0.0, 1.0])
    # A perfect ranking has AP 1.
    assert average_precision_score(np.array([0, 1, 1]), np.array([0.1, 0.7, 0.8])) == 1.0
    # Integer (even unsigned) scores rank correctly.
    assert average_precision_score(np.array([0, 1, 1]), np.array([0, 7, 8], dtype=np.uint8)) == 1.0


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        (np.array([0, 2]), np.array([0.1, 0.2]), "only 0 and 1"),
        (np.array([0, 1]), np.array([0.1]), "same length"),
        (np.array([], dtype=int), np.array([]), "empty"),
        (np.array([0, 1]), np.array([0.1, np.nan]), "finite"),
    ],
)
def test_precision_recall_curve_rejects_bad_input(labels, scores, message):
    with pytest.raises(ValueError, match=message):
        precision_recall_curve(labels, scores)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n_samples=st.integers(1, 60))
def test_precision_recall_curve_invariants(data, n_samples):
    labels = data.draw(hnp.arrays(np.int64, n_samples, elements=st.integers(0, 1)))
    # Scores from a few values, so ties are common.
    scores = data.draw(hnp.arrays(np.float64, n_samples, elements=st.sampled_from(
        [0.0, 0.1, 0.25, 0.5, 0.75, 1.0])))
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    np.testing.assert_array_equal(thresholds, np.unique(scores))  # distinct, ascending
    assert precision.shape == recall.shape == (thresholds.shape[0] + 1,)
    assert precision[-1] == 1.0 and recall[-1] == 0.0
    assert np.all(np.diff(recall) <= 0)  # recall never rises as the threshold rises
    assert np.all((precision >= 0) & (precision <= 1))
    average_precision = average_precision_score(labels, scores)
    assert 0.0 <= average_precision <= 1.0
    if labels.any():
        # The lowest threshold predicts every sample positive: precision is the positive rate.
        assert precision[0] == pytest.approx(labels.mean())
        assert recall[0] == 1.0


def test_one_vs_rest_curves():
    probabilities = np.array(
        [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.1, 0.2, 0.7]]
    )
    y_true = np.array([0, 1, 2, 1, 2])
    curves = one_vs_rest_pr_curves(y_true, probabilities)
    assert len(curves) == 3
    for class_index, curve in enumerate(curves):
        assert set(curve) == {"precision", "recall", "thresholds", "average_precision"}
        expected = precision_recall_curve(y_true == class_index, probabilities[:, class_index])
        for got, want in zip((curve["precision"], curve["recall"], curve["thresholds"]), expected,
                             strict=True):
            np.testing.assert_array_equal(got, want)
        assert curve["average_precision"] == average_precision_score(
            y_true == class_index, probabilities[:, class_index]
        )
    # Class 2's scores rank its two samples (0.6, 0.7) above the rest: AP 1.
    assert curves[2]["average_precision"] == 1.0
    # Class 1: scores 0.6 (yes), 0.4 (yes), 0.2, 0.2, 0.1 -> also ranked first: AP 1.
    assert curves[1]["average_precision"] == 1.0
    # Class 0: scores 0.8 (yes), 0.5, 0.3, 0.2, 0.1 -> AP 1.
    assert curves[0]["average_precision"] == 1.0
    with pytest.raises(ValueError, match=r"probabilities \(N, K\)"):
        one_vs_rest_pr_curves(y_true, probabilities[:4])


# ---------------------------------------------------------------------------------------------
# scikit-learn as an oracle (skipped where it is not installed)
# ---------------------------------------------------------------------------------------------


@needs_sklearn
@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
@settings(max_examples=100, deadline=None)
@given(data=st.data(), n_classes=st.integers(1, 8), n_samples=st.integers(1, 200))
def test_against_sklearn_classification(data, n_classes, n_samples):
    labels = hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
    y_true = data.draw(labels)
    y_pred = data.draw(labels)
    all_classes = list(range(n_classes))
    confusion = confusion_matrix(y_true, y_pred, n_classes)
    np.testing.assert_array_equal(
        confusion, sklearn_metrics.confusion_matrix(y_true, y_pred, labels=all_classes)
    )
    assert accuracy_score(y_true, y_pred) == pytest.approx(
        sklearn_metrics.accuracy_score(y_true, y_pred)
    )
    precision, recall, f1, support = precision_recall_f1(confusion)
    want = sklearn_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=all_classes, zero_division=0
    )
    for got, expected in zip((precision, recall, f1, support), want, strict=True):
        np.testing.assert_allclose(got, expected)
    summary = classification_summary(y_true, y_pred, n_classes)
    for key, average in (("macro_precision", "macro"), ("macro_recall", "macro"),
                         ("macro_f1", "macro"), ("weighted_f1", "weighted")):
        function = {"macro_precision": sklearn_metrics.precision_score,
                    "macro_recall": sklearn_metrics.recall_score}.get(key, sklearn_metrics.f1_score)
        expected = function(y_true, y_pred, labels=all_classes, average=average, zero_division=0)
        assert summary[key] == pytest.approx(expected), key


@needs_sklearn
@settings(max_examples=150, deadline=None)
@given(data=st.data(), n_samples=st.integers(1, 80), tie_heavy=st.booleans())
def test_against_sklearn_precision_recall_curve(data, n_samples, tie_heavy):
    labels = data.draw(hnp.arrays(np.int64, n_samples, elements=st.integers(0, 1)))
    if tie_heavy:
        elements = st.sampled_from([0.0, 0.2, 0.5, 0.9])
    else:
        elements = st.floats(0, 1, allow_nan=False)
    scores = data.draw(hnp.arrays(np.float64, n_samples, elements=elements))
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns when there are no positives
        want = sklearn_metrics.precision_recall_curve(labels, scores)
        want_average = sklearn_metrics.average_precision_score(labels, scores)
    np.testing.assert_allclose(precision, want[0])
    np.testing.assert_allclose(recall, want[1])
    np.testing.assert_array_equal(thresholds, want[2])
    assert average_precision_score(labels, scores) == pytest.approx(want_average)


@needs_sklearn
def test_against_sklearn_hand_examples():
    assert sklearn_metrics.average_precision_score(CURVE_LABELS, CURVE_SCORES) == pytest.approx(
        23 / 36
    )
    assert sklearn_metrics.average_precision_score(
        [1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]
    ) == pytest.approx(5 / 6)
    np.testing.assert_array_equal(sklearn_metrics.confusion_matrix(Y_TRUE, Y_PRED), CONFUSION)


@needs_sklearn
@settings(max_examples=50, deadline=None)
@given(data=st.data(), n_classes=st.integers(2, 6), n_samples=st.integers(1, 50))
def test_against_sklearn_log_loss(data, n_classes, n_samples):
    y_true = data.draw(hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    weights = data.draw(hnp.arrays(np.float64, (n_samples, n_classes),
                                   elements=st.floats(0.01, 1.0)))
    probabilities = weights / weights.sum(axis=1, keepdims=True)  # (N, K) rows sum to 1
    expected = sklearn_metrics.log_loss(y_true, probabilities, labels=list(range(n_classes)))
    assert log_loss(y_true, probabilities) == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# layering
# ---------------------------------------------------------------------------------------------


def test_imports_only_numpy_pandas():
    tree = ast.parse(inspect.getsource(metrics))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"__future__", "collections.abc", "dataclasses", "numpy", "pandas",
                        "typing", "mlpsel.errors"}
