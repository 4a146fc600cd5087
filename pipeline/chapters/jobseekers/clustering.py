"""Chapter 6's sensitivity to clustering by unit: per outcome of the primary family, the
weighted ATT difference with a restricted wild cluster bootstrap over units (Webb's
six-point weights, for few clusters) and a Wald test of unit x treatment heterogeneity
in the adjusted model. Neither changes the primary estimate; both are on complete cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.heterogeneity import treatment_heterogeneity
from analysis.propensity import propensity_scores
from analysis.ps_weights import att_weights
from analysis.wild_bootstrap import wild_cluster_bootstrap
from pipeline.report.chapter import TableSpec
from pipeline.study.plan import Outcome

from .common import TREATMENT, UNIT

#: Wild bootstrap draws: with G units all 6^G Webb patterns are used when 6^G is at most
#: this (G <= 5), else this many random draws.
WILD_DRAWS = 9999
#: The chapter's cap on control propensity scores (imputation.PS_TRIM).
TRIM = 0.99

CLUSTERING_COLUMNS = (
    "outcome", "label_nl", "label_en", "kind", "estimand", "estimate", "ci_low", "ci_high",
    "se_cr1", "p_val", "n_clusters", "n_boot", "enumerated", "het_statistic", "het_df",
    "het_p_val", "het_scale", "n_used", "note",
)  # fmt: skip
CLUSTERING = TableSpec(
    "jobseekers_clustering",
    CLUSTERING_COLUMNS,
    "Sensitivity to clustering by unit (complete cases): the PS-weighted ATT difference "
    "with a restricted wild cluster bootstrap over units (Webb weights), and a Wald test "
    "of unit x treatment interactions in the adjusted model",
    may_be_empty=True,  # one unit, or no outcome with both groups
    extra_columns={
        "kind": ("string", "Outcome kind: binary, continuous or count"),
        "estimand": ("string", "att_rd (binary: risk difference) or att_md (mean "
                     "difference, also for counts)"),
        "estimate": ("number", "Weighted ATT difference (weighted least squares of the "
                     "outcome on the treatment, ATT weights)"),
        "ci_low": ("number", "Lower bound: wild cluster bootstrap test inversion"),
        "ci_high": ("number", "Upper bound: wild cluster bootstrap test inversion"),
        "se_cr1": ("number", "Cluster-robust (CR1) standard error over units"),
        "p_val": ("number", "Wild cluster bootstrap p-value (null imposed, symmetric)"),
        "n_clusters": ("integer", "Units (clusters)"),
        "n_boot": ("integer", "Bootstrap draws (all 6^G patterns when enumerated)"),
        "enumerated": ("boolean", "All Webb weight patterns used (no randomness)"),
        "het_statistic": ("number", "Wald chi-square of the unit x treatment interactions "
                          "(HC0), adjusted model"),
        "het_df": ("integer", "Degrees of freedom (units - 1)"),
        "het_p_val": ("number", "p-value of the heterogeneity test (not adjusted for "
                      "multiple testing)"),
        "het_scale": ("string", "Scale of the per-unit effects: log_or, mean_difference "
                      "or log_rr"),
        "n_used": ("integer", "Complete cases used"),
        "note": ("string", "Why a statistic is missing"),
    },
)


def _row(outcome: Outcome, **values: object) -> dict:
    row: dict[str, object] = {c: np.nan for c in CLUSTERING_COLUMNS}
    row.update(outcome=outcome.name, label_nl=outcome.label_nl, label_en=outcome.label_en,
               kind=outcome.kind, estimand="att_rd" if outcome.kind == "binary" else "att_md",
               note="")  # fmt: skip
    row.update(values)
    return row


def clustering_table(
    jobseekers: pd.DataFrame, members: Sequence[Outcome], *, covariates: Sequence[str],
    categorical: Sequence[str], alpha: float, seed: int,
) -> pd.DataFrame:  # fmt: skip
    """One row per outcome of ``members`` (complete cases over outcome, treatment,
    covariates and unit); empty with fewer than two units."""
    if jobseekers[UNIT].nunique() < 2:
        return pd.DataFrame(columns=list(CLUSTERING_COLUMNS))
    rows = []
    for i, outcome in enumerate(members):
        cols = [outcome.name, TREATMENT, UNIT, *covariates]
        cc = jobseekers.loc[jobseekers[cols].notna().all(axis=1), list(dict.fromkeys(cols))]
        if cc[TREATMENT].nunique() < 2 or cc[UNIT].nunique() < 2:
            rows.append(_row(outcome, n_used=len(cc),
                             note="not estimable: too few respondents"))  # fmt: skip
            continue
        values: dict[str, object] = {"n_used": len(cc)}
        notes = []
        try:
            ps = propensity_scores(cc, TREATMENT, covariates, categorical=categorical,
                                   fixed_effects=[UNIT])  # fmt: skip
            w = att_weights(ps, cc[TREATMENT], trim=TRIM)["weight"].to_numpy()
            t = cc[TREATMENT].to_numpy(dtype=float)
            X = np.column_stack([np.ones(len(t)), t])
            wild = wild_cluster_bootstrap(cc[outcome.name].to_numpy(dtype=float), X, cc[UNIT],
                                          coef=1, weights=w, n_boot=WILD_DRAWS,
                                          seed=seed + i, alpha=alpha).iloc[0]  # fmt: skip
            values.update(estimate=wild["estimate"], ci_low=wild["ci_low"],
                          ci_high=wild["ci_high"], se_cr1=wild["se_cr1"],
                          p_val=wild["p_val"], n_clusters=int(wild["n_clusters"]),
                          n_boot=int(wild["n_boot"]),
                          enumerated=bool(wild["enumerated"]))  # fmt: skip
        except ValueError as exc:  # NotEstimable is a ValueError
            notes.append(f"wild cluster bootstrap: {exc}")
        try:
            het = treatment_heterogeneity(cc, outcome.name, TREATMENT, UNIT, covariates,
                                          kind=outcome.kind,  # type: ignore[arg-type]
                                          categorical=categorical).iloc[0]  # fmt: skip
            if het["warnings"]:
                notes.append(f"heterogeneity: {het['warnings']}")
            else:
                values.update(het_statistic=het["statistic"], het_df=int(het["df"]),
                              het_p_val=het["p_val"], het_scale=het["scale"])  # fmt: skip
        except (ValueError, np.linalg.LinAlgError) as exc:
            notes.append(f"heterogeneity: {exc}")
        rows.append(_row(outcome, note="; ".join(notes), **values))
    out = pd.DataFrame(rows, columns=list(CLUSTERING_COLUMNS))
    for col in ("n_clusters", "n_boot", "het_df", "n_used"):
        out[col] = out[col].astype("Int64")
    out["enumerated"] = out["enumerated"].astype("boolean")
    return out
