"""Atomic, deterministic writers shared by every stage.

Every output is written to a temporary file, fsynced and renamed into place, so an
interrupted or failed run never leaves a half-written file that make would treat as up to
date (the temporary file is beside the output, or in the journal folder inside a
transaction: ``pipeline/outputs/transaction.py``). An operating system that refuses to write
(permission, read-only or full disk, a file where a folder should be) is a user error
naming the output and what to do, not a traceback. CSVs are UTF-8 with ``\\n`` line
endings and ISO dates; JSON has sorted keys.

Formula safety
--------------
Ministry analysts open the CSVs in Excel. A text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return can be run as a formula by a spreadsheet (CSV or
formula injection), and survey answers are typed by anyone. Every CSV written here goes
through :func:`neutralise_formulas`, which prefixes such text cells with a single quote
(OWASP's advice); the xlsx writer must call it too (openpyxl stores any string starting
with ``=`` as a formula). :func:`restore_formulas` undoes it for a stage that reads a CSV
back.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs.transaction import before_replace, make_dirs, temp_dir
from pipeline.study.errors import os_error

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A number written as text, e.g. "-5", "+1,5", "-1.5e3": a spreadsheet reads it as a
# number and nothing runs, so it is left as it is (and keeps round-tripping as a number).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# What every cell _quote changes starts with, and every cell _unquote changes (a regular
# expression both Python's re and pyarrow's RE2 read alike; literal tab and CR).
_TRIGGER_PATTERN = "^[=+@\t\r-]"
_QUOTED_PATTERN = "^'[=+@\t\r-]"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` only if it succeeded.

    The temporary file is fsynced before it replaces ``path``. Inside a transaction it is
    written in the journal folder and the replaced file is journalled
    (``pipeline/outputs/transaction.py``). The operating system refusing (permission denied, a
    read-only or full disk, a file where a folder should be) raises a :class:`UserError`
    naming ``path`` and what to do; any other exception propagates unchanged.
    """
    path = Path(path)
    try:
        make_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=temp_dir(path))
        os.close(fd)
    except OSError as exc:
        user_error = os_error(exc, path, "write")
        if user_error is None:
            raise
        raise user_error from exc
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o644)
        _fsync(tmp_path)
        before_replace(path)  # journal the old file when the run is a transaction
        os.replace(tmp_path, path)
    except BaseException as exc:
        tmp_path.unlink(missing_ok=True)
        user_error = os_error(exc, path, "write")
        if user_error is not None:
            raise user_error from exc
        raise
    return path


def _fsync(path: Path) -> None:
    """Put the file's content on disk (before it replaces an output)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))


def write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def _needs_quote(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and _PLAIN_NUMBER.fullmatch(value) is None
    )


def _is_text_column(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _map_distinct(
    series: pd.Series, func: Callable[[str], str], pattern: str | None = None
) -> pd.Series:
    """Apply ``func`` to each distinct string of ``series`` once; other cells are kept.

    ``pattern`` is a regular expression that every string ``func`` changes matches
    (``re.search``); distinct strings that do not match are left alone without calling
    ``func``. For a string column the match is done on all distinct values at once (in
    pyarrow), so a column of a million distinct ids costs no Python call per id. The
    result has the dtype of ``series``; ``series`` itself is returned when nothing changes.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if isinstance(series.dtype, pd.StringDtype):
        if pattern is None:
            candidates = np.arange(len(uniques))
        else:
            candidates = np.flatnonzero(uniques.str.contains(pattern, regex=True))
        before = uniques[candidates].tolist()
        after = [func(v) for v in before]
        changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a is not b]
        if not changed:
            return series
        mapped = uniques.array.copy()
        mapped[candidates[changed]] = [after[i] for i in changed]
        out = mapped.take(codes, allow_fill=True)  # -1 (missing) -> the dtype's NA
        return pd.Series(out, index=series.index, name=series.name)
    values = uniques.tolist()
    mapped_list = [func(v) if isinstance(v, str) else v for v in values]
    changed_mask = np.array([m is not u for m, u in zip(mapped_list, values, strict=True)],
                            dtype=bool)
    if not changed_mask.any():
        return series
    mapped_values = np.empty(len(mapped_list), dtype=object)
    mapped_values[:] = mapped_list
    hit = (codes >= 0) & changed_mask[np.maximum(codes, 0)]
    out = series.astype(object)  # a new object (copy-on-write): the input is untouched
    out[hit] = mapped_values[codes[hit]]
    return out.astype(series.dtype) if series.dtype != object else out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells a spreadsheet would run as a formula with a single quote.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be written to CSV or xlsx. It is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy in which every *string* cell (and column name) that starts with ``=``,
        ``+``, ``-``, ``@``, a tab or a carriage return has ``'`` in front of it, unless the
        whole cell is a plain number.

    Notes
    -----
    The rule, precisely:

    * Only string cells are touched: cells of object or string dtype columns that are
      ``str``. Numeric, boolean and datetime columns, and non-string values inside an
      object column (a float ``-1.5``), are written as numbers and never changed.
    * A string that is a plain number (``"-5"``, ``"+1,5"``, ``"-1.5e3"``: an optional sign,
      digits with an optional decimal point or comma, an optional exponent) is a negative
      number stored as text. A spreadsheet reads it as a number, nothing runs, so it is
      left alone.
    * Everything else starting with a trigger is neutralised: ``"-5 jaar"`` becomes
      ``"'-5 jaar"``, ``"=SUM(A1)"`` becomes ``"'=SUM(A1)"``, ``"@x"`` becomes ``"'@x"``.
      Leading whitespace other than tab and carriage return does not trigger a formula
      and is left alone.

    Work is done once per distinct value of a column (``pandas.factorize``), not per cell.

    References
    ----------
    OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
    """
    out = frame.copy(deep=False)  # copy-on-write: replacing a column never touches frame
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        if _is_text_column(series):
            out.isetitem(i, _map_distinct(series, _quote, _TRIGGER_PATTERN))
    out.columns = [_quote(c) if isinstance(c, str) else c for c in frame.columns]
    return out


def _quote(value: str) -> str:
    return "'" + value if _needs_quote(value) else value


def _unquote(value: str) -> str:
    if value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


_LONE_CR = re.compile(r"\r(?!\n)")


def _lone_cr_to_lf(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        if _is_text_column(series):
            mapped = _map_distinct(series, lambda v: _LONE_CR.sub("\n", v) if "\r" in v else v,
                                   "\r")
            if mapped is not series:
                out = out.copy(deep=False) if out is frame else out
                out.isetitem(i, mapped)
    return out


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_formulas` on a table read back from a CSV this project wrote.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table as read back (usually every column as text). It is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy in which a leading ``'`` is removed from every string cell (and column
        name) whose remainder :func:`neutralise_formulas` would have quoted.

    Notes
    -----
    The round trip ``restore_formulas(neutralise_formulas(f))`` gives ``f`` back for every
    string except one that itself starts with a quote followed by a trigger (``"'=x"``),
    which comes back without its quote; such text is not expected in survey answers.
    """
    out = frame.copy(deep=False)  # copy-on-write: replacing a column never touches frame
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        if _is_text_column(series):
            out.isetitem(i, _map_distinct(series, _unquote, _QUOTED_PATTERN))
    out.columns = [_unquote(c) if isinstance(c, str) else c for c in frame.columns]
    return out


def write_csv(path: Path, frame: pd.DataFrame, *, neutralise: bool = True) -> Path:
    """Write a DataFrame as UTF-8 CSV, full precision, no index, formula-safe.

    Text cells a spreadsheet would run are neutralised (:func:`neutralise_formulas`)
    unless ``neutralise=False``, which is meant for files no person opens.

    A lone carriage return inside a text cell (one not followed by a line feed) is
    written as a line feed: Python's csv writer quotes a field only for the characters of
    its line terminator (``\\n`` here), so a bare ``\\r`` would be written unquoted and a
    reader would split the record there.
    """
    safe = neutralise_formulas(frame) if neutralise else frame
    safe = _lone_cr_to_lf(safe)
    return atomic_write(
        path,
        lambda p: safe.to_csv(p, index=False, encoding="utf-8", lineterminator="\n"),
    )


def _json_default(obj: object) -> object:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return obj.as_posix()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean_floats(obj: object) -> object:
    """NaN and infinities are not JSON; write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_floats(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return _clean_floats(obj.item())
    return obj


def write_json(path: Path, data: object) -> Path:
    text = json.dumps(
        _clean_floats(data), indent=2, sort_keys=True, ensure_ascii=False, default=_json_default
    )
    return write_text(path, text + "\n")


def read_csv(path: Path, **options: object) -> pd.DataFrame:
    """Read a CSV this project wrote: UTF-8, and formula-neutralised text restored."""
    return restore_formulas(pd.read_csv(path, encoding="utf-8", **options))


def read_json(path: Path) -> object:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)
