"""Chapter 7's synthesis: what the group interviews say, theme by theme, in a few lines.

Chosen by rules from the interview tables (never from the fragments' wording):

- per theme, the code (or codes, when tied) mentioned in the most units, with the number
  of units and fragments; a code mentioned in one unit only is called "one unit's view";
- the safeguards for continuation: per safeguard code, the units that name it, so the text
  can say how many units embed the relatiemanager in their staff.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def theme_synthesis(codes: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per theme (table order): its most widely mentioned code(s)."""
    out = []
    for theme, rows in codes.groupby("theme", sort=False):
        most = rows["n_units"].max()
        top = rows[rows["n_units"] == most]
        out.append({
            "theme": int(theme) if str(theme).isdigit() else str(theme),
            "label_nl": str(rows["theme_label_nl"].iloc[0]),
            "label_en": str(rows["theme_label_en"].iloc[0]),
            "codes_nl": [str(c) for c in top["code_label_nl"]],
            "codes_en": [str(c) for c in top["code_label_en"]],
            "n_units": int(most),
            "n_fragments": int(top["n_fragments"].sum()),
            "shared": bool(most > 1),
        })  # fmt: skip
    return out


def safeguards(continuation: pd.DataFrame) -> list[dict[str, Any]]:
    """Per safeguard code (first-seen order): its labels and how many units name it."""
    codes: dict[str, dict[str, Any]] = {}
    for row in continuation.itertuples(index=False):  # one row per unit: a handful
        if not isinstance(row.safeguards, str) or not row.safeguards:
            continue
        names_nl = str(row.safeguards_nl).split("; ")
        names_en = str(row.safeguards_en).split("; ")
        for i, code in enumerate(row.safeguards.split("; ")):
            entry = codes.setdefault(code, {"code": code, "label_nl": names_nl[i],
                                            "label_en": names_en[i], "units": []})
            entry["units"].append(str(row.unit_name))
    return [{**e, "n_units": len(e["units"])} for e in codes.values()]


def synthesis(codes: pd.DataFrame, continuation: pd.DataFrame) -> dict[str, Any]:
    """``stats["municipalities"]["synthesis"]``."""
    return {"themes": theme_synthesis(codes), "safeguards": safeguards(continuation)}
