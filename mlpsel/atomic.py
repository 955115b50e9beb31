"""Atomic file writes: the one helper behind the run folder, the data cache and model files.

A file is written to a new temporary file in the same folder and renamed onto its name, so a
reader sees the old file or the whole new one, never half of one, and an interrupted write leaves
nothing behind. The temporary file is created with the usual permissions (0666 less the umask),
unlike ``tempfile.mkstemp``'s 0600, so a file renamed into place is as readable as one written
directly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_O_BINARY = getattr(os, "O_BINARY", 0)


def create_temp_file(folder: str | Path, prefix: str, suffix: str) -> tuple[int, str]:
    """Create a new, uniquely named file in ``folder``; return ``(descriptor, path)``.

    The file gets mode 0666 less the umask, as ``open(path, "w")`` would give it.
    """
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: cannot find a free temp file name")


@contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` (``"w"`` text, ``"wb"`` binary); on leaving the
    block without an error, flush it to disk and rename it onto ``path``. The folder is created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = create_temp_file(path.parent, f".{path.name}.", ".tmp")
    try:
        binary = "b" in mode
        encoding, newline = (None, None) if binary else ("utf-8", "")
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes | bytearray | memoryview | Any) -> None:
    """Write ``data`` (anything with the buffer protocol, a NumPy array too) atomically."""
    with atomic_open(path, "wb") as file:
        file.write(data)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 atomically."""
    with atomic_open(path, "w") as file:
        file.write(text)
