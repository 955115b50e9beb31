"""Datasets: load MNIST-style data by name or from a folder, verified, as row arrays.

Data at rest uses rows, as scikit-learn does: images are ``(N, 784)`` uint8 (each 28 x 28 image
flattened row-major), labels ``(N,)`` int64 (int64 rather than the files' uint8 so they index and
count without surprises: ``np.bincount``, ``Y[labels, arange]``, ``labels == k`` never wrap).

Named datasets (see :mod:`mlpsel.data.registry`):

* ``mnist`` and ``fashion-mnist``: found in the data dir, the user cache or downloaded from
  mirrors (see :mod:`mlpsel.data.cache` for the lookup order), every file checked against its
  SHA-256 before use;
* ``mnist-mini``: a stratified 6,000 + 1,000 image subset of MNIST shipped inside the package.

A folder of the four IDX files (gzipped or not) loads as ``{"path": "/some/folder"}``; it has no
checksums, only format checks.

Example
-------
>>> from mlpsel.data import load_dataset
>>> data = load_dataset("mnist-mini")
>>> data.train_images.shape, data.train_labels.dtype, data.n_classes
((6000, 784), dtype('int64'), 10)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mlpsel.data.cache import (
    data_dir_from_environment,
    default_cache_dir,
    load_verified_file,
    sha256_hex,
)
from mlpsel.data.idx import decode_idx, read_file_uncompressed, read_idx, write_idx
from mlpsel.data.registry import (
    ROLES,
    STANDARD_FILE_NAMES,
    DatasetSpec,
    FileSpec,
    dataset_names,
    get_spec,
)
from mlpsel.data.tabular import is_table_path, load_table_dataset
from mlpsel.errors import DataError

__all__ = [
    "Dataset",
    "DatasetSpec",
    "FileSpec",
    "dataset_names",
    "default_cache_dir",
    "load_dataset",
    "read_idx",
    "write_idx",
]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test pair of image sets with integer labels (arrays read-only from load_dataset).

    Attributes
    ----------
    name : str
        Registry name, or the folder's name for a path dataset.
    train_images : numpy.ndarray, shape (N_train, n_features), uint8
        C-contiguous rows; pixel values 0-255.
    train_labels : numpy.ndarray, shape (N_train,), int64
        Class index of each training image, in ``0 .. n_classes - 1``.
    test_images : numpy.ndarray, shape (N_test, n_features), uint8
    test_labels : numpy.ndarray, shape (N_test,), int64
    class_names : tuple of str
        Name of class ``k`` at index ``k``.
    source : str
        Where the data came from: ``"package"`` for a shipped dataset, else the folder(s) the
        files were found in (a data dir, the cache, a path dataset's folder).
    train_source_rows, test_source_rows : ndarray of int, or None
        For a table split into training and test sets by the run: the file's row (0-based, data
        rows) of every training and test sample.
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    source: str
    train_truth: np.ndarray | None = None
    test_truth: np.ndarray | None = None
    train_source_rows: np.ndarray | None = None
    test_source_rows: np.ndarray | None = None

    @property
    def is_regression(self) -> bool:
        """True for real-valued targets (N, n_outputs): a regression dataset."""
        return self.train_labels.ndim == 2

    @property
    def n_outputs(self) -> int:
        """Units of the network's output layer: the classes, or the target's dimensions."""
        return int(self.train_labels.shape[1]) if self.is_regression else self.n_classes

    @property
    def strata(self) -> np.ndarray:
        """What splits stratify on, (N_train,): the labels, or all zeros for regression (a
        plain random split)."""
        if self.is_regression:
            return np.zeros(len(self.train_labels), dtype=np.int64)
        return self.train_labels

    def test_strata(self) -> np.ndarray:
        """As :attr:`strata`, for the test set."""
        if self.is_regression:
            return np.zeros(len(self.test_labels), dtype=np.int64)
        return self.test_labels

    @property
    def n_features(self) -> int:
        """Pixels per image (784 for MNIST)."""
        return int(self.train_images.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes, ``len(class_names)``."""
        return len(self.class_names)

    def without_train_images(self) -> Dataset:
        """The same dataset with ``train_images`` replaced by an empty (0, n_features) array.

        Model selection needs the training images only until its last training ends; what comes
        after (the test evaluation, tables, figures) holds this instead, so that the images'
        memory is freed (full MNIST: 47 MB) once no one else refers to them.
        """
        empty = np.empty((0, self.n_features), dtype=self.train_images.dtype)  # (0, n_features)
        return replace(self, train_images=empty)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={self.train_images.shape}, "
            f"test={self.test_images.shape}, n_classes={self.n_classes}, source={self.source!r})"
        )


def load_dataset(
    dataset: str | Mapping[str, object] | DatasetSpec,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    download: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
    mirrors: Sequence[str] | None = None,
) -> Dataset:
    """Load a dataset by name, from a folder, or from a spec.

    Parameters
    ----------
    dataset : str, dict or DatasetSpec
        A registered name (:func:`dataset_names`: ``"mnist"``, ``"fashion-mnist"``,
        ``"mnist-mini"``), ``{"path": "/some/folder"}`` for a folder holding
        ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``), ``{"path": "data.csv", "label":
        "digit", "features": None}`` for a table (:mod:`mlpsel.data.tabular`: CSV, Parquet or
        NPZ; every row a training row, no test set), or a :class:`DatasetSpec`.
    data_dir : str or Path, optional
        Folder with ``<data_dir>/<name>/<file>[.gz]``; default: ``MLPSEL_DATA_DIR`` if set.
    cache_dir : str or Path, optional
        Cache root; default ``MLPSEL_CACHE_DIR``, ``$XDG_CACHE_HOME/mlpsel`` or
        ``~/.cache/mlpsel``.
    download : bool
        Whether files missing locally may be downloaded from the mirrors.
    progress : callable, optional
        ``progress(file_name, bytes_done, bytes_total_or_None)`` during downloads.
    mirrors : sequence of str, optional
        Base URLs replacing the dataset's own mirrors.

    Returns
    -------
    Dataset
        Images ``(N, n_features)`` uint8 and labels ``(N,)`` int64, read-only.

    Raises
    ------
    DataError
        Unknown name (with a suggestion), missing or malformed files, a checksum mismatch
        (naming the file and both hashes), or a dataset that is nowhere local and cannot be
        downloaded (saying how to provide it).
    """
    if isinstance(dataset, Mapping) and "synthetic" in dataset:
        return _synthetic_dataset(dataset["synthetic"])
    if isinstance(dataset, Mapping) and is_table_path(str(dataset.get("path", ""))):
        return load_table_dataset(str(dataset["path"]), dataset.get("label"),
                                  dataset.get("features"))
    if isinstance(dataset, Mapping):
        return _load_path_dataset(dataset)
    if isinstance(dataset, DatasetSpec):
        spec = dataset
    elif isinstance(dataset, str):
        spec = get_spec(dataset)
    else:
        raise DataError(
            f"dataset must be a name ({', '.join(dataset_names())}) or {{path: ...}}, "
            f"got {type(dataset).__name__}"
        )
    if mirrors is not None:
        spec = spec.with_mirrors(mirrors)

    arrays: dict[str, np.ndarray] = {}
    sources: list[str] = []
    if spec.package_dir is not None:
        for role in ROLES:
            arrays[role] = _load_shipped_file(spec.package_dir, spec.file(role))
        sources.append("package")
    else:
        resolved_data_dir = data_dir_from_environment(data_dir)
        resolved_cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        for role in ROLES:
            arrays[role], source = load_verified_file(
                spec.name, spec.file(role), data_dir=resolved_data_dir,
                cache_dir=resolved_cache_dir, mirrors=spec.mirrors, download=download,
                progress=progress,
            )
            if source not in sources:
                sources.append(source)
    return _assemble(spec.name, arrays, spec.class_names, ", ".join(sources))


def _load_shipped_file(folder: Path, file: FileSpec) -> np.ndarray:
    """Read a file shipped in the package (``<name>.gz`` or ``<name>``) and verify it."""
    for path in (folder / f"{file.name}.gz", folder / file.name):
        if path.is_file():
            content = read_file_uncompressed(path)
            actual = sha256_hex(content)
            if actual != file.sha256:
                raise DataError(
                    f"{path}: checksum mismatch for {file.name}: expected sha256 {file.sha256}, "
                    f"got {actual}; the installed package is damaged, reinstall mlpsel"
                )
            return decode_idx(content, path)
    raise DataError(f"{folder / file.name}.gz: shipped data file missing; reinstall mlpsel")


def _synthetic_dataset(settings: Mapping[str, object]) -> Dataset:
    """``{"synthetic": {...}}``: the regression data of :mod:`mlpsel.data.synthetic`."""
    from mlpsel.data.synthetic import make_synthetic

    arrays = make_synthetic(settings)
    for array in arrays.values():
        array.setflags(write=False)
    return Dataset(
        name=f"synthetic-{settings.get('function', 'sine')}", train_images=arrays["train_x"],
        train_labels=arrays["train_y"], test_images=arrays["test_x"],
        test_labels=arrays["test_y"], class_names=(), source="synthetic",
        train_truth=arrays["train_f"], test_truth=arrays["test_f"])


def _load_path_dataset(dataset: Mapping[str, object]) -> Dataset:
    """Load ``{"path": folder}``: the four standard IDX files, format checks only."""
    unknown = sorted(set(dataset) - {"path"})
    if unknown or "path" not in dataset:
        raise DataError(
            f"a dataset given as a mapping takes exactly one key, 'path' "
            f"(got {sorted(map(str, dataset))})"
        )
    folder = Path(str(dataset["path"])).expanduser()
    if not folder.is_dir():
        names = ", ".join(STANDARD_FILE_NAMES.values())
        raise DataError(f"{folder}: dataset folder not found (expected a folder with the four "
                        f"IDX files {names}, each optionally .gz)")
    arrays: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for role in ROLES:
        name = STANDARD_FILE_NAMES[role]
        found = [path for path in (folder / name, folder / f"{name}.gz") if path.is_file()]
        if found:
            arrays[role] = read_idx(found[0])
        else:
            missing.append(name)
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)} (each optionally .gz)")
    for role in ("train_labels", "test_labels"):
        labels = arrays[role]
        if not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"{folder / STANDARD_FILE_NAMES[role]}: labels must be integers, "
                            f"got {labels.dtype}")
    largest = max((int(arrays[role].max()) for role in ("train_labels", "test_labels")
                   if arrays[role].size), default=0)
    class_names = tuple(str(label) for label in range(max(10, largest + 1)))
    resolved = folder.resolve()
    return _assemble(resolved.name, arrays, class_names, str(resolved), folder=resolved)


def _assemble(name: str, arrays: dict[str, np.ndarray], class_names: tuple[str, ...],
              source: str, folder: Path | None = None) -> Dataset:
    """Check shapes and labels, flatten images to rows, cast labels to int64, freeze."""

    def where(role: str) -> str:
        file_name = STANDARD_FILE_NAMES.get(role, role)
        return f"{folder / file_name}" if folder is not None else f"{name} {file_name}"

    parts: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        images = arrays[f"{split}_images"]
        labels = arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim < 2:
            raise DataError(f"{where(split + '_images')}: images must be uint8 with shape "
                            f"(N, rows, columns) or (N, features), got {images.dtype} "
                            f"{images.shape}")
        if labels.ndim != 1:
            raise DataError(f"{where(split + '_labels')}: labels must have shape (N,), "
                            f"got {labels.shape}")
        if labels.shape[0] != images.shape[0]:
            raise DataError(f"{where(split + '_labels')}: {labels.shape[0]} labels for "
                            f"{images.shape[0]} images")
        if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= len(class_names)):
            raise DataError(f"{where(split + '_labels')}: labels must lie in 0..."
                            f"{len(class_names) - 1}, got {int(labels.min())}..."
                            f"{int(labels.max())}")
        rows = np.ascontiguousarray(images.reshape(images.shape[0], -1))  # (N, n_features)
        rows.flags.writeable = False
        labels = labels.astype(np.int64)  # (N,)
        labels.flags.writeable = False
        parts[f"{split}_images"] = rows
        parts[f"{split}_labels"] = labels
    if parts["train_images"].shape[1] != parts["test_images"].shape[1]:
        raise DataError(f"{name}: training images have {parts['train_images'].shape[1]} features "
                        f"but test images have {parts['test_images'].shape[1]}")
    return Dataset(name=name, class_names=tuple(class_names), source=source, **parts)
