"""Your own data: a table in a CSV, Parquet or NPZ file, one row per sample.

``dataset: {path: data.csv, label: digit}``: the labels come from the column ``label`` (whole
numbers or text; the classes are its distinct values, sorted, and keep their names in every
table), the features from every other column or from ``features: [...]``. Features must be
numbers, with no value missing. An NPZ file holds one array per column (a 2-D array gives the
columns ``<name>.0``, ``<name>.1``, ...), read without pickle.

The file has no test part of its own: every row is a training row here, and the test set is
empty; the run holds out a stratified ``split.test`` of the rows as its test set
(:func:`mlpsel.experiment.load_run_data`).

Every problem is one :class:`mlpsel.errors.DataError` line naming the file, the column (and
the row where it helps) and what would be valid.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlpsel.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from mlpsel.data import Dataset

TABLE_SUFFIXES = (".csv", ".parquet", ".npz")


def is_table_path(path: str | Path) -> bool:
    """True for a path whose suffix names a table format mlpsel reads."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def _check_csv_header(path: Path) -> None:
    """A column name given twice would be renamed by pandas (``a``, ``a.1``) without a word."""
    import csv
    from collections import Counter

    with open(path, newline="", encoding="utf-8", errors="replace") as file:
        header = next(csv.reader(file), [])
    twice = [name for name, count in Counter(header).items() if count > 1]
    if twice:
        shown = ", ".join(f"'{name[:40]}'" for name in twice[:5])
        raise DataError(f"{path}: column {shown} is given twice in the header; every column "
                        "needs its own name")


def read_table(path: Path) -> pd.DataFrame:
    """The file's columns as a DataFrame; :class:`DataError` when it cannot be parsed."""
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            _check_csv_header(path)
            return pd.read_csv(path)
        if suffix == ".parquet":
            try:
                return pd.read_parquet(path)
            except ImportError:
                raise DataError(f"{path}: reading Parquet needs pyarrow: pip install "
                                '"mlpsel[parquet]" (or give a CSV or NPZ file)') from None
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path}: not an NPZ file (an NPZ is a zip of .npy arrays, as "
                            "numpy.savez writes it)")
        with np.load(path, allow_pickle=False) as arrays:
            columns: dict[str, np.ndarray] = {}
            for name in arrays.files:
                array = arrays[name]
                if array.ndim == 1:
                    columns[name] = array
                elif array.ndim == 2:
                    columns.update({f"{name}.{j}": array[:, j] for j in range(array.shape[1])})
                else:
                    raise DataError(f"{path}: array '{name}' has {array.ndim} dimensions; an "
                                    "NPZ table holds 1-D columns or 2-D (rows, features) arrays")
            lengths = {len(column) for column in columns.values()}
            if len(lengths) > 1:
                raise DataError(f"{path}: its arrays have different numbers of rows "
                                f"({', '.join(map(str, sorted(lengths)))})")
            return pd.DataFrame(columns)
    except DataError:
        raise
    except ValueError as error:
        if "pickle" in str(error):  # an object array: mlpsel never loads pickles
            raise DataError(f"{path}: holds Python objects (pickled), which mlpsel never loads; "
                            "save numeric or text arrays only") from None
        reason = " ".join(str(error).split())[:200]
        raise DataError(f"{path}: cannot be read as {suffix[1:].upper()} ({reason})") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Exception as error:  # noqa: BLE001 - every parser's own exception types
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise DataError(f"{path}: cannot be read as {suffix[1:].upper()} ({reason})") from None


def load_table_dataset(path: str | Path, label: str | None,
                       features: Sequence[str] | None = None) -> Dataset:
    """A :class:`Dataset` from a table file (see the module docstring).

    Returns
    -------
    Dataset
        ``train_images`` float32 ``(N, n_features)`` (every row), ``train_labels`` ``(N,)``
        int64 in ``0 .. n_classes − 1``, an empty test set ``(0, n_features)``, and
        ``class_names`` the label values as text.
    """
    from mlpsel.data import Dataset

    path = Path(path).expanduser()
    if label is None:
        raise DataError(f"{path}: name the label column: dataset: {{path: {path.name}, "
                        "label: <column>}")
    frame = read_table(path)
    columns = [str(column) for column in frame.columns]
    frame.columns = columns
    if label not in columns:
        raise DataError(f"{path}: no label column '{label}'; columns: {_listed(columns)}")
    if features is None:
        features = [column for column in columns if column != label]
    missing = [name for name in features if name not in columns]
    if missing:
        raise DataError(f"{path}: no feature column '{missing[0]}'; columns: {_listed(columns)}")
    if label in features:
        raise DataError(f"{path}: the label column '{label}' is also a feature")
    if not features:
        raise DataError(f"{path}: no feature columns besides the label '{label}'")
    if len(frame) < 2:
        raise DataError(f"{path}: {len(frame)} rows; a table needs rows to train and test on")
    for name in features:
        column = frame[name]
        if not _is_numeric(column):
            row = _first_non_numeric(column)
            raise DataError(f"{path}: column '{name}' is not numeric ({_where(path, row)}: "
                            f"{str(column.iloc[row])[:40]!r}); features must be numbers")
        if column.isna().any():
            row = int(np.flatnonzero(column.isna().to_numpy())[0])
            raise DataError(f"{path}: column '{name}' has a missing value "
                            f"({_where(path, row)}); fill or drop it first")
    labels = frame[label]
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise DataError(f"{path}: label column '{label}' has a missing value "
                        f"({_where(path, row)})")
    classes, codes = np.unique(labels.astype(str).to_numpy() if not _is_integer(labels)
                               else labels.to_numpy(dtype=np.int64), return_inverse=True)
    if len(classes) < 2:
        raise DataError(f"{path}: label column '{label}' has one class only "
                        f"({str(classes[0])[:40]!r}); classification needs at least two")
    values = np.ascontiguousarray(frame[features].to_numpy(dtype=np.float32))  # (N, n_features)
    labels_array = codes.astype(np.int64)  # (N,)

    def frozen(array: np.ndarray) -> np.ndarray:
        array = np.ascontiguousarray(array)
        array.setflags(write=False)
        return array

    return Dataset(name=path.stem, train_images=frozen(values),
                   train_labels=frozen(labels_array),
                   test_images=frozen(np.empty((0, values.shape[1]), np.float32)),
                   test_labels=frozen(np.empty(0, np.int64)),
                   class_names=tuple(str(c) for c in classes), source=str(path))


def _listed(columns: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns)} in all)" if len(columns) > limit else "")


def _where(path: Path, row: int) -> str:
    """Where row ``row`` (0-based, of the data) is: a CSV's line (the header is line 1), else
    the row index."""
    return f"line {row + 2}" if path.suffix.lower() == ".csv" else f"row {row}"


def _is_numeric(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_integer(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_integer_dtype(column)


def _first_non_numeric(column: pd.Series) -> int:
    import pandas as pd

    numbers = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero((numbers.isna() & column.notna()).to_numpy())
    return int(bad[0]) if len(bad) else 0
