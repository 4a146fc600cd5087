"""Write a large DataFrame as CSV with the bytes ``pipeline.outputs.io.write_csv`` writes, fast.

``DataFrame.to_csv`` formats and quotes every cell in Python; a million survey rows take
ten seconds. Survey columns hold few distinct values, so here each distinct value of a
column is rendered once (by pandas itself for numbers, by Python's csv writer for text,
after the same formula neutralisation as :func:`pipeline.outputs.io.write_csv`) and the rows are
assembled in pyarrow (``take`` and ``binary_join_element_wise``), with no Python per row,
:data:`CHUNK_ROWS` rows at a time so the text of the whole table is never in memory.
A test compares the bytes with :func:`pipeline.outputs.io.write_csv` on awkward values.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs.io import atomic_write, neutralise_formulas, write_csv

#: Rows assembled and written at a time (bounds the memory the CSV text takes).
CHUNK_ROWS = 65_536
_CSV_SPECIAL = re.compile(r'[",\r\n]')
_LONE_CR = re.compile(r"\r(?!\n)")  # as pipeline.outputs.io.write_csv writes it


def csv_fields(texts: list[str]) -> list[str]:
    """Each text as one CSV field, quoted exactly as ``DataFrame.to_csv`` quotes it
    (Python's csv writer: minimal quoting, doubled quotes, ``\\n`` line terminator)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    out = []
    for text in texts:
        if text and not _CSV_SPECIAL.search(text):  # no quoting needed: written as it is
            out.append(text)
            continue
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([text, ""])  # two fields: a lone empty field would be written ""
        out.append(buffer.getvalue()[:-2])
    return out


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _pandas_fields(values: object) -> list[str]:
    """How ``to_csv`` writes each value (numbers, non-text objects), one line each."""
    frame = pd.DataFrame({"v": values, "x": "x"})
    text = frame.to_csv(index=False, header=False, lineterminator="\n")
    return [line[:-2] for line in text.split("\n")[:-1]]


def _float_codes(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, uniques) of a float column, telling values apart by their bits.

    ``pd.factorize`` takes ``-0.0`` for ``0.0``, which ``to_csv`` writes differently; the
    bit pattern keeps them apart. Missing cells get code -1.
    """
    bits = series.to_numpy(dtype="float64", na_value=np.nan).view(np.int64)
    codes = pd.factorize(bits)[0]
    codes[series.isna().to_numpy()] = -1
    kept = np.flatnonzero(codes >= 0)
    distinct, first = np.unique(codes[kept], return_index=True)
    dense = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.intp)
    dense[distinct] = np.arange(len(distinct))  # still in order of first appearance
    codes[kept] = dense[codes[kept]]
    return codes, series.iloc[kept[first]]


def _column_fields(series: pd.Series, neutralise: bool) -> tuple[np.ndarray, list[str]]:
    """(codes, fields): the column as codes into its distinct CSV fields ("" for missing)."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # io.write_csv leaves these alone
        codes = series.cat.codes.to_numpy()
        uniques = list(np.asarray(series.cat.categories, dtype=object))
        if all(isinstance(u, str) for u in uniques):
            return codes, csv_fields(uniques)
        return codes, [csv_fields([u])[0] if isinstance(u, str) else _pandas_fields([u])[0]
                       for u in uniques]
    if series.dtype.kind == "f":
        codes, floats = _float_codes(series)
        return codes, _pandas_fields(floats.array) if len(floats) else []
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if _is_text(series):
        values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        if neutralise:
            values = neutralise_formulas(pd.DataFrame({0: values}))[0]
        texts = [_LONE_CR.sub("\n", v) if isinstance(v, str) and "\r" in v else v
                 for v in values]
        if all(isinstance(t, str) for t in texts):
            fields = csv_fields(texts)
        else:
            fields = [csv_fields([t])[0] if isinstance(t, str) else _pandas_fields([t])[0]
                      for t in texts]
    else:
        fields = _pandas_fields(uniques) if len(uniques) else []
    return codes, fields


def write_frame_csv(path: Path, frame: pd.DataFrame, *, neutralise: bool = True) -> Path:
    """Write ``frame`` as CSV: the bytes
    ``pipeline.outputs.io.write_csv(path, frame, neutralise=…)``
    writes (UTF-8, ``\\n``, no index, formula-safe text), assembled per distinct value.

    Parameters
    ----------
    path : Path
        The CSV (written atomically).
    frame : pandas.DataFrame
        Any table with a default index; a one-column table goes to ``write_csv``.
    neutralise : bool, default True
        As for :func:`pipeline.outputs.io.write_csv`.

    Returns
    -------
    Path
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] < 2:
        return write_csv(path, frame, neutralise=neutralise)
    names = list(frame.columns)
    if neutralise:
        names = list(neutralise_formulas(pd.DataFrame(columns=frame.columns)).columns)
    header = ",".join(csv_fields([str(c) for c in names])) + "\n"
    big = pa.large_string()
    last = frame.shape[1] - 1
    tables, codes = [], []
    for i in range(frame.shape[1]):
        column_codes, fields = _column_fields(frame.iloc[:, i], neutralise)
        end = "\n" if i == last else ""  # each line ends with its last field
        tables.append(pa.array([f + end for f in fields] + [end], type=big))  # -1: missing
        column_codes = np.where(column_codes < 0, len(fields), column_codes)
        codes.append(column_codes.astype(np.min_scalar_type(len(fields))))
    comma = pa.scalar(",", big)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(header.encode("utf-8"))
            for start in range(0, len(frame), CHUNK_ROWS):
                cells = [pc.take(t, pa.array(c[start:start + CHUNK_ROWS]))
                         for t, c in zip(tables, codes, strict=True)]
                lines = pc.binary_join_element_wise(*cells, comma)
                offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
                first, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
                fh.write(memoryview(lines.buffers()[2])[first:end])

    return atomic_write(path, write)
