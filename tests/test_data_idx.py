"""IDX reading and writing: round trips, compression detection, and every kind of broken file."""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlpsel import atomic
from mlpsel.data.idx import decode_idx, encode_idx, read_idx, write_idx
from mlpsel.errors import DataError

SUPPORTED_DTYPES = ["u1", "i1", "<i2", ">i2", "<i4", ">i4", "<f4", ">f4", "<f8", ">f8"]


def header(type_byte: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, type_byte, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def native(array: np.ndarray) -> np.ndarray:
    return array.astype(array.dtype.newbyteorder("="))


@st.composite
def idx_arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(SUPPORTED_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    return draw(hnp.arrays(dtype, shape))


@settings(max_examples=150, deadline=None)
@given(array=idx_arrays(), compress=st.booleans(), suffix=st.sampled_from(["", ".gz", ".idx"]))
def test_write_then_read_round_trips_exactly(array: np.ndarray, compress: bool,
                                             suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        write_idx(path, array, compress=compress)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
        result = read_idx(path)
        assert os.listdir(folder) == [path.name]  # no temp file left behind
    expected = native(array)
    assert result.dtype == expected.dtype
    assert result.shape == expected.shape
    assert result.tobytes() == expected.tobytes()  # bit-exact, NaNs and -0.0 included
    assert result.flags.writeable


@given(array=idx_arrays())
def test_encode_decode_round_trip_in_memory(array: np.ndarray) -> None:
    content = encode_idx(array)
    assert len(content) == 4 + 4 * array.ndim + array.nbytes
    assert decode_idx(content, "memory").tobytes() == native(array).tobytes()


def test_header_matches_the_format_description() -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    content = encode_idx(images)
    assert content[:4] == b"\x00\x00\x08\x03"
    assert content[4:16] == struct.pack(">3I", 2, 3, 4)
    assert content[16:] == images.tobytes()
    assert encode_idx(np.array([1.0], dtype=np.float32))[:4] == b"\x00\x00\x0d\x01"
    assert encode_idx(np.array([256], dtype=np.int32))[4:] == b"\x00\x00\x00\x01\x00\x00\x01\x00"


def test_compression_is_detected_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    gzipped_without_gz = tmp_path / "labels-idx1-ubyte"
    gzipped_without_gz.write_bytes(gzip.compress(encode_idx(labels)))
    raw_named_gz = tmp_path / "labels-idx1-ubyte.gz"
    raw_named_gz.write_bytes(encode_idx(labels))
    np.testing.assert_array_equal(read_idx(gzipped_without_gz), labels)
    np.testing.assert_array_equal(read_idx(raw_named_gz), labels)


def test_compressed_output_is_deterministic(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "a.gz", images, compress=True)
    write_idx(tmp_path / "b.gz", images, compress=True)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def broken(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


GOOD = encode_idx(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (GOOD[:-1], "truncated: header says shape (2, 3, 4) of uint8 = 24 data bytes, file has 23"),
        (GOOD + b"\x00\x00", "2 trailing bytes after the data"),
        (b"\x01\x00" + GOOD[2:], "not an IDX file (magic starts 0x01 0x00"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type byte 0x07"),
        (b"\x00\x00\x08\x00", "IDX header gives 0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated header: 3 dimensions need 16 header"),
        (b"\x00\x00", "too short for an IDX header (2 bytes"),
        (b"", "too short for an IDX header (0 bytes"),
        (header(0x08, (4, 4)) + bytes(4), "truncated: header says shape (4, 4)"),
        (header(0x0C, (3,)) + bytes(11), "of int32 = 12 data bytes, file has 11"),
        (gzip.compress(GOOD)[:-6], "bad gzip data"),
        (gzip.compress(GOOD)[:10], "bad gzip data"),
        (gzip.compress(GOOD) + b"garbage", "bad gzip data"),
        (b"\x1f\x8b" + b"\x00" * 30, "bad gzip data"),
        (gzip.compress(GOOD[:-1]), "truncated: header says shape (2, 3, 4)"),
        (gzip.compress(GOOD + b"\x00"), "1 trailing bytes"),
    ],
    ids=["truncated", "trailing", "magic", "type-byte", "zero-dims", "short-header",
         "two-bytes", "empty", "truncated-2d", "truncated-int32", "gzip-truncated",
         "gzip-header-only", "gzip-trailing-garbage", "gzip-garbage", "gzip-inner-truncated",
         "gzip-inner-trailing"],
)
def test_broken_files_raise_one_line_data_error_naming_the_file(tmp_path: Path, content: bytes,
                                                                problem: str) -> None:
    path = broken(tmp_path, "train-images-idx3-ubyte", content)
    with pytest.raises(DataError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nothing-here")
    with pytest.raises(DataError, match="is a directory"):
        read_idx(tmp_path)


@pytest.mark.parametrize(
    ("array", "problem"),
    [
        (np.zeros(3, dtype=np.int64), "cannot write dtype int64"),
        (np.zeros(3, dtype=bool), "cannot write dtype bool"),
        (np.array(5, dtype=np.uint8), "0-dimensional"),
    ],
)
def test_unwritable_arrays_raise(tmp_path: Path, array: np.ndarray, problem: str) -> None:
    with pytest.raises(DataError, match=problem):
        write_idx(tmp_path / "out", array)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.array([1, 2], dtype=np.uint8))
    before = path.read_bytes()

    def failing_replace(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.array([7, 7, 7], dtype=np.uint8), compress=True)
    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["labels"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.array([1], dtype=np.uint8))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
