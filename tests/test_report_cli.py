"""``mlpsel report / runs / compare`` on real run folders: formats, RUN resolution, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from tests.report_support import copy_run, cv_run, holdout_run, make_unfinished_run


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report-cli")
    runs = base / "runs"
    runs.mkdir()
    copy_run(holdout_run(base), runs, "20260101-100000-holdout-aaaa")
    copy_run(cv_run(base), runs, "20260102-100000-kfold-bbbb")
    return runs


def invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.output


@pytest.mark.parametrize("reference", ["latest", "20260102-100000-kfold-bbbb", "20260102"])
def test_report_resolves_latest_id_and_prefix(runs_dir, reference):
    code, output = invoke("report", reference, "--runs-dir", str(runs_dir))
    assert code == 0, output
    assert "20260102-100000-kfold-bbbb" in output
    assert "mean ± std over 3 splits" in output


def test_report_by_path(runs_dir):
    code, output = invoke("report", str(runs_dir / "20260101-100000-holdout-aaaa"),
                          "--runs-dir", str(runs_dir / "elsewhere"))
    assert code == 0, output
    assert "20260101-100000-holdout-aaaa" in output


@pytest.mark.parametrize(("reference", "fragment"), [
    ("2026", "matches 2 runs"),
    ("20991231", "no run '20991231'"),
    ("/", "not a run folder"),
])
def test_report_bad_reference_is_exit_2(runs_dir, reference, fragment):
    code, output = invoke("report", reference, "--runs-dir", str(runs_dir))
    assert code == 2
    assert fragment in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_report_formats(runs_dir):
    code, markdown = invoke("report", "latest", "--format", "md", "--runs-dir", str(runs_dir))
    assert code == 0 and markdown.lstrip().startswith("#") and "| rank |" in markdown
    code, text = invoke("report", "latest", "--format", "json", "--runs-dir", str(runs_dir))
    assert code == 0
    summary = json.loads(text)
    assert summary["run_id"] == "20260102-100000-kfold-bbbb"
    code, text = invoke("report", "latest", "--format", "html", "--runs-dir", str(runs_dir))
    assert code == 0
    html_path = Path(text.strip())
    assert html_path == runs_dir / "20260102-100000-kfold-bbbb" / "report.html"
    assert html_path.read_text().count("data:image/png;base64,") >= 5
    code, text = invoke("report", "latest", "--format", "pdf", "--runs-dir", str(runs_dir))
    assert code == 2 and "'pdf' is not one of 'terminal', 'md', 'json', 'html'" in text


def test_report_of_an_interrupted_run(runs_dir, tmp_path):
    make_unfinished_run(runs_dir / "20260101-100000-holdout-aaaa", tmp_path, "interrupted")
    code, output = invoke("report", "latest", "--runs-dir", str(tmp_path))
    assert code == 0, output
    assert "interrupted" in output and "not available yet" in output


def test_runs_lists_newest_first(runs_dir):
    code, output = invoke("runs", "--runs-dir", str(runs_dir))
    assert code == 0, output
    assert output.index("20260102-100000-kfold-bbbb") < output.index("20260101-100000-holdout-aaaa")


def test_compare(runs_dir):
    code, output = invoke("compare", "20260101", "20260102", "--runs-dir", str(runs_dir))
    assert code == 0, output
    assert "cv.folds" in output or "command" in output
    code, output = invoke("compare", "20260101", "nope", "--runs-dir", str(runs_dir))
    assert code == 2 and "no run 'nope'" in output
