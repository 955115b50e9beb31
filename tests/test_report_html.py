"""The self-contained HTML report: every figure present, embedded, nothing fetched."""

from __future__ import annotations

import base64
import re

import pytest

from mlpsel.report.html import write_html
from mlpsel.report.loading import load_run_report
from mlpsel.store import RunFolder
from tests.report_support import copy_run, cv_run, holdout_run, make_unfinished_run

HOLDOUT_FIGURES = {"learning_curves", "grid_learning_curves", "validation_curves",
                   "confusion_matrix", "per_class", "precision_recall"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def figures_in(html: str) -> dict[str, bytes]:
    """``data-figure`` name → decoded PNG of every ``<img>``."""
    images = re.findall(r"<img ([^>]*)>", html)
    figures = {}
    for attributes in images:
        source = re.search(r'src="([^"]*)"', attributes).group(1)
        name = re.search(r'data-figure="([^"]*)"', attributes).group(1)
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix), source[:40]
        figures[name] = base64.b64decode(source.removeprefix(prefix), validate=True)
    return figures


def assert_self_contained(html: str) -> None:
    for value in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html, flags=re.IGNORECASE):
        assert value.startswith("data:"), value[:60]
    assert not re.search(r"https?://", html)
    assert "<script" not in html.lower()
    assert "@import" not in html and "url(" not in html


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return holdout_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def holdout_html(source, tmp_path_factory):
    run = copy_run(source, tmp_path_factory.mktemp("html"), "20260101-000000-html-eeee")
    path = write_html(load_run_report(RunFolder(run)))
    return run, path


def test_writes_report_html_in_the_run_folder(holdout_html):
    run, path = holdout_html
    assert path == RunFolder(run).report_html and path.is_file()
    assert not list(run.glob(".*.tmp"))  # written atomically


def test_holdout_report_is_self_contained_with_every_figure(holdout_html):
    _, path = holdout_html
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert_self_contained(html)
    figures = figures_in(html)
    assert set(figures) == HOLDOUT_FIGURES
    assert all(png.startswith(PNG_SIGNATURE) for png in figures.values())
    assert "data-missing-figure" not in html
    for text in ("What was run", "Ranking of grid points", "★ chosen", "test accuracy",
                 "average precision", "diverged", "Trials that failed"):
        assert text in html, text


def test_cv_report_adds_the_fold_spread(tmp_path_factory, tmp_path):
    run = copy_run(cv_run(tmp_path_factory.getbasetemp()), tmp_path, "20260101-000000-cv-aaaa")
    report = load_run_report(RunFolder(run))
    html = write_html(report).read_text(encoding="utf-8")
    assert_self_contained(html)
    assert set(figures_in(html)) == HOLDOUT_FIGURES | {"fold_spread"}
    assert "3 folds × 1 repeat" in html


def test_interrupted_report_marks_missing_sections(source, tmp_path):
    report = load_run_report(RunFolder(make_unfinished_run(source, tmp_path, "interrupted")))
    html = write_html(report).read_text(encoding="utf-8")
    assert_self_contained(html)
    assert 'class="banner interrupted"' in html and "interrupted before it finished" in html
    assert set(figures_in(html)) == {"learning_curves", "grid_learning_curves",
                                     "validation_curves"}
    for name in ("confusion_matrix", "per_class", "precision_recall"):
        assert f'data-missing-figure="{name}"' in html
    assert "Test set scores: not available yet." in html
