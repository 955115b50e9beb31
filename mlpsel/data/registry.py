"""The datasets mlpsel knows by name: their files, checksums, mirrors and class names.

Each dataset is four IDX files. A checksum is the SHA-256 of the file's *uncompressed* bytes:
mirrors often re-compress MNIST, so the ``.gz`` bytes differ from mirror to mirror while the IDX
content inside is the same. On a mirror every file is published as ``<base URL><file name>.gz``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlpsel.errors import DataError

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "MNIST_MINI",
    "REGISTRY",
    "ROLES",
    "DatasetSpec",
    "FileSpec",
    "dataset_names",
    "get_spec",
]

#: The four parts of a dataset, in the order files are listed and loaded.
ROLES: tuple[str, ...] = ("train_images", "train_labels", "test_images", "test_labels")

#: Standard IDX file names of the four parts (MNIST, Fashion-MNIST and path datasets).
STANDARD_FILE_NAMES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset.

    Attributes
    ----------
    role : str
        One of :data:`ROLES`.
    name : str
        File name without ``.gz``, e.g. ``"train-images-idx3-ubyte"``.
    sha256 : str
        Lower-case hex SHA-256 of the uncompressed IDX bytes.
    """

    role: str
    name: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, fetch and verify a named dataset.

    Attributes
    ----------
    name : str
        The registry name; also the folder name under a data dir or the cache.
    files : tuple of FileSpec
        The four files, in :data:`ROLES` order.
    mirrors : tuple of str
        Base URLs tried in turn, each ending in ``/``; empty for shipped datasets.
    class_names : tuple of str
        Name of class ``k`` at index ``k``.
    package_dir : Path or None
        Folder inside the installed package holding the (gzipped) files, for shipped datasets;
        such a dataset is never looked up in data dirs, the cache or on mirrors.
    description : str
        One line for listings.
    """

    name: str
    files: tuple[FileSpec, ...]
    mirrors: tuple[str, ...] = ()
    class_names: tuple[str, ...] = tuple(str(digit) for digit in range(10))
    package_dir: Path | None = None
    description: str = ""
    _by_role: dict[str, FileSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_role = {file.role: file for file in self.files}
        if sorted(by_role) != sorted(ROLES) or len(self.files) != len(ROLES):
            raise ValueError(f"dataset spec {self.name!r} needs exactly one file per role {ROLES}")
        object.__setattr__(self, "mirrors", tuple(_with_slash(url) for url in self.mirrors))
        object.__setattr__(self, "_by_role", by_role)

    def file(self, role: str) -> FileSpec:
        """Return the file of one role (``"train_images"``, ..., ``"test_labels"``)."""
        return self._by_role[role]

    def with_mirrors(self, mirrors: list[str] | tuple[str, ...]) -> DatasetSpec:
        """Return a copy of this spec that downloads from ``mirrors`` instead."""
        return replace(self, mirrors=tuple(mirrors))


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _standard_files(checksums: dict[str, str]) -> tuple[FileSpec, ...]:
    return tuple(FileSpec(role, STANDARD_FILE_NAMES[role], checksums[role]) for role in ROLES)


MNIST = DatasetSpec(
    name="mnist",
    files=_standard_files({
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    description="MNIST handwritten digits, 60,000 training and 10,000 test images (download)",
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    files=_standard_files({
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }),
    mirrors=(
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
    description="Fashion-MNIST (Zalando), 60,000 training and 10,000 test images (download)",
)

# Regenerate with scripts/make_mnist_mini.py, which prints these checksums.
MNIST_MINI = DatasetSpec(
    name="mnist-mini",
    files=_standard_files({
        "train_images": "975799314b7966a5b462cc771fd8ed45bd8dffb347450073915ba79eda4ff446",
        "train_labels": "9ea881a5a629624536a69912178fedb3a70a0aa6c0d608989a3faaf589407913",
        "test_images": "b4a0667113d14de44675f5b46a63a307216931a001feceaab31f0a1909d1f9c1",
        "test_labels": "9b65771f9236190fd7a98ea2cc290aaa4b79a53b34d17d07a5044ccbadfafed9",
    }),
    package_dir=Path(__file__).resolve().parent / "mnist_mini",
    description="stratified MNIST subset shipped with mlpsel: 6,000 training and 1,000 test images",
)

#: Every named dataset, by name.
REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST, MNIST_MINI)}


def dataset_names() -> list[str]:
    """Return the names of the registered datasets, in registry order."""
    return list(REGISTRY)


def get_spec(name: str) -> DatasetSpec:
    """Return the spec of a named dataset.

    Raises
    ------
    DataError
        ``name`` is not registered; the message lists the valid names and suggests the closest.
    """
    spec = REGISTRY.get(name)
    if spec is not None:
        return spec
    suggestion = difflib.get_close_matches(str(name), list(REGISTRY), n=1)
    hint = f"did you mean '{suggestion[0]}'? " if suggestion else ""
    raise DataError(
        f"unknown dataset {name!r}; {hint}valid: {', '.join(REGISTRY)}, or {{path: ...}}"
    )
