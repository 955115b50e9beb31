"""Downloading from mirrors into the cache, against a local HTTP server (never the real mirrors)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mlpsel.data import DatasetSpec, FileSpec, load_dataset
from mlpsel.data import cache as data_cache
from mlpsel.data.cache import default_cache_dir, download_file
from mlpsel.data.idx import encode_idx
from mlpsel.data.registry import ROLES, STANDARD_FILE_NAMES
from mlpsel.errors import DataError


def fake_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "train_images": rng.integers(0, 256, size=(30, 4, 4), dtype=np.uint8),  # (30, 4, 4)
        "train_labels": np.arange(30, dtype=np.uint8) % 10,  # (30,)
        "test_images": rng.integers(0, 256, size=(10, 4, 4), dtype=np.uint8),  # (10, 4, 4)
        "test_labels": np.arange(10, dtype=np.uint8),  # (10,)
    }


ARRAYS = fake_arrays()
CONTENT = {role: encode_idx(array) for role, array in ARRAYS.items()}
SPEC = DatasetSpec(
    name="fake",
    files=tuple(FileSpec(role, STANDARD_FILE_NAMES[role], hashlib.sha256(CONTENT[role]).hexdigest())
                for role in ROLES),
    mirrors=(),
)


def write_mirror(folder: Path, corrupt: bool = False, broken_gzip: bool = False,
                 uncompressed: bool = False) -> None:
    folder.mkdir(parents=True)
    for role in ROLES:
        content = CONTENT[role]
        if corrupt:  # a valid gzip of the wrong bytes: only the checksum can tell
            content = content[:-1] + bytes([content[-1] ^ 0xFF])
        payload = content if uncompressed else gzip.compress(content, mtime=0)
        if broken_gzip:
            payload = payload[: len(payload) // 2]
        (folder / f"{STANDARD_FILE_NAMES[role]}.gz").write_bytes(payload)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files; under ``/short/`` promises more bytes than it sends, then hangs up."""

    def do_GET(self) -> None:
        if self.path.startswith("/short/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\x00" * 100)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPSEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MLPSEL_DATA_DIR", raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local mirror host: ``good/``, ``corrupt/``, ``broken/``, ``raw/``, ``empty/``,
    ``short/``."""
    root = tmp_path_factory.mktemp("mirrors")
    write_mirror(root / "good")
    write_mirror(root / "corrupt", corrupt=True)
    write_mirror(root / "broken", broken_gzip=True)
    write_mirror(root / "raw", uncompressed=True)
    (root / "empty").mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="module")
def refused() -> str:
    """A base URL on a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.name.startswith("."))


def test_falls_through_refused_missing_and_corrupt_mirrors_to_a_good_one(
        server: str, refused: str, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    mirrors = [refused, f"{server}/empty/", f"{server}/corrupt/", f"{server}/broken",
               f"{server}/good/"]
    data = load_dataset(SPEC, mirrors=mirrors, progress=lambda *call: calls.append(call))

    np.testing.assert_array_equal(data.train_images, ARRAYS["train_images"].reshape(30, 16))
    np.testing.assert_array_equal(data.test_labels, ARRAYS["test_labels"])
    cache = tmp_path / "cache" / "fake"
    assert data.source == str(cache)
    assert sorted(path.name for path in cache.iterdir()) == sorted(
        name + suffix for name in STANDARD_FILE_NAMES.values() for suffix in ("", ".verified.json")
    )
    assert leftovers(tmp_path / "cache") == []
    for role in ROLES:  # the cache holds the verified, uncompressed bytes
        assert (cache / STANDARD_FILE_NAMES[role]).read_bytes() == CONTENT[role]

    names = {name for name, _, _ in calls}
    assert names == {f"{name}.gz" for name in STANDARD_FILE_NAMES.values()}
    good_size = len(gzip.compress(CONTENT["test_labels"], mtime=0))
    assert ("t10k-labels-idx1-ubyte.gz", good_size, good_size) in calls
    assert all(done <= total for _, done, total in calls if total is not None)


def test_second_load_uses_the_cache_without_any_mirror(server: str) -> None:
    load_dataset(SPEC, mirrors=[f"{server}/good/"])
    again = load_dataset(SPEC, mirrors=[], download=False)
    np.testing.assert_array_equal(again.train_labels, ARRAYS["train_labels"])


def test_all_mirrors_failing_gives_one_line_listing_reasons_and_remedy(
        server: str, refused: str, tmp_path: Path) -> None:
    mirrors = [refused, f"{server}/empty/", f"{server}/corrupt/", f"{server}/broken/",
               f"{server}/short/"]
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, mirrors=mirrors)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("could not download train-images-idx3-ubyte.gz from any mirror")
    assert f"{refused}train-images-idx3-ubyte.gz: " in message  # connection refused
    assert f"{server}/empty/train-images-idx3-ubyte.gz: HTTP 404" in message
    expected = SPEC.file("train_images").sha256
    assert f"checksum mismatch (expected sha256 {expected}, got " in message
    assert f"{server}/broken/train-images-idx3-ubyte.gz: bad gzip data" in message
    assert f"{server}/short/train-images-idx3-ubyte.gz: " in message
    assert "MLPSEL_DATA_DIR" in message and "--data-dir" in message
    assert "fake/train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "cache" / "fake") in message
    assert leftovers(tmp_path / "cache") == []
    assert not (tmp_path / "cache" / "fake" / "train-images-idx3-ubyte").exists()


def test_download_of_an_uncompressed_file_is_accepted(server: str) -> None:
    data = load_dataset(SPEC, mirrors=[f"{server}/raw/"])
    np.testing.assert_array_equal(data.test_images, ARRAYS["test_images"].reshape(10, 16))


def test_download_file_checksum_error_names_file_and_both_hashes(server: str,
                                                                 tmp_path: Path) -> None:
    file = SPEC.file("train_labels")
    corrupted = CONTENT["train_labels"][:-1] + bytes([CONTENT["train_labels"][-1] ^ 0xFF])
    with pytest.raises(DataError) as caught:
        download_file(file, [f"{server}/corrupt/"], tmp_path / "downloads")
    message = str(caught.value)
    assert "train-labels-idx1-ubyte.gz" in message
    assert file.sha256 in message
    assert hashlib.sha256(corrupted).hexdigest() in message
    assert list((tmp_path / "downloads").iterdir()) == []


def test_no_download_when_disabled(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="downloading is off") as caught:
        load_dataset(SPEC, mirrors=["http://127.0.0.1:9/never-contacted/"], download=False)
    assert "MLPSEL_DATA_DIR" in str(caught.value)
    assert not (tmp_path / "cache").exists()


def test_a_corrupted_cache_copy_is_detected_and_replaced(server: str, tmp_path: Path) -> None:
    load_dataset(SPEC, mirrors=[f"{server}/good/"])
    cached = tmp_path / "cache" / "fake" / "t10k-labels-idx1-ubyte"
    cached.write_bytes(CONTENT["test_labels"][:-1] + b"\x00")  # same size
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, download=False)
    message = str(caught.value)
    assert f"{cached}: checksum mismatch" in message
    assert SPEC.file("test_labels").sha256 in message
    data = load_dataset(SPEC, mirrors=[f"{server}/good/"])
    np.testing.assert_array_equal(data.test_labels, ARRAYS["test_labels"])
    assert cached.read_bytes() == CONTENT["test_labels"]


def test_files_copied_into_the_cache_by_hand_are_used(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "fake"
    folder.mkdir(parents=True)
    for role in ROLES:
        (folder / f"{STANDARD_FILE_NAMES[role]}.gz").write_bytes(gzip.compress(CONTENT[role]))
    data = load_dataset(SPEC, download=False)
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert (folder / "train-images-idx3-ubyte.verified.json").is_file()


def test_unwritable_cache_still_returns_verified_data(server: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(path: object, data: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(data_cache, "write_bytes", no_space)
    data = load_dataset(SPEC, mirrors=[f"{server}/good/"])
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert leftovers(tmp_path / "cache") == []


def test_default_cache_dir_follows_the_environment(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("MLPSEL_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "mlpsel"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "mlpsel"


def test_registered_mirrors_are_well_formed() -> None:
    from mlpsel.data.registry import FASHION_MNIST, MNIST

    assert MNIST.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert len(MNIST.mirrors) >= 2 and len(FASHION_MNIST.mirrors) >= 1
    for url in MNIST.mirrors + FASHION_MNIST.mirrors:  # downloads go over HTTPS only
        assert url.startswith("https://") and url.endswith("/")
    assert os.path.basename(SPEC.with_mirrors(["http://x/y"]).mirrors[0].rstrip("/")) == "y"
    assert SPEC.with_mirrors(["http://x/y"]).mirrors == ("http://x/y/",)
