"""Baseline-characteristics table ("Table 1") for a treated and a control group.

Tidy long output: one row per variable x level (one row per continuous variable). Inputs
are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.balance import smd_categorical, standardized_mean_difference
from analysis.means import compare_means, compare_ranks
from analysis.proportions import compare_categories, compare_proportions

__all__ = ["Characteristic", "baseline_table", "multivariate_smd"]

BASELINE_COLUMNS = [
    "variable", "label", "kind", "level", "level_label",
    "n_treated", "missing_treated", "n_control", "missing_control",
    "count_treated", "pct_treated", "count_control", "pct_control",
    "mean_treated", "sd_treated", "median_treated", "q1_treated", "q3_treated",
    "mean_control", "sd_control", "median_control", "q1_control", "q3_control",
    "smd", "smd_summary", "smd_summary_method",
    "test", "statistic", "dof", "p_val", "min_expected",
]  # fmt: skip

SMD_METHOD_CONTINUOUS = "abs_smd_pooled_sd"
SMD_METHOD_CATEGORICAL = "yang_dalton_mahalanobis"


@dataclass(frozen=True)
class Characteristic:
    """Description of one baseline characteristic.

    Parameters
    ----------
    name : str
        Column in the frame.
    kind : {"categorical", "continuous"}
        Ordinal variables are "categorical" (percentages per level).
    codes : sequence of (code, label) pairs, optional
        Required for categorical variables: every valid code in codebook order.
    label : str, optional
        Display label (defaults to ``name``).
    test : str, default "auto"
        Categorical: "auto" (chi-square, or Fisher / Monte Carlo when an expected count
        is < 5), "chi2" or "fisher" (two levels only). Continuous: "welch_t" (the
        default for "auto") or "mann_whitney".
    """

    name: str
    kind: Literal["categorical", "continuous"]
    codes: tuple[tuple[Any, str], ...] = ()
    label: str | None = None
    test: str = "auto"

    def __post_init__(self) -> None:
        if self.kind not in ("categorical", "continuous"):
            raise ValueError(f"{self.name}: kind must be 'categorical' or 'continuous'")
        object.__setattr__(self, "codes", tuple((c, str(lab)) for c, lab in self.codes))
        if self.kind == "categorical" and len(self.codes) < 2:
            raise ValueError(f"{self.name}: a categorical variable needs at least two codes")
        allowed = {
            "categorical": ("auto", "chi2", "fisher"),
            "continuous": ("auto", "welch_t", "mann_whitney"),
        }[self.kind]
        if self.test not in allowed:
            raise ValueError(f"{self.name}: test must be one of {allowed}")


def _as_characteristic(spec: Characteristic | Mapping[str, Any]) -> Characteristic:
    if isinstance(spec, Characteristic):
        return spec
    return Characteristic(**dict(spec))


def multivariate_smd(p_treated: Sequence[float], p_control: Sequence[float]) -> float:
    """Yang & Dalton's multivariate SMD of a categorical variable.

    Parameters
    ----------
    p_treated, p_control : sequence of float
        Proportions of every level (summing to 1 within a group), in the same order.

    Returns
    -------
    float
        ``sqrt((T - C)' S^+ (T - C))`` (non-negative).

    Notes
    -----
    ``T`` and ``C`` are the level proportions without the first (reference) level; ``S``
    is the average of the two multinomial covariance matrices,
    ``S_kk = (p1k (1 - p1k) + p0k (1 - p0k)) / 2`` and
    ``S_kl = -(p1k p1l + p0k p0l) / 2``. ``S^+`` is the Moore-Penrose pseudo-inverse
    (as R's ``tableone`` uses ``MASS::ginv``), so levels absent from both groups do not
    make ``S`` singular. For two levels it equals the absolute binary SMD on the
    proportion scale with the pooled (ATE) SD. The result does not depend on which
    level is the reference.

    References
    ----------
    Yang D, Dalton JE (2012). A unified approach to measuring the effect size between
    two groups using SAS. SAS Global Forum 2012, paper 335-2012.
    """
    t = np.asarray(p_treated, dtype=np.float64)[1:]
    c = np.asarray(p_control, dtype=np.float64)[1:]
    s = -(np.outer(t, t) + np.outer(c, c)) / 2.0
    np.fill_diagonal(s, (t * (1.0 - t) + c * (1.0 - c)) / 2.0)
    d = t - c
    value = float(d @ np.linalg.pinv(s) @ d)
    return float(np.sqrt(max(value, 0.0)))


def _continuous_stats(x: pd.Series) -> dict[str, float]:
    q1, med, q3 = (x.quantile([0.25, 0.5, 0.75]).tolist() if len(x) else [np.nan] * 3)
    return {
        "mean": float(x.mean()) if len(x) else np.nan,
        "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
        "median": float(med), "q1": float(q1), "q3": float(q3),
    }  # fmt: skip


def _continuous_rows(spec: Characteristic, t_all: pd.Series, c_all: pd.Series) -> list[dict]:
    t, c = t_all.dropna().astype("float64"), c_all.dropna().astype("float64")
    row: dict[str, Any] = {"level": None, "level_label": None}
    for suffix, x in (("treated", t), ("control", c)):
        for key, value in _continuous_stats(x).items():
            row[f"{key}_{suffix}"] = value
    smd = np.nan
    if len(t) >= 2 and len(c) >= 2:
        smd = standardized_mean_difference(t, c, kind="continuous", estimand="ATE")
    row.update(smd=smd, smd_summary=abs(smd), smd_summary_method=SMD_METHOD_CONTINUOUS)
    test = "mann_whitney" if spec.test == "mann_whitney" else "welch_t"
    res: dict[str, Any] = {"test": test, "statistic": np.nan, "dof": np.nan, "p_val": np.nan}
    if test == "welch_t" and len(t) >= 2 and len(c) >= 2:
        r = compare_means(t, c).iloc[0]
        res.update(statistic=r["statistic"], dof=r["dof"], p_val=r["p_val"])
    elif test == "mann_whitney" and len(t) and len(c):
        r = compare_ranks(t, c).iloc[0]
        res.update(statistic=r["statistic"], p_val=r["p_val"])
    row.update(res, min_expected=np.nan)
    return [row]


def _categorical_rows(spec: Characteristic, t_all: pd.Series, c_all: pd.Series) -> list[dict]:
    codes = [code for code, _ in spec.codes]
    t, c = t_all.dropna(), c_all.dropna()
    for name, s in (("treated", t), ("control", c)):
        unknown = s[~s.isin(codes)]
        if len(unknown):
            raise ValueError(
                f"{spec.name}: {name} has values not among the codes: {sorted(set(unknown))!r}"
            )
    counts_t = t.value_counts().reindex(codes, fill_value=0).to_numpy()
    counts_c = c.value_counts().reindex(codes, fill_value=0).to_numpy()
    n1, n0 = len(t), len(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_t = 100.0 * counts_t / n1
        pct_c = 100.0 * counts_c / n0
    nan = float("nan")
    level_smd = np.full(len(codes), nan)
    summary = nan
    test: dict[str, Any] = {"test": "none", "statistic": nan, "dof": nan, "p_val": nan,
                            "min_expected": nan}  # fmt: skip
    if n1 and n0:
        level_smd = smd_categorical(t, c, codes, estimand="ATE")["smd"].to_numpy()
        summary = multivariate_smd(counts_t / n1, counts_c / n0)
        if len(codes) == 2:
            choice = "auto" if spec.test == "auto" else spec.test
            r = compare_proportions(
                (t == codes[0]).astype("float64"), (c == codes[0]).astype("float64"), test=choice
            ).iloc[0]
        else:
            if spec.test == "fisher":
                raise ValueError(f"{spec.name}: test='fisher' needs a two-level variable")
            r = compare_categories(t, c, codes)[1].iloc[0]
            if spec.test == "chi2" and r["test"] != "chi2":
                raise ValueError(f"{spec.name}: expected counts < 5; chi-square not valid")
        test = {k: r[k] for k in ("test", "statistic", "dof", "p_val", "min_expected")}
        test = {k: (v if k == "test" else float(v)) for k, v in test.items()}
    rows = []
    for i, (code, lab) in enumerate(spec.codes):
        rows.append({
            "level": code, "level_label": lab,
            "count_treated": int(counts_t[i]), "pct_treated": float(pct_t[i]),
            "count_control": int(counts_c[i]), "pct_control": float(pct_c[i]),
            "smd": float(level_smd[i]), "smd_summary": summary,
            "smd_summary_method": SMD_METHOD_CATEGORICAL, **test,
        })  # fmt: skip
    return rows


def baseline_table(
    frame: pd.DataFrame,
    group: str,
    variables: Sequence[Characteristic | Mapping[str, Any]],
    *,
    order: tuple[Any, Any] = (1, 0),
) -> pd.DataFrame:
    """Baseline characteristics by group, with missing counts, SMDs and tests.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per person.
    group : str
        Column holding the group; rows where it is missing are left out.
    variables : sequence of Characteristic or mapping
        The characteristics, in display order (mappings are passed to
        :class:`Characteristic`: ``name, kind, codes, label, test``).
    order : (treated, control), default (1, 0)
        The two group values; any other non-missing group value raises ``ValueError``.

    Returns
    -------
    pandas.DataFrame
        One row per categorical variable x level (every code, in codebook order, kept
        with count 0 when absent) and one row per continuous variable (``level`` None).
        Columns ``variable, label, kind, level, level_label, n_treated,
        missing_treated, n_control, missing_control, count_treated, pct_treated,
        count_control, pct_control, mean_treated, sd_treated, median_treated,
        q1_treated, q3_treated, mean_control, sd_control, median_control, q1_control,
        q3_control, smd, smd_summary, smd_summary_method, test, statistic, dof, p_val,
        min_expected``. Variable-level values (n, missing, summary SMD, test) repeat on
        every level row. Statistics that do not apply are NaN.

    Notes
    -----
    * ``n_*`` counts non-missing values, ``missing_*`` missing ones (NaN / None /
      pd.NA; recode survey missing codes to NaN first). ``pct_*`` are percentages
      (0-100) **of the non-missing n**; missing is never a category, neither in the
      percentages nor in the SMD or the test.
    * Continuous: mean and SD (ddof=1); median and quartiles by linear interpolation
      (``Series.quantile``, R type 7).
    * SMD (treated minus control), cobalt's ATE convention: the denominator is the
      pooled SD of the unweighted samples, ``sqrt((s1² + s0²) / 2)``; categorical levels
      are binary indicators on the proportion scale (``p (1 - p)`` variances), one SMD
      per level (:func:`analysis.balance.smd_categorical`). ``smd_summary`` is
      ``|SMD|`` for a continuous variable (``smd_summary_method =
      "abs_smd_pooled_sd"``) and Yang & Dalton's multivariate SMD for a categorical one
      (``"yang_dalton_mahalanobis"``, see :func:`multivariate_smd`), which for two
      levels equals the absolute level SMD.
    * Tests: continuous - Welch's t (``"welch_t"``, :func:`analysis.means.compare_means`)
      or on request Mann-Whitney (``"mann_whitney"``, statistic U). Two-level
      categorical - Pearson chi-square without continuity correction (``"chi2"``) when
      all expected counts are >= 5, else Fisher's exact test (``"fisher"``; statistic
      is the sample OR) (:func:`analysis.proportions.compare_proportions`). More levels
      - Pearson chi-square (``"chi2"``) or, when an expected count is < 5, the
      Fisher-Freeman-Halton null simulated by Monte Carlo (``"chi2_monte_carlo"``,
      :func:`analysis.proportions.compare_categories`; levels empty in both groups are
      left out of the test). ``min_expected`` is the smallest expected count.

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples.
    Statistics in Medicine 28:3083-3107.
    Yang D, Dalton JE (2012). A unified approach to measuring the effect size between
    two groups using SAS. SAS Global Forum 2012, paper 335-2012.
    """
    specs = [_as_characteristic(v) for v in variables]
    missing_cols = [s.name for s in specs if s.name not in frame.columns]
    if group not in frame.columns:
        missing_cols.insert(0, group)
    if missing_cols:
        raise KeyError(f"columns not in frame: {missing_cols}")
    g = frame[group]
    unknown = g[g.notna() & ~g.isin(list(order))]
    if len(unknown):
        raise ValueError(f"group has values outside order {order!r}: {sorted(set(unknown))!r}")
    is_t, is_c = (g == order[0]).to_numpy(), (g == order[1]).to_numpy()
    rows: list[dict[str, Any]] = []
    for spec in specs:
        col = frame[spec.name]
        t_all, c_all = col[is_t], col[is_c]
        head = {
            "variable": spec.name, "label": spec.label or spec.name, "kind": spec.kind,
            "n_treated": int(t_all.notna().sum()), "missing_treated": int(t_all.isna().sum()),
            "n_control": int(c_all.notna().sum()), "missing_control": int(c_all.isna().sum()),
        }  # fmt: skip
        build = _continuous_rows if spec.kind == "continuous" else _categorical_rows
        rows += [{**head, **r} for r in build(spec, t_all, c_all)]
    out = pd.DataFrame(rows, columns=BASELINE_COLUMNS)
    out["level"] = pd.Series([r["level"] for r in rows], index=out.index, dtype=object)
    int_cols = ["n_treated", "missing_treated", "n_control", "missing_control"]
    out[int_cols] = out[int_cols].astype("int64")
    for col in ("count_treated", "count_control"):
        out[col] = out[col].astype("Int64")
    return out
