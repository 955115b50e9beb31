"""Bad input, table-driven, through the real command line: every case runs ``mlpsel`` in a
subprocess and checks the exit code, that stderr is one line (no traceback), what the line
names, and what is left on disk (no run folder for anything refused before a run starts, no
temporary file anywhere).

Each row is an example of a kind: configs (syntax, keys, types, values, overrides), the
command line (options, paths), data (IDX folders, tables), and run references.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mlpsel.data.idx import write_idx

TINY = ["--set", "dataset.train_subset=600", "--set", "dataset.test_subset=100", "--set",
        "split.validation=100", "--set", "training.epochs=1", "--set",
        "search.model.hidden_layers=[[8]]", "--set", "search.training.learning_rate=[0.1]"]


@dataclass
class Case:
    """``mlpsel ARGV`` in a folder that ``setup`` prepared; ``expect`` must be in the one
    stderr line; ``runs`` is how many run folders may be left (0: refused before a run)."""

    name: str
    argv: list[str]
    code: int
    expect: str
    setup: Callable[[Path], None] = lambda folder: None
    runs: int = 0


def config(text: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "c.yaml").write_text(text, encoding="utf-8")
    return write


def raw_config(data: bytes) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "c.yaml").write_bytes(data)
    return write


def idx_folder(change: Callable[[dict[str, np.ndarray]], None]) -> Callable[[Path], None]:
    """A dataset folder of the four IDX files (60 + 20 tiny images of 10 classes), changed."""
    def write(folder: Path) -> None:
        rng = np.random.default_rng(0)
        arrays = {"train-images-idx3-ubyte": rng.integers(0, 255, (60, 4, 4), dtype=np.uint8),
                  "train-labels-idx1-ubyte": np.arange(60, dtype=np.uint8) % 10,
                  "t10k-images-idx3-ubyte": rng.integers(0, 255, (20, 4, 4), dtype=np.uint8),
                  "t10k-labels-idx1-ubyte": np.arange(20, dtype=np.uint8) % 10}
        change(arrays)
        (folder / "digits").mkdir()
        for name, array in arrays.items():
            write_idx(folder / "digits" / name, array)
        (folder / "c.yaml").write_text("dataset: {path: digits}\n")
    return write


def stray_label(arrays: dict[str, np.ndarray]) -> None:
    arrays["train-labels-idx1-ubyte"][5] = 42


def fewer_labels(arrays: dict[str, np.ndarray]) -> None:
    arrays["t10k-labels-idx1-ubyte"] = arrays["t10k-labels-idx1-ubyte"][:15]


def no_images(arrays: dict[str, np.ndarray]) -> None:
    arrays["train-images-idx3-ubyte"] = arrays["train-images-idx3-ubyte"][:0]
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:0]


def broken_gzip(folder: Path) -> None:
    idx_folder(lambda arrays: None)(folder)
    path = folder / "digits" / "train-images-idx3-ubyte"
    data = gzip.compress(path.read_bytes())
    path.unlink()
    (folder / "digits" / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])


def table(text: str, extra: str = "") -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "t.csv").write_text(text)
        (folder / "c.yaml").write_text(f"dataset: {{path: t.csv, label: y}}\n{extra}")
    return write


def table_no_label(folder: Path) -> None:
    (folder / "t.csv").write_text("a,y\n1,0\n2,1\n")
    (folder / "c.yaml").write_text("dataset: {path: t.csv}\n")


def ragged_npz(folder: Path) -> None:
    np.savez(folder / "t.npz", y=np.arange(4), x=np.arange(5.0))
    (folder / "c.yaml").write_text("dataset: {path: t.npz, label: y}\n")


def object_npz(folder: Path) -> None:
    np.savez(folder / "t.npz", y=np.array([1, 2], dtype=object), x=np.array([1.0, 2.0]))
    (folder / "c.yaml").write_text("dataset: {path: t.npz, label: y}\n")


def a_finished_run(folder: Path) -> None:
    run_cli(["train", "--smoke", "--jobs", "1", "--quiet", "--runs-dir", "runs"], folder)


def damaged_run(folder: Path) -> None:
    run = folder / "runs" / "20260101-000000-x-0000"
    run.mkdir(parents=True)
    (run / "run.json").write_text("{not json")


def runs_dir_is_a_file(folder: Path) -> None:
    (folder / "runs").write_text("a file")


def run_cli(argv: list[str], folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpsel", *argv], cwd=folder,
                          capture_output=True, text=True, timeout=120)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n" for i in range(8))

CASES = [
    # -- configs: syntax and documents
    Case("yaml syntax error", ["train", "c.yaml"], 2, "c.yaml", config("training: [1, 2\n")),
    Case("tab indentation", ["train", "c.yaml"], 2, "c.yaml",
         config("training:\n\tepochs: 3\n")),
    Case("empty file", ["train", "c.yaml"], 2, "write {} to use every default", config("")),
    Case("null document", ["train", "c.yaml"], 2, "write {} to use every default",
         config("null\n")),
    Case("a list, not a mapping", ["train", "c.yaml"], 2, "c.yaml", config("- 1\n- 2\n")),
    Case("duplicate key", ["train", "c.yaml"], 2, "given twice",
         config("seed: 1\nseed: 2\n")),
    Case("alias bomb", ["train", "c.yaml"], 2, "c.yaml", config(BOMB)),
    Case("not UTF-8", ["train", "c.yaml"], 2, "c.yaml", raw_config(b"name: \xff\xfe\n")),
    Case("missing config file", ["train", "nope.yaml"], 2, "nope.yaml"),
    Case("config is a folder", ["train", "."], 2, ".: is a folder, not a config file"),
    # -- configs: keys, types, values
    Case("unknown section", ["train", "c.yaml"], 2, "trainig", config("trainig: {epochs: 2}\n")),
    Case("unknown key", ["train", "c.yaml"], 2, "training.epoch",
         config("training: {epoch: 2}\n")),
    Case("wrong type", ["train", "c.yaml"], 2, "training.epochs",
         config("training: {epochs: ten}\n")),
    Case("quoted number", ["train", "c.yaml"], 2, "training.learning_rate",
         config("training: {learning_rate: '0.1'}\n")),
    Case("negative epochs", ["train", "c.yaml"], 2, "training.epochs: must be at least 1",
         config("training: {epochs: -1}\n")),
    Case("zero batch", ["train", "c.yaml"], 2, "training.batch_size",
         config("training: {batch_size: 0}\n")),
    Case("infinite learning rate", ["train", "c.yaml"], 2, "training.learning_rate",
         config("training: {learning_rate: .inf}\n")),
    Case("momentum of 1.5", ["train", "c.yaml"], 2, "training.momentum: must be in [0, 1)",
         config("training: {momentum: 1.5}\n")),
    Case("unknown optimizer", ["train", "c.yaml"], 2, "training.optimizer",
         config("training: {optimizer: adamw}\n")),
    Case("unknown metric", ["train", "c.yaml"], 2, "selection.metric",
         config("selection: {metric: validation_auc}\n")),
    Case("empty search list", ["train", "c.yaml"], 2, "search",
         config("search: {training.learning_rate: []}\n")),
    Case("name with a path", ["train", "c.yaml"], 2, "name: must be a short name",
         config("name: ../../evil\n")),
    Case("name too long", ["train", "c.yaml"], 2, "name: must be 1 to 100 characters",
         config(f"name: {'n' * 300}\n")),
    Case("unknown dataset", ["train", "c.yaml"], 2, "did you mean 'mnist'",
         config("dataset: mnsit\n")),
    Case("dataset folder missing", ["train", "c.yaml"], 2, "no such folder 'nowhere'",
         config("dataset: {path: nowhere}\n")),
    Case("table without its label", ["train", "c.yaml"], 2, "dataset.label", table_no_label),
    # -- overrides and options
    Case("--set without =", ["train", "--set", "training.epochs"], 2, "--set"),
    Case("--set unknown key", ["train", "--set", "training.epoc=3"], 2, "training.epoc"),
    Case("--set shadowed by the search", ["train", "--set", "training.learning_rate=0.01"], 2,
         "the search varies training.learning_rate"),
    Case("--set of a whole search", ["train", "--set", "search=[1, 2]"], 2,
         "give one entry at a time"),
    Case("--set of the executor", ["train", "--set", "executor.name=slurm"], 2,
         "given by --executor"),
    Case("--set of a key in no section", ["train", "--set", "qqq=1"], 2,
         "valid: name, seed, dataset, split"),
    Case("negative seed", ["train", "--set", "seed=-1"], 2,
         "seed: must be a whole number of at least 0"),
    Case("epochs for days", ["train", "--set", "training.epochs=99999999"], 2,
         "over 12 hours"),
    Case("a layer too wide for the disk", ["train", "--set",
                                            "search.model.hidden_layers=[[100000000]]"], 2,
         "GB on disk"),
    Case("--set bad YAML", ["train", "--set", "search.training.learning_rate=[0.1"], 2,
         "--set"),
    Case("--jobs 0", ["train", "--jobs", "0"], 2, "--jobs"),
    Case("--folds 1", ["cv", "--folds", "1"], 2, "--folds"),
    Case("unknown option", ["train", "--epochs", "3"], 2, "No such option: --epochs"),
    Case("unknown command", ["trian"], 2, "Did you mean 'train'"),
    Case("bad --fail-under", ["train", "--fail-under", "accuracy"], 2, "--fail-under"),
    Case("--data-dir missing", ["train", "--data-dir", "nowhere"], 2, "no such folder"),
    Case("batch larger than the training part",
         ["train", *TINY, "--set", "training.batch_size=600"], 2,
         "training.batch_size: 600 samples per mini-batch"),
    Case("subset larger than the dataset", ["train", "--set", "dataset.train_subset=9000"], 2,
         "dataset.train_subset: 9,000 training samples asked for"),
    Case("validation part larger than the data", ["train", "--set", "split.validation=7000"],
         2, "split.validation: 7000 is not valid"),
    Case("more folds than samples",
         ["cv", "--folds", "700", "--set", "dataset.train_subset=600"], 2,
         "cv.folds: cannot split 600 samples into 700 folds"),
    Case("over a thousand trials",
         ["train", "--set", "search.training.learning_rate=[" +
          ", ".join(f"0.{i:04d}" for i in range(1, 1100)) + "]"], 2,
         "(over 1,000 trials); give --yes"),
    # -- data
    Case("stray label", ["train", "c.yaml", "--smoke"], 2, "label 42 appears 1 time(s)",
         idx_folder(stray_label)),
    Case("labels and images of different counts", ["train", "c.yaml", "--smoke"], 2,
         "15 labels for 20 images", idx_folder(fewer_labels)),
    Case("no images", ["train", "c.yaml", "--smoke"], 2, "holds 0 images",
         idx_folder(no_images)),
    Case("truncated gzip", ["train", "c.yaml", "--smoke"], 2, "train-images-idx3-ubyte.gz",
         broken_gzip),
    Case("table: no label column", ["train", "c.yaml"], 2, "no label column 'y'; columns: a, b",
         table("a,b\n1,2\n3,4\n")),
    Case("table: text in a feature", ["train", "c.yaml"], 2, "t.csv",
         table("a,y\n1,0\nabc,1\n2,0\n3,1\n")),
    Case("table: one class", ["train", "c.yaml"], 2, "one class",
         table("a,y\n1,0\n2,0\n3,0\n")),
    Case("table: a column given twice", ["train", "c.yaml"], 2,
         "t.csv: column 'a' is given twice in the header", table("a,a,y\n1,2,0\n3,4,1\n")),
    Case("table: arrays of different lengths", ["train", "c.yaml"], 2,
         "different numbers of rows", ragged_npz),
    Case("table: pickled NPZ", ["train", "c.yaml"], 2, "pickled", object_npz),
    # -- runs
    Case("report of no run", ["report", "nope"], 2, "no run 'nope'"),
    Case("report outside the runs", ["report", "../../etc"], 2, "../../etc"),
    Case("report of a damaged run", ["report", "20260101-000000-x-0000"], 2,
         "20260101-000000-x-0000", damaged_run, runs=1),
    Case("compare with a missing run", ["compare", "latest", "nope"], 2, "nope",
         a_finished_run, runs=1),
    Case("--resume of no run", ["train", "--resume", "nope"], 2, "nope"),
    Case("--resume of another command's run", ["cv", "--smoke", "--resume", "latest"], 2,
         "no 'cv' run", a_finished_run, runs=1),
    Case("runs dir is a file", ["train", "--smoke", "--jobs", "1"], 2,
         "runs: cannot create the run folder", runs_dir_is_a_file),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_line_and_leaves_nothing_behind(case: Case, tmp_path: Path) -> None:
    case.setup(tmp_path)
    argv = list(case.argv)
    if argv[0] in ("train", "cv") and "--runs-dir" not in argv:
        argv += ["--runs-dir", "runs"]
    process = run_cli(argv, tmp_path)
    assert process.returncode == case.code, (process.stdout, process.stderr)
    assert "Traceback" not in process.stderr + process.stdout
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("error: ")
    assert case.expect in lines[0], lines[0]
    runs = tmp_path / "runs"
    if runs.is_dir():
        assert len([p for p in runs.iterdir() if p.is_dir()]) == case.runs
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.part"))
