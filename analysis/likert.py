"""Distributions of Likert items and the geometry of a diverging stacked bar chart.

Answer codes come in codebook order; levels nobody chose are kept with 0, items without
any valid answer give NaN percentages (never an error). Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["likert_distribution", "likert_diverging"]

LIKERT_COLUMNS = [
    "item", "level", "label", "n", "pct", "n_valid", "n_na", "pct_na", "n_missing", "n_total",
]  # fmt: skip
DIVERGING_COLUMNS = ["item", "level", "label", "pct", "side", "start", "end"]


def likert_distribution(
    items: pd.DataFrame,
    levels: Sequence[Any],
    *,
    na_codes: Sequence[Any] = (9,),
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Counts and percentages per answer level for a battery of Likert items.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (column order = reporting order), one row per respondent,
        holding the answer codes.
    levels : sequence
        The substantive answer codes in codebook order (e.g. ``[1, 2, 3, 4, 5]`` from
        "helemaal oneens" to "helemaal eens").
    na_codes : sequence, default (9,)
        Codes meaning "weet niet / not applicable". Counted separately (``n_na``).
    labels : sequence of str, optional
        One label per level (already translated); default ``str(level)``.

    Returns
    -------
    pandas.DataFrame
        One row per item x level (items in column order, levels in codebook order, empty
        levels kept with ``n = 0``), columns ``item, level, label, n, pct, n_valid,
        n_na, pct_na, n_missing, n_total``:

        * ``n`` - respondents choosing the level;
        * ``pct`` - ``100 * n / n_valid`` (NaN when ``n_valid = 0``);
        * ``n_valid`` - answers on one of ``levels``;
        * ``n_na`` - answers with an ``na_codes`` code ("weet niet");
        * ``pct_na`` - ``100 * n_na / (n_valid + n_na)``, the share of those who
          answered the question (NaN when nobody did);
        * ``n_missing`` - no answer at all (NaN / None / pd.NA / blank);
        * ``n_total = n_valid + n_na + n_missing`` (= rows of ``items``).

    Notes
    -----
    The percentage base of ``pct`` excludes both "weet niet" (``na_codes``) and
    system-missing answers, so the level percentages of an item with valid answers sum
    to 100 (up to floating point). Item-level columns are repeated on each level row.
    A value that is neither a level, an N/A code nor missing raises ``ValueError``.

    References
    ----------
    Bryer J, Speerschneider K. likert: Analysis and Visualization of Likert Items
    (R package); issue #69 (empty levels dropped) is the failure this avoids.
    """
    lv = list(levels)
    na = list(na_codes)
    if len(set(lv)) != len(lv):
        raise ValueError("levels must be unique")
    if set(lv) & set(na):
        raise ValueError("a code cannot be both a level and an N/A code")
    lab = [str(v) for v in lv] if labels is None else [str(s) for s in labels]
    if len(lab) != len(lv):
        raise ValueError("labels must have one entry per level")
    if items.columns.duplicated().any():
        raise ValueError("item names must be unique")

    names = list(items.columns)
    long = items.melt(value_vars=names, var_name="item", value_name="value", ignore_index=True)
    blank = long["value"].astype("string").str.strip().eq("").fillna(False).astype(bool)
    value = long["value"].mask(blank)
    missing = value.isna()
    is_na = value.isin(na) & ~missing
    is_level = value.isin(lv) & ~missing
    bad = value[~missing & ~is_na & ~is_level]
    if len(bad):
        raise ValueError(f"values that are neither a level nor an N/A code: {sorted(set(bad))!r}")

    item_cat = pd.Categorical(long["item"], categories=names)
    per_item = pd.DataFrame(
        {"n_na": is_na, "n_missing": missing, "n_valid": is_level, "item": item_cat}
    ).groupby("item", observed=False)[["n_valid", "n_na", "n_missing"]].sum()
    counts = (
        pd.crosstab(
            item_cat[is_level.to_numpy()],
            pd.Categorical(value[is_level], categories=lv),
            dropna=False,
        )
        .reindex(index=names, columns=lv, fill_value=0)
        .astype("int64")
    )
    n = counts.to_numpy().ravel()
    k = len(lv)
    n_valid = np.repeat(per_item["n_valid"].to_numpy(dtype=np.int64), k)
    n_na = np.repeat(per_item["n_na"].to_numpy(dtype=np.int64), k)
    n_missing = np.repeat(per_item["n_missing"].to_numpy(dtype=np.int64), k)
    answered = n_valid + n_na
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(n_valid > 0, 100.0 * n / n_valid, np.nan)
        pct_na = np.where(answered > 0, 100.0 * n_na / answered, np.nan)
    return pd.DataFrame(
        {
            "item": pd.Series(np.repeat(np.array(names, dtype=object), k), dtype=object),
            "level": pd.Series(lv * len(names), dtype=object),
            "label": lab * len(names),
            "n": n,
            "pct": pct,
            "n_valid": n_valid,
            "n_na": n_na,
            "pct_na": pct_na,
            "n_missing": n_missing,
            "n_total": n_valid + n_na + n_missing,
        },
        columns=LIKERT_COLUMNS,
    )


def likert_diverging(
    dist: pd.DataFrame,
    *,
    neutral: Any | None = None,
    neutral_mode: Literal["split", "separate"] = "split",
) -> pd.DataFrame:
    """Bar segments of a diverging stacked bar chart from ``likert_distribution`` output.

    Parameters
    ----------
    dist : pandas.DataFrame
        Output of :func:`likert_distribution` (uses ``item, level, label, pct``); the
        level order within an item is taken as the scale order.
    neutral : level code, optional
        The neutral (middle) level. Levels before it are negative, levels after it
        positive. ``None``: no neutral level; the first half of the levels is negative
        (for an odd number of levels pass the middle code explicitly).
    neutral_mode : {"split", "separate"}, default "split"
        ``"split"``: the neutral segment is centred on zero (half on each side).
        ``"separate"``: the neutral segment is drawn apart, from 0 to its percentage
        (``side = "neutral"``; plot it in its own column), and the other levels start at
        zero.

    Returns
    -------
    pandas.DataFrame
        One row per item x level, columns ``item, level, label, pct, side, start, end``.
        ``side`` is ``"negative"``, ``"neutral"`` or ``"positive"``; ``start`` and
        ``end`` are the segment's left and right edges in percent on the diverging axis
        (``end - start = pct``). Negative segments are stacked outward from zero (the
        level next to neutral closest to zero). For an item without valid answers
        ``pct``, ``start`` and ``end`` are NaN.

    Notes
    -----
    Percentages are of valid answers (N/A excluded, see :func:`likert_distribution`),
    so in ``"split"`` mode the bar spans exactly 100 points across zero.

    References
    ----------
    Heiberger RM, Robbins NB (2014). Design of diverging stacked bar charts for Likert
    scales and other applications. Journal of Statistical Software 57(5).
    """
    if neutral_mode not in ("split", "separate"):
        raise ValueError("neutral_mode must be 'split' or 'separate'")
    levels = list(dict.fromkeys(dist["level"]))
    if neutral is None:
        half = len(levels) // 2
        side_of = {lv: ("negative" if i < half else "positive") for i, lv in enumerate(levels)}
    else:
        if neutral not in levels:
            raise ValueError(f"neutral level {neutral!r} is not one of the levels")
        mid = levels.index(neutral)
        side_of = {
            lv: ("negative" if i < mid else "neutral" if i == mid else "positive")
            for i, lv in enumerate(levels)
        }
    frame = dist[["item", "level", "label", "pct"]].copy()
    frame["side"] = frame["level"].map(side_of)
    frame["_pos"] = frame["level"].map({lv: i for i, lv in enumerate(levels)})
    frame["_row"] = np.arange(len(frame))
    pct = frame["pct"].astype("float64")
    frame["pct"] = pct
    neutral_pct = (
        pct.where(frame["side"] == "neutral", 0.0)
        .groupby(frame["item"], sort=False)
        .transform("sum")
    )
    offset = neutral_pct / 2.0 if neutral_mode == "split" else 0.0 * neutral_pct

    pos = frame[frame["side"] == "positive"].sort_values(["item", "_pos"], kind="stable")
    pos_end = pos.groupby("item", sort=False)["pct"].cumsum() + offset[pos.index]
    neg = frame[frame["side"] == "negative"].sort_values(["item", "_pos"], ascending=[True, False])
    neg_start = -(neg.groupby("item", sort=False)["pct"].cumsum() + offset[neg.index])

    start = pd.Series(np.nan, index=frame.index)
    end = pd.Series(np.nan, index=frame.index)
    end[pos.index] = pos_end
    start[pos.index] = pos_end - pos["pct"]
    start[neg.index] = neg_start
    end[neg.index] = neg_start + neg["pct"]
    is_neutral = frame["side"] == "neutral"
    if neutral_mode == "split":
        start[is_neutral] = -pct[is_neutral] / 2.0
        end[is_neutral] = pct[is_neutral] / 2.0
    else:
        start[is_neutral] = 0.0 * pct[is_neutral]
        end[is_neutral] = pct[is_neutral]
    frame["start"] = start.where(pct.notna()) + 0.0  # + 0.0 turns -0.0 into 0.0
    frame["end"] = end.where(pct.notna()) + 0.0
    out = frame.sort_values("_row").reset_index(drop=True)
    return out[DIVERGING_COLUMNS]
