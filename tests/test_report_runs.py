"""``mlpsel runs`` (the listing) and ``mlpsel compare`` (two runs side by side)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import yaml
from rich.console import Console

from mlpsel.report.loading import load_run_report
from mlpsel.report.runs import (
    compare_run_data,
    compare_runs,
    flatten_config,
    list_run_rows,
    runs_table,
)
from mlpsel.store import RunFolder
from tests.report_support import (
    N_GRID_POINTS,
    copy_run,
    cv_run,
    edit_json,
    holdout_run,
    make_unfinished_run,
)


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return holdout_run(tmp_path_factory.getbasetemp())


@pytest.fixture
def runs_dir(source, tmp_path_factory, tmp_path):
    """Three runs started at different times; ids sort in another order than start times."""
    runs_dir = tmp_path / "runs"
    oldest = copy_run(source, runs_dir, "20260101-090000-quickstart-0001")
    edit_json(oldest / "run.json", started="2026-01-01T09:00:00")
    newest = make_unfinished_run(source, runs_dir, "running",
                                 run_id="20260101-110000-quickstart-0003")
    edit_json(newest / "run.json", started="2026-01-01T11:00:00")
    middle = copy_run(cv_run(tmp_path_factory.getbasetemp()), runs_dir,
                      "20260101-100000-cv-0002")
    edit_json(middle / "run.json", started="2026-01-01T10:00:00")
    (runs_dir / "not-a-run").mkdir()
    return runs_dir


def test_runs_are_listed_newest_first(runs_dir, source):
    rows = list_run_rows(runs_dir)
    assert [row["run_id"] for row in rows] == [
        "20260101-110000-quickstart-0003", "20260101-100000-cv-0002",
        "20260101-090000-quickstart-0001"]
    running, cv, holdout = rows
    assert running["status"] == "running" and running["best_validation"] is None
    assert running["test_accuracy"] is None
    assert cv["command"] == "cv" and cv["best_validation_std"] > 0
    assert holdout["command"] == "train" and holdout["n_grid_points"] == N_GRID_POINTS
    assert holdout["dataset"] == "mnist-mini" and 0 < holdout["test_accuracy"] <= 1
    report = load_run_report(RunFolder(source))
    assert holdout["best_validation"] == pytest.approx(report.best_row[
        "mean_validation_accuracy"])


def test_runs_table(runs_dir, tmp_path):
    text = render(runs_table(runs_dir))
    lines = text.splitlines()
    positions = [next(i for i, line in enumerate(lines) if run_id in line) for run_id in (
        "20260101-110000-quickstart-0003", "20260101-100000-cv-0002",
        "20260101-090000-quickstart-0001")]
    assert positions == sorted(positions)
    assert "running" in text and "finished" in text and "±" in text
    assert "no runs in" in render(runs_table(tmp_path / "empty"))


def test_compare_shows_differing_config_keys(source, tmp_path):
    other = copy_run(source, tmp_path, "20260101-120000-quickstart-0004")
    config = yaml.safe_load((other / "config.yaml").read_text())
    config["training"]["epochs"] = 7
    config["search"]["training.learning_rate"] = [0.05]
    (other / "config.yaml").write_text(yaml.safe_dump(config))
    data = compare_run_data(RunFolder(source), RunFolder(other))
    differences = {row["key"]: (row["first"], row["second"])
                   for row in data["config_differences"]}
    assert differences == {"training.epochs": (2, 7),
                           "search.training.learning_rate": ([0.05, 0.2, 10000.0], [0.05])}
    assert all(row["difference"] == 0 for row in data["scores"])  # same results copied
    assert len(data["per_class_recall"]) == 10
    assert all(row["difference"] == 0 for row in data["per_class_recall"])
    text = render(compare_runs(RunFolder(source), RunFolder(other)))
    for expected in ("Config keys that differ", "training.epochs",
                     "search.training.learning_rate", "test accuracy",
                     "Per-class recall on the test set", "+0.0000"):
        assert expected in text, expected


def test_compare_with_an_unfinished_run(source, tmp_path):
    unfinished = make_unfinished_run(source, tmp_path, "interrupted")
    data = compare_run_data(load_run_report(RunFolder(source)),
                            load_run_report(RunFolder(unfinished)))
    test_accuracy = next(row for row in data["scores"] if row["name"] == "test accuracy")
    assert test_accuracy["second"] is None and test_accuracy["difference"] is None
    assert all(row["second"] is None for row in data["per_class_recall"])
    assert "interrupted" in render(compare_runs(RunFolder(source), RunFolder(unfinished)))


def test_flatten_config_keeps_search_keys_whole():
    flat = flatten_config({"training": {"epochs": 3, "learning_rate": 0.1},
                           "search": {"model.hidden_layers": [[64], [128]]}, "seed": 0})
    assert flat == {"training.epochs": 3, "training.learning_rate": 0.1,
                    "search.model.hidden_layers": [[64], [128]], "seed": 0}


def test_compare_adds_mcnemar_on_the_same_test_images_only(tmp_path):
    from typer.testing import CliRunner

    from mlpsel.cli import app
    from mlpsel.report.runs import compare_run_data
    from mlpsel.stats import mcnemar_exact
    from tests.conftest import QUICKSTART, TINY_OVERRIDES

    overrides = [a for o in TINY_OVERRIDES for a in ("--set", o)]
    for extra in ([], ["--set", "training.epochs=1"], ["--set", "dataset.test_subset=100"]):
        result = CliRunner().invoke(app, ["train", str(QUICKSTART), "--runs-dir", str(tmp_path),
                                          "--quiet", *overrides, *extra])
        assert result.exit_code == 0, result.output
    by_epochs = sorted(tmp_path.iterdir(), key=lambda p: len(
        pd.read_csv(p / "best" / "predictions.csv")))
    small, a, b = by_epochs[0], *by_epochs[1:]
    data = compare_run_data(RunFolder(a), RunFolder(b))
    test = data["mcnemar"]
    assert test["applies"]
    pa, pb = (pd.read_csv(run / "best" / "predictions.csv") for run in (a, b))
    right_a = pa["predicted_label"] == pa["true_label"]
    right_b = pb["predicted_label"] == pb["true_label"]
    assert test["b"] == int((right_a & ~right_b).sum())
    assert test["c"] == int((~right_a & right_b).sum())
    assert test["p"] == pytest.approx(mcnemar_exact(test["b"], test["c"]))
    other = compare_run_data(RunFolder(a), RunFolder(small))["mcnemar"]
    assert not other["applies"] and "different test images" in other["reason"]
