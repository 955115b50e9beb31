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
checksums, only format checks. Its classes are ``0 .. K - 1`` with ``K - 1`` the largest training
label, and every one of them must have a training sample: a stray label (one 42 among MNIST's
digits) is refused rather than silently widening the model to 43 classes, and so is a test label
outside the training classes.

Every dataset needs at least one training and one test image, as many labels as images, and
integer labels inside its classes; each failed check is one :class:`~mlpsel.errors.DataError`
line naming the file.

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
    find_verified_file,
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
    files: dict[str, str] = {}
    sources: list[str] = []
    if spec.package_dir is not None:
        for role in ROLES:
            arrays[role], path = _load_shipped_file(spec.package_dir, spec.file(role))
            files[role] = str(path)
        sources.append("package")
    else:
        resolved_data_dir = data_dir_from_environment(data_dir)
        resolved_cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        for role in ROLES:
            arrays[role], path = find_verified_file(
                spec.name, spec.file(role), data_dir=resolved_data_dir,
                cache_dir=resolved_cache_dir, mirrors=spec.mirrors, download=download,
                progress=progress,
            )
            files[role] = str(path)
            if str(path.parent) not in sources:
                sources.append(str(path.parent))
    return _assemble(spec.name, arrays, spec.class_names, ", ".join(sources), files)


def _load_shipped_file(folder: Path, file: FileSpec) -> tuple[np.ndarray, Path]:
    """Read a file shipped in the package (``<name>.gz`` or ``<name>``) and verify it; return
    its array and path."""
    for path in (folder / f"{file.name}.gz", folder / file.name):
        if path.is_file():
            content = read_file_uncompressed(path)
            actual = sha256_hex(content)
            if actual != file.sha256:
                raise DataError(
                    f"{path}: checksum mismatch for {file.name}: expected sha256 {file.sha256}, "
                    f"got {actual}; the installed package is damaged, reinstall mlpsel"
                )
            return decode_idx(content, path), path
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
    files: dict[str, str] = {}
    missing: list[str] = []
    for role in ROLES:
        name = STANDARD_FILE_NAMES[role]
        found = [path for path in (folder / name, folder / f"{name}.gz") if path.is_file()]
        if found:
            arrays[role] = read_idx(found[0])
            files[role] = str(found[0])
        else:
            missing.append(name)
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)} (each optionally .gz)")
    resolved = folder.resolve()
    return _assemble(resolved.name, arrays, None, str(resolved), files)


_SHOWN_LABELS = 5  # stray label values quoted in a message before "and N more"


def _quote_labels(values: np.ndarray, counts: np.ndarray) -> str:
    """``"label 42 appears 1 time(s)"`` or ``"labels 10, 11, ... and 3 more appear 9 time(s)"``
    for the distinct ``values`` (sorted) and how often each occurs."""
    shown = ", ".join(str(int(value)) for value in values[:_SHOWN_LABELS])
    if len(values) > _SHOWN_LABELS:
        shown += f" and {len(values) - _SHOWN_LABELS} more"
    noun, verb = ("label", "appears") if len(values) == 1 else ("labels", "appear")
    return f"{noun} {shown} {verb} {int(counts.sum())} time(s)"


def _quote_gaps(present: np.ndarray, first_missing: int) -> str:
    """The classes from ``first_missing`` up to ``present[-1]`` that no sample has, as ranges:
    ``"classes 10..41 have no sample"``; ``present`` is sorted, distinct, and lacks
    ``first_missing``."""
    ranges: list[str] = []
    previous = first_missing - 1
    n_missing = 0
    for value in (int(value) for value in present[present > first_missing - 1]):
        if value > previous + 1:
            n_missing += value - previous - 1
            low, high = previous + 1, value - 1
            ranges.append(str(low) if low == high else f"{low}..{high}")
        previous = value
    shown = ", ".join(ranges[:_SHOWN_LABELS])
    if len(ranges) > _SHOWN_LABELS:
        shown += f" and {len(ranges) - _SHOWN_LABELS} more ranges"
    return f"class {shown} has no sample" if n_missing == 1 else f"classes {shown} have no sample"


def _classes_from_training(labels: np.ndarray, file: str) -> tuple[str, ...]:
    """Class names ``"0" .. "K-1"`` of a folder dataset, ``K - 1`` its largest training label.

    Parameters
    ----------
    labels : numpy.ndarray of int, shape (N_train,)
        The training labels, N_train >= 1.
    file : str
        The training labels file, named in errors.

    Raises
    ------
    DataError
        A negative label, fewer than two classes, or a class between 0 and the largest label
        without any training sample (the stray labels past the gap are quoted with their count).
    """
    present, counts = np.unique(labels, return_counts=True)  # distinct labels, sorted
    if present[0] < 0:
        negative = present < 0
        raise DataError(f"{file}: labels must be class indices 0..K-1, never negative; "
                        f"{_quote_labels(present[negative], counts[negative])}")
    in_place = present == np.arange(len(present))  # (n_distinct,): label k at index k
    first_missing = len(present) if in_place.all() else int(np.argmin(in_place))
    if first_missing < len(present):
        valid = f"0..{first_missing - 1}" if first_missing > 0 else "0..K-1 (starting at 0)"
        raise DataError(
            f"{file}: labels must be {valid} with every class present in the training labels; "
            f"{_quote_labels(present[first_missing:], counts[first_missing:])} and "
            f"{_quote_gaps(present, first_missing)}"
        )
    if len(present) < 2:
        raise DataError(f"{file}: every training label is {int(present[0])}; a classification "
                        f"dataset needs at least two classes (labels 0..K-1 with K >= 2)")
    return tuple(str(label) for label in range(len(present)))


def _assemble(name: str, arrays: dict[str, np.ndarray], class_names: tuple[str, ...] | None,
              source: str, files: dict[str, str]) -> Dataset:
    """Check counts, shapes and labels, flatten images to rows, cast labels to int64, freeze.

    Parameters
    ----------
    name : str
        The dataset's name.
    arrays : dict of str to numpy.ndarray
        Per role of :data:`~mlpsel.data.registry.ROLES`: images ``(N, rows, columns)`` or
        ``(N, n_features)`` uint8, labels ``(N,)`` of integers.
    class_names : tuple of str, or None
        The classes; None derives ``"0" .. "K-1"`` from the training labels (a folder dataset,
        see :func:`_classes_from_training`).
    source : str
        Where the files came from (:attr:`Dataset.source`).
    files : dict of str to str
        Per role, the file it was read from, named in errors.

    Raises
    ------
    DataError
        Naming the file: a wrong dtype or shape, no images or labels, labels and images that
        differ in number, a label outside the classes, or train and test feature counts that
        differ.
    """
    parts: dict[str, np.ndarray] = {}
    classes_from = "" if class_names is None else (
        f"the {len(class_names)} classes of dataset {name!r}")
    for split in ("train", "test"):
        images = arrays[f"{split}_images"]
        labels = arrays[f"{split}_labels"]
        images_file, labels_file = files[f"{split}_images"], files[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim < 2:
            raise DataError(f"{images_file}: images must be uint8 with shape "
                            f"(N, rows, columns) or (N, features), got {images.dtype} "
                            f"{images.shape}")
        if labels.ndim != 1:
            raise DataError(f"{labels_file}: labels must have shape (N,), got {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"{labels_file}: labels must be integers, got {labels.dtype}")
        if images.shape[0] == 0:
            raise DataError(f"{images_file}: holds 0 images; a dataset needs at least one "
                            f"{'training' if split == 'train' else 'test'} image")
        if labels.shape[0] == 0:
            raise DataError(f"{labels_file}: holds 0 labels; a dataset needs at least one "
                            f"{'training' if split == 'train' else 'test'} label")
        if labels.shape[0] != images.shape[0]:
            raise DataError(f"{labels_file}: {labels.shape[0]} labels for "
                            f"{images.shape[0]} images in {images_file}; each image needs "
                            "exactly one label")
        if class_names is None:  # the training labels come first
            class_names = _classes_from_training(labels, labels_file)
            classes_from = f"the classes of the training labels in {labels_file}"
        outside = (labels < 0) | (labels >= len(class_names))  # (N,)
        if outside.any():
            values, counts = np.unique(labels[outside], return_counts=True)
            raise DataError(f"{labels_file}: labels must lie in 0..{len(class_names) - 1}, "
                            f"{classes_from}; {_quote_labels(values, counts)}")
        rows = np.ascontiguousarray(images.reshape(images.shape[0], -1))  # (N, n_features)
        rows.flags.writeable = False
        labels = labels.astype(np.int64)  # (N,)
        labels.flags.writeable = False
        parts[f"{split}_images"] = rows
        parts[f"{split}_labels"] = labels
    if parts["train_images"].shape[1] != parts["test_images"].shape[1]:
        raise DataError(f"{files['test_images']}: test images have "
                        f"{parts['test_images'].shape[1]} features but the training images in "
                        f"{files['train_images']} have {parts['train_images'].shape[1]}")
    return Dataset(name=name, class_names=tuple(class_names), source=source, **parts)
