"""analysis.bootstrap and analysis.heterogeneity against independent computations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analysis.bootstrap import (
    att_bootstrap,
    batched_logit,
    bootstrap_replicates,
    frequencies,
    resample_indices,
    summarise_replicates,
)
from analysis.heterogeneity import treatment_heterogeneity
from analysis.propensity import propensity_scores
from analysis.ps_weights import att_weights
from analysis.wild_bootstrap import WEBB_WEIGHTS, wild_cluster_bootstrap

COV = ["leeftijd", "jaren_uitkering", "opleiding", "geslacht"]
CAT = ["opleiding", "geslacht"]


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    from synthetic.model import simulate_jobseekers

    return simulate_jobseekers(np.random.default_rng(7), 300, 260)


def test_resampling_keeps_strata_sizes_and_is_seeded():
    strata = np.array([1, 0, 1, 1, 0, 2, 2, 2, 2])
    idx = resample_indices(strata, 40, seed=3)
    assert idx.shape == (40, 9)
    for row in idx:
        assert np.bincount(strata[row], minlength=3).tolist() == [2, 3, 4]
    assert np.array_equal(idx, resample_indices(strata, 40, seed=3))
    F = frequencies(idx, 9)
    assert F.sum(axis=1).tolist() == [9.0] * 40
    assert np.array_equal(F[5], np.bincount(idx[5], minlength=9))


def _resample_per_stratum(strata, n_boot, seed):
    """The definition of resample_indices: per replicate its own generator, and per
    stratum (sorted codes) ``integers(0, k, k)`` rows of that stratum, stratum by stratum."""
    codes = pd.factorize(pd.Series(strata), sort=True)[0]
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = []
    for child in np.random.SeedSequence(seed).spawn(n_boot):
        rng = np.random.default_rng(child)
        out.append(np.concatenate([order[s + rng.integers(0, k, k)]
                                   for s, k in zip(starts, sizes, strict=True)]))
    return np.array(out)


@pytest.mark.parametrize("case", range(40))
def test_resample_indices_draws_what_the_per_stratum_loop_draws(case):
    rng = np.random.default_rng(case)
    n, groups = int(rng.integers(2, 2000)), int(rng.integers(1, 25))
    strata = rng.integers(0, groups, n).astype(str)
    seed = int(rng.integers(0, 2**31))
    assert np.array_equal(resample_indices(strata, 4, seed),
                          _resample_per_stratum(strata, 4, seed))


def test_batched_logit_equals_statsmodels_freq_weights(study):
    X = sm.add_constant(study[["leeftijd", "jaren_uitkering", "geslacht"]].to_numpy(float))
    t = study["werktop"].to_numpy(float)
    F = frequencies(resample_indices(t, 5, seed=1), len(t))
    params, ok = batched_logit(X, t, F, np.zeros(4))
    assert ok.all()
    for b in range(5):
        ref = sm.GLM(t, X, family=sm.families.Binomial(), freq_weights=F[b]).fit(tol=1e-14)
        np.testing.assert_allclose(params[b], ref.params, rtol=1e-8, atol=1e-10)


def _slow_att(frame: pd.DataFrame) -> list[float]:
    """The chapter's path, one data set at a time: PS, capped ATT weights, weighted means."""
    ps = propensity_scores(frame, "werktop", COV, categorical=CAT, fixed_effects=["gemeente"])
    w = att_weights(ps, frame["werktop"], trim=0.99)["weight"].to_numpy()
    t = frame["werktop"].to_numpy()
    y = frame["werk_regulier"].to_numpy(float)
    m1, m0 = y[t == 1].mean(), np.average(y[t == 0], weights=w[t == 0])
    return [m1 - m0, np.log(m1 / (1 - m1)) - np.log(m0 / (1 - m0))]


def test_batched_bootstrap_equals_the_slow_loop(study):
    fast = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                         fixed_effects=["gemeente"], n_boot=40, seed=11)
    slow = bootstrap_replicates(study, _slow_att, study["werktop"], n_boot=40, seed=11)
    full = _slow_att(study)
    for j, scale in enumerate(("rd", "log_or")):
        s = summarise_replicates(full[j], slow[:, j], scale)
        row = fast.iloc[j]
        for key in ("estimate", "se", "ci_low", "ci_high", "p_val"):
            assert row[key] == pytest.approx(s[key], rel=1e-10, abs=1e-12), key
    assert (fast["n_failed"] == 0).all()


def test_bootstrap_is_deterministic_and_stratifies_by_unit(study):
    args = dict(categorical=CAT, fixed_effects=["gemeente"], n_boot=30, seed=2)
    a = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, **args)
    b = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, **args)
    pd.testing.assert_frame_equal(a, b)
    c = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, strata=["gemeente"],
                      **args)  # fmt: skip
    assert c["estimate"].tolist() == a["estimate"].tolist()
    assert c["se"].tolist() != a["se"].tolist()


def test_bootstrap_se_matches_the_analytic_variance_without_covariates():
    """Known truth: with an intercept-only PS every control weighs the same, the ATT RD is
    the difference of two proportions and the ideal stratified bootstrap variance is
    p1 (1 - p1) / n1 + p0 (1 - p0) / n0 (plug-in, ddof 0)."""
    rng = np.random.default_rng(4)
    n1, n0 = 150, 250
    frame = pd.DataFrame({"t": np.r_[np.ones(n1), np.zeros(n0)],
                          "y": np.r_[rng.random(n1) < 0.4, rng.random(n0) < 0.25].astype(float)})
    r = att_bootstrap(frame, {"y": "binary"}, "t", [], n_boot=4000, seed=9).iloc[0]
    p1, p0 = frame.y[frame.t == 1].mean(), frame.y[frame.t == 0].mean()
    assert r["estimate"] == pytest.approx(p1 - p0, abs=1e-12)
    # Monte-Carlo relative SE of a bootstrap SD with B = 4000 is about 1/sqrt(2B) = 1.1%
    assert r["se"] == pytest.approx(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0), rel=0.04)


def test_outcome_missing_in_some_rows_uses_the_ps_of_everyone(study):
    frame = study.copy()
    frame.loc[::7, "werk_regulier"] = np.nan
    r = att_bootstrap(frame, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                      fixed_effects=["gemeente"], n_boot=20, seed=1)  # fmt: skip
    ps = propensity_scores(frame, "werktop", COV, categorical=CAT, fixed_effects=["gemeente"])
    w = att_weights(ps, frame["werktop"])["weight"].to_numpy()
    seen = frame["werk_regulier"].notna().to_numpy()
    t, y = frame["werktop"].to_numpy(), frame["werk_regulier"].to_numpy()
    m1 = y[seen & (t == 1)].mean()
    m0 = np.average(y[seen & (t == 0)], weights=w[seen & (t == 0)])
    assert r.iloc[0]["estimate"] == pytest.approx(m1 - m0, rel=1e-9)


def test_summarise_replicates_percentiles_by_hand():
    reps = np.log(np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]))
    s = summarise_replicates(np.log(2.5), reps, "log_or", alpha=0.5)
    assert s["n_failed"] == 1 and s["n_boot"] == 5
    # quantiles 0.25 and 0.75 of log(1..5) by linear interpolation: log 2 and log 4
    assert s["ci_low"] == pytest.approx(2.0) and s["ci_high"] == pytest.approx(4.0)
    assert s["estimate"] == pytest.approx(2.5)


# ------------------------------------------------------------- wild cluster bootstrap
def _wcr_by_hand(y, X, g, w, b0):
    """Textbook WCR, one draw at a time, statsmodels WLS with CR1 cluster SEs."""
    G = len(np.unique(g))
    Xr = np.delete(X, 1, axis=1)
    yr = y - b0 * X[:, 1]
    fit_r = sm.WLS(yr, Xr, weights=w).fit()
    res = sm.WLS(y, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": g})
    t_obs = (res.params[1] - b0) / res.bse[1]
    t_star = []
    for v in itertools.product(WEBB_WEIGHTS, repeat=G):
        ys = fit_r.fittedvalues + b0 * X[:, 1] + np.asarray(v)[g] * fit_r.resid
        r = sm.WLS(ys, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": g})
        t_star.append((r.params[1] - b0) / r.bse[1])
    return res.params[1], res.bse[1], float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-12))


def test_wild_cluster_bootstrap_equals_the_textbook_loop():
    rng = np.random.default_rng(12)
    g = np.repeat([0, 1, 2, 3], [5, 6, 4, 7])
    t = rng.integers(0, 2, len(g)).astype(float)
    x = rng.normal(size=len(g))
    y = 0.3 * t + 0.5 * x + rng.normal(size=4)[g] + rng.normal(size=len(g))
    w = rng.uniform(0.5, 2.0, len(g))
    X = np.column_stack([np.ones(len(g)), t, x])
    r = wild_cluster_bootstrap(y, X, g, coef=1, weights=w, n_boot=10_000).iloc[0]
    assert r["enumerated"] and r["n_boot"] == 6**4
    est, se, p = _wcr_by_hand(y, X, g, w, 0.0)
    assert r["estimate"] == pytest.approx(est, rel=1e-10)
    assert r["se_cr1"] == pytest.approx(se, rel=1e-10)
    assert r["p_val"] == pytest.approx(p, abs=1e-12)
    # the interval's bounds are where the test at the bound rejects at 5%
    for bound in (r["ci_low"], r["ci_high"]):
        inside = bound + (1e-6 if bound < est else -1e-6)
        assert _wcr_by_hand(y, X, g, w, inside)[2] >= 0.05
    assert r["ci_low"] < est < r["ci_high"]


def test_wild_cluster_bootstrap_random_draws_are_seeded():
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(8), 10)
    X = np.column_stack([np.ones(80), rng.integers(0, 2, 80)])
    y = rng.normal(size=80)
    a = wild_cluster_bootstrap(y, X, g, n_boot=999, seed=5)
    b = wild_cluster_bootstrap(y, X, g, n_boot=999, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.loc[0, "enumerated"] and a.loc[0, "n_boot"] == 999
    with pytest.raises(ValueError, match="two clusters"):
        wild_cluster_bootstrap(y, X, np.zeros(80))


# ---------------------------------------------------------------- heterogeneity
def test_heterogeneity_wald_equals_statsmodels_formula(study):
    r = treatment_heterogeneity(study, "werk_regulier", "werktop", "gemeente",
                                ["leeftijd", "jaren_uitkering", "opleiding"], kind="binary",
                                categorical=["opleiding"]).iloc[0]  # fmt: skip
    # the same test, fitted another way (patsy design, statsmodels' own Wald test)
    f = smf.glm("werk_regulier ~ werktop * C(gemeente) + leeftijd + jaren_uitkering"
                " + C(opleiding)", study, family=sm.families.Binomial()).fit(cov_type="HC0")
    names = [n for n in f.params.index if n.startswith("werktop:")]
    ref = f.wald_test(", ".join(f"{n} = 0" for n in names), scalar=True)
    assert r["statistic"] == pytest.approx(float(ref.statistic), rel=1e-8)
    assert r["p_val"] == pytest.approx(float(ref.pvalue), rel=1e-8)
    assert r["df"] == len(names) == r["n_groups"] - 1
    first = r["effects"].split("; ")[0].split("=")
    assert float(first[1]) == pytest.approx(f.params["werktop"], rel=1e-5)


def test_heterogeneity_needs_two_levels(study):
    one = study[study["gemeente"] == study["gemeente"].iloc[0]]
    with pytest.raises(ValueError, match="one level"):
        treatment_heterogeneity(one, "werk_regulier", "werktop", "gemeente", ["leeftijd"],
                                kind="binary")


def _slow_dr(frame: pd.DataFrame, outcome: str, kind: str) -> list[float]:
    """The doubly robust ATT one data set at a time, with statsmodels: PS logit, capped ATT
    weights, the outcome GLM fitted to the controls with ``var_weights``, its predictions
    averaged over the treated (the estimator of analysis.doubly_robust.dr_att)."""
    ps = propensity_scores(frame, "werktop", COV, categorical=CAT, fixed_effects=["gemeente"])
    w = att_weights(ps, frame["werktop"], trim=0.99)["weight"].to_numpy()
    from analysis.models import build_design

    d = build_design(frame, outcome, "werktop", COV, CAT, ["gemeente"])
    t = d.X[:, d.treat_col]
    Z = np.delete(d.X, d.treat_col, axis=1)
    family = {"binary": sm.families.Binomial(), "continuous": sm.families.Gaussian(),
              "count": sm.families.Poisson()}[kind]  # fmt: skip
    c = t == 0
    fit = sm.GLM(d.y[c], Z[c], family=family, var_weights=w[c]).fit(tol=1e-13)
    mu1, mu0 = d.y[t == 1].mean(), fit.predict(Z[t == 1]).mean()
    if kind == "binary":
        return [mu1 - mu0, np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0)),
                np.log(mu1 / mu0)]
    return [np.log(mu1 / mu0)] if kind == "count" else [mu1 - mu0]


@pytest.mark.parametrize("kind", ["binary", "continuous", "count"])
def test_batched_doubly_robust_bootstrap_equals_the_slow_loop(study, kind):
    frame = study.assign(
        score=study["leeftijd"] / 10 + study["werktop"]
        + np.random.default_rng(1).normal(size=len(study)),
        count=np.random.default_rng(2).poisson(1 + study["werktop"]),
    )  # fmt: skip
    outcome = {"binary": "werk_regulier", "continuous": "score", "count": "count"}[kind]
    fast = att_bootstrap(frame, {outcome: kind}, "werktop", COV, categorical=CAT,
                         fixed_effects=["gemeente"], n_boot=25, seed=3, estimator="dr")
    slow = bootstrap_replicates(frame, lambda f: _slow_dr(f, outcome, kind), frame["werktop"],
                                n_boot=25, seed=3)  # fmt: skip
    full = _slow_dr(frame, outcome, kind)
    assert len(fast) == len(full) and (fast["estimator"] == "dr").all()
    for j, row in fast.iterrows():
        s = summarise_replicates(full[j], slow[:, j], row["se_scale"])
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(s[key], rel=1e-8, abs=1e-12), (kind, key)


def test_batched_glm_halves_steps_where_newton_from_a_far_start_overshoots(study):
    # Plain Newton from 4x the MLE overshoots a logit (the fitted means run to 0 or 1,
    # the Hessian to 0) and used to end there, "converged" on a zero pseudo-inverse
    # step. With step halving every replicate reaches statsmodels' MLE.
    from analysis.bootstrap import batched_glm

    X = sm.add_constant(study[["leeftijd", "jaren_uitkering", "geslacht"]].to_numpy(float))
    t = study["werktop"].to_numpy(float)
    F = frequencies(resample_indices(t, 4, seed=2), len(t))
    refs = [sm.GLM(t, X, family=sm.families.Binomial(), freq_weights=F[b]).fit(tol=1e-14)
            for b in range(4)]  # fmt: skip
    far = 4 * refs[0].params
    params, ok = batched_glm(X, t, F, far, kind="binary", max_iter=100)
    assert ok.all()
    for b in range(4):
        np.testing.assert_allclose(params[b], refs[b].params, rtol=1e-7, atol=1e-9)


def test_batched_glm_ends_a_separated_fit_with_the_limit_means():
    # One dummy level whose rows are all 0: no finite MLE. statsmodels' IRLS ends by its
    # deviance criterion with a huge coefficient; the batched fit ends the same way (R's
    # glm.fit criterion) with the same fitted means, instead of failing the replicate.
    from analysis.bootstrap import batched_glm

    rng = np.random.default_rng(5)
    n = 200
    x = rng.normal(size=n)
    level = (np.arange(n) < 12).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-0.5 * x))).astype(float)
    y[level == 1] = 0.0
    X = np.column_stack([np.ones(n), x, level])
    ref = sm.GLM(y, X, family=sm.families.Binomial()).fit(maxiter=100)
    params, ok = batched_glm(X, y, np.ones((1, n)), np.zeros(3), kind="binary", max_iter=100)
    assert ok.all()
    assert abs(params[0, 2]) > 10  # ran off, as the MLE does
    mu = 1 / (1 + np.exp(-(X @ params[0])))
    np.testing.assert_allclose(mu, ref.fittedvalues, atol=1e-6)


def _slow_sensitivity(frame: pd.DataFrame, method: str) -> list[float]:
    """The trimmed or overlap-weighted ATT one data set at a time with the unbatched
    functions: statsmodels-backed PS, Crump's rule (analysis.propensity.trim_rule) on
    this data set's scores, capped ATT weights or overlap weights, weighted means."""
    from analysis.propensity import trim_rule
    from analysis.ps_weights import ato_weights

    ps = propensity_scores(frame, "werktop", COV, categorical=CAT, fixed_effects=["gemeente"])
    t = frame["werktop"].to_numpy()
    y = frame["werk_regulier"].to_numpy(dtype=float)
    if method == "trimmed":
        keep = trim_rule(ps, rule="crump")[0]
        w = att_weights(ps, frame["werktop"], trim=0.99)["weight"].to_numpy() * keep
    else:
        w = ato_weights(ps, frame["werktop"])["weight"].to_numpy()
    mu1 = np.average(y[t == 1], weights=w[t == 1])
    mu0 = np.average(y[t == 0], weights=w[t == 0])
    return [mu1 - mu0, np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0))]


@pytest.mark.parametrize("method", ["trimmed", "ato"])
def test_batched_sensitivity_bootstrap_equals_the_slow_loop(study, method):
    # Crump's threshold is re-computed on every resample (its counts as frequency weights
    # in the batched form, the resample's repeated rows in the slow loop)
    fast = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                         fixed_effects=["gemeente"], n_boot=30, seed=5, estimator=method)
    slow = bootstrap_replicates(study, lambda f: _slow_sensitivity(f, method), study["werktop"],
                                n_boot=30, seed=5)  # fmt: skip
    full = _slow_sensitivity(study, method)
    assert (fast["estimator"] == method).all()
    assert list(fast["estimand"]) == ["att_rd", "att_or"]
    for j, row in fast.iterrows():
        s = summarise_replicates(full[j], slow[:, j], row["se_scale"])
        for key in ("estimate", "se", "ci_low", "ci_high"):
            assert row[key] == pytest.approx(s[key], rel=1e-8, abs=1e-12), (method, key)
    if method == "trimmed":  # the rule drops somebody in this study, else the test is idle
        from analysis.propensity import trim_rule

        ps = propensity_scores(study, "werktop", COV, categorical=CAT, fixed_effects=["gemeente"])
        assert (~trim_rule(ps, rule="crump")[0]).sum() > 0


def test_risk_difference_rows_give_the_parts_of_a_mover_interval(study):
    boot = att_bootstrap(study, {"werk_regulier": "binary"}, "werktop", COV, categorical=CAT,
                         fixed_effects=["gemeente"], n_boot=40, seed=9)
    rd, lor = boot.iloc[0], boot.iloc[1]
    assert rd["mean_treated"] - rd["mean_control"] == pytest.approx(rd["estimate"], abs=1e-14)
    assert np.isnan(lor["mean_treated"]) and np.isnan(lor["se_logit_control"])
    # the treated mean of the weighted ATT does not involve the score: its logit's bootstrap
    # SD is that of the treated resample's proportion (checked by hand from the replicates)
    idx = resample_indices(study["werktop"], 40, 9)
    y, t = study["werk_regulier"].to_numpy(float), study["werktop"].to_numpy()
    p1 = np.array([y[i][t[i] == 1].mean() for i in idx])
    assert rd["se_logit_treated"] == pytest.approx(np.log(p1 / (1 - p1)).std(ddof=1), rel=1e-10)
    assert -1 <= rd["corr_means"] <= 1
