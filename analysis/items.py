"""Appendix item tables: every questionnaire item, per group, with an item-level test.

Input is plain data (one column per item) plus a small item spec; no codebook objects
and no files. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import
from analysis.estimability import not_estimable_note
from analysis.means import compare_means, compare_ranks
from analysis.multiplicity import adjust_pvalues
from analysis.proportions import compare_categories, compare_proportions

stats = lazy_import("scipy.stats")

__all__ = [
    "ItemSpec",
    "describe_categorical_items",
    "describe_numeric_items",
    "compare_items",
    "adjust_item_pvalues",
]

CATEGORICAL_ITEM_COLUMNS = [
    "item", "kind", "group", "code", "label", "n", "pct_all", "pct_valid", "n_valid",
    "n_missing", "pct_missing", "n_total",
]  # fmt: skip
NUMERIC_ITEM_COLUMNS = [
    "item", "group", "n", "n_missing", "mean", "sd", "median", "min", "max",
]  # fmt: skip
#: Extra columns of ``describe_numeric_items``: respondents at the minimum / maximum.
EXTREME_COUNT_COLUMNS = ["n_at_min", "n_at_max"]
ITEM_TEST_COLUMNS = [
    "item", "kind", "group_1", "group_2", "n_1", "n_2", "test", "statistic", "dof", "p_val",
    "effect_size", "effect_size_type", "note",
]  # fmt: skip

Kind = Literal["categorical", "ordinal", "numeric"]


@dataclass(frozen=True)
class ItemSpec:
    """What the appendix needs to know about one item.

    Attributes
    ----------
    name : str
        Column name in the data.
    kind : {"categorical", "ordinal", "numeric"}
        Measurement level; decides the description and the test.
    codes : tuple
        Categorical / ordinal: all substantive codes in codebook order.
    labels : tuple of str
        One (translated) label per code; default ``str(code)``.
    missing_codes : tuple
        Codes that mean missing (e.g. 9 "weet niet", 99); counted with blanks/NaN.
    test : str, optional
        Override of the default test: ``"chi2"`` (categorical: chi-square / Fisher /
        Monte Carlo by expected counts), ``"mann_whitney"`` or ``"welch_t"``.
    """

    name: str
    kind: Kind
    codes: tuple = ()
    labels: tuple = ()
    missing_codes: tuple = field(default=())
    test: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("categorical", "ordinal", "numeric"):
            raise ValueError(f"{self.name}: kind must be categorical, ordinal or numeric")
        if self.kind != "numeric" and not self.codes:
            raise ValueError(f"{self.name}: a {self.kind} item needs its codes")
        if self.labels and len(self.labels) != len(self.codes):
            raise ValueError(f"{self.name}: one label per code")
        if self.test not in (None, "chi2", "mann_whitney", "welch_t"):
            raise ValueError(f"{self.name}: unknown test {self.test!r}")


def _clean(column: pd.Series, spec: ItemSpec) -> pd.Series:
    """Item values with missing codes and blanks set to NaN; unknown codes raise."""
    s = column.reset_index(drop=True)
    drop = s.isin(list(spec.missing_codes))
    if not pd.api.types.is_numeric_dtype(s.dtype):
        # only text can hold blanks; a numeric column is never turned into strings
        drop |= s.astype("string").str.strip().eq("").fillna(False).astype(bool)
    s = s.mask(drop)
    if spec.kind == "numeric":
        try:
            return s.astype("Float64").astype("float64")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{spec.name}: numeric item has non-numeric values") from exc
    bad = s[s.notna() & ~s.isin(list(spec.codes))]
    if len(bad):
        raise ValueError(f"{spec.name}: values not in the item's codes: {sorted(set(bad))!r}")
    return s


def _groups(
    data: pd.DataFrame, groups: Any | None, group_order: Sequence[Any] | None, total: str
) -> tuple[pd.Series, list[Any]]:
    if groups is None:
        return pd.Series([total] * len(data), dtype=object), [total]
    g = pd.Series(groups, copy=True).reset_index(drop=True)
    if len(g) != len(data):
        raise ValueError("groups must have one entry per row of data")
    present = list(dict.fromkeys(g.dropna()))
    if group_order is None:
        try:
            return g, sorted(present)
        except TypeError:
            return g, present
    levels = list(group_order)
    unknown = [x for x in present if x not in levels]
    if unknown:
        raise ValueError(f"groups not in group_order: {unknown!r}")
    return g, levels


def _check_specs(data: pd.DataFrame, specs: Sequence[ItemSpec]) -> None:
    missing = [s.name for s in specs if s.name not in data.columns]
    if missing:
        raise ValueError(f"items not in data: {missing}")


def describe_categorical_items(
    data: pd.DataFrame,
    specs: Sequence[ItemSpec],
    groups: Any | None = None,
    *,
    group_order: Sequence[Any] | None = None,
    total_label: str = "total",
) -> pd.DataFrame:
    """Frequency table of categorical and ordinal items, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item.
    specs : sequence of ItemSpec
        Items in appendix order; numeric items are skipped here.
    groups : array-like, optional
        Group per row (aligned by position). Rows with a missing group are left out.
        Without groups, everything is one group named ``total_label``.
    group_order : sequence, optional
        All groups in reporting order; groups without rows are kept (all counts 0).
    total_label : str, default "total"
        Group name when ``groups`` is None.

    Returns
    -------
    pandas.DataFrame
        One row per item x group x code (codebook order, all codes, also unused ones),
        columns ``item, kind, group, code, label, n, pct_all, pct_valid, n_valid,
        n_missing, pct_missing, n_total``:

        * ``pct_all = 100 n / n_total`` - of all rows of the group, missing included;
        * ``pct_valid = 100 n / n_valid`` - of the non-missing answers (NaN if none);
        * ``n_missing`` - blanks, NaN and the item's ``missing_codes`` together;
          ``pct_missing = 100 n_missing / n_total``;
        * ``n_total = n_valid + n_missing`` (rows of the group).

    Notes
    -----
    ``pct_all`` over the codes plus ``pct_missing`` sums to 100; ``pct_valid`` over the
    codes sums to 100. Percentages are not rounded.
    """
    _check_specs(data, specs)
    g, levels = _groups(data, groups, group_order, total_label)
    keep = g.notna().to_numpy()
    frames = []
    for spec in specs:
        if spec.kind == "numeric":
            continue
        values = _clean(data[spec.name], spec)[keep]
        codes = list(spec.codes)
        k = len(codes)
        # one pass over the rows: group position x code position, counted by bincount
        gi = pd.Categorical(g[keep], categories=levels).codes.astype("int64")
        ci = pd.Categorical(values, categories=codes).codes.astype("int64")
        answered = (gi >= 0) & (ci >= 0)
        n = np.bincount(gi[answered] * k + ci[answered], minlength=len(levels) * k)
        n_total = np.bincount(gi[gi >= 0], minlength=len(levels))
        n_valid = n.reshape(len(levels), k).sum(axis=1)
        nt = np.repeat(n_total, k)
        nv = np.repeat(n_valid, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct_all = np.where(nt > 0, 100.0 * n / nt, np.nan)
            pct_valid = np.where(nv > 0, 100.0 * n / nv, np.nan)
            pct_missing = np.where(nt > 0, 100.0 * (nt - nv) / nt, np.nan)
        labels = list(spec.labels) if spec.labels else [str(c) for c in codes]
        frames.append(
            pd.DataFrame(
                {
                    "item": spec.name,
                    "kind": spec.kind,
                    "group": pd.Series(np.repeat(np.array(levels, dtype=object), k), dtype=object),
                    "code": pd.Series(codes * len(levels), dtype=object),
                    "label": labels * len(levels),
                    "n": n,
                    "pct_all": pct_all,
                    "pct_valid": pct_valid,
                    "n_valid": nv,
                    "n_missing": nt - nv,
                    "pct_missing": pct_missing,
                    "n_total": nt,
                },
                columns=CATEGORICAL_ITEM_COLUMNS,
            )
        )
    if not frames:
        return pd.DataFrame({c: [] for c in CATEGORICAL_ITEM_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def describe_numeric_items(
    data: pd.DataFrame,
    specs: Sequence[ItemSpec],
    groups: Any | None = None,
    *,
    group_order: Sequence[Any] | None = None,
    total_label: str = "total",
) -> pd.DataFrame:
    """Descriptives of numeric items, per group.

    Parameters
    ----------
    data, specs, groups, group_order, total_label
        As in :func:`describe_categorical_items`; only numeric items are described.

    Returns
    -------
    pandas.DataFrame
        One row per item x group: ``item, group, n, n_missing, mean, sd, median, min,
        max`` (SD with denominator n - 1; NaN where undefined: n = 0, or n = 1 for
        the SD). ``n_missing`` counts blanks, NaN and ``missing_codes``.
    """
    _check_specs(data, specs)
    g, levels = _groups(data, groups, group_order, total_label)
    keep = g.notna().to_numpy()
    frames = []
    for spec in specs:
        if spec.kind != "numeric":
            continue
        values = _clean(data[spec.name], spec)[keep].reset_index(drop=True)
        grp = pd.Series(pd.Categorical(g[keep], categories=levels))
        by = values.groupby(grp, observed=False)
        agg = by.agg(["count", "mean", "median", "min", "max"]).reindex(levels)
        sd = by.std(ddof=1).reindex(levels)
        miss = values.isna().groupby(grp, observed=False).sum().reindex(levels, fill_value=0)
        frames.append(
            pd.DataFrame(
                {
                    "item": spec.name,
                    "group": pd.Series(levels, dtype=object),
                    "n": agg["count"].fillna(0).astype("int64").to_numpy(),
                    "n_missing": miss.astype("int64").to_numpy(),
                    "mean": agg["mean"].to_numpy(dtype=float),
                    "sd": sd.to_numpy(dtype=float),
                    "median": agg["median"].to_numpy(dtype=float),
                    "min": agg["min"].to_numpy(dtype=float),
                    "max": agg["max"].to_numpy(dtype=float),
                    # respondents holding the extreme value: a min or max held by one
                    # person is that person's answer (disclosure control hides it)
                    "n_at_min": _count_at(values, grp, agg["min"], levels),
                    "n_at_max": _count_at(values, grp, agg["max"], levels),
                },
                columns=[*NUMERIC_ITEM_COLUMNS, *EXTREME_COUNT_COLUMNS],
            )
        )
    if not frames:
        return pd.DataFrame({c: [] for c in (*NUMERIC_ITEM_COLUMNS, *EXTREME_COUNT_COLUMNS)})
    return pd.concat(frames, ignore_index=True)


def _count_at(values: pd.Series, grp: pd.Series, extreme: pd.Series,
              levels: Sequence[object]) -> np.ndarray:  # fmt: skip
    """Per group, how many values equal the group's ``extreme`` (0 for an empty group)."""
    target = grp.map(dict(zip(levels, extreme.to_numpy(dtype=float), strict=True)))
    hit = values.to_numpy(dtype=float) == target.to_numpy(dtype=float)
    counts = pd.Series(hit).groupby(grp, observed=False).sum().reindex(levels, fill_value=0)
    return counts.astype("int64").to_numpy()


def _test_one(spec: ItemSpec, a: pd.Series, b: pd.Series, seed: int) -> dict[str, Any]:
    nan = float("nan")
    test = spec.test or {"categorical": "chi2", "ordinal": "mann_whitney",
                         "numeric": "welch_t"}[spec.kind]  # fmt: skip
    a, b = a.dropna(), b.dropna()
    row: dict[str, Any] = {"n_1": len(a), "n_2": len(b), "test": "not_computable",
                           "statistic": nan, "dof": nan, "p_val": nan, "effect_size": nan,
                           "effect_size_type": "", "note": ""}  # fmt: skip
    need = 2 if test == "welch_t" else 1
    if len(a) < need or len(b) < need:
        row["note"] = not_estimable_note(
            "too_few_respondents", f"each group needs at least {need} non-missing answer(s)")
        return row
    if test == "welch_t":
        res = compare_means(a.astype(float), b.astype(float)).iloc[0]
        row.update(test="welch_t", statistic=res["statistic"], dof=res["dof"],
                   p_val=res["p_val"], effect_size=res["hedges_g"],
                   effect_size_type="hedges_g")  # fmt: skip
        return row
    if test == "mann_whitney":
        if spec.kind == "numeric":
            ranks_a, ranks_b = a.astype(float), b.astype(float)
        else:  # ordinal codes -> position in codebook order
            pos = {c: i for i, c in enumerate(spec.codes)}
            ranks_a, ranks_b = a.map(pos).astype(float), b.map(pos).astype(float)
        res = compare_ranks(ranks_a, ranks_b).iloc[0]
        row.update(test="mann_whitney", statistic=res["statistic"], p_val=res["p_val"],
                   effect_size=res["rank_biserial"],
                   effect_size_type="rank_biserial")  # fmt: skip
        return row
    observed = [c for c in spec.codes if (a == c).any() or (b == c).any()]
    if len(observed) == 2:
        # 2 x 2: chi-square without correction, Fisher's exact test on expected < 5
        event = observed[1]
        res = compare_proportions((a == event).astype(int), (b == event).astype(int)).iloc[0]
        table = np.array([[(a == c).sum() for c in observed], [(b == c).sum() for c in observed]])
        row.update(test=res["test"], statistic=res["statistic"], dof=res["dof"],
                   p_val=res["p_val"],
                   effect_size=float(stats.contingency.association(
                       table, method="cramer", correction=False)),
                   effect_size_type="cramers_v")  # fmt: skip
        if res["test"] == "fisher":
            row["note"] = "statistic is the sample odds ratio"
        return row
    _, res = compare_categories(a, b, list(spec.codes), seed=seed)
    r = res.iloc[0]
    row.update(test=r["test"], statistic=r["statistic"], dof=r["dof"], p_val=r["p_val"],
               effect_size=r["cramers_v"], effect_size_type="cramers_v")  # fmt: skip
    if r["test"] == "none":
        row.update(test="not_computable",
                   note=not_estimable_note("no_variation", "fewer than two observed categories"))
    return row


def compare_items(
    data: pd.DataFrame,
    specs: Sequence[ItemSpec],
    groups: Any,
    *,
    group_order: Sequence[Any] | None = None,
    seed: int = 20140601,
) -> pd.DataFrame:
    """Two-group test per item (raw p-values), with an effect size.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item.
    specs : sequence of ItemSpec
        Items in appendix order.
    groups : array-like
        Group per row; exactly two groups (missing group: row left out).
    group_order : sequence of two, optional
        ``(group_1, group_2)``; effects are group_1 relative to group_2. Default: the
        two observed groups sorted.
    seed : int, default 20140601
        Seed of Monte Carlo p-values (categorical items with small expected counts).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item, kind, group_1, group_2, n_1, n_2, test, statistic,
        dof, p_val, effect_size, effect_size_type, note``.

    Notes
    -----
    Default test per kind (override per item with ``ItemSpec.test``):

    * categorical with two observed codes: Pearson chi-square without continuity
      correction, or Fisher's exact test when an *expected* count is < 5
      (``analysis.proportions.compare_proportions``; for ``"fisher"`` the statistic
      is the sample odds ratio); effect size Cramér's V (= |phi|);
    * categorical with more codes: ``analysis.proportions.compare_categories``
      (chi-square, or a Monte Carlo p-value of X² with fixed margins when an expected
      count is < 5); Cramér's V;
    * ordinal: Mann-Whitney U on the code's position in codebook order
      (``analysis.means.compare_ranks``); rank-biserial correlation (positive: group_1
      higher);
    * numeric: Welch t-test (``analysis.means.compare_means``); Hedges' g.

    Missing answers (blank, NaN, missing codes) are dropped per item. An item that
    cannot be tested (a group without answers, Welch with < 2 answers per group, only
    one observed code) gets ``test = "not_computable"`` and a ``note`` that says why
    (:func:`analysis.estimability.not_estimable_note`).
    """
    _check_specs(data, specs)
    g, levels = _groups(data, groups, group_order, "total")
    if len(levels) != 2:
        raise ValueError(f"compare_items needs exactly two groups, got {levels!r}")
    g1 = (g == levels[0]).fillna(False).to_numpy(dtype=bool)
    g2 = (g == levels[1]).fillna(False).to_numpy(dtype=bool)
    rows = []
    for spec in specs:
        values = _clean(data[spec.name], spec)
        row = _test_one(spec, values[g1], values[g2], seed)
        rows.append({"item": spec.name, "kind": spec.kind, "group_1": levels[0],
                     "group_2": levels[1], **row})  # fmt: skip
    return pd.DataFrame(rows, columns=ITEM_TEST_COLUMNS)


def adjust_item_pvalues(
    tests: pd.DataFrame, method: Literal["fdr_bh", "holm", "none"] = "fdr_bh"
) -> pd.DataFrame:
    """Add multiplicity-adjusted p-values across all items of an appendix.

    Parameters
    ----------
    tests : pandas.DataFrame
        Output of :func:`compare_items` (possibly several concatenated: the family is all
        rows passed in).
    method : {"fdr_bh", "holm", "none"}, default "fdr_bh"
        Benjamini-Hochberg by default (item-level tables are exploratory).

    Returns
    -------
    pandas.DataFrame
        A copy with two extra columns: ``p_adj`` and ``p_adj_method``. ``p_val`` stays
        the raw p-value. Items not tested (NaN p) stay NaN and do not count in the
        family size.

    Notes
    -----
    ``analysis.multiplicity.adjust_pvalues`` (statsmodels ``multipletests``).

    References
    ----------
    Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B
    57:289-300.
    """
    out = tests.copy()
    out["p_adj"] = adjust_pvalues(out["p_val"].tolist(), method)
    out["p_adj_method"] = method
    return out
