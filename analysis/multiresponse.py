"""Multiple-response sets ("tick all that apply"): item percentages and comparisons.

Each item of a set is a 0/1 (or bool) column. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.multiplicity import adjust_pvalues
from analysis.proportions import compare_proportions

proportion = lazy_import("statsmodels.stats.proportion")

__all__ = ["describe_multiresponse", "compare_multiresponse"]

DESCRIBE_COLUMNS = ["item", "label", "n", "count", "p", "ci_low", "ci_high"]
COMPARE_COLUMNS = [
    "item", "label",
    "n_treated", "count_treated", "p_treated", "ci_low_treated", "ci_high_treated",
    "n_control", "count_control", "p_control", "ci_low_control", "ci_high_control",
    "risk_difference", "rd_ci_low", "rd_ci_high",
    "test", "statistic", "p_val", "p_adj_bh",
]  # fmt: skip


def _answered_set(frame: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """0/1 float matrix of the respondents who answered the set (missing item -> 0)."""
    cols = list(items)
    if not cols or len(set(cols)) != len(cols):
        raise ValueError("items must name at least one distinct column")
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise KeyError(f"columns not in frame: {absent}")
    x = frame[cols].astype("Float64").astype("float64")
    observed = x.to_numpy()[~np.isnan(x.to_numpy())]
    if not np.isin(observed, (0.0, 1.0)).all():
        raise ValueError("multiple-response items must be 0/1 (or bool) or missing")
    answered = x.notna().any(axis=1)
    return x.loc[answered].fillna(0.0)


def _labels(items: Sequence[str], labels: Mapping[str, str] | None) -> list[str]:
    return [(labels or {}).get(i, i) for i in items]


def describe_multiresponse(
    frame: pd.DataFrame,
    items: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Percentage of respondents selecting each item of a multiple-response set.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent (e.g. the employer survey).
    items : sequence of str
        The 0/1 item columns of one set, in codebook order.
    labels : mapping, optional
        Display label per item (default: the column name).
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item, label, n, count, p, ci_low, ci_high``; ``p`` is a
        proportion (0-1) with Wilson score interval.

    Notes
    -----
    Denominator rule: ``n`` is the number of respondents who **answered the set**,
    i.e. have at least one non-missing item in it; respondents with every item missing
    are left out. Within those respondents a missing item counts as *not selected*
    (an unticked box is often exported blank). The percentages of a set can sum to more
    than 100. Wilson intervals from
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22:209-212.
    """
    x = _answered_set(frame, items)
    n = len(x)
    counts = x.sum(axis=0).to_numpy().astype(np.int64)
    nan = np.full(len(counts), np.nan)
    if n:
        low, high = proportion.proportion_confint(counts, n, alpha=alpha, method="wilson")
        p = counts / n
    else:
        low, high, p = nan, nan, nan
    return pd.DataFrame(
        {"item": list(items), "label": _labels(items, labels), "n": n, "count": counts,
         "p": p, "ci_low": low, "ci_high": high},  # fmt: skip
        columns=DESCRIBE_COLUMNS,
    )


def compare_multiresponse(
    frame: pd.DataFrame,
    items: Sequence[str],
    group: str,
    *,
    order: tuple[Any, Any] = (1, 0),
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare each item of a multiple-response set between two groups.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent.
    items : sequence of str
        The 0/1 item columns of one set, in codebook order.
    group : str
        Group column; ``order = (treated, control)`` names its two values. Rows with
        another or a missing group value are left out.
    order : tuple, default (1, 0)
        Treated and control value.
    labels : mapping, optional
        Display label per item.
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item, label``, per group ``n, count, p`` and Wilson
        interval (``ci_low_*, ci_high_*``), ``risk_difference`` (treated minus control)
        with Newcombe hybrid score interval ``rd_ci_low, rd_ci_high``, ``test``
        (``"chi2"`` or ``"fisher"``), ``statistic``, raw ``p_val`` and ``p_adj_bh``
        (Benjamini-Hochberg within the set).

    Notes
    -----
    Denominator per group as in :func:`describe_multiresponse`: respondents who
    answered the set; a missing item among them counts as not selected. Per item,
    :func:`analysis.proportions.compare_proportions` chooses Pearson chi-square
    without continuity correction when all expected counts are >= 5, else Fisher's
    exact test. The BH adjustment (:func:`analysis.multiplicity.adjust_pvalues`,
    ``"fdr_bh"``) runs over the items of this set only.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions. Statistics in Medicine 17:873-890.
    Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B
    57:289-300.
    """
    if group not in frame.columns:
        raise KeyError(f"column not in frame: {group}")
    parts = {
        name: frame.loc[frame[group] == value]
        for name, value in (("treated", order[0]), ("control", order[1]))
    }
    desc = {
        name: describe_multiresponse(part, items, labels=labels, alpha=alpha)
        for name, part in parts.items()
    }
    sets = {name: _answered_set(part, items) for name, part in parts.items()}
    for name, x in sets.items():
        if len(x) == 0:
            raise ValueError(f"no {name} respondent answered the set")
    tests = pd.concat(
        [compare_proportions(sets["treated"][i], sets["control"][i], alpha=alpha)
         for i in items],  # fmt: skip
        ignore_index=True,
    )
    out = pd.DataFrame({"item": list(items), "label": _labels(items, labels)})
    for name, d in desc.items():
        out[f"n_{name}"] = d["n"].to_numpy()
        out[f"count_{name}"] = d["count"].to_numpy()
        out[f"p_{name}"] = d["p"].to_numpy()
        out[f"ci_low_{name}"] = d["ci_low"].to_numpy()
        out[f"ci_high_{name}"] = d["ci_high"].to_numpy()
    for col in ("risk_difference", "rd_ci_low", "rd_ci_high", "test", "statistic", "p_val"):
        out[col] = tests[col].to_numpy()
    out["p_adj_bh"] = adjust_pvalues(out["p_val"].tolist(), "fdr_bh")
    return out[COMPARE_COLUMNS]
