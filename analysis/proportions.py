"""Two-group comparisons of binary and categorical outcomes.

All functions drop missing values (NaN / None / pd.NA) per variable and report the
number of non-missing observations used. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis._common import drop_missing, not_computable_note, to_binary_array
from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")
contingency_tables = lazy_import("statsmodels.stats.contingency_tables")
proportion = lazy_import("statsmodels.stats.proportion")

__all__ = ["compare_proportions", "compare_categories"]

PROPORTION_COLUMNS = [
    "n_treated", "events_treated", "p_treated",
    "n_control", "events_control", "p_control",
    "test", "statistic", "dof", "p_val", "min_expected",
    "risk_difference", "rd_ci_low", "rd_ci_high",
    "odds_ratio", "or_ci_low", "or_ci_high",
    "relative_risk", "rr_ci_low", "rr_ci_high", "note",
]  # fmt: skip

CATEGORY_COUNT_COLUMNS = ["category", "n_treated", "pct_treated", "n_control", "pct_control"]
CATEGORY_TEST_COLUMNS = [
    "test", "statistic", "dof", "p_val", "min_expected", "n_treated", "n_control", "cramers_v",
    "note",
]  # fmt: skip


def _ratio_measures(table: np.ndarray, alpha: float) -> dict[str, float]:
    """OR and RR (treated vs control) with Woolf / log-normal CIs from ``Table2x2``."""
    nan = float("nan")
    out = dict.fromkeys(
        ["odds_ratio", "or_ci_low", "or_ci_high", "relative_risk", "rr_ci_low", "rr_ci_high"],
        nan,
    )
    col_totals = table.sum(axis=0)
    if (col_totals == 0).any():
        # No events in either group (or only events): ratios are not estimable.
        return out
    if (table == 0).any():
        # Haldane-Anscombe: add 0.5 to *every* cell when any cell is zero.
        table = table + 0.5
    t22 = contingency_tables.Table2x2(table, shift_zeros=False)
    or_lo, or_hi = t22.oddsratio_confint(alpha=alpha)
    rr_lo, rr_hi = t22.riskratio_confint(alpha=alpha)
    out.update(
        odds_ratio=float(t22.oddsratio), or_ci_low=float(or_lo), or_ci_high=float(or_hi),
        relative_risk=float(t22.riskratio), rr_ci_low=float(rr_lo), rr_ci_high=float(rr_hi),
    )  # fmt: skip
    return out


def compare_proportions(
    treated: Any,
    control: Any,
    *,
    alpha: float = 0.05,
    test: Literal["auto", "chi2", "fisher"] = "auto",
) -> pd.DataFrame:
    """Compare the proportion of events (1/True) between a treated and a control group.

    Parameters
    ----------
    treated, control : array-like of {0, 1} or bool
        Binary outcome per person; missing values are dropped per group.
    alpha : float, default 0.05
        Confidence intervals have level ``1 - alpha``.
    test : {"auto", "chi2", "fisher"}, default "auto"
        ``"auto"`` uses Pearson's chi-square test without continuity correction when all
        four *expected* counts are >= 5, else Fisher's exact test (two-sided).

    Returns
    -------
    pandas.DataFrame
        One row with columns ``n_treated, events_treated, p_treated, n_control,
        events_control, p_control, test, statistic, dof, p_val, min_expected,
        risk_difference, rd_ci_low, rd_ci_high, odds_ratio, or_ci_low, or_ci_high,
        relative_risk, rr_ci_low, rr_ci_high, note``.

        ``note`` is ``""``, or ``"not computable (n = 0)"`` when a group has no
        non-missing observations: then ``test`` is ``"none"``, the empty group's
        proportion and every statistic, interval and effect size are NaN (the other
        group's n, events and proportion are still reported).

        ``test`` is ``"chi2"`` (``statistic`` = Pearson X², ``dof`` = 1) or ``"fisher"``
        (``statistic`` = the sample odds ratio returned by ``scipy.stats.fisher_exact``,
        unadjusted, possibly 0 or inf; ``dof`` = NaN). A forced chi-square on a table
        with an empty margin (an expected count of 0) gives NaN statistic and p-value.

    Notes
    -----
    The 2x2 table is ``[[events_treated, non-events_treated], [events_control,
    non-events_control]]``; every effect is treated relative to control.

    * Risk difference ``p_treated - p_control`` with the Newcombe hybrid score interval
      (``confint_proportions_2indep(method="newcomb", compare="diff")``).
    * Odds ratio (Woolf logit interval) and relative risk (log-normal interval) from
      ``statsmodels.stats.contingency_tables.Table2x2``.
    * Zero cells: if any cell is 0, 0.5 is added to **all four** cells before computing
      OR and RR and their intervals (Haldane-Anscombe correction, as in RevMan). If
      there are no events in either group, or only events in both, OR and RR are not
      estimable and are NaN. (``Table2x2``'s own ``shift_zeros`` replaces only the zero
      cells and is therefore not used.)

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions. Statistics in Medicine 17:873-890.
    Higgins JPT et al. (eds). Cochrane Handbook, section 10.4.4.2 (zero cells).
    """
    if test not in ("auto", "chi2", "fisher"):
        raise ValueError("test must be 'auto', 'chi2' or 'fisher'")
    t = to_binary_array(treated)
    c = to_binary_array(control)
    n1, n0 = len(t), len(c)
    e1, e0 = int(t.sum()), int(c.sum())
    note = not_computable_note(n1, n0)
    if note:
        nan = float("nan")
        row = dict.fromkeys(PROPORTION_COLUMNS, nan)
        row.update(
            n_treated=n1, events_treated=e1, p_treated=e1 / n1 if n1 else nan,
            n_control=n0, events_control=e0, p_control=e0 / n0 if n0 else nan,
            test="none", note=note,
        )  # fmt: skip
        return pd.DataFrame([row], columns=PROPORTION_COLUMNS)
    table = np.array([[e1, n1 - e1], [e0, n0 - e0]], dtype=np.int64)
    expected = stats.contingency.expected_freq(table)
    min_expected = float(expected.min())

    chosen = test if test != "auto" else ("chi2" if min_expected >= 5 else "fisher")
    if chosen == "chi2":
        if min_expected == 0:
            statistic, p_val = float("nan"), float("nan")
        else:
            res = stats.chi2_contingency(table, correction=False)
            statistic, p_val = float(res.statistic), float(res.pvalue)
        dof = 1.0
    else:
        res = stats.fisher_exact(table, alternative="two-sided")
        statistic, p_val, dof = float(res.statistic), float(res.pvalue), float("nan")

    rd_low, rd_high = proportion.confint_proportions_2indep(
        e1, n1, e0, n0, method="newcomb", compare="diff", alpha=alpha
    )
    row = {
        "n_treated": n1, "events_treated": e1, "p_treated": e1 / n1,
        "n_control": n0, "events_control": e0, "p_control": e0 / n0,
        "test": chosen, "statistic": statistic, "dof": dof, "p_val": p_val,
        "min_expected": min_expected,
        "risk_difference": e1 / n1 - e0 / n0,
        "rd_ci_low": float(rd_low), "rd_ci_high": float(rd_high),
        **_ratio_measures(table.astype(np.float64), alpha),
        "note": "",
    }  # fmt: skip
    return pd.DataFrame([row], columns=PROPORTION_COLUMNS)


def compare_categories(
    treated: Any,
    control: Any,
    categories: Sequence[Any],
    *,
    alpha: float = 0.05,
    seed: int = 20140601,
    n_resamples: int = 99_999,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare the distribution of a categorical variable between two groups (r x 2 table).

    Parameters
    ----------
    treated, control : array-like
        Category codes per person; missing values are dropped per group. A value that
        is not in ``categories`` raises ``ValueError``.
    categories : sequence
        All codes, in reporting order. Codes absent from a group are kept with count 0.
    alpha : float, default 0.05
        Unused at present (no interval is reported); kept for a uniform interface.
    seed : int, default 20140601
        Seed for the Monte Carlo p-value (only used when an expected count is < 5).
    n_resamples : int, default 99_999
        Number of Monte Carlo tables.

    Returns
    -------
    counts : pandas.DataFrame
        One row per category: ``category, n_treated, pct_treated, n_control,
        pct_control``; ``pct_*`` are percentages (0-100) of the group's non-missing n.
    test : pandas.DataFrame
        One row: ``test, statistic, dof, p_val, min_expected, n_treated, n_control,
        cramers_v, note``. ``note`` is ``""`` or says why there is no test:
        ``"not computable (n = 0)"`` when a group has no non-missing observations (its
        ``pct_*`` are then NaN in ``counts``), ``"not computable (one category observed)"``
        when fewer than two categories occur in the two groups together.

    Notes
    -----
    Categories with zero count in *both* groups are left out of the test (they carry
    no information and would give zero expected counts); ``min_expected`` refers to
    the remaining table. ``statistic`` is always Pearson's X² (no continuity
    correction) and ``cramers_v = sqrt(X² / (N (min(r, 2) - 1)))``
    (``scipy.stats.contingency.association``, uncorrected).

    * ``test = "chi2"``: all expected counts >= 5; asymptotic chi-square p-value with
      ``dof = r - 1``.
    * ``test = "chi2_monte_carlo"``: some expected count < 5; the p-value of X² is
      estimated from ``n_resamples`` random tables with both margins fixed (the
      Fisher-Freeman-Halton null), via ``scipy.stats.chi2_contingency(method=
      MonteCarloMethod(rng=numpy.random.default_rng(seed)))``; ``p = (b + 1) / (R + 1)``
      and ``dof`` is NaN. This is R's ``chisq.test(simulate.p.value = TRUE)``.
    * ``test = "none"``: a group is empty or fewer than two categories are observed;
      statistic, p and V are NaN and ``note`` says which.

    References
    ----------
    Hope ACA (1968). A simplified Monte Carlo significance test procedure. JRSS B
    30:582-598.
    """
    del alpha  # no interval reported; argument kept for interface symmetry
    cats = list(categories)
    if len(set(cats)) != len(cats):
        raise ValueError("categories must be unique")
    groups = {"treated": drop_missing(treated), "control": drop_missing(control)}
    counts = {}
    for name, s in groups.items():
        unknown = s[~s.isin(cats)]
        if len(unknown):
            raise ValueError(f"{name} has values not in categories: {sorted(set(unknown))!r}")
        counts[name] = np.array([int((s == cat).sum()) for cat in cats], dtype=np.int64)
    n1, n0 = int(counts["treated"].sum()), int(counts["control"].sum())
    nan = float("nan")
    count_frame = pd.DataFrame(
        {
            "category": pd.Series(cats, dtype=object),
            "n_treated": counts["treated"],
            "pct_treated": 100.0 * counts["treated"] / n1 if n1 else nan,
            "n_control": counts["control"],
            "pct_control": 100.0 * counts["control"] / n0 if n0 else nan,
        },
        columns=CATEGORY_COUNT_COLUMNS,
    )

    table = np.column_stack([counts["treated"], counts["control"]])
    table = table[table.sum(axis=1) > 0]
    note = not_computable_note(n1, n0)
    if note or table.shape[0] < 2:
        test_row = {"test": "none", "statistic": nan, "dof": nan, "p_val": nan,
                    "min_expected": nan, "cramers_v": nan,
                    "note": note or "not computable (one category observed)"}  # fmt: skip
    else:
        min_expected = float(stats.contingency.expected_freq(table).min())
        if min_expected >= 5:
            res = stats.chi2_contingency(table, correction=False)
            name, dof = "chi2", float(res.dof)
        else:
            method = stats.MonteCarloMethod(
                n_resamples=n_resamples, rng=np.random.default_rng(seed)
            )
            res = stats.chi2_contingency(table, correction=False, method=method)
            name, dof = "chi2_monte_carlo", nan
        v = stats.contingency.association(table, method="cramer", correction=False)
        test_row = {"test": name, "statistic": float(res.statistic), "dof": dof,
                    "p_val": float(res.pvalue), "min_expected": min_expected,
                    "cramers_v": float(v), "note": ""}  # fmt: skip
    test_frame = pd.DataFrame(
        [{**test_row, "n_treated": n1, "n_control": n0}], columns=CATEGORY_TEST_COLUMNS
    )
    return count_frame, test_frame
