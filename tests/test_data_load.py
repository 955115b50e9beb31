"""Loading datasets: the shipped subset, folders, names, the lookup order, the verified cache and
(slow) full MNIST. Nothing here downloads: every load has ``download=False`` or local data."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import time
from pathlib import Path

import numpy as np
import pytest

from mlpsel.data import Dataset, DatasetSpec, FileSpec, dataset_names, load_dataset, write_idx
from mlpsel.data import cache as data_cache
from mlpsel.data.idx import encode_idx
from mlpsel.data.registry import MNIST_MINI, ROLES, STANDARD_FILE_NAMES, get_spec
from mlpsel.errors import DataError

FULL_MNIST_DIR = os.environ.get("MLPSEL_DATA_DIR")
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPSEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MLPSEL_DATA_DIR", raising=False)


def fake_arrays(n_train: int = 20, n_test: int = 10, n_classes: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "train_images": rng.integers(0, 256, size=(n_train, 3, 3), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % n_classes).astype(np.uint8),
        "test_images": rng.integers(0, 256, size=(n_test, 3, 3), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % n_classes).astype(np.uint8),
    }


ARRAYS = fake_arrays()
SPEC = DatasetSpec(
    name="fake",
    files=tuple(
        FileSpec(role, STANDARD_FILE_NAMES[role],
                 hashlib.sha256(encode_idx(ARRAYS[role])).hexdigest())
        for role in ROLES
    ),
    mirrors=("http://127.0.0.1:9/never-contacted/",),
)


def write_dataset(folder: Path, arrays: dict[str, np.ndarray], compress: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for role, array in arrays.items():
        name = STANDARD_FILE_NAMES[role] + (".gz" if compress else "")
        write_idx(folder / name, array, compress=compress)
    return folder


def count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every SHA-256 the cache module computes."""
    calls: list[int] = []
    original = data_cache.sha256_hex

    def counting(content: object) -> str:
        calls.append(1)
        return original(content)

    monkeypatch.setattr(data_cache, "sha256_hex", counting)
    return calls


# ---------------------------------------------------------------------------------------------
# mnist-mini


def test_mnist_mini_shapes_dtypes_and_balanced_classes() -> None:
    data = load_dataset("mnist-mini")
    assert isinstance(data, Dataset)
    assert data.name == "mnist-mini" and data.source == "package"
    assert data.train_images.shape == (6000, 784) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (1000, 784) and data.test_images.dtype == np.uint8
    assert data.train_labels.shape == (6000,) and data.train_labels.dtype == np.int64
    assert data.test_labels.shape == (1000,) and data.test_labels.dtype == np.int64
    assert data.train_images.flags.c_contiguous and data.test_images.flags.c_contiguous
    assert np.bincount(data.train_labels).tolist() == [600] * 10
    assert np.bincount(data.test_labels).tolist() == [100] * 10
    assert data.n_features == 784 and data.n_classes == 10
    assert data.class_names == tuple("0123456789")
    assert 0 < data.train_images.mean() < 255  # real images, not blank
    assert "mnist-mini" in repr(data) and "(6000, 784)" in repr(data)


def test_dataset_arrays_are_read_only() -> None:
    data = load_dataset("mnist-mini")
    with pytest.raises(ValueError, match="read-only"):
        data.train_images[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        data.test_labels[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"  # type: ignore[misc]


def test_mnist_mini_checksums_are_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "0" * 64
    files = tuple(dataclasses.replace(file, sha256=wrong) if file.role == "test_labels" else file
                  for file in MNIST_MINI.files)
    with pytest.raises(DataError) as caught:
        load_dataset(dataclasses.replace(MNIST_MINI, files=files))
    message = str(caught.value)
    assert "t10k-labels-idx1-ubyte.gz: checksum mismatch" in message
    assert wrong in message and MNIST_MINI.file("test_labels").sha256 in message


def test_mnist_mini_ships_with_attribution() -> None:
    folder = MNIST_MINI.package_dir
    assert folder is not None
    attribution = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for words in ("Yann LeCun", "Corinna Cortes", "Burges", "CC BY-SA 3.0", "20261128"):
        assert words in attribution
    total = sum((folder / f"{name}.gz").stat().st_size for name in STANDARD_FILE_NAMES.values())
    assert total < 2_000_000


# ---------------------------------------------------------------------------------------------
# names and folders


def test_dataset_names() -> None:
    assert dataset_names() == ["mnist", "fashion-mnist", "mnist-mini"]
    assert get_spec("fashion-mnist").class_names == (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
        "Bag", "Ankle boot",
    )
    assert get_spec("mnist").class_names == tuple(str(digit) for digit in range(10))


@pytest.mark.parametrize(("name", "suggestion"), [("mnst", "mnist"), ("fashion_mnist",
                                                   "fashion-mnist"), ("mnist_mini", "mnist-mini")])
def test_unknown_name_suggests_the_closest(name: str, suggestion: str) -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(name)
    message = str(caught.value)
    assert message.startswith(f"unknown dataset '{name}'")
    assert f"did you mean '{suggestion}'?" in message
    assert "valid: mnist, fashion-mnist, mnist-mini, or {path: ...}" in message


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(DataError) as caught:
        load_dataset("cifar10")
    assert "did you mean" not in str(caught.value)


def test_path_dataset_mixing_gzip_and_raw(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "mine", {k: v for k, v in ARRAYS.items() if "train" in k})
    write_dataset(folder, {k: v for k, v in ARRAYS.items() if "test" in k}, compress=False)
    data = load_dataset({"path": str(folder)})
    assert data.name == "mine" and data.source == str(folder.resolve())
    assert data.train_images.shape == (20, 9) and data.n_features == 9
    np.testing.assert_array_equal(data.test_images, ARRAYS["test_images"].reshape(10, 9))
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert data.train_labels.dtype == np.int64
    assert data.class_names == tuple(str(digit) for digit in range(10))


def test_path_dataset_with_more_classes(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "wide", fake_arrays(n_train=24, n_test=12, n_classes=12))
    data = load_dataset({"path": folder})
    assert data.n_classes == 12 and data.class_names[-1] == "11"


def test_path_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset folder not found"):
        load_dataset({"path": str(tmp_path / "absent")})
    partial = write_dataset(tmp_path / "partial", {"train_images": ARRAYS["train_images"]})
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte, t10k-images"):
        load_dataset({"path": partial})
    with pytest.raises(DataError, match="exactly one key, 'path'"):
        load_dataset({"path": partial, "name": "x"})
    mismatched = dict(ARRAYS, train_labels=ARRAYS["train_labels"][:-1])
    folder = write_dataset(tmp_path / "mismatched", mismatched)
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load_dataset({"path": folder})
    floats = dict(ARRAYS, test_images=ARRAYS["test_images"].astype(np.float32))
    folder = write_dataset(tmp_path / "floats", floats)
    with pytest.raises(DataError, match="images must be uint8"):
        load_dataset({"path": folder})


def test_path_dataset_reports_a_broken_file(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "broken", ARRAYS)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(ARRAYS["test_images"])[:-5]))
    with pytest.raises(DataError, match=f"^{path}: truncated"):
        load_dataset({"path": folder})


# ---------------------------------------------------------------------------------------------
# lookup order and the verified cache


def test_lookup_order_data_dir_argument_then_environment_then_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argument_dir = tmp_path / "argument"
    environment_dir = tmp_path / "environment"
    write_dataset(argument_dir / "fake", ARRAYS)
    write_dataset(environment_dir / "fake", ARRAYS, compress=False)
    cache = tmp_path / "cache"
    write_dataset(cache / "fake", ARRAYS)

    assert load_dataset(SPEC, download=False).source == str(cache / "fake")
    monkeypatch.setenv("MLPSEL_DATA_DIR", str(environment_dir))
    assert load_dataset(SPEC, download=False).source == str(environment_dir / "fake")
    data = load_dataset(SPEC, data_dir=argument_dir, download=False)
    assert data.source == str(argument_dir / "fake")
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])


def test_cache_dir_argument_beats_environment(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    write_dataset(other / "fake", ARRAYS)
    assert load_dataset(SPEC, cache_dir=other, download=False).source == str(other / "fake")


def test_a_bad_file_in_the_data_dir_is_never_used(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_dataset(tmp_path / "cache" / "fake", ARRAYS)  # a good copy in the cache
    corrupted = dict(ARRAYS, train_labels=ARRAYS["train_labels"][::-1].copy())
    write_dataset(data_dir / "fake", corrupted)
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, data_dir=data_dir, download=False)
    message = str(caught.value)
    assert message.startswith(f"{data_dir / 'fake' / 'train-labels-idx1-ubyte.gz'}: checksum")
    assert SPEC.file("train_labels").sha256 in message
    assert hashlib.sha256(encode_idx(corrupted["train_labels"])).hexdigest() in message


def test_warm_load_skips_hashing_until_a_file_changes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend every stamp was written long after its file changed (see cache._vouches).
    monkeypatch.setattr(data_cache, "_RACY_MARGIN_NS", -10**15)
    data_dir = write_dataset(tmp_path / "data" / "fake", ARRAYS).parent
    hashes = count_hashes(monkeypatch)

    load_dataset(SPEC, data_dir=data_dir, download=False)
    assert len(hashes) == 4
    cache = tmp_path / "cache" / "fake"
    assert (cache / "train-images-idx3-ubyte").read_bytes() == encode_idx(ARRAYS["train_images"])

    hashes.clear()
    warm = load_dataset(SPEC, data_dir=data_dir, download=False)
    assert hashes == []
    np.testing.assert_array_equal(warm.train_images, ARRAYS["train_images"].reshape(20, 9))
    assert warm.source == str(data_dir / "fake")

    # The source changes (same size, new mtime): it is verified again and rejected.
    source = data_dir / "fake" / "t10k-labels-idx1-ubyte.gz"
    write_idx(source, ARRAYS["test_labels"][::-1].copy(), compress=True)
    later = source.stat().st_mtime_ns + 5_000_000_000
    os.utime(source, ns=(later, later))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        load_dataset(SPEC, data_dir=data_dir, download=False)

    # The cached copy changes: it is hashed again and rejected; the data dir copy replaces it.
    write_idx(source, ARRAYS["test_labels"], compress=True)
    cached = cache / "train-labels-idx1-ubyte"
    before = cached.stat().st_mtime_ns
    cached.write_bytes(encode_idx(ARRAYS["train_labels"][::-1].copy()))  # same size
    os.utime(cached, ns=(before + 5_000_000_000, before + 5_000_000_000))
    with pytest.raises(DataError, match=f"{cached}: checksum mismatch"):
        load_dataset(SPEC, download=False)
    data = load_dataset(SPEC, data_dir=data_dir, download=False)
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert cached.read_bytes() == encode_idx(ARRAYS["train_labels"])


def test_fresh_stamps_are_rechecked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed in the same clock tick as its stamp may keep its mtime: hash it again."""
    data_dir = write_dataset(tmp_path / "data" / "fake", ARRAYS).parent
    load_dataset(SPEC, data_dir=data_dir, download=False)
    hashes = count_hashes(monkeypatch)
    load_dataset(SPEC, data_dir=data_dir, download=False)
    assert len(hashes) == 4  # the just-written cache copies are hashed (not gunzipped) again


# ---------------------------------------------------------------------------------------------
# full MNIST (slow; needs MLPSEL_DATA_DIR with mnist/ inside)


def _full_mnist_dir() -> str:
    if not FULL_MNIST_DIR or not Path(FULL_MNIST_DIR, "mnist").is_dir():
        pytest.skip("needs full MNIST: set MLPSEL_DATA_DIR to a folder holding "
                    "mnist/train-images-idx3-ubyte.gz and the other three files")
    return FULL_MNIST_DIR


@pytest.mark.slow
def test_full_mnist_loads_with_the_known_class_counts() -> None:
    data = load_dataset("mnist", data_dir=_full_mnist_dir(), download=False)
    assert data.train_images.shape == (60000, 784) and data.test_images.shape == (10000, 784)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.int64
    assert np.bincount(data.train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data.test_labels).tolist() == MNIST_TEST_COUNTS


@pytest.mark.slow
def test_full_mnist_warm_load_is_fast(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _full_mnist_dir()
    timings = {}
    for label in ("cold", "rechecked", "warm"):
        if label == "warm":  # as if the cache had been written more than a moment ago
            monkeypatch.setattr(data_cache, "_RACY_MARGIN_NS", -10**15)
        start = time.perf_counter()
        data = load_dataset("mnist", data_dir=data_dir, download=False)
        timings[label] = time.perf_counter() - start
    assert np.bincount(data.train_labels).tolist() == MNIST_TRAIN_COUNTS
    with capsys.disabled():
        print("\nfull MNIST load: " + ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()))
    assert timings["warm"] < 1.0  # target 0.3 s; loose so a busy CI machine does not fail


def test_without_train_images_keeps_everything_but_those_images():
    dataset = load_dataset("mnist-mini")
    test_part = dataset.without_train_images()
    assert test_part.train_images.shape == (0, 784) and test_part.n_features == 784
    assert test_part.train_images.dtype == np.uint8
    assert test_part.train_images.base is None  # not a view that would keep the images alive
    assert test_part.train_labels is dataset.train_labels
    assert test_part.test_images is dataset.test_images
    assert (test_part.name, test_part.class_names, test_part.source) == (
        dataset.name, dataset.class_names, dataset.source)
