"""Unit-level efficiency ("doelmatigheid") and the targets claim, for a handful of units.

With about five units everything here is descriptive: ratios per unit, exact rank
correlations and an explicit counting rule. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.units import exact_rank_correlation, goal_attainment

__all__ = [
    "targets_per_caseload",
    "unit_efficiency",
    "attainment_association",
    "evaluate_target_claim",
    "placement_costs",
]

TARGETS_PER_CASELOAD_COLUMNS = [
    "unit", "indicator", "target", "achieved", "attainment", "target_met", "caseload",
    "target_per_caseload", "achieved_per_caseload",
]  # fmt: skip
EFFICIENCY_COLUMNS = [
    "unit", "caseload", "hours", "placements", "contacts", "placements_per_caseload",
    "hours_per_placement", "hours_per_contact", "n_indicators", "n_targets_met",
    "mean_attainment", "min_attainment",
]  # fmt: skip
ASSOCIATION_COLUMNS = ["outcome", "predictor", "n", "spearman_rho", "p_val_exact"]
CLASSIFICATION_COLUMNS = [
    "unit", "n_indicators", "n_targets_met", "mean_attainment", "min_attainment",
    "exceeds", "far_below",
]  # fmt: skip
CLAIM_COLUMNS = [
    "n_units", "n_exceed", "n_below", "n_far_below", "n_unknown", "exceed_rule",
    "below_rule", "far_below_threshold", "n_below_claimed", "more_than_half_exceed",
    "below_as_claimed", "verdict", "note",
]  # fmt: skip

Indicators = Sequence[tuple[str, str, str]]


def _float(units: pd.DataFrame, column: str) -> np.ndarray:
    if column not in units.columns:
        raise ValueError(f"column not found in units: {column!r}")
    return units[column].astype("Float64").astype("float64").to_numpy()


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def targets_per_caseload(
    units: pd.DataFrame,
    indicators: Indicators,
    *,
    caseload: str,
    per: float = 1000,
) -> pd.DataFrame:
    """Targets and results relative to the size of the unit's benefit caseload.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit: a unique ``unit`` column, target / achieved columns and the
        caseload column (e.g. WWB recipients).
    indicators : list of (name, target_column, achieved_column)
        As in :func:`analysis.units.goal_attainment`.
    caseload : str
        Column with the number of benefit recipients.
    per : float, default 1000
        Scale: ratios are per ``per`` recipients.

    Returns
    -------
    pandas.DataFrame
        The :func:`analysis.units.goal_attainment` table (``unit, indicator, target,
        achieved, attainment, target_met``) plus ``caseload, target_per_caseload,
        achieved_per_caseload`` (``per * target / caseload``; NaN when the caseload is
        missing or not positive).

    Notes
    -----
    The same absolute target (e.g. 40 placements) asks much more of a unit with 540
    recipients than of one with 4,480; these columns make that visible.
    """
    goals = goal_attainment(units, list(indicators))
    load = pd.Series(_float(units, caseload), index=units["unit"].to_numpy())
    cl = goals["unit"].map(load).to_numpy(dtype=float)
    out = goals.assign(caseload=cl)
    out["target_per_caseload"] = per * _ratio(out["target"].to_numpy(dtype=float), cl)
    out["achieved_per_caseload"] = per * _ratio(out["achieved"].to_numpy(dtype=float), cl)
    return out[TARGETS_PER_CASELOAD_COLUMNS]


def unit_efficiency(
    units: pd.DataFrame,
    indicators: Indicators,
    *,
    hours: Sequence[str],
    placement_indicators: Sequence[str],
    contact_indicator: str,
    caseload: str,
    per: float = 1000,
) -> pd.DataFrame:
    """The "doelmatigheid" table: hours invested per result and attainment per unit.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit (unique ``unit`` column).
    indicators : list of (name, target_column, achieved_column)
        All indicators with a target.
    hours : sequence of str
        Hour columns that are summed (e.g. municipality and consultancy). A unit with a
        missing hour value gets NaN hours (never a partial sum).
    placement_indicators : sequence of str
        Indicator names whose achieved counts are placements (regular jobs and
        work-experience places).
    contact_indicator : str
        Indicator name of new employer contacts.
    caseload : str
        Column with the number of benefit recipients.
    per : float, default 1000
        ``placements_per_caseload`` is per ``per`` recipients.

    Returns
    -------
    pandas.DataFrame
        One row per unit (input order): ``unit, caseload, hours, placements, contacts,
        placements_per_caseload, hours_per_placement, hours_per_contact, n_indicators,
        n_targets_met, mean_attainment, min_attainment``.

    Notes
    -----
    ``hours_per_placement = hours / placements`` and ``hours_per_contact = hours /
    contacts`` both divide the *total* hours: the register does not split hours by
    activity, so the two ratios are alternative views of the same investment, not an
    allocation. A ratio with a zero or missing denominator is NaN. ``mean_attainment``
    is the unweighted mean of ``achieved / target`` over the indicators (NaN if any
    indicator's attainment is missing); ``n_targets_met`` counts indicators with
    ``achieved >= target``.
    """
    names = [name for name, _, _ in indicators]
    unknown = [i for i in [*placement_indicators, contact_indicator] if i not in names]
    if unknown:
        raise ValueError(f"indicators not defined: {unknown}")
    goals = goal_attainment(units, list(indicators))
    achieved = goals.pivot(index="unit", columns="indicator", values="achieved")
    attain = goals.pivot(index="unit", columns="indicator", values="attainment")
    met = goals.assign(met=goals["target_met"].astype("Float64")).pivot(
        index="unit", columns="indicator", values="met"
    )
    order = units["unit"].to_numpy()
    achieved, attain, met = (f.reindex(order) for f in (achieved, attain, met))
    total_hours = np.sum([_float(units, h) for h in hours], axis=0)  # NaN if any missing
    placements = achieved[list(placement_indicators)].to_numpy(dtype=float).sum(axis=1)
    contacts = achieved[contact_indicator].to_numpy(dtype=float)
    cl = _float(units, caseload)
    att = attain[names].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "unit": order,
            "caseload": cl,
            "hours": total_hours,
            "placements": placements,
            "contacts": contacts,
            "placements_per_caseload": per * _ratio(placements, cl),
            "hours_per_placement": _ratio(total_hours, placements),
            "hours_per_contact": _ratio(total_hours, contacts),
            "n_indicators": len(names),
            "n_targets_met": met[names].fillna(0).sum(axis=1).astype("int64").to_numpy(),
            "mean_attainment": att.mean(axis=1),
            "min_attainment": att.min(axis=1),
        },
        columns=EFFICIENCY_COLUMNS,
    )


def attainment_association(
    table: pd.DataFrame, *, outcome: str, predictors: Sequence[str]
) -> pd.DataFrame:
    """Exact Spearman rank correlation of a unit outcome with each predictor.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per unit with the outcome column (e.g. ``mean_attainment`` from
        :func:`unit_efficiency`) and the predictor columns (e.g. hours, draagvlak).
    outcome : str
        Outcome column.
    predictors : sequence of str
        Predictor columns, in reporting order.

    Returns
    -------
    pandas.DataFrame
        One row per predictor: ``outcome, predictor, n, spearman_rho, p_val_exact``.

    Notes
    -----
    :func:`analysis.units.exact_rank_correlation` (all n! pairings enumerated; needs
    3 <= n <= 9 complete pairs). With five units rho is descriptive: the smallest
    attainable two-sided p-value is 2/120 and the test has almost no power.
    """
    rows = []
    for predictor in predictors:
        res = exact_rank_correlation(_float(table, predictor), _float(table, outcome)).iloc[0]
        rows.append({"outcome": outcome, "predictor": predictor, "n": int(res["n"]),
                     "spearman_rho": float(res["spearman_rho"]),
                     "p_val_exact": float(res["p_val_exact"])})  # fmt: skip
    return pd.DataFrame(rows, columns=ASSOCIATION_COLUMNS)


def evaluate_target_claim(
    attainment: pd.DataFrame,
    *,
    exceed_rule: Literal["all_indicators", "mean"] = "all_indicators",
    below_rule: Literal["not_exceeding", "far_below"] = "not_exceeding",
    far_below: float = 0.5,
    n_below_claimed: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Test "in more than half of the units results exceed the targets; two stay far below".

    Parameters
    ----------
    attainment : pandas.DataFrame
        Output of :func:`analysis.units.goal_attainment` (``unit, indicator, target,
        achieved, attainment, target_met``).
    exceed_rule : {"all_indicators", "mean"}, default "all_indicators"
        A unit exceeds the targets when every indicator reaches its target
        (``achieved >= target``), or when its mean attainment is >= 1.
    below_rule : {"not_exceeding", "far_below"}, default "not_exceeding"
        Which units count for the second part, "two units stay (far) below": every
        unit that does not exceed the targets (the Dutch "blijven (ver) achter" reads
        "stay behind, some far behind"), or only the units far below.
    far_below : float, default 0.5
        A unit is far below when its mean attainment is < ``far_below`` (0.5 = on
        average less than half of the targets). Always reported in ``n_far_below``.
    n_below_claimed : int, default 2
        The number of units the claim says stay (far) below.

    Returns
    -------
    units : pandas.DataFrame
        One row per unit: ``unit, n_indicators, n_targets_met, mean_attainment,
        min_attainment, exceeds, far_below`` (``exceeds`` / ``far_below`` nullable
        boolean, <NA> when an attainment is missing).
    claim : pandas.DataFrame
        One row: ``n_units, n_exceed, n_below, n_far_below, n_unknown, exceed_rule,
        below_rule, far_below_threshold, n_below_claimed, more_than_half_exceed,
        below_as_claimed, verdict, note``. ``n_below`` counts units that do not exceed.

    Notes
    -----
    ``more_than_half_exceed``: ``n_exceed > n_units / 2`` (strictly more than half).
    ``below_as_claimed``: the count selected by ``below_rule`` (``n_below`` or
    ``n_far_below``) equals ``n_below_claimed`` exactly.
    ``verdict`` is ``"supported"`` when both parts hold, ``"not supported"`` when
    either fails, and ``"not testable"`` when there are no units or some unit's
    attainment is missing (``n_unknown > 0``), since the missing unit could change
    either count. Mean attainment is the unweighted mean over the indicators.
    """
    if exceed_rule not in ("all_indicators", "mean"):
        raise ValueError("exceed_rule must be 'all_indicators' or 'mean'")
    if below_rule not in ("not_exceeding", "far_below"):
        raise ValueError("below_rule must be 'not_exceeding' or 'far_below'")
    needed = {"unit", "attainment", "target_met"}
    if needed - set(attainment.columns):
        raise ValueError(f"attainment needs columns {sorted(needed)}")
    frame = attainment.assign(
        _met=attainment["target_met"].astype("Float64"),
        _att=attainment["attainment"].astype("Float64"),
    )
    by = frame.groupby("unit", sort=False)
    units = pd.DataFrame({"unit": list(dict.fromkeys(frame["unit"]))})
    n_ind = by.size().reindex(units["unit"]).to_numpy()
    any_missing = frame["_att"].isna().groupby(frame["unit"], sort=False).any()
    any_missing = any_missing.reindex(units["unit"])
    mean_att = by["_att"].mean().reindex(units["unit"]).astype("float64").to_numpy()
    min_att = by["_att"].min().reindex(units["unit"]).astype("float64").to_numpy()
    n_met = by["_met"].sum().reindex(units["unit"]).astype("float64").to_numpy()
    unknown = any_missing.to_numpy(dtype=bool)
    mean_att = np.where(unknown, np.nan, mean_att)
    if exceed_rule == "all_indicators":
        exceeds = n_met == n_ind
    else:
        exceeds = mean_att >= 1.0
    exceeds_arr = pd.array(exceeds, dtype="boolean")
    far_arr = pd.array(mean_att < far_below, dtype="boolean")
    exceeds_arr[unknown] = pd.NA
    far_arr[unknown] = pd.NA
    units = units.assign(
        n_indicators=n_ind.astype("int64"),
        n_targets_met=n_met.astype("int64"),
        mean_attainment=mean_att,
        min_attainment=np.where(unknown, np.nan, min_att),
        exceeds=exceeds_arr,
        far_below=far_arr,
    )[CLASSIFICATION_COLUMNS]

    n_units = len(units)
    n_unknown = int(unknown.sum())
    n_exceed = int(units["exceeds"].sum(skipna=True))
    n_below = int((~units["exceeds"]).sum(skipna=True))
    n_far = int(units["far_below"].sum(skipna=True))
    part1 = n_exceed > n_units / 2
    part2 = (n_below if below_rule == "not_exceeding" else n_far) == n_below_claimed
    if n_units == 0 or n_unknown > 0:
        verdict = "not testable"
        note = "no units" if n_units == 0 else f"{n_unknown} unit(s) with missing attainment"
    else:
        verdict = "supported" if part1 and part2 else "not supported"
        note = ""
    claim = pd.DataFrame(
        [{
            "n_units": n_units, "n_exceed": n_exceed, "n_below": n_below,
            "n_far_below": n_far, "n_unknown": n_unknown, "exceed_rule": exceed_rule,
            "below_rule": below_rule, "far_below_threshold": float(far_below),
            "n_below_claimed": n_below_claimed, "more_than_half_exceed": bool(part1),
            "below_as_claimed": bool(part2),
            "verdict": verdict, "note": note,
        }],
        columns=CLAIM_COLUMNS,
    )  # fmt: skip
    return units, claim


PLACEMENT_COST_COLUMNS = [
    "unit", "hours_a", "hours_b", "hours", "placements", "placements_per_100_hours",
    "cost", "cost_per_placement",
]  # fmt: skip


def placement_costs(
    units: pd.DataFrame,
    *,
    hours: tuple[str, str],
    placements: Sequence[str],
    rates: tuple[float | None, float | None] = (None, None),
    total_label: str = "total",
) -> pd.DataFrame:
    """Placements per 100 hours invested and cost per placement, per unit and in total.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit (unique ``unit`` column).
    hours : (str, str)
        The two hour columns (e.g. municipality, consultancy); ``hours = a + b``.
    placements : sequence of str
        Columns whose sum is the unit's placements (regular jobs + work-experience places).
    rates : (float or None, float or None)
        Hourly rate of each hour column. With both given, ``cost = a * rate_a + b *
        rate_b``; otherwise cost and cost per placement are NaN (never a partial cost).
    total_label : str
        ``unit`` value of the total row (the sums over units with complete hours and
        placements; its ratios are ratios of the sums, not means of the unit ratios).

    Returns
    -------
    pandas.DataFrame
        ``PLACEMENT_COST_COLUMNS``: one row per unit (input order) and the total row.
        ``placements_per_100_hours = 100 * placements / hours`` (NaN when hours are 0 or
        missing), ``cost_per_placement = cost / placements`` (NaN without placements).
    """
    a = pd.to_numeric(units[hours[0]], errors="coerce").astype("float64").to_numpy()
    b = pd.to_numeric(units[hours[1]], errors="coerce").astype("float64").to_numpy()
    placed = np.sum(
        [pd.to_numeric(units[c], errors="coerce").astype("float64").to_numpy()
         for c in placements], axis=0,
    )  # fmt: skip
    complete = np.isfinite(a) & np.isfinite(b) & np.isfinite(placed)
    a_all = np.append(a, a[complete].sum())
    b_all = np.append(b, b[complete].sum())
    placed_all = np.append(placed, placed[complete].sum())
    total = a_all + b_all
    with np.errstate(divide="ignore", invalid="ignore"):
        per_100 = np.where(total > 0, 100 * placed_all / total, np.nan)
        if rates[0] is not None and rates[1] is not None:
            cost = a_all * float(rates[0]) + b_all * float(rates[1])
        else:
            cost = np.full(len(total), np.nan)
        per_placement = np.where(placed_all > 0, cost / placed_all, np.nan)
    return pd.DataFrame({
        "unit": [*units["unit"].astype(str), total_label],
        "hours_a": a_all, "hours_b": b_all, "hours": total, "placements": placed_all,
        "placements_per_100_hours": per_100, "cost": cost,
        "cost_per_placement": per_placement,
    }, columns=PLACEMENT_COST_COLUMNS)  # fmt: skip
