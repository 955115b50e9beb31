"""The terminal report, rendered to a fixed-width string."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from mlpsel.report.loading import load_run_report
from mlpsel.report.terminal import render_terminal, selection_summary
from mlpsel.store import RunFolder
from tests.report_support import cv_run, holdout_run, make_unfinished_run


def render(renderable) -> str:
    console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return holdout_run(tmp_path_factory.getbasetemp())


def test_holdout_report_has_every_section(source):
    report = load_run_report(RunFolder(source))
    text = render(render_terminal(report))
    for expected in (f"Run {report.run_id}", "mlpsel train quickstart.yaml", "mnist-mini",
                     "train 800 · validation 200 · test 200", "6 grid points", "finished",
                     "Grid points ranked by validation accuracy", "1 holdout split",
                     f"{report.best_trial_id}", "Chosen on validation", "Test set (scored once)",
                     "macro precision", "Confusion matrix on the test set", "Per class",
                     "Trials that failed", "diverged", "try a smaller learning rate"):
        assert expected in text, expected
    best_line = next(line for line in text.splitlines()
                     if report.best_trial_id in line and "★" in line)
    assert "—" in best_line  # a holdout run has no standard deviation
    assert "not available yet" not in text


def test_cv_report_shows_spread(tmp_path_factory):
    report = load_run_report(RunFolder(cv_run(tmp_path_factory.getbasetemp())))
    text = render(render_terminal(report))
    assert "3 folds × 1 repeat" in text and "3 splits" in text
    best = report.best_row
    assert f"{best['std_validation_accuracy']:.4f}" in text
    assert f"± {best['std_validation_accuracy']:.4f}" in text  # in the chosen-network line


def test_interrupted_report_says_so(source, tmp_path):
    report = load_run_report(RunFolder(make_unfinished_run(source, tmp_path, "interrupted")))
    text = render(render_terminal(report))
    assert "This run was interrupted before it finished" in text
    assert "partial" in text and "Best so far on validation" in text
    for section in ("Test set scores", "Confusion matrix", "Per-class precision, recall and F1"):
        assert f"{section}: not available yet" in text


def test_selection_summary_at_the_end_of_a_run(source):
    report = load_run_report(RunFolder(source))
    text = render(selection_summary(report))
    assert report.best_trial_id in text and "Test set (scored once)" in text
    assert "Per class" in text
