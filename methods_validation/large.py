"""Large samples: are the chapter's estimators unbiased for their probability limits, and
are those limits the planted values?

At the example's size the interval coverage is what matters (:mod:`methods_validation.run`);
at scale 100 and at goal size the intervals are so narrow that a small bias of the
specification would show, as it did when years on benefit entered linearly (an adjusted
OR converging to 2.025 against a planted 2.0). Here each estimator of the chapter -- the
adjusted logit's conditional OR, the weighted ATT and the doubly robust ATT (risk
differences and marginal odds ratios), with the chapter's model terms -- is fitted to
``draws`` simulated studies of each size; their mean is compared with the estimator's
probability limit (:func:`methods_validation.run.population_truth` on a draw of
``n_truth`` people's true probabilities), and that limit with the planted value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.doubly_robust import dr_att
from analysis.models import effect_and_se
from analysis.weighting import att_effect

from .run import PLANTED_OR, TRIM, _simulate, chapter_spec, population_truth, with_terms

#: name -> (candidates, controls, draws): 100x the example, and the benchmark's goal size
#: (946 k job seekers, the example's candidate share).
SIZES: Mapping[str, tuple[int, int, int]] = {
    "scale 100": (38_400, 32_600, 50),
    "goal size": (511_600, 434_400, 4),
}
N_TRUTH_LARGE = 2_000_000

# estimate key -> (label, probability-limit key, planted key, log scale)
ESTIMATES = {
    "adjusted_or": ("Adjusted logit, conditional OR", "plim_conditional_or", "conditional_or"),
    "weighted_rd": ("PS-weighted ATT, RD", "plim_patt_rd", "patt_rd"),
    "weighted_or": ("PS-weighted ATT, marginal OR", "plim_patt_or", "patt_or"),
    "dr_rd": ("Doubly robust ATT, RD", "plim_dr_rd", "patt_rd"),
    "dr_or": ("Doubly robust ATT, marginal OR", "plim_dr_or", "patt_or"),
}


def estimates(frame: pd.DataFrame, spec: dict) -> dict[str, float]:
    """The chapter's point estimates of one simulated study (no intervals)."""
    df, terms = with_terms(frame, spec)
    cat, fe = spec["categorical"], spec["fixed_effects"]
    adj = effect_and_se(df, "werk_regulier", "werktop", terms, kind="binary",
                        categorical=cat, fixed_effects=fe)  # fmt: skip
    w = att_effect(df, "werk_regulier", "werktop", terms, kind="binary", categorical=cat,
                   fixed_effects=fe, trim=TRIM).set_index("estimand")  # fmt: skip
    d = dr_att(df, "werk_regulier", "werktop", terms, kind="binary", categorical=cat,
               fixed_effects=fe, trim=TRIM).set_index("estimand")  # fmt: skip
    return {"adjusted_or": math.exp(adj["estimate"]),
            "weighted_rd": float(w.loc["att_rd", "estimate"]),
            "weighted_or": float(w.loc["att_or", "estimate"]),
            "dr_rd": float(d.loc["att_rd", "estimate"]),
            "dr_or": float(d.loc["att_or", "estimate"])}  # fmt: skip


def large_sample_check(seed: int, sizes: Mapping[str, tuple[int, int, int]] = SIZES, *,
                       n_truth: int = N_TRUTH_LARGE) -> pd.DataFrame:  # fmt: skip
    """One row per size and estimate: mean over the draws, its Monte-Carlo SE, the
    probability limit, the planted value and the relative differences (mean / limit - 1,
    limit / planted - 1). Draw ``j`` of a size uses ``default_rng([seed, 7, j, n])``."""
    spec = chapter_spec()
    rows = []
    for name, (n1, n0, draws) in sizes.items():
        truth = population_truth(PLANTED_OR, seed, n_truth, spec=spec, n_candidates=n1,
                                 n_control=n0)  # fmt: skip
        values = pd.DataFrame([
            estimates(_simulate(np.random.default_rng([seed, 7, j, n1 + n0]), n1, n0,
                                PLANTED_OR), spec)
            for j in range(draws)])  # fmt: skip
        for key, (label, plim_key, planted_key) in ESTIMATES.items():
            v = values[key]
            mean = float(v.mean())
            mcse = float(v.std(ddof=1) / math.sqrt(draws)) if draws > 1 else float("nan")
            plim, planted = truth[plim_key], truth[planted_key]
            rows.append({
                "size": name, "n": n1 + n0, "draws": draws, "estimate": key, "label": label,
                "mean": mean, "mcse": mcse, "plim": plim, "planted": planted,
                "rel_bias": mean / plim - 1, "rel_mcse": mcse / plim,
                "rel_plim_planted": plim / planted - 1,
            })  # fmt: skip
    return pd.DataFrame(rows)


def render_large(table: pd.DataFrame, n_truth: int) -> str:
    """The markdown section of :func:`large_sample_check`."""
    lines = [
        "## Large samples: bias against the probability limit, and the limit against the "
        "planted value",
        "",
        f"Each size: the mean of its draws' point estimates (Monte-Carlo SE), the estimator's "
        f"probability limit (fitted to the true probabilities of {n_truth:,} people with the "
        "study's candidate share) and the planted value (the conditional OR 2.0; the "
        "population ATT of the candidates). Targets: both relative differences within 1%.",
        "",
        "| Size | n | Draws | Estimate | Mean (MCSE) | Limit | Planted | Mean / limit − 1 "
        "| Limit / planted − 1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.size} | {r.n:,} | {r.draws} | {r.label} | {r.mean:.4f} ({r.mcse:.4f}) "
            f"| {r.plim:.4f} | {r.planted:.4f} | {r.rel_bias:+.2%} (MCSE {r.rel_mcse:.2%}) "
            f"| {r.rel_plim_planted:+.2%} |"
        )
    ok_bias = (table["rel_bias"].abs() <= 0.01 + 2 * table["rel_mcse"]).all()
    ok_plim = (table["rel_plim_planted"].abs() <= 0.01).all()
    worst = table.loc[table["rel_bias"].abs().idxmax()]
    lines += [
        "",
        f"- Largest |mean / limit − 1|: {abs(worst['rel_bias']):.2%} ({worst['label']}, "
        f"{worst['size']}; MCSE {worst['rel_mcse']:.2%}): "
        + ("within 1% (allowing 2 MCSE)." if ok_bias else "OUTSIDE 1% (allowing 2 MCSE)."),
        f"- Largest |limit / planted − 1|: {table['rel_plim_planted'].abs().max():.2%}: "
        + ("within 1%." if ok_plim else "OUTSIDE 1%."),
    ]
    return "\n".join(lines) + "\n"
