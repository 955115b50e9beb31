"""Read and write IDX files, the format MNIST and Fashion-MNIST are published in.

An IDX file is a big-endian header followed by the data, row-major::

    byte 0, 1   0x00 0x00              magic
    byte 2      type byte              0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                       0x0D float32, 0x0E float64
    byte 3      number of dimensions   d >= 1
    4 * d       one uint32 size per dimension, big-endian
    rest        prod(sizes) items of the type, big-endian

Files may be gzip-compressed; compression is detected from the gzip magic bytes (``1f 8b``),
never from the file name. Every format problem raises :class:`~mlpsel.errors.DataError` with a
one-line message that names the file and what is wrong.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from mlpsel.atomic import write_bytes
from mlpsel.errors import DataError

__all__ = [
    "GZIP_MAGIC",
    "decode_idx",
    "encode_idx",
    "read_file_uncompressed",
    "read_idx",
    "write_idx",
]

GZIP_MAGIC = b"\x1f\x8b"

# type byte -> big-endian dtype of the items on disk
_CODE_TO_DTYPE: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# native dtype -> type byte
_DTYPE_TO_CODE: dict[np.dtype, int] = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}
_MAX_DIMENSION = 2**32 - 1


def read_file_uncompressed(path: str | Path) -> bytes | np.ndarray:
    """Return a file's content, gunzipped when it starts with the gzip magic bytes.

    Parameters
    ----------
    path : str or Path
        Any file.

    Returns
    -------
    bytes or numpy.ndarray
        The uncompressed content: ``bytes`` for a gzip file, a writable ``(n_bytes,)`` uint8
        array for a raw one (read with ``np.fromfile``, no copy). Both support the buffer protocol
        (``hashlib`` and :func:`decode_idx` take either).

    Raises
    ------
    DataError
        The file is missing or unreadable, or is a broken gzip stream (truncated, bad CRC,
        trailing garbage).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
            if head != GZIP_MAGIC:
                handle.seek(0)
                return np.fromfile(handle, dtype=np.uint8)
            compressed = head + handle.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected an IDX file") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as error:
        reason = str(error).replace("\n", " ") or type(error).__name__
        raise DataError(f"{path}: bad gzip data ({reason})") from None


def decode_idx(buffer: bytes | bytearray | memoryview | np.ndarray, name: str | Path) -> np.ndarray:
    """Parse uncompressed IDX content, checking the header against the data length exactly.

    Parameters
    ----------
    buffer : bytes-like or numpy.ndarray of uint8, shape (n_bytes,)
        The whole uncompressed file.
    name : str or Path
        Names the file in error messages.

    Returns
    -------
    numpy.ndarray
        Shape as in the header, native byte order. For one-byte types the result is a view of
        ``buffer`` (read-only when ``buffer`` is ``bytes``); wider types are converted to a new
        array.

    Raises
    ------
    DataError
        Wrong magic, unknown type byte, zero dimensions, a truncated header or data, or bytes
        after the data.
    """
    data = np.frombuffer(buffer, dtype=np.uint8) if not isinstance(buffer, np.ndarray) else buffer
    n_bytes = int(data.size)
    if n_bytes < 4:
        raise DataError(f"{name}: too short for an IDX header ({n_bytes} bytes, need at least 4)")
    zero_a, zero_b, code, n_dims = (int(value) for value in data[:4])
    if zero_a != 0 or zero_b != 0:
        raise DataError(
            f"{name}: not an IDX file (magic starts 0x{zero_a:02x} 0x{zero_b:02x}, "
            "expected 0x00 0x00)"
        )
    if code not in _CODE_TO_DTYPE:
        valid = ", ".join(f"0x{known:02x}" for known in _CODE_TO_DTYPE)
        raise DataError(f"{name}: unknown IDX type byte 0x{code:02x} (valid: {valid})")
    if n_dims == 0:
        raise DataError(f"{name}: IDX header gives 0 dimensions (need at least 1)")
    header_length = 4 + 4 * n_dims
    if n_bytes < header_length:
        raise DataError(
            f"{name}: truncated header: {n_dims} dimensions need {header_length} header bytes, "
            f"file has {n_bytes}"
        )
    shape = tuple(int(size) for size in data[4:header_length].view(">u4"))
    dtype = _CODE_TO_DTYPE[code]
    expected = math.prod(shape) * dtype.itemsize
    actual = n_bytes - header_length
    if actual < expected:
        raise DataError(
            f"{name}: truncated: header says shape {shape} of {dtype.name} = {expected} data "
            f"bytes, file has {actual}"
        )
    if actual > expected:
        raise DataError(
            f"{name}: {actual - expected} trailing bytes after the data (header says shape "
            f"{shape} of {dtype.name} = {expected} data bytes, file has {actual})"
        )
    array = data[header_length:].view(dtype).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
    return array


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gzipped or raw.

    Parameters
    ----------
    path : str or Path
        The file. Gzip is detected by its magic bytes ``1f 8b``, not by the extension.

    Returns
    -------
    numpy.ndarray
        Writable array, shape and dtype from the header (native byte order), e.g. MNIST training
        images ``(60000, 28, 28)`` uint8 and labels ``(60000,)`` uint8.

    Raises
    ------
    DataError
        One line naming the file: missing, bad gzip, wrong magic, unknown type byte, bad number of
        dimensions, truncated data or trailing bytes.
    """
    content = read_file_uncompressed(path)
    array = decode_idx(content, path)
    if not array.flags.writeable:
        array = array.copy()
    return array


def encode_idx(array: np.ndarray) -> bytes:
    """Return the uncompressed IDX bytes of an array.

    Parameters
    ----------
    array : numpy.ndarray
        At least one dimension, each below 2**32; dtype uint8, int8, int16, int32, float32 or
        float64 (any byte order).

    Returns
    -------
    bytes
        Header followed by the big-endian data, row-major.

    Raises
    ------
    DataError
        The dtype or shape cannot be stored in IDX.
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    code = _DTYPE_TO_CODE.get(native)
    if code is None:
        valid = ", ".join(dtype.name for dtype in _DTYPE_TO_CODE)
        raise DataError(f"cannot write dtype {array.dtype} as IDX (valid: {valid})")
    if array.ndim == 0 or array.ndim > 255:
        raise DataError(f"cannot write a {array.ndim}-dimensional array as IDX (need 1 to 255)")
    if any(size > _MAX_DIMENSION for size in array.shape):
        raise DataError(f"cannot write shape {array.shape} as IDX (each size must be < 2**32)")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()
    return header + body


def write_idx(path: str | Path, array: np.ndarray, compress: bool = False, *,
              compresslevel: int = 9) -> None:
    """Write an array as an IDX file, atomically.

    Parameters
    ----------
    path : str or Path
        Destination (conventionally ending in ``.gz`` when compressed; not enforced).
    array : numpy.ndarray
        At least one dimension; dtype uint8, int8, int16, int32, float32 or float64.
    compress : bool
        Gzip the file. The gzip header's time stamp is 0, so equal arrays give equal bytes.
    compresslevel : int
        Gzip level, 1 (fast) to 9 (small).

    Raises
    ------
    DataError
        The dtype or shape cannot be stored in IDX.
    """
    content = encode_idx(array)
    if compress:
        content = gzip.compress(content, compresslevel=compresslevel, mtime=0)
    write_bytes(path, content)
