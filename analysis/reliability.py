"""Scale reliability per group: Cronbach's alpha and item analysis.

Inputs are never modified. The rule on the minimum number of answered items for a
scale *score* lives in :func:`analysis.scales.score_scale`; reliability here is always
computed on complete cases (persons who answered every item).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.scales import cronbach_alpha

__all__ = ["item_analysis", "reliability_by_group"]

ITEM_COLUMNS = ["item", "n", "mean", "sd", "item_rest_r", "alpha_if_deleted"]
GROUP_ALPHA_COLUMNS = ["group", "n_total", "n", "k", "cronbach_alpha", "ci_low", "ci_high"]
GROUP_ITEM_COLUMNS = ["group", *ITEM_COLUMNS]


def _as_float(items: pd.DataFrame) -> pd.DataFrame:
    """Float64 copy (pd.NA -> NaN)."""
    return items.astype("Float64").astype("float64")


def _alpha_value(x: np.ndarray) -> float:
    k = x.shape[1]
    if k < 2:
        return float("nan")
    total_var = x.sum(axis=1).var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var))


def item_analysis(items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-rest correlations and alpha-if-item-deleted.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item (reverse-coded where needed), one row per person. Rows with
        any missing item are dropped (complete cases, as in
        :func:`analysis.scales.cronbach_alpha`).

    Returns
    -------
    pandas.DataFrame
        One row per item, in column order: ``item, n, mean, sd, item_rest_r,
        alpha_if_deleted``.

    Notes
    -----
    * ``item_rest_r``: Pearson correlation of the item with the sum of the *other*
      items (corrected item-total correlation; SPSS "Corrected Item-Total
      Correlation", ``psych::alpha`` ``r.drop``). NaN when either has zero variance.
    * ``alpha_if_deleted``: Cronbach's alpha of the remaining k - 1 items on the same
      complete cases; NaN when k = 2 (alpha of a single item is undefined).
    * ``mean`` and ``sd`` (ddof=1) are on the complete cases.

    References
    ----------
    Cronbach LJ (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16:297-334.
    Nunnally JC, Bernstein IH (1994). Psychometric Theory, 3rd ed., ch. 8.
    McGraw-Hill.
    """
    k = items.shape[1]
    if k < 2:
        raise ValueError("need at least 2 items")
    x = _as_float(items).dropna(axis=0, how="any").to_numpy()
    n = x.shape[0]
    if n < 2:
        raise ValueError("need at least 2 complete cases")
    total = x.sum(axis=1)
    rows = []
    for j, name in enumerate(items.columns):
        rest = total - x[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.corrcoef(x[:, j], rest)[0, 1] if x[:, j].std() and rest.std() else np.nan
        rows.append({
            "item": name, "n": n, "mean": float(x[:, j].mean()),
            "sd": float(x[:, j].std(ddof=1)), "item_rest_r": float(r),
            "alpha_if_deleted": _alpha_value(np.delete(x, j, axis=1)) if k > 2 else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def reliability_by_group(
    frame: pd.DataFrame,
    items: Sequence[str],
    group: str,
    *,
    order: Sequence[Any] | None = None,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cronbach's alpha (Feldt CI) and item analysis for each group.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person.
    items : sequence of str
        Item columns of one scale (already reverse-coded where needed).
    group : str
        Group column; rows with a missing group are left out.
    order : sequence, optional
        Groups to report, in this order (default: sorted observed values).
    alpha : float, default 0.05
        The alpha interval has level ``1 - alpha``.

    Returns
    -------
    alphas : pandas.DataFrame
        One row per group: ``group, n_total`` (rows in the group), ``n`` (complete
        cases), ``k, cronbach_alpha, ci_low, ci_high``. A group with fewer than 2
        complete cases gets NaN.
    item_stats : pandas.DataFrame
        One row per group x item: ``group`` plus the columns of :func:`item_analysis`.

    Notes
    -----
    Alpha and its Feldt (1965) F-based interval come from
    :func:`analysis.scales.cronbach_alpha`; alpha uses complete cases only, whereas a
    scale score (:func:`analysis.scales.score_scale`) is the mean of the answered
    items when at least ``min_items`` were answered, so ``n`` here can be smaller than
    the number of persons with a score.

    References
    ----------
    Feldt LS (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika 30:357-370.
    """
    cols = list(items)
    absent = [c for c in [*cols, group] if c not in frame.columns]
    if absent:
        raise KeyError(f"columns not in frame: {absent}")
    groups = list(order) if order is not None else sorted(frame[group].dropna().unique())
    alpha_rows, item_frames = [], []
    nan = float("nan")
    for g in groups:
        sub = frame.loc[frame[group] == g, cols]
        n_complete = int(_as_float(sub).notna().all(axis=1).sum())
        if n_complete >= 2:
            a = cronbach_alpha(sub, alpha=alpha).iloc[0].to_dict()
            it = item_analysis(sub)
        else:
            a = {"n": n_complete, "k": len(cols), "cronbach_alpha": nan,
                 "ci_low": nan, "ci_high": nan}  # fmt: skip
            it = pd.DataFrame({"item": cols, "n": n_complete, "mean": nan, "sd": nan,
                               "item_rest_r": nan, "alpha_if_deleted": nan})  # fmt: skip
        alpha_rows.append({"group": g, "n_total": len(sub), **a})
        item_frames.append(it.assign(group=g)[GROUP_ITEM_COLUMNS])
    alphas = pd.DataFrame(alpha_rows, columns=GROUP_ALPHA_COLUMNS)
    alphas[["n_total", "n", "k"]] = alphas[["n_total", "n", "k"]].astype("int64")
    return alphas, pd.concat(item_frames, ignore_index=True)
