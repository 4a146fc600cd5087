"""Helpers for chapters' view functions and templates: rows as dicts, text filling.

Templates format, they never compute; these helpers only reshape results for display.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.report.formatting import is_missing

NBSP = "\u00a0"


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with missing values as None (templates test ``is none``)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if is_missing(v) else v) for k, v in row.items()})
    return out


def grouped(frame: pd.DataFrame, key: str, **label_columns: str) -> list[dict]:
    """Rows grouped by ``key`` in order of appearance: ``{key, <label>..., rows}``."""
    groups = []
    for value in dict.fromkeys(frame[key]):
        rows = records(frame[frame[key] == value])
        group = {key: value, "rows": rows}
        for name, column in label_columns.items():
            group[name] = rows[0][column]
        groups.append(group)
    return groups


def fill(template: str, **values: object) -> str:
    """Fill ``{name}`` placeholders of a strings entry with already formatted values.

    Relations in formatted values ('< 0,001', '= 0,031') get a no-break space so that a
    line never breaks between the sign and the number.
    """
    filled = {}
    for key, value in values.items():
        text = "" if value is None else str(value)
        filled[key] = text.replace("< ", f"<{NBSP}").replace("= ", f"={NBSP}")
    return template.format(**filled)


def join_names(names: Iterable[str], word_and: str) -> str:
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word_and} {names[-1]}"
