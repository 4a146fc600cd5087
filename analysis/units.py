"""Unit-level (e.g. per municipality / per team) goal attainment and rank association.

Inputs are never modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")

__all__ = ["goal_attainment", "exact_rank_correlation"]

GOAL_COLUMNS = ["unit", "indicator", "target", "achieved", "attainment", "target_met"]
RANK_CORRELATION_COLUMNS = ["n", "spearman_rho", "p_val_exact", "p_min_exact"]
MAX_EXACT_N = 9  # 9! = 362,880 pairings; beyond this full enumeration gets slow


def goal_attainment(units: pd.DataFrame, indicators: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Tidy table of targets versus achievements per unit and indicator.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit, with a ``unit`` column (unique) and numeric target / achieved
        columns.
    indicators : list of (name, target_column, achieved_column)
        The indicators to report, in reporting order.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, indicator, target, achieved, attainment, target_met``; rows are
        ordered by unit (input order) then indicator (list order).
        ``attainment = achieved / target`` (float; NaN when either is missing or the
        target is 0). ``target_met = achieved >= target`` (nullable ``boolean``; <NA>
        when either is missing).
    """
    if "unit" not in units.columns:
        raise ValueError("units must have a 'unit' column")
    if units["unit"].duplicated().any():
        raise ValueError("units must have one row per unit")
    needed = {col for _, t, a in indicators for col in (t, a)}
    missing = sorted(needed - set(units.columns))
    if missing:
        raise ValueError(f"columns not found in units: {missing}")
    frames = []
    for name, target_col, achieved_col in indicators:
        target = units[target_col].astype("Float64").astype("float64").to_numpy()
        achieved = units[achieved_col].astype("Float64").astype("float64").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            attainment = np.where(target == 0, np.nan, achieved / target)
        met = pd.array(achieved >= target, dtype="boolean")
        met[np.isnan(target) | np.isnan(achieved)] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    "unit": units["unit"].to_numpy(),
                    "indicator": name,
                    "target": target,
                    "achieved": achieved,
                    "attainment": attainment,
                    "target_met": met,
                    "_order": np.arange(len(units)),
                }
            )
        )
    if not frames:
        return pd.DataFrame({col: [] for col in GOAL_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values("_order", kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)[GOAL_COLUMNS]


def exact_rank_correlation(x: Any, y: Any) -> pd.DataFrame:
    """Spearman's rho with an exact two-sided permutation p-value.

    Parameters
    ----------
    x, y : array-like of float
        Paired values (same length); pairs with a missing value are dropped.

    Returns
    -------
    pandas.DataFrame
        One row: ``n`` (complete pairs), ``spearman_rho``, ``p_val_exact`` and
        ``p_min_exact``, the smallest two-sided p-value any pairing of these ranks can
        reach (that of the perfectly concordant pairing; 2/n! without ties). All but ``n``
        are NaN if x or y is constant.

    Notes
    -----
    rho is ``scipy.stats.spearmanr`` (average ranks for ties). The p-value enumerates
    all ``n!`` pairings with ``scipy.stats.permutation_test(permutation_type="pairings",
    n_resamples=numpy.inf)``; two-sided as in scipy,
    ``min(1, 2 * min(P(rho* <= rho), P(rho* >= rho)))``, which equals
    ``P(|rho*| >= |rho|)`` when there are no ties (symmetric null distribution).
    Requires 3 <= n <= 9.
    """
    xs = pd.Series(x, copy=True).reset_index(drop=True)
    ys = pd.Series(y, copy=True).reset_index(drop=True)
    if len(xs) != len(ys):
        raise ValueError("x and y must have the same length")
    pairs = pd.DataFrame({"x": xs, "y": ys}).dropna().astype("float64")
    n = len(pairs)
    if not 3 <= n <= MAX_EXACT_N:
        raise ValueError(f"exact enumeration needs 3 <= n <= {MAX_EXACT_N} complete pairs")
    rx = stats.rankdata(pairs["x"].to_numpy())
    ry = stats.rankdata(pairs["y"].to_numpy())
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        rho, p_val, p_min = float("nan"), float("nan"), float("nan")
    else:
        rho = float(stats.spearmanr(pairs["x"], pairs["y"]).statistic)

        def statistic(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
            # Pearson correlation of (fixed) ranks == Spearman's rho of the pairing.
            return stats.pearsonr(a, b, axis=axis).statistic

        def exact_p(a: np.ndarray, b: np.ndarray) -> float:
            return float(stats.permutation_test(
                (a, b), statistic, permutation_type="pairings", n_resamples=np.inf,
                alternative="two-sided", vectorized=True,
            ).pvalue)  # fmt: skip

        p_val = exact_p(rx, ry)
        p_min = exact_p(np.sort(rx), np.sort(ry))
    return pd.DataFrame([{"n": n, "spearman_rho": rho, "p_val_exact": p_val,
                          "p_min_exact": p_min}],
                        columns=RANK_CORRELATION_COLUMNS)  # fmt: skip
