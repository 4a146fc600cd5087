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
  (:func:`pipeline.io.neutralise_formulas`), so both files hold the same text.
- For a synthetic study the file label starts with ``SYNTHETIC`` and a document note says
  the data are synthetic.

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

import pandas as pd

from pipeline.catalog import processed_sav
from pipeline.codebook import Codebook
from pipeline.config import OutputPaths
from pipeline.datapackage import datapackage
from pipeline.io import neutralise_formulas, write_bytes
from pipeline.plan import AnalysisPlan

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


def _spss_frame(frame: pd.DataFrame, dates: set[str], numbers: set[str]) -> pd.DataFrame:
    """Columns in the types pyreadstat writes: float64, dates, or str ("" = missing)."""
    safe = neutralise_formulas(frame)
    out = {}
    for i, name in enumerate(frame.columns):
        col = safe.iloc[:, i]
        if name in dates:
            out[name] = pd.to_datetime(col, errors="coerce", format="ISO8601")
        elif name in numbers:
            out[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:
            out[name] = col.astype("string").fillna("").astype(object)
    return pd.DataFrame(out, index=frame.index)


def _fix_timestamp(raw: bytearray) -> bytes:
    date_text = bytes(raw[_DATE_OFFSET:_TIME_OFFSET])
    time_text = bytes(raw[_TIME_OFFSET:_TIME_END])
    if not (
        re.fullmatch(rb"[ 0-9]\d [A-Z][a-z]{2} \d\d", date_text)
        and re.fullmatch(rb"\d\d:\d\d:\d\d", time_text)
    ):
        raise RuntimeError("unexpected SPSS header layout; cannot fix the creation time")
    raw[_DATE_OFFSET:_TIME_OFFSET] = FIXED_TIMESTAMP.strftime("%d %b %y").encode("ascii")
    raw[_TIME_OFFSET:_TIME_END] = FIXED_TIMESTAMP.strftime("%H:%M:%S").encode("ascii")
    return bytes(raw)


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
    """
    import pyreadstat  # heavy: only this stage needs it

    if [f["name"] for f in fields] != list(frame.columns):
        raise ValueError("data package fields do not match the frame's columns")
    meta = spss_metadata(fields, plan)
    data = _spss_frame(frame, meta["dates"], meta["numbers"])
    label = ("SYNTHETIC " if synthetic else "") + file_label
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.sav"
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
        raw = bytearray(path.read_bytes())
    return _fix_timestamp(raw)


def write_processed_sav(
    paths: OutputPaths,
    frames: Mapping[str, pd.DataFrame],
    codebook: Codebook,
    plan: AnalysisPlan,
    *,
    synthetic: bool,
) -> list[Path]:
    """Write ``data/processed/<name>.sav`` for every processed data set (derive stage)."""
    package = datapackage(dict(frames), codebook, plan, name="spss", title="spss")
    fields = {r["name"]: r["schema"]["fields"] for r in package["resources"]}
    written = []
    for name, frame in frames.items():
        data = sav_bytes(frame, fields[name], file_label=f"werktop-eval {name}",
                         synthetic=synthetic, plan=plan)
        written.append(write_bytes(processed_sav(paths, name), data))
    return written
