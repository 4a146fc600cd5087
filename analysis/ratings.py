"""Descriptives of a school-style grade (rapportcijfer, 1-10), overall or per group.

Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis._lazy import lazy_import

stats = lazy_import("scipy.stats")
proportion = lazy_import("statsmodels.stats.proportion")

__all__ = ["describe_rating"]

RATING_COLUMNS = [
    "group", "n", "n_missing", "mean", "sd", "mean_ci_low", "mean_ci_high", "median", "q1",
    "q3", "iqr", "min", "max", "n_pass", "p_pass", "pass_ci_low", "pass_ci_high",
]  # fmt: skip


def _describe(x: np.ndarray, n_missing: int, pass_mark: float, alpha: float) -> dict[str, Any]:
    nan = float("nan")
    n = len(x)
    row: dict[str, Any] = dict.fromkeys(RATING_COLUMNS[1:], nan)
    row.update(n=n, n_missing=n_missing, n_pass=0)
    if n == 0:
        return row
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else nan
    if n > 1 and sd > 0:
        lo, hi = stats.t.interval(1.0 - alpha, n - 1, loc=mean, scale=sd / np.sqrt(n))
    elif n > 1:
        lo, hi = mean, mean  # constant sample: degenerate interval
    else:
        lo, hi = nan, nan
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    n_pass = int((x >= pass_mark).sum())
    p_lo, p_hi = proportion.proportion_confint(n_pass, n, alpha=alpha, method="wilson")
    row.update(
        mean=mean, sd=sd, mean_ci_low=float(lo), mean_ci_high=float(hi), median=float(median),
        q1=float(q1), q3=float(q3), iqr=float(q3 - q1), min=float(x.min()), max=float(x.max()),
        n_pass=n_pass, p_pass=n_pass / n, pass_ci_low=float(p_lo), pass_ci_high=float(p_hi),
    )  # fmt: skip
    return row


def describe_rating(
    values: Any,
    groups: Any | None = None,
    *,
    group_order: Sequence[Any] | None = None,
    pass_mark: float = 6,
    valid_range: tuple[float, float] = (1, 10),
    alpha: float = 0.05,
    total_label: str | None = "total",
) -> pd.DataFrame:
    """n, mean (t CI), SD, median, IQR and the share of pass marks (Wilson CI) of a grade.

    Parameters
    ----------
    values : array-like of float
        The grade per respondent; missing values (NaN / None / pd.NA) are counted in
        ``n_missing`` and otherwise ignored. A value outside ``valid_range`` raises
        ``ValueError`` (missing codes such as 99 must be set to missing first).
    groups : array-like, optional
        Group per respondent (aligned by position). Rows with a missing group only count
        in the total row.
    group_order : sequence, optional
        All groups in reporting order; groups without respondents get a row with n = 0.
        Default: sorted observed groups.
    pass_mark : float, default 6
        A grade ``>= pass_mark`` is a pass ("voldoende").
    valid_range : (float, float), default (1, 10)
        Inclusive range of valid grades.
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.
    total_label : str or None, default "total"
        Label of the row for all respondents; ``None`` omits it when groups are given.
        Without groups the single row carries this label (or ``None``).

    Returns
    -------
    pandas.DataFrame
        One row per group (then the total), columns ``group, n, n_missing, mean, sd,
        mean_ci_low, mean_ci_high, median, q1, q3, iqr, min, max, n_pass, p_pass,
        pass_ci_low, pass_ci_high``. ``p_pass`` and its interval are proportions (0-1).
        With n = 0 everything but the counts is NaN; with n = 1 the SD and mean CI are NaN.

    Notes
    -----
    * SD with denominator n - 1; mean CI ``mean ± t_{1-alpha/2, n-1} SD / sqrt(n)``
      (``scipy.stats.t.interval``). A constant sample gives the degenerate interval
      [mean, mean].
    * Quartiles by linear interpolation (``numpy.quantile`` default = R type 7);
      ``iqr = q3 - q1``.
    * Pass share: Wilson score interval without continuity correction,
      ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` (R:
      ``prop.test(x, n, correct = FALSE)$conf.int``).
    * Missing-data rule: available cases; the percentage base is the number of valid
      grades.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22:209-212.
    """
    v = pd.Series(values, copy=True).reset_index(drop=True)
    try:
        v = v.astype("Float64").astype("float64")
    except (TypeError, ValueError) as exc:
        raise TypeError("grades must be numeric apart from missing values") from exc
    lo, hi = valid_range
    bad = v[(v < lo) | (v > hi)]
    if len(bad):
        raise ValueError(f"grades outside {valid_range}: {sorted(set(bad))!r}")
    rows = []
    if groups is not None:
        g = pd.Series(groups, copy=True).reset_index(drop=True)
        if len(g) != len(v):
            raise ValueError("values and groups must have the same length")
        present = list(dict.fromkeys(g.dropna()))
        if group_order is None:
            try:
                levels = sorted(present)
            except TypeError:
                levels = present
        else:
            levels = list(group_order)
            unknown = [x for x in present if x not in levels]
            if unknown:
                raise ValueError(f"groups not in group_order: {unknown!r}")
        for level in levels:
            mask = (g == level).fillna(False).to_numpy(dtype=bool)
            sub = v[mask]
            rows.append(
                {"group": level, **_describe(sub.dropna().to_numpy(), int(sub.isna().sum()),
                                             pass_mark, alpha)}  # fmt: skip
            )
        if total_label is None:
            return pd.DataFrame(rows, columns=RATING_COLUMNS)
    rows.append(
        {"group": total_label, **_describe(v.dropna().to_numpy(), int(v.isna().sum()),
                                           pass_mark, alpha)}  # fmt: skip
    )
    return pd.DataFrame(rows, columns=RATING_COLUMNS)
