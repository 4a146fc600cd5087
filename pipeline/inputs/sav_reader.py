"""The SPSS (``.sav``) and Stata (``.dta``) reader: codes as text, with the file's
value labels and user-missing codes in the metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.inputs.export import RawExport, cell_text, check_duplicate_columns, column_text
from pipeline.study.errors import UserError
from pipeline.study.privacy import redact_label


def read_sav_export(path: Path, *, encoding: str | None = None, fmt: str = "sav") -> RawExport:
    """An SPSS (``.sav``) or Stata (``.dta``, ``fmt="dta"``) file: codes as text, with the
    file's value labels and user-missing codes in the metadata (codes are read through
    their labels by validate)."""
    import pyreadstat

    file = redact_label(path.name)  # shown in messages and outputs
    tool = "SPSS" if fmt == "sav" else "Stata"
    try:
        if fmt == "sav":
            frame, meta = pyreadstat.read_sav(
                str(path), user_missing=True, apply_value_formats=False, encoding=encoding
            )
        else:  # Stata's extended missing values (.a-.z) are read as missing
            frame, meta = pyreadstat.read_dta(
                str(path), apply_value_formats=False, encoding=encoding
            )
    except Exception as exc:  # pyreadstat raises its own error types for bad files
        raise UserError(
            f"{file}: cannot read the {tool} file: {exc}",
            hint=f"check the file is a .{fmt} export; if text looks garbled, "
            "set 'encoding' for this input in the study config",
        ) from exc
    check_duplicate_columns(file, list(frame.columns))
    # User-missing codes as the file declares them, with their labels where it has them.
    declared: dict[str, list[dict]] = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        labels = (meta.variable_value_labels or {}).get(col, {})
        entries = []
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            entries.append({"lo": lo, "hi": hi, "label": labels.get(lo, "")})
        declared[col] = entries
    formats = dict(meta.original_variable_types or {})
    columns = list(frame.columns)
    data = pd.DataFrame(
        {i: column_text(frame.iloc[:, i]) for i in range(len(columns))}, index=frame.index
    ).reset_index(drop=True)
    del frame
    return RawExport(
        file=file,
        columns=columns,
        data=data,
        row_numbers=np.arange(1, len(data) + 1, dtype=np.int64),
        row_label="case",
        meta={
            "format": fmt,
            "encoding": meta.file_encoding or encoding,
            "decimal": ".",
            "user_missing": declared,
            "value_labels": {
                col: {cell_text(k): v for k, v in labels.items()}
                for col, labels in (meta.variable_value_labels or {}).items()
            },
            "formats": formats,
            "column_labels": dict(zip(meta.column_names, meta.column_labels, strict=False)),
        },
    )
