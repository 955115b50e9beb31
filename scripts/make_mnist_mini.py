"""Regenerate ``mlpsel/data/mnist_mini``: a stratified, reproducible subset of MNIST.

Takes 600 images of each digit from the official training set and 100 of each digit from the
official test set, chosen without replacement by ``np.random.default_rng(20261128)`` (training
first, then test; digits 0 to 9 in order) and kept in their original order. Writes the four IDX
files gzipped (level 9, gzip time stamp 0), so running it twice gives identical bytes, and prints
the SHA-256 of each file's uncompressed content for ``mlpsel/data/registry.py``.

Usage, from the repository root (with mlpsel installed, ``pip install -e .``, or ``PYTHONPATH=.``)::

    python scripts/make_mnist_mini.py --source ../shared/data/mnist --out mlpsel/data/mnist_mini
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from mlpsel.data.idx import encode_idx, read_idx, write_idx
from mlpsel.data.registry import MNIST, STANDARD_FILE_NAMES

SEED = 20261128
TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100


def stratified_indices(labels: np.ndarray, per_class: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Pick ``per_class`` indices of each class 0..9 without replacement, in ascending order.

    Parameters
    ----------
    labels : numpy.ndarray, shape (N,)
        Class of each sample.
    per_class : int
        Samples to take per class.
    rng : numpy.random.Generator
        Source of randomness; consumed class by class, 0 to 9.

    Returns
    -------
    numpy.ndarray, shape (10 * per_class,), int64
        Sorted indices into ``labels``.
    """
    chosen = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)  # (n_digit,)
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _find(source: Path, name: str) -> Path:
    for path in (source / f"{name}.gz", source / name):
        if path.is_file():
            return path
    raise SystemExit(f"error: {source} has no {name}(.gz)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True,
                        help="folder with the four full MNIST IDX files (gzipped or not)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    arguments = parser.parse_args(argv)

    full = {role: read_idx(_find(arguments.source, name))
            for role, name in STANDARD_FILE_NAMES.items()}
    for role, array in full.items():
        actual = hashlib.sha256(encode_idx(array)).hexdigest()
        if actual != MNIST.file(role).sha256:
            raise SystemExit(f"error: {role} in {arguments.source} is not the official MNIST "
                             f"(sha256 {actual})")

    rng = np.random.default_rng(SEED)
    train = stratified_indices(full["train_labels"], TRAIN_PER_CLASS, rng)  # (6000,)
    test = stratified_indices(full["test_labels"], TEST_PER_CLASS, rng)  # (1000,)
    subset = {
        "train_images": full["train_images"][train],  # (6000, 28, 28)
        "train_labels": full["train_labels"][train],  # (6000,)
        "test_images": full["test_images"][test],  # (1000, 28, 28)
        "test_labels": full["test_labels"][test],  # (1000,)
    }

    arguments.out.mkdir(parents=True, exist_ok=True)
    for role, array in subset.items():
        name = STANDARD_FILE_NAMES[role]
        write_idx(arguments.out / f"{name}.gz", array, compress=True, compresslevel=9)
        digest = hashlib.sha256(encode_idx(array)).hexdigest()
        print(f'"{role}": "{digest}",  # {name}, shape {array.shape}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
