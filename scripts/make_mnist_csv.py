"""Write MNIST as a table of your own: one row per image, columns ``p0`` … ``p783`` (pixel values
0–255) and ``digit`` (its class, as text: ``zero`` … ``nine``), for trying mlpsel on a CSV.

From the shipped ``mnist-mini`` (7,000 images, no download) by default, or from full MNIST with
``--dataset mnist`` (70,000 images, read from ``--data-dir`` / the cache / a download). Training
and test images are written together, shuffled with a fixed seed: the table has no test part of
its own, and the run holds one out (``split.test`` or ``split.preset``).

    python scripts/make_mnist_csv.py --out digits.csv
    mlpsel train configs/own_csv.yaml            (reads digits.csv from the working directory)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mlpsel.data import load_dataset

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SEED = 20261201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("digits.csv"))
    parser.add_argument("--dataset", default="mnist-mini")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    import pandas as pd

    data = load_dataset(args.dataset, data_dir=args.data_dir)
    images = np.concatenate([data.train_images, data.test_images])  # (N, 784) uint8
    labels = np.concatenate([data.train_labels, data.test_labels])  # (N,)
    order = np.random.default_rng(SEED).permutation(len(labels))
    frame = pd.DataFrame(images[order], columns=[f"p{j}" for j in range(images.shape[1])])
    frame["digit"] = np.array(NAMES)[labels[order]]
    frame.to_csv(args.out, index=False)
    print(f"wrote {args.out}: {len(frame):,} rows × {images.shape[1]} pixel columns + digit")


if __name__ == "__main__":
    main()
