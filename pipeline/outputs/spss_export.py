"""The processed data as SPSS ``.sav`` files, beside each processed CSV (derive stage).

``data/processed/<name>.sav`` holds the same rows and columns as ``<name>.csv``, for the
analysts who live in SPSS:

- **variable labels**: the codebook's Dutch question text (``question_nl``); columns the
  pipeline derives (scale scores, reverse-coded twins, outcomes, ``groep``…) get the title
  or description their data package field has. Labels are cut to 256 bytes (UTF-8), the
  limit of the format.
- **value labels**: the codebook's codes with their Dutch labels, in codebook order; the
  plan's binary outcomes get ``0 = nee``, ``1 = ja``; ``werktop`` gets
  ``0 = controlegroep``, ``1 = Werktop``.
- **types**: codes and counts are numeric with format ``F8.0``, other numbers ``F8.2``,
  dates (``date`` fields) are SPSS dates, everything else is a string. A missing value is
  system-missing (``.``) or an empty string: missing codes were already made missing by the
  clean stage, so no user-missing values are declared.
- **measurement level**: ordinal for ordered categories, nominal for other categories and
  strings, scale for numbers.
- Text cells are neutralised against formula injection exactly as in the CSV
  (:func:`pipeline.outputs.io.neutralise_formulas`), so both files hold the same text.
- For a synthetic study the file label starts with ``SYNTHETIC`` and a document note says
  the data are synthetic.

Time and memory at a million rows: pyreadstat writes cell by cell in Python, and for a
column with missing values it calls ``pandas.isna`` on every cell; it also copies the whole
frame when one column is ``datetime64``. So it is handed the numbers it would write itself:
dates as seconds since 14 October 1582 (:func:`spss_seconds`, with the ``DATE11`` format)
and a missing number as SPSS's system-missing value (:data:`SPSS_SYSMIS`, the bits readstat
writes for a missing cell). The file's bytes are the same (a test compares them with
pyreadstat's own conversion); writing takes half the time and no copy of the table. Text
columns are object arrays that share one Python string per distinct text.

Deterministic bytes: pyreadstat stamps the creation date and time into the file header
(``dd mmm yy`` at byte 92, ``hh:mm:ss`` at byte 101 of the SPSS system-file header); they
are overwritten with a fixed date (:data:`FIXED_TIMESTAMP`) so two runs give identical
files. If the header ever does not have that layout the export stops rather than writing
a file that would change on every run.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.outputs.catalog import processed_sav
from pipeline.outputs.datapackage import datapackage
from pipeline.outputs.io import atomic_write, neutralise_formulas
from pipeline.study.codebook import Codebook
from pipeline.study.config import OutputPaths
from pipeline.study.plan import AnalysisPlan

#: Creation date written into every .sav header (the month of the 2014 report).
FIXED_TIMESTAMP = dt.datetime(2014, 6, 1, 0, 0, 0)
LABEL_MAX_BYTES = 256
FILE_LABEL_MAX_BYTES = 64
#: Document lines of a synthetic study's files (SPSS documents hold lines of 80 bytes).
SYNTHETIC_NOTE = [
    "SYNTHETISCHE GEGEVENS - geen bevindingen van de evaluatie uit 2014.",
    "SYNTHETIC DATA - not the findings of the 2014 evaluation.",
]
_SPSS_NAME = re.compile(r"[A-Za-z@][A-Za-z0-9_.@#$]{0,63}")
_DATE_OFFSET, _TIME_OFFSET, _TIME_END = 92, 101, 109
EXTRA_VALUE_LABELS = {"werktop": {0: "controlegroep", 1: "Werktop"}}
BINARY_LABELS = {0: "nee", 1: "ja"}
#: SPSS's system-missing value: the lowest double, -DBL_MAX (bits 0xFFEFFFFFFFFFFFFF), the
#: value readstat writes for a missing number. A -DBL_MAX in the data is system-missing too.
SPSS_SYSMIS = -np.finfo(np.float64).max
#: Seconds from SPSS's date origin (14 October 1582) to 1 January 1970.
SPSS_EPOCH_OFFSET = 12_219_379_200
_PER_SECOND = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}  # pyreadstat's units


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def spss_metadata(
    fields: list[dict], plan: AnalysisPlan | None = None
) -> dict[str, dict]:
    """Labels, value labels, formats and measures for ``write_sav`` from data package fields.

    Parameters
    ----------
    fields : list of dict
        The ``schema.fields`` of the data set's resource in ``data/processed/datapackage.json``.
    plan : AnalysisPlan, optional
        Binary outcomes of the plan get ``0 = nee``, ``1 = ja`` value labels.

    Returns
    -------
    dict
        ``column_labels``, ``variable_value_labels``, ``variable_format`` and
        ``variable_measure``, each keyed by column name, plus ``dates`` and ``numbers``
        (sets of column names).
    """
    binary = {o.name for o in plan.outcomes if o.kind == "binary"} if plan else set()
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    formats: dict[str, str] = {}
    measures: dict[str, str] = {}
    dates: set[str] = set()
    numbers: set[str] = set()
    for field in fields:
        name = field["name"]
        if not _SPSS_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid SPSS variable name")
        text = field.get("question_nl") or field.get("title") or field.get("description") or ""
        labels[name] = _cut(text, LABEL_MAX_BYTES)
        kind = field["type"]
        if kind == "date":
            dates.add(name)
            formats[name] = "DATE11"
            measures[name] = "scale"
        elif kind in ("integer", "number", "boolean"):
            numbers.add(name)
            formats[name] = "F8.2" if kind == "number" else "F8.0"
            codes = {float(c["value"]): c["label"] for c in field.get("categories", ())}
            if name in EXTRA_VALUE_LABELS:
                codes = {float(k): v for k, v in EXTRA_VALUE_LABELS[name].items()}
            elif not codes and name in binary:
                codes = {float(k): v for k, v in BINARY_LABELS.items()}
            if codes:
                value_labels[name] = codes
                measures[name] = "ordinal" if field.get("categoriesOrdered") else "nominal"
            else:
                measures[name] = "scale"
        else:
            measures[name] = "nominal"
    return {
        "column_labels": labels,
        "variable_value_labels": value_labels,
        "variable_format": formats,
        "variable_measure": measures,
        "dates": dates,
        "numbers": numbers,
    }


def spss_seconds(stamps: pd.Series) -> pd.Series:
    """SPSS date values: seconds since 14 October 1582, NaN where ``stamps`` is missing.

    Parameters
    ----------
    stamps : pandas.Series
        ``datetime64`` values (unit ms, us or ns, as pyreadstat); with a time zone, the UTC
        time is written (as pyreadstat does).

    Returns
    -------
    pandas.Series
        float64, same index.

    Notes
    -----
    Computed as pyreadstat computes it from a ``datetime64`` column (whole seconds after
    floor division, plus the fraction divided by the ticks per second), so the doubles
    written are bit for bit the ones pyreadstat would write.

    References
    ----------
    IBM SPSS Statistics: date and time values are stored as the number of seconds since
    14 October 1582.
    """
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(None)  # UTC, as pyreadstat's cast to int64
    per_second = _PER_SECOND[np.datetime_data(stamps.dtype)[0]]
    ticks = stamps.to_numpy().view(np.int64)
    whole = ticks // per_second + SPSS_EPOCH_OFFSET
    seconds = whole.astype(np.float64) + (ticks % per_second).astype(np.float64) / per_second
    seconds[stamps.isna().to_numpy()] = np.nan
    return pd.Series(seconds, index=stamps.index, name=stamps.name)


def _text_objects(col: pd.Series) -> np.ndarray:
    """Text cells as the object array pyreadstat iterates ("" for missing); each distinct
    text is one Python string shared by its cells, not one string per cell."""
    codes, uniques = pd.factorize(col.astype("string"), use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques.tolist()
    table[-1] = ""  # code -1: missing
    return table[codes]


def _sysmis_for_nan(values: pd.Series) -> np.ndarray:
    """float64 values with :data:`SPSS_SYSMIS` where a value is missing (a new array)."""
    out = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    out[np.isnan(out)] = SPSS_SYSMIS
    return out


def _spss_frame(frame: pd.DataFrame, dates: set[str], numbers: set[str]) -> pd.DataFrame:
    """Columns as pyreadstat writes them: float64 with :data:`SPSS_SYSMIS` for missing
    (dates as SPSS seconds), or str ("" = missing); not consolidated into blocks (no copy
    of the whole table)."""
    safe = neutralise_formulas(frame)
    out = {}
    for i, name in enumerate(frame.columns):
        col = safe.iloc[:, i]
        if name in dates:
            seconds = spss_seconds(pd.to_datetime(col, errors="coerce", format="ISO8601"))
            out[name] = pd.Series(_sysmis_for_nan(seconds), index=frame.index)
        elif name in numbers:
            numeric = pd.to_numeric(col, errors="coerce")
            out[name] = pd.Series(_sysmis_for_nan(numeric), index=frame.index)
        else:
            out[name] = pd.Series(_text_objects(col), index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index, copy=False)


def _fix_header(raw: bytearray) -> None:
    """Overwrite the creation date and time in a .sav header (in place)."""
    date_text = bytes(raw[_DATE_OFFSET:_TIME_OFFSET])
    time_text = bytes(raw[_TIME_OFFSET:_TIME_END])
    if not (
        re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d\d", date_text)
        and re.fullmatch(rb"\d\d:\d\d:\d\d", time_text)
    ):
        raise RuntimeError("unexpected SPSS header layout; cannot fix the creation time")
    raw[_DATE_OFFSET:_TIME_OFFSET] = FIXED_TIMESTAMP.strftime("%d %b %y").encode("ascii")
    raw[_TIME_OFFSET:_TIME_END] = FIXED_TIMESTAMP.strftime("%H:%M:%S").encode("ascii")


def _fix_timestamp(raw: bytearray) -> bytes:
    _fix_header(raw)
    return bytes(raw)


def _write_sav_file(
    path: Path, frame: pd.DataFrame, fields: list[dict], *, file_label: str,
    synthetic: bool, plan: AnalysisPlan | None,
) -> None:
    """Write the .sav to ``path`` and fix its creation time in the file's header."""
    import pyreadstat  # heavy: only this stage needs it

    if [f["name"] for f in fields] != list(frame.columns):
        raise ValueError("data package fields do not match the frame's columns")
    meta = spss_metadata(fields, plan)
    data = _spss_frame(frame, meta["dates"], meta["numbers"])
    label = ("SYNTHETIC " if synthetic else "") + file_label
    pyreadstat.write_sav(
        data,
        str(path),
        file_label=_cut(label, FILE_LABEL_MAX_BYTES),
        column_labels=meta["column_labels"],
        row_compress=True,
        note=SYNTHETIC_NOTE if synthetic else None,
        variable_value_labels=meta["variable_value_labels"],
        variable_format=meta["variable_format"],
        variable_measure=meta["variable_measure"],
    )
    del data
    with Path(path).open("r+b") as fh:
        head = bytearray(fh.read(_TIME_END))
        _fix_header(head)
        fh.seek(0)
        fh.write(head)


def sav_bytes(
    frame: pd.DataFrame, fields: list[dict], *, file_label: str, synthetic: bool,
    plan: AnalysisPlan | None = None,
) -> bytes:
    """One data set as ``.sav`` bytes (reproducible; see the module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        The processed data set, as written to CSV.
    fields : list of dict
        Its data package fields (same columns, same order).
    file_label : str
        SPSS file label (cut to 64 bytes; prefixed with ``SYNTHETIC`` when synthetic).
    synthetic : bool
        Whether the study is synthetic (label prefix and a document note).
    plan : AnalysisPlan, optional
        For the value labels of binary outcomes.

    Notes
    -----
    The derive stage writes the files with :func:`write_sav` (no copy of the file's bytes
    in memory); this is the same file as bytes, for small tables and tests.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.sav"
        _write_sav_file(path, frame, fields, file_label=file_label, synthetic=synthetic,
                        plan=plan)
        return path.read_bytes()


def write_sav(
    path: Path, frame: pd.DataFrame, fields: list[dict], *, file_label: str,
    synthetic: bool, plan: AnalysisPlan | None = None,
) -> Path:
    """Write one data set as ``.sav`` at ``path``, atomically: the bytes of :func:`sav_bytes`.

    pyreadstat writes straight into the temporary file beside ``path`` (the creation time
    in the header is then overwritten in place), so the file is never held in memory.
    Parameters as for :func:`sav_bytes`.
    """
    return atomic_write(
        path,
        lambda tmp: _write_sav_file(tmp, frame, fields, file_label=file_label,
                                    synthetic=synthetic, plan=plan),
    )


def write_processed_sav(
    paths: OutputPaths,
    frames: Mapping[str, pd.DataFrame],
    codebook: Codebook,
    plan: AnalysisPlan,
    *,
    synthetic: bool,
) -> list[Path]:
    """Write ``data/processed/<name>.sav`` for every processed data set (derive stage)."""
    package = datapackage({n: pd.DataFrame(columns=f.columns) for n, f in frames.items()},
                          codebook, plan, name="spss", title="spss")
    fields = {r["name"]: r["schema"]["fields"] for r in package["resources"]}
    return [
        write_sav(processed_sav(paths, name), frame, fields[name],
                  file_label=f"werktop-eval {name}", synthetic=synthetic, plan=plan)
        for name, frame in frames.items()
    ]
