"""Chapter 6's sensitivity to unmeasured confounding: the E-values of the adjusted
estimates and their benchmarks (how strongly the measured numeric characteristics go with
taking part and with each outcome, on the E-value's risk-ratio scale).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from analysis.design import covariate_terms
from analysis.estimability import NotEstimable
from analysis.sensitivity import covariate_benchmark, evalue
from pipeline.report.formatting import is_missing
from pipeline.study.plan import Outcome

from .common import PRIMARY_MEASURE, TREATMENT, UNIT, _labelled
from .tables import BENCHMARK, COMMON_OUTCOME, EVALUES


def evalues(effects: pd.DataFrame, observed: pd.DataFrame,
            members: Sequence[Outcome]) -> pd.DataFrame:  # fmt: skip
    """E-values of the primary adjusted estimates (continuous: SMD = MD / pooled SD)."""
    rows = []
    for outcome in members:
        sel = ((effects["outcome"] == outcome.name) & (effects["method"] == "adjusted")
               & (effects["measure"] == PRIMARY_MEASURE[outcome.kind]))  # fmt: skip
        r = effects[sel].iloc[0]
        if is_missing(r["estimate"]) or is_missing(r["ci_low"]):
            continue
        y = observed[outcome.name]
        t, c = y[observed[TREATMENT] == 1].dropna(), y[observed[TREATMENT] == 0].dropna()
        if outcome.kind == "binary":
            common = max(t.mean(), c.mean()) > COMMON_OUTCOME
            ev = evalue(r["estimate"], r["ci_low"], r["ci_high"], measure="or",
                        common_outcome=bool(common))  # fmt: skip
        elif outcome.kind == "count":
            ev = evalue(r["estimate"], r["ci_low"], r["ci_high"], measure="rr")
        else:
            sd = math.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
            ev = evalue(r["estimate"] / sd, r["ci_low"] / sd, r["ci_high"] / sd, measure="smd")
        rows.append(_labelled(ev, outcome))
    if not rows:
        return pd.DataFrame(columns=EVALUES.columns)
    return pd.concat(rows, ignore_index=True)


def evalue_benchmark(observed: pd.DataFrame, members: Sequence[Outcome], design: dict,
                     categorical: Sequence[str], evalue_table: pd.DataFrame) -> pd.DataFrame:
    """The E-values' benchmarks: every numeric covariate (linear, log1p or spline) moved
    from its 25th to its 75th percentile, as a risk ratio with the treatment and with
    each outcome that has an E-value (complete cases, all terms and the unit adjusted)."""
    transforms = design["transforms"]
    numeric = [n for n, k in transforms.items() if k != "categorical"]
    if not numeric or evalue_table.empty:
        return pd.DataFrame(columns=BENCHMARK.columns)
    terms = list(design["terms"])
    knots = design["knots"]
    contrasts, lows_highs = {}, {}
    for name in numeric:
        low, high = (float(v) for v in observed[name].quantile([0.25, 0.75]))
        two = pd.DataFrame({name: [low, high]})
        new, names = covariate_terms(two, [name], {name: transforms[name]}, knots)
        values = pd.concat([two, new], axis=1)
        contrasts[name] = {t: float(values[t].iloc[1] - values[t].iloc[0]) for t in names}
        lows_highs[name] = (low, high)
    fe = [UNIT] if observed[UNIT].nunique() > 1 else []
    frames = []
    try:
        part = covariate_benchmark(observed, TREATMENT, terms, contrasts, kind="binary",
                                   categorical=categorical, fixed_effects=fe,
                                   common_outcome=True, lows_highs=lows_highs)  # fmt: skip
        frames.append(part.assign(outcome=TREATMENT))
    except NotEstimable:
        pass
    kinds = {o.name: o for o in members}
    for name in evalue_table["outcome"]:
        o = kinds[name]
        y = observed[name]
        common = o.kind == "binary" and max(
            y[observed[TREATMENT] == 1].mean(), y[observed[TREATMENT] == 0].mean()
        ) > COMMON_OUTCOME
        try:
            part = covariate_benchmark(observed, name, [TREATMENT, *terms], contrasts,
                                       kind=o.kind, categorical=categorical,
                                       fixed_effects=fe, common_outcome=bool(common),
                                       lows_highs=lows_highs)  # fmt: skip
        except NotEstimable:
            continue
        frames.append(part.assign(outcome=name))
    if not frames:
        return pd.DataFrame(columns=BENCHMARK.columns)
    return pd.concat(frames, ignore_index=True)[list(BENCHMARK.columns)]
