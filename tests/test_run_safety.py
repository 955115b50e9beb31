"""A RUN argument, a runs folder and a run folder can only make mlpsel read and write where the
user pointed it: no reference escapes ``--runs-dir`` unless it is a path to a run folder, no
symbolic link is followed, no config name builds a folder elsewhere, no pickle is loaded, no
file system error or damaged file becomes a traceback."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mlpsel.cli import app
from mlpsel.config import load_config
from mlpsel.errors import ConfigError, DataError, RunNotFound, StorageError
from mlpsel.report.html import write_html
from mlpsel.report.json_report import render_json
from mlpsel.report.loading import load_run_report
from mlpsel.report.markdown import render_markdown
from mlpsel.report.runs import compare_run_data, list_run_rows, runs_table
from mlpsel.report.terminal import render_terminal
from mlpsel.store import (
    RunFolder,
    create_run,
    escaping_links,
    find_run_to_continue,
    list_runs,
    load_model,
    new_run_id,
    resolve_run,
    write_json,
)
from tests.conftest import QUICKSTART
from tests.report_support import REPORT_OVERRIDES, copy_run, edit_json, holdout_run

RUN_ID = "20260101-100000-safe-aaaa"
LINKED_ID = "20260102-100000-linked-bbbb"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return holdout_run(tmp_path_factory.getbasetemp())


@pytest.fixture
def runs_dir(source, tmp_path) -> Path:
    runs = tmp_path / "runs"
    copy_run(source, runs, RUN_ID)
    return runs


@pytest.fixture
def outside(source, tmp_path) -> Path:
    """A real run folder outside ``runs/``, for links to point at."""
    return copy_run(source, tmp_path / "elsewhere", "20260103-100000-outside-cccc")


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every path mlpsel opens or lists while the test runs, links resolved."""
    seen: list[str] = []

    def note(path) -> None:
        if isinstance(path, (str, bytes, os.PathLike)):
            seen.append(os.path.realpath(os.fsdecode(path)))

    def wrap(function):
        def recorded(path=".", *args, **kwargs):
            note(path)
            return function(path, *args, **kwargs)
        return recorded

    for module, name in ((io, "open"), (builtins, "open"), (os, "open"), (os, "listdir"),
                         (os, "scandir")):
        monkeypatch.setattr(module, name, wrap(getattr(module, name)))
    return seen


def touched(seen: list[str], folder: Path) -> list[str]:
    root = os.path.realpath(folder)
    return [path for path in seen if path == root or path.startswith(root + os.sep)]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``folder`` with its size and modification time (links not followed)."""
    return {str(path.relative_to(folder)): (path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))}


def invoke(*arguments: str):
    return CliRunner().invoke(app, list(arguments))


def assert_one_line_error(result, *fragments: str) -> str:
    """Exit 2, one line on stderr holding every fragment, no traceback, nothing uncaught."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def run_mlpsel(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "mlpsel", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=environment)


def status_of(run: Path) -> str:
    return json.loads((run / "run.json").read_text())["status"]


@pytest.fixture
def fast_html(monkeypatch):
    """Skip drawing the figures: these tests are about where the page is written."""
    monkeypatch.setattr("mlpsel.report.html.render_html", lambda report: "<html>new</html>")


# ---------------------------------------------------------------------------------------------
# 1. A RUN argument reads outside the runs folder only when it is a path to a run folder


def test_a_bare_word_is_looked_up_in_the_runs_folder_only(runs_dir, outside, tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(outside.parent)  # the word names a run folder here, not in runs/
    with pytest.raises(RunNotFound, match=f"no run '{outside.name}' in {runs_dir}"):
        resolve_run(outside.name, runs_dir)
    assert resolve_run(f"./{outside.name}", runs_dir).path == Path(f"./{outside.name}")
    assert resolve_run(str(outside), runs_dir).path == outside  # a path: wherever it is
    assert resolve_run(RUN_ID, runs_dir).path == runs_dir / RUN_ID
    assert resolve_run("20260101", runs_dir).path == runs_dir / RUN_ID


@pytest.mark.parametrize("reference", ["", " ", "..", ".", "/", "../../etc", f"{RUN_ID}/..",
                                       f"{RUN_ID}/trials", "../../no/such/folder",
                                       "x" * 5000, f"../{RUN_ID}"])
def test_references_that_are_no_run_folder_are_refused(runs_dir, tmp_path, monkeypatch,
                                                       reference):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # beside runs/: ".." is no run folder either
    with pytest.raises(RunNotFound) as raised:
        resolve_run(reference, runs_dir)
    assert "\n" not in str(raised.value)


def test_report_of_a_path_outside_reads_and_writes_nothing_there(runs_dir, tmp_path,
                                                                 monkeypatch, opened):
    etc = tmp_path / "etc"  # ../../etc from runs/<run>/, with files a report would read
    etc.mkdir()
    (etc / "summary.json").write_text('{"secret": 1}')
    (etc / "config.yaml").write_text("secret: 1\n")
    (etc / "passwd").write_text("root:x:0:0\n")
    before = tree(etc)
    monkeypatch.chdir(runs_dir / RUN_ID)
    opened.clear()
    for output_format in ("terminal", "html", "json"):
        result = invoke("report", "../../etc", "--format", output_format,
                        "--runs-dir", str(runs_dir))
        assert_one_line_error(result, "../../etc", "not a run folder", "run.json")
    assert touched(opened, etc) == []
    assert tree(etc) == before


def test_report_of_etc_is_one_line_in_a_real_process(tmp_path):
    for reference in ("/etc", "../../etc", "../../../tmp"):
        completed = run_mlpsel("report", reference, "--format", "html", "--runs-dir",
                               str(tmp_path / "runs"), cwd=tmp_path)
        assert completed.returncode == 2, completed.stderr
        assert len(completed.stderr.strip().splitlines()) == 1, completed.stderr
        assert "Traceback" not in completed.stderr and "run folder" in completed.stderr


# ---------------------------------------------------------------------------------------------
# 2. Symbolic links are never followed for reading, nor written through


def test_a_linked_run_in_the_runs_folder_is_listed_as_damaged_and_never_read(
        runs_dir, outside, opened):
    (runs_dir / LINKED_ID).symlink_to(outside, target_is_directory=True)
    opened.clear()
    assert [run.run_id for run in list_runs(runs_dir)] == [RUN_ID]
    rows = {row["run_id"]: row for row in list_run_rows(runs_dir)}
    assert rows[LINKED_ID]["status"] == "damaged"
    assert "symbolic link pointing outside" in rows[LINKED_ID]["problem"]
    assert rows[RUN_ID]["status"] == "finished" and rows[RUN_ID]["problem"] is None
    for reference in (LINKED_ID, "20260102", str(runs_dir / LINKED_ID),
                      str(runs_dir / LINKED_ID) + "/"):
        with pytest.raises(RunNotFound, match="a symbolic link pointing outside"):
            resolve_run(reference, runs_dir)
    assert resolve_run("latest", runs_dir).run_id == RUN_ID  # newer, but not followed
    assert touched(opened, runs_dir / RUN_ID)  # the recorder sees reads...
    assert touched(opened, outside) == []  # ...and none went through the link


def test_cli_refuses_a_linked_run_and_lists_it_as_damaged(runs_dir, outside, fast_html):
    (runs_dir / LINKED_ID).symlink_to(outside, target_is_directory=True)
    before = tree(outside)
    for command in (["report", LINKED_ID], ["report", LINKED_ID, "--format", "html"],
                    ["compare", RUN_ID, LINKED_ID]):
        result = invoke(*command, "--runs-dir", str(runs_dir))
        assert_one_line_error(result, LINKED_ID, "symbolic link pointing outside")
    result = invoke("runs", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0, result.output
    assert LINKED_ID in result.output and "damaged" in result.output
    assert "symbolic link" in " ".join(result.output.split())
    assert tree(outside) == before


def test_a_real_process_refuses_a_linked_run(runs_dir, outside):
    (runs_dir / LINKED_ID).symlink_to(outside, target_is_directory=True)
    completed = run_mlpsel("report", LINKED_ID, "--runs-dir", str(runs_dir), cwd=runs_dir)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert "symbolic link pointing outside" in completed.stderr


def test_files_linked_from_outside_the_run_are_not_read(runs_dir, outside, opened):
    run = runs_dir / RUN_ID
    for name in ("trials", "best", "summary.json", "config.yaml"):
        target = run / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.symlink_to(outside / name)
    opened.clear()
    report = load_run_report(RunFolder(run))
    assert report.results is None and report.per_class is None and report.summary == {}
    assert report.config == {} and report.histories == {}
    problems = " ".join(report.problems)
    for name in ("trials", "best/per_class.csv", "summary.json", "config.yaml"):
        assert f"{name}: a symbolic link pointing outside the run folder" in problems, name
    assert touched(opened, run / "run.json")
    assert touched(opened, outside) == []
    row = next(row for row in list_run_rows(runs_dir) if row["run_id"] == RUN_ID)
    assert row["status"] == "damaged" and "summary.json: a symbolic link" in row["problem"]


def test_a_linked_run_json_makes_the_folder_no_run(runs_dir, outside):
    run = runs_dir / RUN_ID
    (run / "run.json").unlink()
    (run / "run.json").symlink_to(outside / "run.json")
    assert list_runs(runs_dir) == []
    for reference in (str(run), RUN_ID):
        with pytest.raises(DataError, match="run.json: a symbolic link .* not follow"):
            resolve_run(reference, runs_dir)
    with pytest.raises(RunNotFound, match="no runs"):
        resolve_run("latest", runs_dir)


@pytest.fixture
def config():
    return load_config(QUICKSTART, REPORT_OVERRIDES)


def test_resume_never_continues_a_run_with_links_leading_outside(runs_dir, outside, config):
    run = runs_dir / RUN_ID
    edit_json(run / "run.json", status="interrupted", pid=None)
    found = find_run_to_continue(runs_dir, "train", config, 1, None)
    assert found is not None and found.run_id == RUN_ID  # continued without the link...
    shutil.rmtree(run / "best")
    (run / "best").symlink_to(outside / "best")
    assert escaping_links(run) == [run / "best"]
    assert find_run_to_continue(runs_dir, "train", config, 1, None) is None  # ...not with it
    for resume in (str(run), RUN_ID, "latest"):
        with pytest.raises(DataError, match="best: a symbolic link pointing outside the run"):
            find_run_to_continue(runs_dir, "train", config, 1, resume)


def test_html_report_replaces_a_linked_report_html_never_its_target(runs_dir, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = runs_dir / RUN_ID / "report.html"
    link.symlink_to(precious)
    result = invoke("report", RUN_ID, "--format", "html", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0, result.output
    assert precious.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text().startswith("<!DOCTYPE html>")


def test_write_html_refuses_a_run_folder_that_is_a_link(runs_dir, outside, fast_html):
    (runs_dir / LINKED_ID).symlink_to(outside, target_is_directory=True)
    report = load_run_report(RunFolder(runs_dir / RUN_ID))
    report.run = RunFolder(runs_dir / LINKED_ID)
    with pytest.raises(StorageError, match="a symbolic link; the report is not written"):
        write_html(report)
    assert not (outside / "report.html").exists()


# ---------------------------------------------------------------------------------------------
# 3. A config name never builds a run folder outside the runs folder


@pytest.mark.parametrize("name", ["../../evil", "a/b", "..", ".hidden", "/tmp/evil"])
def test_config_refuses_a_name_with_a_path(name, tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(QUICKSTART, [f"name={name}"])
    assert raised.value.key == "name"
    config_file = tmp_path / "evil.yaml"
    config_file.write_text(f"name: {json.dumps(name)}\n")
    with pytest.raises(ConfigError, match="name: must be"):
        load_config(config_file)
    result = invoke("train", str(config_file), "--smoke", "--jobs", "1", "--quiet",
                    "--runs-dir", str(tmp_path / "runs"))
    assert_one_line_error(result, "name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml"]


@pytest.mark.parametrize("name", ["../../evil", "a/b", "a\\b", ".x", "..", "a\0b"])
def test_new_run_id_and_create_run_refuse_names_reaching_outside(name, tmp_path):
    with pytest.raises(ConfigError, match="letters, digits, '-', '_' and '.'") as raised:
        new_run_id(name)
    assert raised.value.key == "name" and "\n" not in str(raised.value)
    with pytest.raises(ConfigError):
        create_run(tmp_path / "runs", name, "train")
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*")] in ([], [Path("runs")])


def test_new_run_id_keeps_ordinary_names(tmp_path):
    assert new_run_id("quick start!").split("-")[2:4] == ["quick", "start"]
    run = create_run(tmp_path / "runs", "x..y_z", "train")
    assert run.path.parent == tmp_path / "runs"


# ---------------------------------------------------------------------------------------------
# 4. A model file holding pickled objects is refused, and refusing it changes nothing


class _Payload:
    """Unpickling this makes a folder: proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def write_pickled_model(path: Path, marker: Path) -> None:
    """An .npz a model file could look like, with one array of pickled Python objects."""
    with np.load(path, allow_pickle=False) as model:
        arrays = {name: model[name] for name in model.files}
    arrays["W1"] = np.array([_Payload(marker)], dtype=object)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def test_a_model_with_python_objects_is_refused_unloaded(runs_dir, tmp_path):
    marker = tmp_path / "unpickled"
    model = runs_dir / RUN_ID / "best" / "model.npz"
    load_model(model)  # a real model loads
    write_pickled_model(model, marker)
    raw_pickle, npy = tmp_path / "pickle.npz", tmp_path / "objects.npz"
    raw_pickle.write_bytes(pickle.dumps({"W1": _Payload(marker)}))
    with open(npy, "wb") as file:
        np.save(file, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    for path in (model, raw_pickle, npy):
        with pytest.raises(DataError) as raised:
            load_model(path)
        message = str(raised.value)
        assert message.startswith(f"{path}: holds Python objects (pickled), which mlpsel never "
                                  "loads"), message
        assert "\n" not in message
    assert not marker.exists()


def test_a_truncated_or_foreign_model_is_one_line(runs_dir, tmp_path):
    model = runs_dir / RUN_ID / "best" / "model.npz"
    data = model.read_bytes()
    cases = {"truncated.npz": data[: len(data) // 2], "head.npz": data[:30], "empty.npz": b"",
             "text.npz": b"not a model\n", "array.npz": None}
    for name, content in cases.items():
        path = tmp_path / name
        if content is None:
            np.save(open(path, "wb"), np.zeros(3))  # noqa: SIM115 - closed at exit of test
        else:
            path.write_bytes(content)
        with pytest.raises(DataError, match="not a readable mlpsel model file") as raised:
            load_model(path)
        assert "\n" not in str(raised.value) and str(path) in str(raised.value)
    with pytest.raises(DataError, match="model file not found"):
        load_model(tmp_path)
    with pytest.raises(DataError, match="model file not found"):
        load_model(tmp_path / "missing.npz")


def test_a_pickled_model_never_turns_a_finished_run_into_a_failed_one(runs_dir, tmp_path,
                                                                      fast_html):
    run = runs_dir / RUN_ID
    marker = tmp_path / "unpickled"
    models = [run / "best" / "model.npz", *sorted(run.glob("trials/*/model.npz"))]
    for model in models:
        write_pickled_model(model, marker)
    before = (run / "run.json").read_text()
    assert status_of(run) == "finished"
    for output_format in ("terminal", "json", "html"):  # a report needs no model
        result = invoke("report", RUN_ID, "--format", output_format, "--runs-dir", str(runs_dir))
        assert result.exit_code == 0, result.output
    overrides = [argument for o in REPORT_OVERRIDES for argument in ("--set", o)]
    result = invoke("train", str(QUICKSTART), *overrides, "--resume", RUN_ID, "--jobs", "1",
                    "--runs-dir", str(runs_dir))
    assert result.exit_code == 0 and "is finished; it is left as it is" in result.output
    with pytest.raises(DataError, match="holds Python objects"):
        load_model(models[0])
    assert (run / "run.json").read_text() == before and status_of(run) == "finished"
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# 5. Writing the HTML report into a run folder that cannot take it


def _refuse_temp_files(monkeypatch, error: OSError) -> None:
    def refuse(folder, prefix, suffix):
        raise error
    monkeypatch.setattr("mlpsel.atomic.create_temp_file", refuse)


def test_html_into_a_read_only_run_is_one_line_and_leaves_nothing(runs_dir, monkeypatch,
                                                                  fast_html):
    run = runs_dir / RUN_ID
    before = tree(run)
    _refuse_temp_files(monkeypatch, PermissionError(errno.EACCES, "Permission denied",
                                                    str(run / ".report.html.x.tmp")))
    with pytest.raises(StorageError) as raised:
        write_html(load_run_report(RunFolder(run)))
    assert str(raised.value) == f"{run / 'report.html'}: cannot write (Permission denied)"
    result = invoke("report", RUN_ID, "--format", "html", "--runs-dir", str(runs_dir))
    assert_one_line_error(result, f"{run / 'report.html'}: cannot write (Permission denied)")
    assert tree(run) == before


def test_a_full_disk_leaves_the_old_report_whole(runs_dir, monkeypatch, fast_html):
    run = runs_dir / RUN_ID
    (run / "report.html").write_text("<html>old</html>")
    before = tree(run)

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageError, match=r"report.html: cannot write \(No space left"):
        write_html(load_run_report(RunFolder(run)))
    assert tree(run) == before and (run / "report.html").read_text() == "<html>old</html>"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that bind (root writes anyway)")
def test_html_into_a_chmod_read_only_run(runs_dir, fast_html):
    run = runs_dir / RUN_ID
    run.chmod(0o555)
    try:
        result = invoke("report", RUN_ID, "--format", "html", "--runs-dir", str(runs_dir))
        assert_one_line_error(result, "report.html: cannot write (Permission denied)")
        assert not (run / "report.html").exists()
    finally:
        run.chmod(0o755)


# ---------------------------------------------------------------------------------------------
# 6. Damaged run folders: listed as damaged, refused by name in one line, never a crash

DAMAGED_RUN_JSON = {
    "missing": None,
    "not-json": b"{not json",
    "not-utf8": b"\xff\xfe\x00garbage",
    "a-list": b"[1, 2]",
    "wrong-types": json.dumps({"status": 5, "started": 20260101, "n_grid_points": "six",
                               "argv": "train", "split": [1], "seconds": "long"}).encode(),
    "a-folder": "folder",
}


def damage_run_json(run: Path, how: str) -> None:
    (run / "run.json").unlink()
    content = DAMAGED_RUN_JSON[how]
    if content == "folder":
        (run / "run.json").mkdir()
    elif content is not None:
        (run / "run.json").write_bytes(content)


@pytest.mark.parametrize("how", sorted(DAMAGED_RUN_JSON))
def test_a_damaged_run_json(runs_dir, source, how):
    damaged = runs_dir / "20260105-100000-damaged-dddd"
    copy_run(source, runs_dir, damaged.name)
    damage_run_json(damaged, how)
    rows = {row["run_id"]: row for row in list_run_rows(runs_dir)}
    assert rows[damaged.name]["status"] == "damaged" and rows[damaged.name]["problem"]
    assert rows[RUN_ID]["status"] == "finished"
    runs_table(runs_dir)
    result = invoke("runs", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0, result.output
    assert damaged.name in result.output and "damaged" in result.output
    fragment = "not a run folder" if how == "missing" else "run.json"
    for command in (["report", damaged.name], ["report", "20260105"],
                    ["report", str(damaged)], ["compare", RUN_ID, damaged.name],
                    ["compare", damaged.name, "latest"]):
        assert_one_line_error(invoke(*command, "--runs-dir", str(runs_dir)), fragment)
    assert resolve_run("latest", runs_dir).run_id == RUN_ID  # newer, but damaged: skipped
    report = load_run_report(RunFolder(damaged))  # the library reads what it can
    for render in (render_terminal, render_markdown, render_json):
        render(report)
    compare_run_data(RunFolder(runs_dir / RUN_ID), RunFolder(damaged))


def test_wrong_types_in_run_json_are_left_out_of_a_report(runs_dir):
    run = runs_dir / RUN_ID
    edit_json(run / "run.json", status=5, n_grid_points="six", seconds="long", split=[1])
    report = load_run_report(RunFolder(run))
    summary = json.loads((run / "summary.json").read_text())  # the fields fall back to it
    assert report.status == "unknown" and report.seconds == summary["seconds"]
    assert report.split_sizes == summary["split"] and report.n_grid_points == 6
    problems = " ".join(report.problems)
    assert "'n_grid_points' is \"six\", not an integer" in problems
    assert "'seconds' is \"long\", not a number" in problems
    render_terminal(report), render_markdown(report), render_json(report)


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"\xff",
                                     json.dumps({"best": [], "test": "x", "seconds": "s",
                                                 "readings": 3}).encode()])
def test_a_damaged_summary_json(runs_dir, source, content):
    other = copy_run(source, runs_dir, "20260104-100000-other-eeee")
    (runs_dir / RUN_ID / "summary.json").write_bytes(content)
    row = next(row for row in list_run_rows(runs_dir) if row["run_id"] == RUN_ID)
    assert row["status"] == "damaged" and row["problem"].startswith("summary.json")
    result = invoke("runs", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0 and "damaged" in result.output, result.output
    report = load_run_report(RunFolder(runs_dir / RUN_ID))
    assert report.summary == {} or "best" not in report.summary
    assert any(problem.startswith("summary.json") for problem in report.problems)
    render_terminal(report), render_markdown(report), render_json(report)
    for command in (["report", RUN_ID], ["report", RUN_ID, "--format", "json"],
                    ["compare", RUN_ID, other.name]):
        result = invoke(*command, "--runs-dir", str(runs_dir))
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output


def test_runs_of_a_folder_that_is_no_runs_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    for runs in (tmp_path / "file", tmp_path / "missing"):
        result = invoke("runs", "--runs-dir", str(runs))
        assert result.exit_code == 0 and "no runs in" in result.output
    write_json(tmp_path / "runs" / "not-a-run" / "notes.json", {})
    assert list_run_rows(tmp_path / "runs") == []  # a folder not named like a run: not listed
