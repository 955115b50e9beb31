"""The one results module: per-task results → the per-grid-point table, ranks and the choice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlpsel.errors import NoSuccessfulTrial
from mlpsel.results import (
    INCOMPLETE,
    choose_best,
    grid_point_rows,
    mean_history,
    rank_scores,
    status_counts,
)


def result(grid_point: str, index: int, fold: int | None, accuracy: float | None,
           status: str = "ok", loss: float = 1.0) -> dict:
    return {"task_id": grid_point if fold is None else f"{grid_point}-r0f{fold}",
            "grid_point_id": grid_point, "grid_point_index": index, "repeat": 0 if fold is not None
            else None, "fold": fold, "params": {"model.hidden_layers": [8], "seed": index},
            "status": status, "error": None if status == "ok" else "loss became nan",
            "validation_accuracy": accuracy, "validation_loss": loss,
            "validation_macro_f1": accuracy, "train_loss": 0.5, "train_accuracy": 0.9,
            "fit_seconds": 2.0, "best_epoch": 4}


@given(st.lists(st.one_of(st.none(), st.floats(-5, 5, allow_nan=False),
                          st.sampled_from([0.5, 1.0])), min_size=1, max_size=12),
       st.booleans())
def test_ranks_are_pandas_min_ranks_with_missing_last(scores, higher_is_better):
    expected = pd.Series([np.nan if s is None else s for s in scores], dtype=float).rank(
        ascending=not higher_is_better, method="min", na_option="bottom").astype(int)
    assert rank_scores(scores, higher_is_better) == list(expected)


def test_holdout_is_the_one_split_case_without_a_spread():
    rows = grid_point_rows([result("000-a", 0, None, 0.8), result("001-b", 1, None, 0.9)],
                           n_splits=1)
    assert [row["trial_id"] for row in rows] == ["000-a", "001-b"]
    assert rows[0]["split0_validation_accuracy"] == rows[0]["mean_validation_accuracy"] == 0.8
    assert rows[0]["std_validation_accuracy"] is None
    assert rows[0]["mean_train_loss"] == 0.5 and rows[0]["mean_best_epoch"] == 4.0
    assert rows[0]["param_model.hidden_layers"] == "[8]"  # lists as their text
    assert [row["rank_validation_accuracy"] for row in rows] == [2, 1]
    assert choose_best(rows, "validation_accuracy") == 1


def test_lower_loss_ranks_first_and_ties_go_to_the_earlier_grid_point():
    results = [result(gp, i, None, 0.5, loss=loss)
               for i, (gp, loss) in enumerate([("000-a", 0.3), ("001-b", 0.2), ("002-c", 0.2)])]
    rows = grid_point_rows(results, n_splits=1, metric="validation_loss")
    assert [row["rank_validation_loss"] for row in rows] == [3, 1, 1]
    assert choose_best(rows, "validation_loss") == 1


def test_a_grid_point_missing_splits_is_incomplete_without_a_mean():
    rows = grid_point_rows([result("000-a", 0, 0, 0.8), result("000-a", 0, 2, 0.9)],
                           n_splits=3, folds=3)
    (row,) = rows
    assert row["status"] == INCOMPLETE and row["error"] == ""
    assert row["split1_validation_accuracy"] is None and row["split2_validation_accuracy"] == 0.9
    assert row["mean_validation_accuracy"] is None and row["std_validation_accuracy"] is None
    assert row["rank_validation_accuracy"] == 1  # the only row, ranked last = first
    with pytest.raises(NoSuccessfulTrial, match="000-a: incomplete"):
        choose_best(rows, "validation_accuracy")


def test_repeats_place_each_fold_at_repeat_times_folds_plus_fold():
    results = []
    for repeat in range(2):
        for fold in range(2):
            entry = result("000-a", 0, fold, 0.1 * (1 + repeat * 2 + fold))
            entry.update(repeat=repeat, task_id=f"000-a-r{repeat}f{fold}")
            results.append(entry)
    (row,) = grid_point_rows(reversed(results), n_splits=4, folds=2)
    assert [row[f"split{k}_validation_accuracy"] for k in range(4)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4])
    assert row["mean_validation_accuracy"] == pytest.approx(0.25)
    assert row["std_validation_accuracy"] == pytest.approx(np.std([0.1, 0.2, 0.3, 0.4]))


def test_nothing_ok_is_no_successful_trial_naming_each_failure():
    rows = grid_point_rows([result("000-a", 0, None, None, status="diverged")], n_splits=1)
    assert rows[0]["error"] == "loss became nan"  # one split: no task id in front
    with pytest.raises(NoSuccessfulTrial, match=r"000-a: diverged \(loss became nan\)"):
        choose_best(rows, "validation_accuracy")


def test_status_counts_most_common_first():
    results = [{"status": s} for s in ["ok", "diverged", "ok", "failed", "diverged", "ok"]]
    assert list(status_counts(results).items()) == [("ok", 3), ("diverged", 2), ("failed", 1)]


def test_mean_history_of_one_is_itself_and_of_several_the_per_epoch_mean():
    first = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5]})
    second = pd.DataFrame({"epoch": [1], "train_loss": [3.0]})  # stopped early
    assert mean_history([first]) is first
    mean = mean_history([first, second])
    assert list(mean["epoch"]) == [1, 2]
    assert list(mean["train_loss"]) == [2.0, 0.5]
    assert list(mean_history([first, first.iloc[:0]])["train_loss"]) == [1.0, 0.5]  # empty: out


def test_every_grid_point_is_compared_with_the_best_by_the_corrected_t_test():
    from mlpsel.stats import corrected_resampled_t, holm

    scores = {"000-a": [0.90, 0.92, 0.91], "001-b": [0.80, 0.81, 0.79],
              "002-c": [0.89, 0.92, 0.90]}
    results = [result(gp, i, k, acc) for i, (gp, accs) in enumerate(scores.items())
               for k, acc in enumerate(accs)]
    rows = grid_point_rows(results, n_splits=3, folds=3, split_sizes=(200, 100))
    best, worse, close = rows
    assert best["t_vs_best"] == 0.0 and best["p_vs_best"] == 1.0 and best["tied_with_best"]
    t, p = corrected_resampled_t([0.10, 0.11, 0.12], 200, 100)
    assert worse["t_vs_best"] == pytest.approx(t) and worse["p_vs_best"] == pytest.approx(p)
    _, p_close = corrected_resampled_t([0.01, 0.00, 0.01], 200, 100)
    assert [worse["p_vs_best_holm"], close["p_vs_best_holm"]] == pytest.approx(
        holm([p, p_close]))
    assert worse["tied_with_best"] is False and close["tied_with_best"] is True
    # the standard error beside the std: std(ddof=1) / √J
    assert best["se_validation_accuracy"] == pytest.approx(np.std([0.90, 0.92, 0.91], ddof=1)
                                                           / np.sqrt(3))


def test_the_one_se_rule_chooses_the_simplest_within_one_standard_error():
    from mlpsel.results import choose_one_se

    scores = {"000-big": [0.90, 0.92, 0.91], "001-small": [0.905, 0.91, 0.905],
              "002-tiny": [0.80, 0.82, 0.81]}
    results = [result(gp, i, k, acc) for i, (gp, accs) in enumerate(scores.items())
               for k, acc in enumerate(accs)]
    rows = grid_point_rows(results, n_splits=3, folds=3)
    # best mean 0.91, SE = std([0.90, 0.92, 0.91], ddof=1)/√3 = 0.01/√3 = 0.00577
    assert choose_best(rows, "validation_accuracy") == 0
    complexity = [1000.0, 100.0, 10.0]  # 002 is simplest but 0.10 below: outside one SE
    assert choose_one_se(rows, "validation_accuracy", complexity) == 1  # 0.9067 ≥ 0.9042
    with pytest.raises(ValueError, match="several validation splits"):
        choose_one_se(grid_point_rows(results[:1], n_splits=1), "validation_accuracy", [1.0])


def test_one_se_in_a_cv_run_and_refused_for_holdout(tmp_path):
    from typer.testing import CliRunner

    from mlpsel.cli import app
    from tests.conftest import QUICKSTART, TINY_OVERRIDES

    overrides = [a for o in [*TINY_OVERRIDES, "selection.rule=one_se",
                             "search.model.hidden_layers=[[8], [64]]"] for a in ("--set", o)]
    result = CliRunner().invoke(app, ["cv", str(QUICKSTART), "--folds", "3", "--runs-dir",
                                      str(tmp_path), "--quiet", *overrides])
    assert result.exit_code == 0, result.output
    (run,) = tmp_path.iterdir()
    best = json.loads((run / "summary.json").read_text())["best"]
    assert best["rule"] == "one_se" and best["simplest_by"] == "trainable parameters"
    table = pd.read_csv(run / "cv_results.csv")
    chosen = table[table["trial_id"] == best["trial_id"]].iloc[0]
    assert best["best_mean"] - chosen["mean_validation_accuracy"] <= best["standard_error"]
    refused = CliRunner().invoke(app, ["train", str(QUICKSTART), "--runs-dir", str(tmp_path),
                                       "--set", "selection.rule=one_se"])
    assert refused.exit_code == 2 and "one-SE rule needs" in refused.output
