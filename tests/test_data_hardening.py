"""Bad data is refused with one line naming the file: labels outside the classes, empty files,
counts that differ, corrupted cache copies; downloads only over verified HTTPS (local servers on
127.0.0.1 with certificates made here by trustme, never the real mirrors)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import trustme

from mlpsel.data import DatasetSpec, FileSpec, load_dataset, read_idx, write_idx
from mlpsel.data import cache as data_cache
from mlpsel.data.cache import download_file
from mlpsel.data.idx import encode_idx
from mlpsel.data.registry import ROLES, STANDARD_FILE_NAMES
from mlpsel.errors import DataError
from tests.test_data_load import count_hashes

MNIST_DIR = Path(os.environ.get("MLPSEL_DATA_DIR") or "/nonexistent") / "mnist"
NOT_HTTPS = "not HTTPS; mlpsel downloads only over HTTPS"
SERVER_TIMEOUT_S = 5.0


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPSEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MLPSEL_DATA_DIR", raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "SSL_CERT_FILE",
                 "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def fake_arrays(n_train: int = 20, n_test: int = 10, n_classes: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "train_images": rng.integers(0, 256, size=(n_train, 3, 3), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % n_classes).astype(np.uint8),  # (n_train,)
        "test_images": rng.integers(0, 256, size=(n_test, 3, 3), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % n_classes).astype(np.uint8),  # (n_test,)
    }


ARRAYS = fake_arrays()
CONTENT = {role: encode_idx(array) for role, array in ARRAYS.items()}


def spec_for(contents: dict[str, bytes]) -> DatasetSpec:
    """A named dataset 'fake' whose checksums are those of ``contents`` (uncompressed IDX)."""
    return DatasetSpec(
        name="fake",
        files=tuple(FileSpec(role, STANDARD_FILE_NAMES[role],
                             hashlib.sha256(contents[role]).hexdigest()) for role in ROLES),
        mirrors=("http://127.0.0.1:9/never-contacted/",),
    )


SPEC = spec_for(CONTENT)


def write_folder(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for role, array in arrays.items():
        write_idx(folder / f"{STANDARD_FILE_NAMES[role]}.gz", array, compress=True)
    return folder


def gz(folder: Path, role: str) -> Path:
    return folder / f"{STANDARD_FILE_NAMES[role]}.gz"


def with_labels(role: str, labels: list[int] | np.ndarray, dtype: str = "u1",
                base: dict[str, np.ndarray] = ARRAYS) -> dict[str, np.ndarray]:
    return dict(base, **{role: np.asarray(labels, dtype=dtype)})


# ---------------------------------------------------------------------------------------------
# labels outside the classes


def test_one_stray_label_in_a_folder_dataset_is_refused_not_a_wider_model(tmp_path: Path) -> None:
    labels = ARRAYS["train_labels"].copy()
    labels[3] = 42
    labels[13] = 3  # class 3 keeps its samples elsewhere; only 42 is stray
    folder = write_folder(tmp_path / "stray", with_labels("train_labels", labels))
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (
        f"{gz(folder, 'train_labels')}: labels must be 0..9 with every class present in the "
        "training labels; label 42 appears 1 time(s) and classes 10..41 have no sample"
    )


def test_several_stray_labels_are_quoted_with_their_count_and_the_gaps(tmp_path: Path) -> None:
    labels = np.concatenate([ARRAYS["train_labels"], [12, 15, 15, 15]])
    arrays = with_labels("train_labels", labels)
    arrays["train_images"] = np.zeros((24, 3, 3), np.uint8)
    folder = write_folder(tmp_path / "strays", arrays)
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value).endswith(
        "labels must be 0..9 with every class present in the training labels; labels 12, 15 "
        "appear 4 time(s) and classes 10..11, 13..14 have no sample"
    )


def test_a_class_without_training_samples_is_refused(tmp_path: Path) -> None:
    labels = ARRAYS["train_labels"].copy()
    labels[labels == 4] = 5  # no training 4 left
    folder = write_folder(tmp_path / "gap", with_labels("train_labels", labels))
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (
        f"{gz(folder, 'train_labels')}: labels must be 0..3 with every class present in the "
        "training labels; labels 5, 6, 7, 8, 9 appear 12 time(s) and class 4 has no sample"
    )


def test_labels_that_start_at_one_are_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "one-based",
                          with_labels("train_labels", ARRAYS["train_labels"] + 1))
    with pytest.raises(DataError, match="labels must be 0..K-1 \\(starting at 0\\) with every "
                                        "class present.* and class 0 has no sample$"):
        load_dataset({"path": folder})


def test_negative_labels_are_refused(tmp_path: Path) -> None:
    labels = ARRAYS["train_labels"].astype(np.int8)
    labels[0] = -1
    folder = write_folder(tmp_path / "negative", with_labels("train_labels", labels, "i1"))
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (f"{gz(folder, 'train_labels')}: labels must be class indices "
                                 "0..K-1, never negative; label -1 appears 1 time(s)")


def test_a_single_class_is_refused(tmp_path: Path) -> None:
    arrays = with_labels("train_labels", np.zeros(20))
    arrays = with_labels("test_labels", np.zeros(10), base=arrays)
    folder = write_folder(tmp_path / "single", arrays)
    with pytest.raises(DataError, match="every training label is 0; a classification dataset "
                                        "needs at least two classes"):
        load_dataset({"path": folder})


def test_fewer_classes_give_a_smaller_model_not_ten(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "three", fake_arrays(n_classes=3))
    data = load_dataset({"path": folder})
    assert data.n_classes == 3 and data.class_names == ("0", "1", "2")


def test_a_test_label_outside_the_training_classes_is_refused(tmp_path: Path) -> None:
    labels = ARRAYS["test_labels"].copy()
    labels[[2, 7]] = 10
    folder = write_folder(tmp_path / "test-stray", with_labels("test_labels", labels))
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (
        f"{gz(folder, 'test_labels')}: labels must lie in 0..9, the classes of the training "
        f"labels in {gz(folder, 'train_labels')}; label 10 appears 2 time(s)"
    )


def test_a_named_dataset_label_outside_its_classes_names_the_file(tmp_path: Path) -> None:
    arrays = with_labels("test_labels", [0, 1, 2, 3, 4, 5, 6, 7, 8, 10])
    spec = spec_for({role: encode_idx(array) for role, array in arrays.items()})
    write_folder(tmp_path / "data" / "fake", arrays)
    with pytest.raises(DataError) as caught:
        load_dataset(spec, data_dir=tmp_path / "data", download=False)
    assert str(caught.value) == (
        f"{gz(tmp_path / 'data' / 'fake', 'test_labels')}: labels must lie in 0..9, the 10 "
        "classes of dataset 'fake'; label 10 appears 1 time(s)"
    )


@pytest.fixture
def mnist_copy(tmp_path: Path) -> Path:
    """A folder dataset holding a copy of full MNIST (skips where it is absent)."""
    if not MNIST_DIR.is_dir():
        pytest.skip("needs full MNIST: set MLPSEL_DATA_DIR to a folder holding mnist/")
    folder = tmp_path / "mnist-copy"
    shutil.copytree(MNIST_DIR, folder)
    return folder


def test_real_mnist_loads_and_one_stray_label_42_is_refused(mnist_copy: Path) -> None:
    data = load_dataset({"path": mnist_copy})
    assert data.n_classes == 10 and data.train_labels.shape == (60000,)
    assert load_dataset("mnist", data_dir=MNIST_DIR.parent, download=False).n_classes == 10

    path = gz(mnist_copy, "train_labels")
    labels = read_idx(path)
    labels[12345] = 42
    write_idx(path, labels, compress=True)
    with pytest.raises(DataError) as caught:
        load_dataset({"path": mnist_copy})
    assert str(caught.value) == (
        f"{path}: labels must be 0..9 with every class present in the training labels; "
        "label 42 appears 1 time(s) and classes 10..41 have no sample"
    )


# ---------------------------------------------------------------------------------------------
# empty files, counts that differ, truncated files


def empty(role: str) -> np.ndarray:
    return np.zeros((0, 3, 3) if "images" in role else (0,), np.uint8)


@pytest.mark.parametrize("split", ["train", "test"])
def test_a_folder_dataset_with_zero_images_is_refused(tmp_path: Path, split: str) -> None:
    arrays = dict(ARRAYS, **{f"{split}_{kind}": empty(kind) for kind in ("images", "labels")})
    folder = write_folder(tmp_path / "empty", arrays)
    which = "training" if split == "train" else "test"
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (f"{gz(folder, f'{split}_images')}: holds 0 images; a dataset "
                                 f"needs at least one {which} image")


@pytest.mark.parametrize("role", ROLES)
def test_a_named_dataset_with_an_empty_file_is_refused(tmp_path: Path, role: str) -> None:
    arrays = dict(ARRAYS, **{role: empty(role)})
    spec = spec_for({name: encode_idx(array) for name, array in arrays.items()})
    write_folder(tmp_path / "data" / "fake", arrays)
    kind = "images" if "images" in role else "labels"
    with pytest.raises(DataError) as caught:
        load_dataset(spec, data_dir=tmp_path / "data", download=False)
    assert str(caught.value).startswith(
        f"{gz(tmp_path / 'data' / 'fake', role)}: holds 0 {kind}; a dataset needs at least one ")


@pytest.mark.parametrize("split", ["train", "test"])
def test_labels_and_images_that_differ_in_number_are_refused(tmp_path: Path, split: str) -> None:
    role = f"{split}_labels"
    arrays = dict(ARRAYS, **{role: ARRAYS[role][:-1]})
    folder = write_folder(tmp_path / "fake", arrays)
    n_images = len(ARRAYS[role])
    with pytest.raises(DataError) as caught:
        load_dataset({"path": folder})
    assert str(caught.value) == (
        f"{gz(folder, role)}: {n_images - 1} labels for {n_images} images in "
        f"{gz(folder, f'{split}_images')}; each image needs exactly one label")

    spec = spec_for({name: encode_idx(array) for name, array in arrays.items()})
    with pytest.raises(DataError, match=f"^{gz(folder, role)}: {n_images - 1} labels for "):
        load_dataset(spec, data_dir=folder.parent, download=False, cache_dir=tmp_path / "c")


@pytest.mark.parametrize("role", ["train_labels", "test_images"])
@pytest.mark.parametrize("compress", [True, False])
def test_a_header_promising_more_items_than_the_file_holds_is_refused(
        tmp_path: Path, role: str, compress: bool) -> None:
    folder = write_folder(tmp_path / "fake", ARRAYS)
    gz(folder, role).unlink()
    truncated = CONTENT[role][:-1]
    path = folder / (STANDARD_FILE_NAMES[role] + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(truncated) if compress else truncated)
    with pytest.raises(DataError, match=f"^{path}: truncated: header says shape "):
        load_dataset({"path": folder})
    # a named dataset whose checksum matches the truncated bytes: the format check still names it
    spec = spec_for(dict(CONTENT, **{role: truncated}))
    with pytest.raises(DataError, match=f"^{path}: truncated: header says shape "):
        load_dataset(spec, data_dir=folder.parent, download=False)


# ---------------------------------------------------------------------------------------------
# a corrupted copy in the cache


@pytest.fixture
def warm_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The verified cache of 'fake', stamps trusted as if written long ago; returns the data dir
    it was filled from."""
    monkeypatch.setattr(data_cache, "_RACY_MARGIN_NS", -10**15)
    data_dir = tmp_path / "data"
    write_folder(data_dir / "fake", ARRAYS)
    load_dataset(SPEC, data_dir=data_dir, download=False)
    hashes = count_hashes(monkeypatch)
    load_dataset(SPEC, download=False)
    load_dataset(SPEC, data_dir=data_dir, download=False)
    assert hashes == []  # the stamps vouch: warm loads read the copies without hashing
    return data_dir


def corrupt_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF
    path.write_bytes(bytes(content))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def cached(tmp_path: Path, role: str = "train_labels") -> Path:
    return tmp_path / "cache" / "fake" / STANDARD_FILE_NAMES[role]


def test_a_cache_copy_corrupted_with_size_and_mtime_kept_is_never_used(
        warm_cache: Path, tmp_path: Path) -> None:
    path = cached(tmp_path)
    corrupt_keeping_size_and_mtime(path)
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, download=False)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{path}: checksum mismatch for train-labels-idx1-ubyte: expected sha256 " in message
    assert "the bad cached copy was removed" in message
    assert "--data-dir" in message
    assert not path.exists()
    assert not path.with_name(path.name + ".verified.json").exists()

    data = load_dataset(SPEC, data_dir=warm_cache, download=False)  # fetched again
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert path.read_bytes() == CONTENT["train_labels"]


def test_a_corrupted_cache_copy_is_replaced_from_the_data_dir_it_came_from(
        warm_cache: Path, tmp_path: Path) -> None:
    path = cached(tmp_path, "test_labels")
    corrupt_keeping_size_and_mtime(path)
    data = load_dataset(SPEC, data_dir=warm_cache, download=False)
    np.testing.assert_array_equal(data.test_labels, ARRAYS["test_labels"])
    assert path.read_bytes() == CONTENT["test_labels"]


@pytest.mark.parametrize("damage", ["same size, mtime kept", "shorter", "longer"])
def test_a_corrupted_cache_copy_is_fetched_again_from_a_mirror(
        warm_cache: Path, tmp_path: Path, damage: str) -> None:
    path = cached(tmp_path, "train_images")
    if damage == "same size, mtime kept":
        corrupt_keeping_size_and_mtime(path)
    else:
        content = path.read_bytes()
        path.write_bytes(content[:-3] if damage == "shorter" else content + b"\x00")
    mirror = tmp_path / "mirror"
    write_folder(mirror, ARRAYS)
    data = load_dataset(SPEC, mirrors=[mirror.as_uri() + "/"])
    np.testing.assert_array_equal(data.train_images, ARRAYS["train_images"].reshape(20, 9))
    assert path.read_bytes() == CONTENT["train_images"]


def test_a_wrong_gz_copied_into_the_cache_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "fake"
    write_folder(folder, ARRAYS)
    wrong = gz(folder, "test_labels")
    write_idx(wrong, ARRAYS["test_labels"][::-1].copy(), compress=True)
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, download=False)
    assert f"{wrong}: checksum mismatch" in str(caught.value)
    assert "the bad cached copy was removed" in str(caught.value)
    assert not wrong.exists()


def test_a_corrupted_cache_copy_that_cannot_be_removed_says_to_delete_it(
        warm_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cached(tmp_path)
    corrupt_keeping_size_and_mtime(path)
    unlink = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self == path:
            raise PermissionError(13, "Permission denied")
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(DataError) as caught:
        load_dataset(SPEC, download=False)
    message = str(caught.value)
    assert f"the cached copy could not be removed (Permission denied): delete {path};" in message
    assert "MLPSEL_DATA_DIR (or --data-dir)" in message


# ---------------------------------------------------------------------------------------------
# downloads only over verified HTTPS


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://ossci-datasets.s3.amazonaws.com/mnist/x.gz", True),
    ("http://127.0.0.1:8000/x.gz", True),
    ("http://127.5.0.1/x.gz", True),
    ("http://localhost/x.gz", True),
    ("http://[::1]:8000/x.gz", True),
    ("file:///srv/mirror/x.gz", True),
    ("http://example.org/mnist/x.gz", False),
    ("http://yann.lecun.com/exdb/mnist/x.gz", False),
    ("http://127.0.0.1.example.org/x.gz", False),
    ("http://10.0.0.1/x.gz", False),
    ("ftp://127.0.0.1/x.gz", False),
    ("example.org/mnist/x.gz", False),
])
def test_which_mirror_urls_may_be_fetched(url: str, allowed: bool) -> None:
    assert (data_cache._refusal(url, allow_file=True) is None) == allowed
    if url.startswith("file:"):
        assert data_cache._refusal(url, allow_file=False) is not None  # never by a redirect


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection attempted; one to a host other than 127.0.0.1 fails the test."""
    attempts: list[tuple[str, int]] = []
    original = socket.create_connection

    def recording(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        attempts.append(address)
        if address[0] != "127.0.0.1":
            raise AssertionError(f"connection attempted to {address}")
        return original(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    return attempts


class MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folders; ``/to-<name>/<file>`` redirects to ``REDIRECTS[name] + file``."""

    REDIRECTS = {
        "http": "http://example.org/mnist/",
        "ftp": "ftp://127.0.0.1/mnist/",
        "file": "file:///etc/",
        "good": "/good/",
    }
    timeout = SERVER_TIMEOUT_S

    def do_GET(self) -> None:
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1].startswith("to-"):
            self.send_response(302)
            self.send_header("Location", self.REDIRECTS[parts[1][3:]] + parts[2])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


class TLSServer(http.server.ThreadingHTTPServer):
    """HTTPS on 127.0.0.1; the TLS handshake happens in the connection's thread, bounded."""

    daemon_threads = True

    def __init__(self, handler: Callable[..., MirrorHandler], context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(("127.0.0.1", 0), handler)

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        request.settimeout(SERVER_TIMEOUT_S)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:  # the client refused the certificate
            return
        with tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def mirror_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("https-mirrors")
    write_folder(root / "good", ARRAYS)
    write_folder(root / "corrupt", {role: array[::-1].copy() for role, array in ARRAYS.items()})
    return root


@pytest.fixture(scope="module")
def start_https(mirror_root: Path) -> Iterator[Callable[[trustme.LeafCert], str]]:
    """``start_https(cert)`` serves ``mirror_root`` over HTTPS with ``cert`` and returns its base
    URL; every server started is stopped when the module's tests end."""
    servers: list[tuple[TLSServer, threading.Thread]] = []

    def start(cert: trustme.LeafCert) -> str:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        httpd = TLSServer(functools.partial(MirrorHandler, directory=str(mirror_root)), context)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return f"https://127.0.0.1:{httpd.server_address[1]}"

    try:
        yield start
    finally:
        for httpd, thread in servers:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=SERVER_TIMEOUT_S)


@pytest.fixture(scope="module")
def https(ca: trustme.CA, start_https: Callable[[trustme.LeafCert], str]) -> str:
    return start_https(ca.issue_cert("127.0.0.1", "localhost"))


@pytest.fixture
def trusted(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


LABELS = SPEC.file("train_labels")


def test_an_https_mirror_works_and_is_verified(https: str, trusted: ssl.SSLContext,
                                               tmp_path: Path,
                                               connections: list[tuple[str, int]]) -> None:
    content = download_file(LABELS, [f"{https}/good/"], tmp_path / "dl", ssl_context=trusted,
                            timeout=SERVER_TIMEOUT_S)
    assert content == CONTENT["train_labels"]
    assert connections and list((tmp_path / "dl").iterdir()) == []


def test_load_dataset_downloads_over_https_trusting_ssl_cert_file(
        https: str, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    data = load_dataset(SPEC, mirrors=[f"{https}/good/"])
    np.testing.assert_array_equal(data.train_labels, ARRAYS["train_labels"])
    assert cached(tmp_path).read_bytes() == CONTENT["train_labels"]


def test_a_plain_http_mirror_is_refused_without_any_connection(
        tmp_path: Path, connections: list[tuple[str, int]]) -> None:
    mirrors = ["http://example.org/mnist/", "ftp://127.0.0.1/mnist/"]
    with pytest.raises(DataError) as caught:
        download_file(LABELS, mirrors, tmp_path / "dl", timeout=SERVER_TIMEOUT_S)
    message = str(caught.value)
    assert f"http://example.org/mnist/train-labels-idx1-ubyte.gz: {NOT_HTTPS}" in message
    assert f"ftp://127.0.0.1/mnist/train-labels-idx1-ubyte.gz: {NOT_HTTPS}" in message
    assert connections == []
    with pytest.raises(DataError, match=f"http://example.org/mnist/train-images-idx3-ubyte.gz: "
                                        f"{NOT_HTTPS}"):
        load_dataset(SPEC, mirrors=["http://example.org/mnist/"])
    assert connections == []


@pytest.mark.parametrize("target", ["http", "ftp", "file"])
def test_a_redirect_away_from_https_is_refused(
        https: str, trusted: ssl.SSLContext, tmp_path: Path, target: str,
        connections: list[tuple[str, int]]) -> None:
    with pytest.raises(DataError) as caught:
        download_file(LABELS, [f"{https}/to-{target}/"], tmp_path / "dl", ssl_context=trusted,
                      timeout=SERVER_TIMEOUT_S)
    location = MirrorHandler.REDIRECTS[target] + "train-labels-idx1-ubyte.gz"
    assert (f"{https}/to-{target}/train-labels-idx1-ubyte.gz: redirected to {location}: "
            f"{NOT_HTTPS}") in str(caught.value)
    assert all(host == "127.0.0.1" for host, _ in connections)
    assert list((tmp_path / "dl").iterdir()) == []


def test_a_redirect_within_https_is_followed(https: str, trusted: ssl.SSLContext,
                                             tmp_path: Path) -> None:
    content = download_file(LABELS, [f"{https}/to-good/"], tmp_path / "dl", ssl_context=trusted,
                            timeout=SERVER_TIMEOUT_S)
    assert content == CONTENT["train_labels"]


def test_an_https_mirror_serving_the_wrong_bytes_is_refused(https: str, trusted: ssl.SSLContext,
                                                            tmp_path: Path) -> None:
    wrong = hashlib.sha256(encode_idx(ARRAYS["train_labels"][::-1].copy())).hexdigest()
    with pytest.raises(DataError) as caught:
        download_file(LABELS, [f"{https}/corrupt/"], tmp_path / "dl", ssl_context=trusted,
                      timeout=SERVER_TIMEOUT_S)
    assert (f"{https}/corrupt/train-labels-idx1-ubyte.gz: checksum mismatch (expected sha256 "
            f"{LABELS.sha256}, got {wrong})") in str(caught.value)
    assert list((tmp_path / "dl").iterdir()) == []


def test_an_untrusted_certificate_is_refused_by_default(https: str, tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        download_file(LABELS, [f"{https}/good/"], tmp_path / "dl", timeout=SERVER_TIMEOUT_S)
    assert f"{https}/good/train-labels-idx1-ubyte.gz: " in str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert list((tmp_path / "dl").iterdir()) == []


def test_a_certificate_for_another_host_is_refused(
        ca: trustme.CA, start_https: Callable[[trustme.LeafCert], str], trusted: ssl.SSLContext,
        tmp_path: Path) -> None:
    elsewhere = start_https(ca.issue_cert("mirror.example.org"))
    with pytest.raises(DataError) as caught:
        download_file(LABELS, [f"{elsewhere}/good/"], tmp_path / "dl", ssl_context=trusted,
                      timeout=SERVER_TIMEOUT_S)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert "127.0.0.1" in str(caught.value)
