"""Helpers for chapters' view functions and templates: rows as dicts, text filling.

Templates format, they never compute; these helpers only reshape results for display.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from markupsafe import Markup, escape

from pipeline.report.formatting import is_missing

NBSP = "\u00a0"


def records(frame: pd.DataFrame, table: str | None = None) -> list[dict]:
    """Rows as plain dicts with missing values as None (templates test ``is none``).

    With ``table`` (a results table named in ``pipeline.report.anchors.KEYS``) each row
    carries ``_table``, so that the ``stat`` filter anchors the values it shows to this
    row (``data-stat``, checked by ``pipeline.report.anchors.check``).
    """
    out = []
    for row in frame.to_dict(orient="records"):
        record = {k: (None if is_missing(v) else v) for k, v in row.items()}
        if table is not None:
            record["_table"] = table
        out.append(record)
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
    if any(isinstance(v, Markup) for v in values.values()):
        # anchored statistics (``pipeline.report.anchors.stat``) keep their markup; the
        # text around them is escaped as autoescape would have done
        marked = {}
        for key, value in values.items():
            if isinstance(value, Markup):
                marked[key] = Markup(str(value).replace("&lt; ", f"&lt;{NBSP}")
                                     .replace("= ", f"={NBSP}"))  # fmt: skip
            else:
                text = "" if value is None else str(value)
                marked[key] = text.replace("< ", f"<{NBSP}").replace("= ", f"={NBSP}")
        return Markup(escape(template)).format(**marked)
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
