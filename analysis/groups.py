"""Comparisons across k independent groups (e.g. the five units).

Kruskal-Wallis for ordinal / continuous outcomes, a chi-square test of independence
(asymptotic or Monte Carlo) for categorical outcomes. Missing values are dropped;
groups without observations are reported, never crashed on. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.estimability import not_estimable_note

stats = lazy_import("scipy.stats")

__all__ = ["compare_k_groups"]

K_GROUPS_TEST_COLUMNS = [
    "kind", "test", "statistic", "dof", "p_val", "n", "k", "k_empty", "min_expected",
    "epsilon_squared", "cramers_v", "note",
]  # fmt: skip
K_GROUPS_RANK_SUMMARY_COLUMNS = [
    "group", "n", "n_missing", "mean", "sd", "median", "q1", "q3", "mean_rank",
]  # fmt: skip
K_GROUPS_CATEGORY_SUMMARY_COLUMNS = ["group", "category", "n", "pct", "n_valid", "n_missing"]


def _aligned(values: Any, groups: Any) -> pd.DataFrame:
    v = pd.Series(values, copy=True).reset_index(drop=True)
    g = pd.Series(groups, copy=True).reset_index(drop=True)
    if v.ndim != 1 or g.ndim != 1 or len(v) != len(g):
        raise ValueError("values and groups must be one-dimensional and of the same length")
    return pd.DataFrame({"value": v, "group": g})


def _group_levels(group: pd.Series, group_order: Sequence[Any] | None) -> list[Any]:
    present = list(dict.fromkeys(group.dropna()))
    if group_order is None:
        try:
            return sorted(present)
        except TypeError:
            return present
    order = list(group_order)
    if len(set(order)) != len(order):
        raise ValueError("group_order must be unique")
    unknown = [g for g in present if g not in order]
    if unknown:
        raise ValueError(f"groups not in group_order: {unknown!r}")
    return order


def _not_computable(kind: str, n: int, k: int, k_empty: int, reason: str,
                    *details: str) -> dict[str, Any]:  # fmt: skip
    """A test row without a test; its note is ``not estimable (<reason>: <details>)``."""
    nan = float("nan")
    note = not_estimable_note(reason, "; ".join(filter(None, details)))
    return {
        "kind": kind, "test": "not_computable", "statistic": nan, "dof": nan, "p_val": nan,
        "n": n, "k": k, "k_empty": k_empty, "min_expected": nan, "epsilon_squared": nan,
        "cramers_v": nan, "note": note,
    }  # fmt: skip


def _empty_note(empty: list[Any], policy: str) -> str:
    if not empty:
        return ""
    names = ", ".join(str(g) for g in empty)
    if policy == "exclude":
        return f"groups without observations excluded from the test: {names}"
    return f"groups without observations: {names}"


def _rank_test(
    frame: pd.DataFrame, levels: list[Any], empty_groups: str, kind: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        frame = frame.assign(value=frame["value"].astype("float64"))
    except (TypeError, ValueError) as exc:
        raise TypeError("values must be numeric for kind='ordinal'/'continuous'") from exc
    valid = frame.dropna()
    valid = valid.assign(rank=stats.rankdata(valid["value"].to_numpy()))
    grouped_valid = valid.groupby("group", sort=False)
    miss = frame[frame["value"].isna()].groupby("group", sort=False).size()
    agg = grouped_valid["value"].agg(["size", "mean", "median"])
    sd = grouped_valid["value"].std(ddof=1)
    q1 = grouped_valid["value"].quantile(0.25)
    q3 = grouped_valid["value"].quantile(0.75)
    mean_rank = grouped_valid["rank"].mean()
    summary = pd.DataFrame(
        {
            "group": pd.Series(levels, dtype=object),
            "n": agg["size"].reindex(levels).fillna(0).astype("int64").to_numpy(),
            "n_missing": miss.reindex(levels).fillna(0).astype("int64").to_numpy(),
            "mean": agg["mean"].reindex(levels).to_numpy(dtype=float),
            "sd": sd.reindex(levels).to_numpy(dtype=float),
            "median": agg["median"].reindex(levels).to_numpy(dtype=float),
            "q1": q1.reindex(levels).to_numpy(dtype=float),
            "q3": q3.reindex(levels).to_numpy(dtype=float),
            "mean_rank": mean_rank.reindex(levels).to_numpy(dtype=float),
        },
        columns=K_GROUPS_RANK_SUMMARY_COLUMNS,
    )
    empty = [g for g, n in zip(levels, summary["n"], strict=True) if n == 0]
    used = [g for g in levels if g not in empty]
    n = int(len(valid))
    note = _empty_note(empty, empty_groups)
    if empty and empty_groups == "not_computable":
        return summary, _not_computable(kind, n, len(levels), len(empty),
                                        "too_few_respondents", note)  # fmt: skip
    if len(used) < 2:
        return summary, _not_computable(kind, n, len(used), len(empty), "too_few_respondents",
                                        "fewer than 2 groups", note)  # fmt: skip
    if np.ptp(valid["value"].to_numpy()) == 0:
        return summary, _not_computable(kind, n, len(used), len(empty), "no_variation",
                                        "all values equal", note)  # fmt: skip
    samples = [valid.loc[valid["group"] == g, "value"].to_numpy() for g in used]
    res = stats.kruskal(*samples)
    h = float(res.statistic)
    row = {
        "kind": kind, "test": "kruskal_wallis", "statistic": h, "dof": float(len(used) - 1),
        "p_val": float(res.pvalue), "n": n, "k": len(used), "k_empty": len(empty),
        "min_expected": float("nan"), "epsilon_squared": h / ((n**2 - 1) / (n + 1)),
        "cramers_v": float("nan"), "note": note,
    }  # fmt: skip
    return summary, row


def _category_test(
    frame: pd.DataFrame,
    levels: list[Any],
    categories: Sequence[Any] | None,
    empty_groups: str,
    seed: int,
    n_resamples: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    valid = frame.dropna()
    cats = (
        list(categories) if categories is not None else sorted(valid["value"].unique().tolist())
    )
    if len(set(cats)) != len(cats):
        raise ValueError("categories must be unique")
    unknown = sorted(set(valid["value"]) - set(cats), key=str)
    if unknown:
        raise ValueError(f"values not in categories: {unknown!r}")
    table = (
        pd.crosstab(valid["group"], valid["value"])
        .reindex(index=levels, columns=cats, fill_value=0)
        .fillna(0)
        .astype("int64")
    )
    n_valid = table.sum(axis=1)
    miss = frame[frame["value"].isna()].groupby("group", sort=False).size().reindex(levels)
    long = table.stack(future_stack=True).rename("n").reset_index()
    long.columns = ["group", "category", "n"]
    nv = long["group"].map(n_valid).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(nv > 0, 100.0 * long["n"] / nv.where(nv > 0, 1), np.nan)
    summary = pd.DataFrame(
        {
            "group": long["group"].astype(object),
            "category": long["category"].astype(object),
            "n": long["n"].astype("int64"),
            "pct": pct.astype(float),
            "n_valid": nv,
            "n_missing": long["group"].map(miss.fillna(0)).astype("int64"),
        },
        columns=K_GROUPS_CATEGORY_SUMMARY_COLUMNS,
    )
    empty = [g for g in levels if n_valid[g] == 0]
    kind = "categorical"
    note = _empty_note(empty, empty_groups)
    n = int(n_valid.sum())
    if empty and empty_groups == "not_computable":
        return summary, _not_computable(kind, n, len(levels), len(empty),
                                        "too_few_respondents", note)  # fmt: skip
    arr = table.to_numpy()
    arr = arr[arr.sum(axis=1) > 0]
    arr = arr[:, arr.sum(axis=0) > 0]
    if arr.shape[0] < 2:
        return summary, _not_computable(kind, n, int(arr.shape[0]), len(empty),
                                        "too_few_respondents", "fewer than 2 groups", note)
    if arr.shape[1] < 2:
        return summary, _not_computable(kind, n, int(arr.shape[0]), len(empty), "no_variation",
                                        "fewer than 2 observed categories", note)
    min_expected = float(stats.contingency.expected_freq(arr).min())
    if min_expected >= 5:
        res = stats.chi2_contingency(arr, correction=False)
        test, dof = "chi2", float(res.dof)
    else:
        method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        res = stats.chi2_contingency(arr, correction=False, method=method)
        test, dof = "chi2_monte_carlo", float("nan")
    v = stats.contingency.association(arr, method="cramer", correction=False)
    row = {
        "kind": kind, "test": test, "statistic": float(res.statistic), "dof": dof,
        "p_val": float(res.pvalue), "n": n, "k": int(arr.shape[0]), "k_empty": len(empty),
        "min_expected": min_expected, "epsilon_squared": float("nan"), "cramers_v": float(v),
        "note": note,
    }  # fmt: skip
    return summary, row


def compare_k_groups(
    values: Any,
    groups: Any,
    *,
    kind: Literal["ordinal", "continuous", "categorical"],
    group_order: Sequence[Any] | None = None,
    categories: Sequence[Any] | None = None,
    empty_groups: Literal["exclude", "not_computable"] = "exclude",
    seed: int = 20140601,
    n_resamples: int = 99_999,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare an outcome across k independent groups.

    Parameters
    ----------
    values : array-like
        Outcome per person. Missing values (NaN / None / pd.NA) are dropped.
    groups : array-like
        Group label per person, aligned by position with ``values``. Rows with a missing
        group are dropped (they cannot be attributed to a group).
    kind : {"ordinal", "continuous", "categorical"}
        ``"ordinal"`` and ``"continuous"`` run a Kruskal-Wallis test; ``"categorical"``
        runs a chi-square test of independence on the k x r table.
    group_order : sequence, optional
        All groups in reporting order (e.g. the codebook's units). Groups listed here
        without any observation are kept in the summary with n = 0. Default: the sorted
        observed groups. An observed group not in ``group_order`` raises ``ValueError``.
    categories : sequence, optional
        ``kind="categorical"`` only: all codes in reporting order (codebook order);
        absent codes are kept with count 0. Default: sorted observed codes. A value not
        in ``categories`` raises ``ValueError``.
    empty_groups : {"exclude", "not_computable"}, default "exclude"
        What a group without (non-missing) observations does to the test: it is left
        out of the test and named in ``note`` (``"exclude"``), or the whole test is
        reported as not computable (``"not_computable"``).
    seed : int, default 20140601
        Seed of the Monte Carlo p-value (categorical, some expected count < 5).
    n_resamples : int, default 99_999
        Number of Monte Carlo tables.

    Returns
    -------
    summary : pandas.DataFrame
        Ordinal/continuous: one row per group, columns ``group, n, n_missing, mean, sd,
        median, q1, q3, mean_rank`` (``sd`` with ddof=1; quartiles by linear
        interpolation, R type 7; ``mean_rank`` = mean of the pooled mid-ranks).
        Categorical: one row per group x category, columns ``group, category, n, pct,
        n_valid, n_missing``; ``pct`` is a percentage (0-100) of the group's non-missing
        n (``n_valid``), NaN for an empty group. ``n_missing`` counts rows of the group
        whose value is missing.
    test : pandas.DataFrame
        One row: ``kind, test, statistic, dof, p_val, n, k, k_empty, min_expected,
        epsilon_squared, cramers_v, note``. ``test`` is ``"kruskal_wallis"``,
        ``"chi2"``, ``"chi2_monte_carlo"`` or ``"not_computable"`` (then statistic,
        p-value and effect sizes are NaN and ``note`` says why, as
        :func:`analysis.estimability.not_estimable_note`: too few respondents, or no
        variation). ``n`` is the number of non-missing observations, ``k`` the number of
        groups in the test and ``k_empty`` the number of groups without observations.

    Notes
    -----
    * Kruskal-Wallis: ``scipy.stats.kruskal`` (H with the usual correction for ties,
      chi-square approximation with k - 1 df; identical to R's ``kruskal.test``).
      Effect size ``epsilon_squared = H / ((n² - 1) / (n + 1))`` (= H / (n - 1)),
      Tomczak & Tomczak (2014). If all values are equal, the test is not computable.
    * Categorical: codes observed in no group and groups without observations are left
      out of the table (they carry no information and give zero expected counts);
      ``min_expected`` refers to the remaining table. ``statistic`` is Pearson's X²
      without continuity correction. When every expected count is >= 5, the p-value is
      asymptotic with (r - 1)(c - 1) df (``test = "chi2"``); otherwise it is a Monte
      Carlo p-value from ``n_resamples`` random tables with both margins fixed (the
      Fisher-Freeman-Halton null), ``scipy.stats.chi2_contingency(method=
      MonteCarloMethod(rng=numpy.random.default_rng(seed)))``, ``p = (b + 1) / (R +
      1)``, ``dof`` NaN (``test = "chi2_monte_carlo"``; R's ``chisq.test(simulate.p.value
      = TRUE)``). The p-value is therefore reproducible for a given seed.
      ``cramers_v = sqrt(X² / (n (min(r, c) - 1)))``, uncorrected.

    References
    ----------
    Kruskal WH, Wallis WA (1952). Use of ranks in one-criterion variance analysis.
    JASA 47:583-621.
    Tomczak M, Tomczak E (2014). The need to report effect size estimates revisited.
    Trends in Sport Sciences 21(1):19-25.
    Hope ACA (1968). A simplified Monte Carlo significance test procedure. JRSS B
    30:582-598.
    """
    if kind not in ("ordinal", "continuous", "categorical"):
        raise ValueError("kind must be 'ordinal', 'continuous' or 'categorical'")
    if empty_groups not in ("exclude", "not_computable"):
        raise ValueError("empty_groups must be 'exclude' or 'not_computable'")
    frame = _aligned(values, groups)
    frame = frame[frame["group"].notna()].reset_index(drop=True)
    levels = _group_levels(frame["group"], group_order)
    if kind == "categorical":
        if categories is None and frame["value"].isna().all():
            categories = []
        summary, row = _category_test(frame, levels, categories, empty_groups, seed, n_resamples)
    else:
        summary, row = _rank_test(frame, levels, empty_groups, kind)
    return summary, pd.DataFrame([row], columns=K_GROUPS_TEST_COLUMNS)
