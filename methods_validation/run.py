"""Simulation study: coverage, bias and type-I error of the Werktop effect estimators.

Run from the repository root::

    python -m methods_validation.run --studies 500 --out docs/method_validation.md

Each simulated study draws clean job seekers from the synthetic study's model
(``synthetic.model.simulate_jobseekers``: selection into Werktop through group-specific
covariate distributions, a logistic model for a regular job with unit offsets and a
planted conditional odds ratio) and analyses it in memory with the chapter's own
specification and functions: the covariates, categorical covariates, fixed effects and
transforms (restricted cubic splines) of ``data/codebook/analysis_plan.toml``
(``[covariates]``), turned into model terms by the chapter's own
``pipeline.chapters.jobseekers.chapter.model_terms``; ``analysis.models`` for the
adjusted logit; ``pipeline.chapters.jobseekers.intervals.weighted_estimates`` and
``dr_estimates`` for the weighted and the doubly robust ATT (M-estimation sandwich, and
the stratified bootstrap re-fitting the models), so the validation cannot drift from the
chapter. Four scenarios: planted effect (conditional OR 2.0) and zero effect (OR 1.0), at
the example's size and at 4x.
Every method is judged against its estimand's probability limit under the chapter's
specification (the same estimator fitted to the true probabilities of a very large
draw); the planted truths are reported beside it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.models import build_design, effect_and_se
from analysis.propensity import fit_logit_scaled, propensity_scores, trim_rule
from analysis.ps_weights import ato_weights, att_weights
from analysis.weighting import att_effect, weighted_effect
from pipeline.chapters.jobseekers.chapter import model_terms
from pipeline.chapters.jobseekers.common import TRIM_RULE
from pipeline.chapters.jobseekers.intervals import (
    dr_estimates,
    pooled_mover,
    replicates_per_set,
    sensitivity_estimates,
    weighted_estimates,
)
from pipeline.outputs import console
from pipeline.runner.parallel import ordered_map, resolve_workers
from pipeline.study.codebook import load_codebook
from pipeline.study.config import DEFAULT_CODEBOOK
from pipeline.study.plan import Inference, load_plan

from .methods import METHODS
from .report import _discussion, render_markdown, write_atomic

__all__ = ["METHODS", "run", "run_scenario", "analyse_study", "population_truth", "summarise",
           "chapter_spec", "render_markdown", "write_atomic", "main"]  # fmt: skip

DEFAULT_SEED = 20140601
N_CANDIDATES, N_CONTROL = 384, 326
N_TRUTH = 400_000
PLANTED_OR = 2.0
ALPHA = 0.05

TRIM = 0.99  # the chapter's cap on control propensity scores (imputation.PS_TRIM)


def chapter_spec() -> dict:
    """The chapter's model specification, read from the analysis plan: covariates,
    categorical ones, fixed effects, transforms (``plan_covariates``, what
    :func:`with_terms` applies), the interval rule (``[inference]``) and the imputation
    pilot's size (how many data sets the chapter spreads its bootstrap over)."""
    plan = load_plan(load_codebook(DEFAULT_CODEBOOK))
    covs = plan.covariates
    if covs is None:
        raise ValueError("the analysis plan has no [covariates] table")
    return {"covariates": list(covs.adjust), "categorical": list(covs.categorical),
            "fixed_effects": list(covs.fixed_effects), "inference": plan.inference,
            "transforms": covs.transforms(), "spline_knots": covs.spline_knots,
            "plan_covariates": covs, "m_pilot": plan.imputation.m_pilot}  # fmt: skip


def with_terms(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, list[str]]:
    """The frame with the plan's model terms added (spline knots from this frame, as the
    chapter computes them from its pooled data) and the term names every model gets."""
    frame, terms, _ = model_terms(frame, spec["plan_covariates"])
    return frame, terms



def _simulate(rng: np.random.Generator, n_candidates: int, n_control: int,
              odds_ratio: float) -> pd.DataFrame:  # fmt: skip
    from synthetic.model import simulate_jobseekers

    return simulate_jobseekers(rng, n_candidates, n_control,
                               effects={"regular_job_or": odds_ratio})  # fmt: skip


def population_truth(odds_ratio: float, seed: int, n: int = N_TRUTH, *,
                     spec: dict | None = None, n_candidates: int = N_CANDIDATES,
                     n_control: int = N_CONTROL) -> dict[str, float]:  # fmt: skip
    """Planted truths and the chapter estimators' probability limits.

    Planted: the conditional OR and the population ATT (RD and marginal OR) from a large
    draw of candidates. Probability limits (keys ``plim_*``): the chapter's estimators
    fitted to the true probabilities (``y = p1`` for candidates, ``p0`` for controls) of
    a draw of ``n`` people with the study's candidate share, on the chapter's model terms
    (:func:`with_terms`): the adjusted logit's conditional OR and its AMEs over everyone
    and over the treated (quasi-likelihood, fractional response); the weighted ATT's
    treated and weighted control means (``att_effect`` on the probabilities); the doubly
    robust ATT's control mean (the weighted quasi-likelihood logit of ``p0`` among the
    controls, averaged over the treated, as ``dr_att`` does with 0/1 outcomes).
    """
    spec = spec or chapter_spec()
    df = _simulate(np.random.default_rng(seed), n, 0, odds_ratio)
    m1, m0 = df["p1"].mean(), df["p0"].mean()
    share = n_candidates / (n_candidates + n_control)
    big = _simulate(np.random.default_rng([seed, 1]), round(n * share),
                    n - round(n * share), odds_ratio)  # fmt: skip
    big, terms = with_terms(big, spec)
    big["p_obs"] = np.where(big["werktop"] == 1, big["p1"], big["p0"])
    cat, fe = spec["categorical"], spec["fixed_effects"]
    d = build_design(big, "p_obs", "werktop", terms, cat, fe)
    fit = sm.GLM(d.y, d.X, family=sm.families.Binomial()).fit(tol=1e-12)
    treated = d.X[:, d.treat_col] == 1
    x1, x0 = d.X.copy(), d.X.copy()
    x1[:, d.treat_col], x0[:, d.treat_col] = 1.0, 0.0
    effect = fit.predict(x1) - fit.predict(x0)
    a = att_effect(big, "p_obs", "werktop", terms, kind="continuous", categorical=cat,
                   fixed_effects=fe, trim=TRIM).iloc[0]  # fmt: skip
    q1, q0 = float(a["mean_treated_w"]), float(a["mean_control_w"])
    r1, r0 = _dr_limit(big, terms, spec)
    sens = _sensitivity_limits(big, terms, spec)
    return {
        **sens,
        "conditional_or": odds_ratio,
        "patt_rd": float(m1 - m0),
        "patt_or": _odds_ratio(m1, m0),
        "plim_conditional_or": float(np.exp(fit.params[d.treat_col])),
        "plim_ame_rd": float(effect.mean()),
        "plim_ame_att_rd": float(effect[treated].mean()),
        "plim_patt_rd": q1 - q0,
        "plim_patt_or": _odds_ratio(q1, q0),
        "plim_dr_rd": r1 - r0,
        "plim_dr_or": _odds_ratio(r1, r0),
    }


def _sensitivity_limits(big: pd.DataFrame, terms: Sequence[str], spec: dict) -> dict:
    """The trimmed and overlap-weighted comparisons on the true probabilities: the
    score fitted to the large draw, Crump's rule on it (the ATT weights capped as the
    chapter caps them) and the overlap weights; weighted means of ``p_obs`` per group."""
    ps = propensity_scores(big, "werktop", terms, categorical=spec["categorical"],
                           fixed_effects=spec["fixed_effects"])  # fmt: skip
    t = big["werktop"].to_numpy()
    y = big["p_obs"].to_numpy()
    keep = trim_rule(ps, rule=TRIM_RULE)[0]
    out = {}
    for name, w in (("trim", att_weights(ps, big["werktop"], trim=TRIM)["weight"] * keep),
                    ("ato", ato_weights(ps, big["werktop"])["weight"])):
        w = w.to_numpy()
        q1 = float(np.average(y[t == 1], weights=w[t == 1]))
        q0 = float(np.average(y[t == 0], weights=w[t == 0]))
        out[f"plim_{name}_rd"], out[f"plim_{name}_or"] = q1 - q0, _odds_ratio(q1, q0)
    return out


def _odds_ratio(p1: float, p0: float) -> float:
    return float((p1 / (1 - p1)) / (p0 / (1 - p0)))


def _dr_limit(big: pd.DataFrame, terms: Sequence[str], spec: dict) -> tuple[float, float]:
    """The doubly robust ATT's treated and control means on the true probabilities:
    ``dr_att``'s two models (the same terms), the outcome model a quasi-likelihood logit
    of ``p0`` among the controls with the capped ATT weights."""
    d = build_design(big, "p_obs", "werktop", terms, spec["categorical"],
                     spec["fixed_effects"])  # fmt: skip
    t = d.X[:, d.treat_col]
    Z = np.delete(d.X, d.treat_col, axis=1)
    gamma, *_ = fit_logit_scaled(Z, t)
    e = 1 / (1 + np.exp(-(Z @ gamma)))
    control = t == 0
    e = np.where(control & (e > TRIM), TRIM, e)
    w = e / (1 - e)
    out = sm.GLM(d.y[control], Z[control], family=sm.families.Binomial(),
                 var_weights=w[control]).fit(tol=1e-12)  # fmt: skip
    treated = ~control
    return float(d.y[treated].mean()), float(out.predict(Z[treated]).mean())


def analyse_study(frame: pd.DataFrame, spec: dict | None = None, *, replicates: int,
                  seed: int = 0) -> dict[str, tuple[float, float]]:  # fmt: skip
    """(estimate, SE) per method, on the method's scale (log for odds ratios).

    The chapter's specification (``spec``, :func:`chapter_spec`) and functions; the
    bootstrap has ``replicates`` replicates and seed ``(seed, 0)`` (the chapter's
    ``weighted_estimates`` seeds by (study seed, imputed data set)). Also returns the
    study's own truths under the keys ``satt_rd`` and ``sate_rd`` (with SE NaN), and
    ``_flags`` (converged and no separation in both models, n trimmed).
    """
    spec = spec or chapter_spec()
    df, cov = with_terms(frame, spec)
    cat, fe = spec["categorical"], spec["fixed_effects"]
    out: dict[str, tuple[float, float]] = {}
    adj = effect_and_se(df, "werk_regulier", "werktop", cov, kind="binary",
                        categorical=cat, fixed_effects=fe)  # fmt: skip
    out["adjusted_or"] = (adj["estimate"], adj["se"])
    out["adjusted_ame"] = (adj["ame"], adj["ame_se"])
    out["adjusted_att"] = (adj["ame_att"], adj["ame_att_se"])
    ps = propensity_scores(df, "werktop", cov, categorical=cat, fixed_effects=fe)
    aw = att_weights(ps, df["werktop"], trim=TRIM)
    w = weighted_effect(df, "werk_regulier", "werktop", aw["weight"].to_numpy(), kind="binary")
    out["weighted_rd"] = out["weighted_rd_satt"] = (w.loc[0, "estimate"], w.loc[0, "se"])
    out["weighted_or"] = (math.log(w.loc[1, "estimate"]), w.loc[1, "se"])
    common = dict(covariates=cov, categorical=cat, fixed_effects=fe, trim=TRIM, alpha=ALPHA,
                  m=1, seed=(seed, 0))  # fmt: skip
    # both branches of the chapter's rule: the sandwich is computed either way, the
    # bootstrap whenever the threshold is not met (here: never met)
    always_boot = Inference(sandwich_min_ess=math.inf, bootstrap_replicates=replicates)
    boot = weighted_estimates(df, "werk_regulier", "binary", rule=always_boot, **common)
    out["mest_rd"], out["mest_or"] = boot["sandwich"]["att_rd"], boot["sandwich"]["att_or"]
    out["boot_rd"], out["boot_or"] = boot["estimates"]["att_rd"], boot["estimates"]["att_or"]
    mover = pooled_mover([boot["parts"]["att_rd"]], ALPHA)
    out["boot_rd_mover"] = (*out["boot_rd"], mover["ci_low"], mover["ci_high"])
    # the sensitivity rows, both branches: HC0 with known weights, and the bootstrap
    for name, how in (("trim", "trimmed"), ("ato", "ato")):
        known = sensitivity_estimates(df, "werk_regulier", "binary", how, rule=Inference(0.0),
                                      ess_control=0.0, **common)  # fmt: skip
        sens = sensitivity_estimates(df, "werk_regulier", "binary", how, rule=always_boot,
                                     ess_control=0.0, **common)  # fmt: skip
        out[f"{name}_rd_hc0"] = known["estimates"]["att_rd"]
        out[f"{name}_or_hc0"] = known["estimates"]["att_or"]
        mover = pooled_mover([sens["parts"]["att_rd"]], ALPHA)
        out[f"{name}_rd"] = (*sens["estimates"]["att_rd"], mover["ci_low"], mover["ci_high"])
        out[f"{name}_or"] = sens["estimates"]["att_or"]
    dr = dr_estimates(df, "werk_regulier", "binary", rule=always_boot, **common)
    out["dr_rd"], out["dr_or"] = dr["sandwich"]["att_rd"], dr["sandwich"]["att_or"]
    out["drboot_rd"], out["drboot_or"] = dr["estimates"]["att_rd"], dr["estimates"]["att_or"]
    crude = weighted_effect(df, "werk_regulier", "werktop", np.ones(len(df)), kind="binary")
    out["crude_rd"] = (crude.loc[0, "estimate"], crude.loc[0, "se"])
    out["crude_or"] = (math.log(crude.loc[1, "estimate"]), crude.loc[1, "se"])
    treated = df["werktop"] == 1
    out["satt_rd"] = (float((df["p1"] - df["p0"])[treated].mean()), float("nan"))
    out["sate_rd"] = (float((df["p1"] - df["p0"]).mean()), float("nan"))
    ok = (adj["converged"] and not adj["separation"] and ps.attrs["converged"]
          and not ps.attrs["separation"])  # fmt: skip
    out["_flags"] = (float(ok), float(aw["trimmed"].sum()))
    out["_ess"] = (float(w.loc[0, "ess_control"]), float((df["werktop"] == 0).sum()))
    # the interval the chapter's rule picks in this study (1: bootstrap, 0: sandwich)
    out["_rule"] = (float(boot["ess_control"] < spec["inference"].sandwich_min_ess), 0.0)
    return out


def run_scenario(
    odds_ratio: float,
    n_studies: int,
    seed: int,
    *,
    n_candidates: int = N_CANDIDATES,
    n_control: int = N_CONTROL,
    label: str = "",
    replicates: int | None = None,
    workers: int = 1,
    n_truth: int = N_TRUTH,
) -> pd.DataFrame:
    """One row per study and method: estimate, SE, truth, CI, covered, rejected.

    Study ``i`` uses ``numpy.random.default_rng(SeedSequence(seed).spawn(n)[i])``, so the
    scenarios share their covariate draws (common random numbers) and any study can be
    rerun alone; its bootstrap is seeded by ``(seed, i)``. The results do not depend on
    ``workers`` (processes, one study per task). ``replicates``: bootstrap replicates per
    study (default: the chapter's, from the plan's ``[inference]`` for one data set).
    ``label`` names the scenario in the progress line (terminal only). Truths are the
    probability limits (:func:`population_truth`). Default replicates: what the chapter
    gives each of its pilot's imputed data sets (the plan's total over ``m_pilot``).
    """
    spec = chapter_spec()
    if replicates is None:
        replicates = replicates_per_set(spec["inference"], spec["m_pilot"])
    truth = population_truth(odds_ratio, seed, n_truth, spec=spec, n_candidates=n_candidates,
                             n_control=n_control)  # fmt: skip
    z = stats.norm.ppf(1 - ALPHA / 2)
    children = np.random.SeedSequence(seed).spawn(n_studies)

    def task(i: int) -> list[dict]:
        return _study_rows(children[i], i, truth, z, odds_ratio, n_candidates, n_control,
                           spec=spec, replicates=replicates, seed=seed)  # fmt: skip

    with console.progress(f"method validation: {label or f'OR {odds_ratio:g}'}",
                          n_studies) as bar:  # fmt: skip
        parts = ordered_map(task, n_studies, resolve_workers(workers, n_studies),
                            progress=bar.update)  # fmt: skip
    rows = [r for part in parts for r in part]
    out = pd.DataFrame(rows)
    out.attrs["replicates"] = replicates
    out.attrs["truth"] = truth
    return out


def _study_rows(child: np.random.SeedSequence, i: int, truth: dict[str, float], z: float,
                odds_ratio: float, n_candidates: int, n_control: int, *, spec: dict,
                replicates: int, seed: int) -> list[dict]:  # fmt: skip
    """The rows of study ``i`` (see :func:`run_scenario`), one per method."""
    frame = _simulate(np.random.default_rng(child), n_candidates, n_control, odds_ratio)
    res = analyse_study(frame, spec, replicates=replicates, seed=seed * 100_003 + i)
    ok, n_trim = res["_flags"]
    ess, n_ctrl = res["_ess"]
    # probability limits of the chapter's estimators under its specification
    study_truth = {"conditional_or": truth["plim_conditional_or"],
                   "patt_rd": truth["plim_patt_rd"], "patt_or": truth["plim_patt_or"],
                   "ame_att_rd": truth["plim_ame_att_rd"], "dr_rd": truth["plim_dr_rd"],
                   "dr_or": truth["plim_dr_or"], "trim_rd": truth["plim_trim_rd"],
                   "trim_or": truth["plim_trim_or"], "ato_rd": truth["plim_ato_rd"],
                   "ato_or": truth["plim_ato_or"],
                   "satt_rd": res["satt_rd"][0], "sate_rd": res["sate_rd"][0]}  # fmt: skip
    rows = []
    for key, (_, _, scale, truth_key) in METHODS.items():
        # (estimate, SE) with a Wald interval, or (estimate, SE, low, high): the method's
        # own interval (MOVER), judged as the chapter reports it
        est, se, *own = res[key]
        lo, hi = own if own else (est - z * se, est + z * se)
        t = study_truth[truth_key]
        t_scale = math.log(t) if scale == "log" else t
        null = 0.0
        rows.append({
            "study": i, "method": key, "estimate": est, "se": se,
            "truth": t_scale, "ci_low": lo, "ci_high": hi,
            "covered": bool(lo <= t_scale <= hi),
            "rejected": bool(not lo <= null <= hi),
            "ok": bool(ok), "n_trimmed": n_trim,
            "ess_share": ess / n_ctrl, "ess": ess, "rule_bootstrap": bool(res["_rule"][0]),
        })  # fmt: skip
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: truth, bias, empirical SD, mean SE, coverage and rejection with MCSE.

    Studies flagged for non-convergence or separation are counted and excluded.
    """
    rows = []
    for key, (label, estimand, scale, _) in METHODS.items():
        r = results[results["method"] == key]
        n_failed = int((~r["ok"]).sum())
        r = r[r["ok"]]
        s = len(r)
        cov, rej = r["covered"].mean(), r["rejected"].mean()
        emp_sd = r["estimate"].std(ddof=1)
        rows.append({
            "method": key, "label": label, "estimand": estimand, "scale": scale,
            "n_studies": s, "n_failed": n_failed, "truth": r["truth"].mean(),
            "mean_estimate": r["estimate"].mean(),
            "bias": (r["estimate"] - r["truth"]).mean(),
            "bias_mcse": (r["estimate"] - r["truth"]).std(ddof=1) / math.sqrt(s),
            "emp_sd": emp_sd, "mean_se": r["se"].mean(), "se_ratio": r["se"].mean() / emp_sd,
            "coverage": cov, "coverage_mcse": math.sqrt(cov * (1 - cov) / s),
            "rejection": rej, "rejection_mcse": math.sqrt(rej * (1 - rej) / s),
        })  # fmt: skip
    return pd.DataFrame(rows)


LARGE_FACTOR = 4


def run(
    n_studies: int,
    seed: int = DEFAULT_SEED,
    *,
    n_candidates: int = N_CANDIDATES,
    n_control: int = N_CONTROL,
    replicates: int | None = None,
    workers: int = 1,
    n_truth: int = N_TRUTH,
    n_large: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Four scenarios: planted and zero effect, at the example's size and at 4x.

    Returns the summaries of the first three and the metadata (``meta["large_null"]``
    holds the fourth). The example-size scenarios have ``n_studies`` studies, the 4x ones
    ``n_large`` (default the same) and seed + 1.
    """
    n_large = n_studies if n_large is None else n_large
    kw = dict(replicates=replicates, workers=workers, n_truth=n_truth)
    res_e = run_scenario(PLANTED_OR, n_studies, seed, n_candidates=n_candidates,
                         n_control=n_control, label="planted effect", **kw)  # fmt: skip
    res_n = run_scenario(1.0, n_studies, seed, n_candidates=n_candidates, n_control=n_control,
                         label="zero effect", **kw)  # fmt: skip
    big = dict(n_candidates=n_candidates * LARGE_FACTOR, n_control=n_control * LARGE_FACTOR)
    res_l = run_scenario(PLANTED_OR, n_large, seed + 1,
                         label=f"planted effect, {LARGE_FACTOR}x the size", **big,
                         **kw)  # fmt: skip
    res_ln = run_scenario(1.0, n_large, seed + 1,
                          label=f"zero effect, {LARGE_FACTOR}x the size", **big,
                          **kw)  # fmt: skip
    eff, nul, large, large_null = (summarise(r) for r in (res_e, res_n, res_l, res_ln))
    meta = {
        "n_studies": n_studies, "seed": seed, "n_candidates": n_candidates,
        "n_control": n_control, "planted_or": PLANTED_OR, "n_truth": n_truth,
        "truth_effect": res_e.attrs["truth"], "truth_null": res_n.attrs["truth"],
        "truth_large": res_l.attrs["truth"],
        "mean_trimmed": float(res_e.groupby("study")["n_trimmed"].first().mean()),
        "ess_share": float(res_e.groupby("study")["ess_share"].first().mean()),
        "ess_share_large": float(res_l.groupby("study")["ess_share"].first().mean()),
        "ess_max": float(res_e.groupby("study")["ess"].first().max()),
        "ess_max_large": float(res_l.groupby("study")["ess"].first().max()),
        "rule_bootstrap": float(res_e.groupby("study")["rule_bootstrap"].first().mean()),
        "rule_bootstrap_large": float(
            res_l.groupby("study")["rule_bootstrap"].first().mean()),
        "n_large": n_large, "large_factor": LARGE_FACTOR, "spec": chapter_spec(),
        "replicates": res_e.attrs["replicates"], "large_null": large_null, "trim": TRIM,
        "chapter_replicates": replicates_per_set(chapter_spec()["inference"],
                                                 chapter_spec()["m_pilot"]),
    }  # fmt: skip
    meta["discussion"] = _discussion(eff, nul, large, meta, large_null)
    return eff, nul, large, meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the study and write the markdown report."""
    ap = argparse.ArgumentParser(prog="python -m methods_validation.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--studies", type=int, default=500,
                    help="studies per scenario at the example's size")
    ap.add_argument("--studies-large", type=int, default=None,
                    help="studies per scenario at 4x the size (default: --studies)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--replicates", type=int, default=None,
                    help="bootstrap replicates per study (default: the chapter's, from the "
                    "analysis plan's [inference])")
    ap.add_argument("--workers", type=int, default=0,
                    help="worker processes (0 = one per CPU); results do not depend on it")
    ap.add_argument("--out", type=Path, default=Path("docs/method_validation.md"))
    console.add_verbosity_options(ap, default=console.NORMAL)
    args = ap.parse_args(argv)
    console.set_verbosity(args.verbosity)
    if args.studies < 2 or (args.studies_large is not None and args.studies_large < 2):
        ap.error("--studies and --studies-large must be at least 2")
    eff, nul, large, meta = run(args.studies, args.seed, replicates=args.replicates,
                                workers=args.workers, n_large=args.studies_large)  # fmt: skip
    cmd = f"python -m methods_validation.run --studies {args.studies}"
    if args.studies_large is not None:
        cmd += f" --studies-large {args.studies_large}"
    if args.seed != DEFAULT_SEED:
        cmd += f" --seed {args.seed}"
    if args.replicates is not None:
        cmd += f" --replicates {args.replicates}"
    meta["command"] = cmd + f" --out {args.out.as_posix()}"
    from .large import N_TRUTH_LARGE, large_sample_check, render_large

    console.info("method validation: large samples (scale 100, goal size)")
    meta["large_section"] = render_large(large_sample_check(args.seed), N_TRUTH_LARGE)
    write_atomic(args.out, render_markdown(eff, nul, large, meta, meta["large_null"]))
    console.info(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
