"""Find, download, verify and cache the files of a named dataset.

Lookup order for each file of a dataset ``<name>`` (first hit wins):

1. the data dir (the ``data_dir`` argument, else the environment variable ``MLPSEL_DATA_DIR``):
   ``<data dir>/<name>/<file>`` or ``<data dir>/<name>/<file>.gz``;
2. the user cache (``MLPSEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlpsel``, else
   ``~/.cache/mlpsel``): ``<cache>/<name>/<file>`` or ``<cache>/<name>/<file>.gz``;
3. the dataset's mirrors, tried in turn; the download lands in the cache.

Downloads go over HTTPS only, certificates verified: a mirror may also be ``file://`` (a local
copy) or plain ``http://`` to a loopback host (a local mirror), and any other URL, or a redirect to
one, is refused without being fetched.

Every file's uncompressed content is checked against its SHA-256 before it is used. A verified
file is kept in the cache uncompressed (``<cache>/<name>/<file>``) next to a stamp
(``<file>.verified.json``) that records its hash, size, modification and status-change times
(``st_mtime_ns``, ``st_ctime_ns``), and the same of each data-dir file it was verified against.
While the stamp matches, a later load reads the cached copy directly (``np.fromfile``) without
gunzipping or hashing; when the source file or the cached copy changes, it is verified again. The
status-change time is in the stamp because no one can set it: a rewrite that keeps the size and
restores the mtime (``os.utime``, ``touch -r``, ``cp -p``) still changes it. A stamp written less
than 2 s after its file last changed is not trusted (a same-size rewrite within one file-system
clock tick would keep both times): such a file is hashed once more on the next load, which costs
one hash but no gunzip. A cached file that fails its checksum or format checks is removed, then
the file is looked for further down the lookup order. Every cache write is atomic (a temp file in
the same folder, then ``os.replace``); when the cache cannot be written the verified data is
still returned, only not kept.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlpsel.atomic import create_temp_file, write_bytes
from mlpsel.data.idx import decode_idx, read_file_uncompressed
from mlpsel.data.registry import FileSpec
from mlpsel.errors import DataError

if TYPE_CHECKING:
    import ssl
    import urllib.request

__all__ = [
    "ProgressCallback",
    "data_dir_from_environment",
    "default_cache_dir",
    "download_file",
    "find_verified_file",
    "load_verified_file",
    "sha256_hex",
]

#: ``progress(file_name, bytes_done, bytes_total_or_None)``, called while a file downloads.
ProgressCallback = Callable[[str, int, "int | None"], None]

_CHUNK_BYTES = 256 * 1024
_STAMP_SUFFIX = ".verified.json"
_MAX_REMEMBERED_SOURCES = 8
# A stamp vouches for a file only if made this long after the file's last change (see _vouches).
_RACY_MARGIN_NS = 2_000_000_000
_USER_AGENT = "mlpsel (https://pypi.org/project/mlpsel/)"
_NOT_HTTPS = ("not HTTPS; mlpsel downloads only over HTTPS (or plain http from a loopback host, "
              "or file:// for a local copy)")


def default_cache_dir() -> Path:
    """Return the user cache folder: ``MLPSEL_CACHE_DIR``, ``$XDG_CACHE_HOME/mlpsel`` or
    ``~/.cache/mlpsel`` (the first that is set; the folder need not exist yet)."""
    override = os.environ.get("MLPSEL_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mlpsel"


def data_dir_from_environment(data_dir: str | Path | None = None) -> Path | None:
    """Return ``data_dir`` if given, else ``MLPSEL_DATA_DIR`` if set, else None."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    from_environment = os.environ.get("MLPSEL_DATA_DIR")
    return Path(from_environment).expanduser() if from_environment else None


def sha256_hex(content: bytes | bytearray | memoryview | np.ndarray) -> str:
    """Return the lower-case hex SHA-256 of a bytes-like object (or a uint8 array)."""
    return hashlib.sha256(content).hexdigest()


def _checksum_error(where: str | Path, file: FileSpec, actual: str) -> DataError:
    return DataError(
        f"{where}: checksum mismatch for {file.name}: expected sha256 {file.sha256}, got {actual}; "
        "the file is corrupted or not the right file, and was not used"
    )


# ---------------------------------------------------------------------------------------------
# download


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _is_loopback(host: str | None) -> bool:
    """Whether a URL's host is this machine: ``localhost``, 127.0.0.0/8 or ``::1``."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(url: str, *, allow_file: bool) -> str | None:
    """Why ``url`` may not be fetched (``None`` if it may): only ``https``, ``http`` to a
    loopback host, and (for a mirror, not a redirect) ``file`` are allowed."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:
        return _NOT_HTTPS
    if scheme == "https" or (scheme == "file" and allow_file):
        return None
    if scheme == "http" and _is_loopback(host):
        return None
    return _NOT_HTTPS


def _https_only_opener(context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    """A urllib opener verifying certificates with ``context`` whose redirects may only lead
    where :func:`_refusal` allows (never ``file``): a refused one raises ``URLError`` before
    anything is fetched from the new location."""
    import urllib.error
    import urllib.parse
    import urllib.request

    class HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
        def http_error_302(self, req, fp, code, msg, headers):
            target = headers.get("Location") or headers.get("URI")
            if target:
                new_url = urllib.parse.urljoin(req.full_url, target)
                if _refusal(new_url, allow_file=False) is not None:
                    fp.close()
                    raise urllib.error.URLError(f"redirected to {new_url}: {_NOT_HTTPS}")
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                       HttpsOnlyRedirects())


def _stream_to_temp(url: str, folder: Path, display_name: str,
                    progress: ProgressCallback | None, timeout: float,
                    opener: urllib.request.OpenerDirector) -> Path:
    """Stream ``url`` into a new temp file in ``folder``; return its path (caller removes it)."""
    import urllib.request  # lazy: only downloads pay for the HTTP stack

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    descriptor, temp_name = create_temp_file(folder, f".{display_name}.", ".part")
    try:
        with os.fdopen(descriptor, "wb") as handle, \
                opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress is not None:
                progress(display_name, done, total)
            while chunk := response.read(_CHUNK_BYTES):
                handle.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(display_name, done, total)
            if total is not None and done != total:
                raise OSError(f"connection closed after {done} of {total} bytes")
    except BaseException:
        _remove_quietly(Path(temp_name))
        raise
    return Path(temp_name)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def download_file(file: FileSpec, mirrors: Sequence[str], folder: str | Path, *,
                  progress: ProgressCallback | None = None, timeout: float = 30.0,
                  hint: str = "", ssl_context: ssl.SSLContext | None = None) -> bytes:
    """Download ``<mirror><file>.gz`` from each mirror in turn until one verifies.

    Only HTTPS is used, certificates and host names verified; a mirror may also be ``file://`` (a
    local copy) or ``http://`` to a loopback host (``localhost``, ``127.0.0.1``, ``::1``: a local
    mirror). Any other mirror, and any redirect to a URL other than ``https`` or loopback
    ``http``, is refused before it is fetched. The response streams into a temp file in
    ``folder`` (which is created), is gunzipped (a mirror may also serve it uncompressed) and
    checked against ``file.sha256``; only verified bytes are returned. A mirror that fails (not
    HTTPS, no connection, an untrusted certificate, HTTP error, broken gzip, wrong checksum) is
    skipped and its reason remembered. No temp file is left behind.

    Parameters
    ----------
    file : FileSpec
        The file to fetch and its expected SHA-256.
    mirrors : sequence of str
        Base URLs (``https``, ``file``, or ``http`` to a loopback host), each ending in ``/``.
    folder : str or Path
        Where the temp file goes; normally the dataset's cache folder.
    progress : callable, optional
        ``progress(file_name, bytes_done, bytes_total_or_None)``; ``file_name`` is the
        downloaded name (``"train-images-idx3-ubyte.gz"``) and the total comes from
        ``Content-Length``.
    timeout : float
        Seconds to wait on a silent connection.
    hint : str
        Appended to the error when every mirror fails (how else to provide the file).
    ssl_context : ssl.SSLContext, optional
        Verifies HTTPS servers; default ``ssl.create_default_context()`` (the system's trusted
        certificates, honouring ``SSL_CERT_FILE``; host names checked).

    Returns
    -------
    bytes
        The verified, uncompressed IDX content; the caller stores it.

    Raises
    ------
    DataError
        One line listing each mirror's URL and reason, then ``hint``.
    """
    import http.client  # lazy: only downloads pay for the HTTP stack
    import urllib.error

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"{folder}: cannot create the download folder ({error.strerror})") from None
    display_name = f"{file.name}.gz"
    reasons: list[str] = []
    opener: urllib.request.OpenerDirector | None = None
    for base in mirrors:
        url = base if base.endswith("/") else base + "/"
        url += display_name
        refusal = _refusal(url, allow_file=True)
        if refusal is not None:
            reasons.append(f"{url}: {refusal}")
            continue
        if opener is None:
            import ssl

            opener = _https_only_opener(ssl_context if ssl_context is not None
                                        else ssl.create_default_context())
        try:
            temp = _stream_to_temp(url, folder, display_name, progress, timeout, opener)
        except urllib.error.HTTPError as error:
            reasons.append(f"{url}: HTTP {error.code} {_one_line(error.reason)}")
            continue
        except urllib.error.URLError as error:
            reasons.append(f"{url}: {_one_line(error.reason)}")
            continue
        except (OSError, http.client.HTTPException, ValueError) as error:
            reasons.append(f"{url}: {_one_line(error) or type(error).__name__}")
            continue
        try:
            content = read_file_uncompressed(temp)
        except DataError as error:
            reasons.append(f"{url}: {_one_line(error).split(': ', 1)[-1]}")
            continue
        finally:
            _remove_quietly(temp)
        actual = sha256_hex(content)
        if actual != file.sha256:
            reasons.append(
                f"{url}: checksum mismatch (expected sha256 {file.sha256}, got {actual})"
            )
            continue
        return bytes(content)
    tried = "; ".join(reasons) if reasons else "no mirrors configured"
    message = f"could not download {display_name} from any mirror ({tried})"
    raise DataError(f"{message}; {hint}" if hint else message)


# ---------------------------------------------------------------------------------------------
# the verified cache


def _file_state(path: Path) -> dict[str, int] | None:
    """Size, modification and status-change time of a regular file, or None if there is none."""
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns,
            "ctime_ns": status.st_ctime_ns}


def _vouches(record: dict, state: dict[str, int] | None) -> bool:
    """Whether a stamp record still describes a file: same size, mtime and ctime (a rewrite that
    restores the mtime still moves the ctime), and verified safely after the file's last change
    (so a same-size rewrite in the same clock tick as the verification cannot keep the old times
    unnoticed; such a "racy" record is rechecked)."""
    verified_at = record.get("verified_at_ns")
    return (
        state is not None
        and record.get("size") == state["size"]
        and record.get("mtime_ns") == state["mtime_ns"]
        and record.get("ctime_ns") == state["ctime_ns"]
        and isinstance(verified_at, int)
        and max(state["mtime_ns"], state["ctime_ns"]) + _RACY_MARGIN_NS < verified_at
    )


def _stamp_path(cached: Path) -> Path:
    return cached.with_name(cached.name + _STAMP_SUFFIX)


def _read_stamp(cached: Path, file: FileSpec) -> dict | None:
    """The stamp next to ``cached`` if it is for ``file``'s checksum, else None."""
    try:
        stamp = json.loads(_stamp_path(cached).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("sha256") != file.sha256:
        return None
    sources = stamp.get("sources")
    stamp["sources"] = [known for known in sources if isinstance(known, dict)] if isinstance(
        sources, list) else []
    return stamp


def _keep(cached: Path, file: FileSpec, content: bytes | np.ndarray | None, sources: list[dict],
          copy_record: dict | None = None) -> None:
    """Write verified ``content`` as the cached copy (if given) and the stamp vouching for it.

    ``copy_record`` (size, mtime_ns, ctime_ns, verified_at_ns) describes a cached copy that was
    verified without being rewritten; ``sources`` are the data-dir files verified against the
    checksum.
    Failures to write the cache are ignored: the caller already holds the verified data.
    """
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            write_bytes(cached, content)
            state = _file_state(cached)
            if state is None:
                return
            copy_record = {**state, "verified_at_ns": time.time_ns()}
        if copy_record is None:
            return
        stamp = {
            "sha256": file.sha256,
            "size": copy_record["size"],
            "mtime_ns": copy_record["mtime_ns"],
            "ctime_ns": copy_record["ctime_ns"],
            "verified_at_ns": copy_record["verified_at_ns"],
            "sources": sources[-_MAX_REMEMBERED_SOURCES:],
        }
        text = json.dumps(stamp, indent=1, sort_keys=True)
        write_bytes(_stamp_path(cached), text.encode("utf-8"))
    except OSError:
        pass


def _read_verified(path: Path, file: FileSpec) -> tuple[np.ndarray, bytes | np.ndarray]:
    """Read ``path`` (gzipped or raw), check its checksum; return (array, uncompressed)."""
    content = read_file_uncompressed(path)
    actual = sha256_hex(content)
    if actual != file.sha256:
        raise _checksum_error(path, file, actual)
    return decode_idx(content, path), content


def _read_cached(cached: Path) -> np.ndarray:
    """Read a cached copy whose stamp vouches for it: one ``np.fromfile``, no hashing."""
    try:
        content = np.fromfile(cached, dtype=np.uint8)
    except OSError as error:
        raise DataError(f"{cached}: cannot read the cached copy ({error.strerror})") from None
    return decode_idx(content, cached)


def _discard(cached: Path, error: DataError) -> str:
    """Remove a cached file that failed its checks, and its stamp; return the problem as one
    line saying so (or, if it cannot be removed, that the user must delete it)."""
    problem = _one_line(error)
    try:
        cached.unlink(missing_ok=True)
        _stamp_path(cached).unlink(missing_ok=True)
    except OSError as failure:
        return (f"{problem}; the cached copy could not be removed ({failure.strerror}): "
                f"delete {cached}")
    return f"{problem}; the bad cached copy was removed"


def _verify_copy(cached: Path, file: FileSpec, sources: list[dict],
                 problems: list[str]) -> np.ndarray | None:
    """Hash the cached copy; if it is right, stamp it and return its array, else remove it
    (reason in ``problems``) and return None."""
    started = time.time_ns()
    state = _file_state(cached)
    if state is None:
        return None
    try:
        array, _ = _read_verified(cached, file)
    except DataError as error:
        problems.append(_discard(cached, error))
        return None
    _keep(cached, file, None, sources, {**state, "verified_at_ns": started})
    return array


def load_verified_file(dataset_name: str, file: FileSpec, *, data_dir: Path | None,
                       cache_dir: Path, mirrors: Sequence[str], download: bool = True,
                       progress: ProgressCallback | None = None,
                       timeout: float = 30.0) -> tuple[np.ndarray, str]:
    """Return one file of a named dataset, verified, and the folder it came from.

    As :func:`find_verified_file`, whose parameters it takes, but returns
    ``(array, source)`` with ``source`` the folder of the file used (a data dir's or the cache's
    dataset folder).
    """
    array, path = find_verified_file(dataset_name, file, data_dir=data_dir, cache_dir=cache_dir,
                                     mirrors=mirrors, download=download, progress=progress,
                                     timeout=timeout)
    return array, str(path.parent)


def find_verified_file(dataset_name: str, file: FileSpec, *, data_dir: Path | None,
                       cache_dir: Path, mirrors: Sequence[str], download: bool = True,
                       progress: ProgressCallback | None = None,
                       timeout: float = 30.0) -> tuple[np.ndarray, Path]:
    """Return one file of a named dataset, verified, following the lookup order above.

    Parameters
    ----------
    dataset_name : str
        Folder name under the data dir and the cache, e.g. ``"mnist"``.
    file : FileSpec
        The file and its SHA-256.
    data_dir : Path or None
        The data dir, already resolved (see :func:`data_dir_from_environment`).
    cache_dir : Path
        The cache root (see :func:`default_cache_dir`).
    mirrors : sequence of str
        Base URLs tried in turn when the file is nowhere local.
    download : bool
        Whether to try the mirrors at all.
    progress : callable, optional
        Download progress, ``progress(file_name, bytes_done, bytes_total_or_None)``.
    timeout : float
        Seconds to wait on a silent mirror.

    Returns
    -------
    array : numpy.ndarray
        The IDX content, shape from its header (e.g. ``(60000, 28, 28)`` uint8); may be
        read-only.
    path : Path
        The file used: in the data dir, or the cache's copy (also for a download).

    Raises
    ------
    DataError
        A data-dir file fails its checksum or format checks (naming the file, and for a checksum
        both hashes), or the file is nowhere local and cannot be downloaded (one line saying how
        to provide it, and naming any cached copy that failed its checks and was removed).
    """
    cached = cache_dir / dataset_name / file.name
    stamp = _read_stamp(cached, file)
    sources: list[dict] = stamp["sources"] if stamp is not None else []
    copy_record = stamp if stamp is not None and _vouches(stamp, _file_state(cached)) else None

    if data_dir is not None:
        for candidate in (data_dir / dataset_name / file.name,
                          data_dir / dataset_name / f"{file.name}.gz"):
            started = time.time_ns()
            state = _file_state(candidate)
            if state is None:
                continue
            key = str(candidate.resolve())
            known = [record for record in sources if record.get("path") == key]
            if known and _vouches(known[-1], state):
                # verified before and unchanged since: the cached copy has the same bytes
                if copy_record is not None:
                    return _read_cached(cached), candidate
                array = _verify_copy(cached, file, sources, [])
                if array is not None:
                    return array, candidate
            array, content = _read_verified(candidate, file)
            sources = [record for record in sources if record.get("path") != key]
            sources.append({"path": key, **state, "verified_at_ns": started})
            _keep(cached, file, content if copy_record is None else None, sources, copy_record)
            return array, candidate

    if copy_record is not None:
        return _read_cached(cached), cached
    problems: list[str] = []
    array = _verify_copy(cached, file, sources, problems)
    if array is not None:
        return array, cached
    compressed = cached.with_name(f"{file.name}.gz")
    if _file_state(compressed) is not None:
        try:
            array, content = _read_verified(compressed, file)
        except DataError as error:
            problems.append(_discard(compressed, error))
        else:
            _keep(cached, file, content, sources)
            return array, compressed

    hint = _how_to_provide(dataset_name, file, data_dir, cache_dir)
    if problems:
        hint = f"{'; '.join(problems)}; {hint}"
    if not download:
        looked = f"{data_dir / dataset_name} or " if data_dir is not None else ""
        looked += str(cache_dir / dataset_name)
        raise DataError(
            f"no verified copy of {file.name} (dataset {dataset_name!r}) in {looked} and "
            f"downloading is off; {hint}"
        )
    content = download_file(file, mirrors, cache_dir / dataset_name, progress=progress,
                            timeout=timeout, hint=hint)
    _keep(cached, file, content, sources)
    return decode_idx(content, f"{file.name} (downloaded)"), cached


def _how_to_provide(dataset_name: str, file: FileSpec, data_dir: Path | None,
                    cache_dir: Path) -> str:
    example = data_dir if data_dir is not None else Path("<dir>")
    return (
        f"to provide the files yourself, set MLPSEL_DATA_DIR (or --data-dir) to a folder holding "
        f"{example / dataset_name / file.name}.gz and the dataset's other files (gzipped or not), "
        f"or copy them into {cache_dir / dataset_name}"
    )
