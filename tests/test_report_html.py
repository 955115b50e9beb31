"""The self-contained HTML report: every figure present, embedded, nothing fetched."""

from __future__ import annotations

import base64
import json
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
    """Everything the page loads is inside it; its links go to its own sections and to the
    run's files beside it (relative, inside the run folder)."""
    for value in re.findall(r'src\s*=\s*"([^"]*)"', html, flags=re.IGNORECASE):
        assert value.startswith("data:"), value[:60]
    for value in re.findall(r'href\s*=\s*"([^"]*)"', html, flags=re.IGNORECASE):
        assert value.startswith(("data:", "#")) or (
            ":" not in value and not value.startswith("/") and ".." not in value), value[:60]
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


def test_the_page_has_contents_every_setting_and_links_to_the_run_files(holdout_html):
    run, path = holdout_html
    html = path.read_text(encoding="utf-8")
    anchors = re.findall(r'href="#([^"]+)"', html)
    assert len(anchors) >= 8
    for anchor in anchors:  # every entry of the contents leads somewhere
        assert f'id="{anchor}"' in html
    for setting in ("training.epochs", "training.batch_size", "training.optimizer",
                    "training.momentum", "training.weight_decay", "model.activation"):
        assert f"<code>{setting}</code>" in html, setting
    files = [value for value in re.findall(r'href="([^"#][^"]*)"', html)
             if not value.startswith("data:")]
    assert "config.yaml" in files and "best/predictions.csv" in files
    for value in files:
        assert (run / value).exists(), value


def test_figures_in_the_page_have_no_text_below_9_pixels():
    import pandas as pd

    from mlpsel.report import plots
    from mlpsel.report.html import FIGURE_DPI, PAGE_WIDTH_PX, enlarge_small_text

    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "validation_loss": [1, 1],
                            "train_accuracy": [0.5, 0.7], "validation_accuracy": [0.4, 0.6]})
    figure = plots.grid_learning_curves_figure({f"00{i}-x": history for i in range(8)}, "000-x")
    enlarge_small_text(figure)
    scale = min(1.0, PAGE_WIDTH_PX / (figure.get_figwidth() * FIGURE_DPI))
    from matplotlib.text import Text

    sizes = [text.get_fontsize() * FIGURE_DPI / 72 * scale for text in figure.findobj(Text)
             if text.get_text()]
    assert sizes and min(sizes) >= 9.0 - 1e-9


def test_a_runs_page_shows_the_curve_and_biasvar_runs_of_the_same_experiment(tmp_path):
    from typer.testing import CliRunner

    from mlpsel.cli import app
    from tests.conftest import QUICKSTART, TINY_OVERRIDES

    overrides = [argument for override in TINY_OVERRIDES for argument in ("--set", override)]
    for command in (["train"], ["curve", "--train-sizes", "0.25,0.5,1.0", "--folds", "2"],
                    ["biasvar", "--rounds", "2", "--train-size", "200"]):
        result = CliRunner().invoke(app, [command[0], str(QUICKSTART), *command[1:],
                                          "--runs-dir", str(tmp_path), "--quiet", *overrides])
        assert result.exit_code == 0, result.output
    other = CliRunner().invoke(app, ["biasvar", str(QUICKSTART), "--rounds", "2", "--train-size",
                                     "200", "--runs-dir", str(tmp_path), "--quiet", *overrides,
                                     "--set", "training.epochs=1"])  # another experiment
    assert other.exit_code == 0
    (train_run,) = [p for p in tmp_path.iterdir()
                    if json.loads((p / "run.json").read_text())["command"] == "train"]
    html = write_html(load_run_report(RunFolder(train_run))).read_text(encoding="utf-8")
    assert 'id="against-training-set-size"' in html and 'id="bias-and-variance"' in html
    assert 'data-figure="related-curve"' in html and 'data-figure="related-biasvar"' in html
    import yaml

    def epochs(run):
        return yaml.safe_load((run / "config.yaml").read_text())["training"]["epochs"]

    biasvar_runs = [p for p in tmp_path.iterdir()
                    if json.loads((p / "run.json").read_text())["command"] == "biasvar"]
    same, other_epochs = sorted(biasvar_runs, key=epochs, reverse=True)  # 2 epochs, then 1
    assert same.name in html  # the same experiment's run ...
    assert other_epochs.name not in html  # ... not the run with other epochs
    assert_self_contained(html)
