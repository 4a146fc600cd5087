"""Tests for analysis.doubly_robust.dr_att: an R reference (point estimate and stacked
M-estimation SE computed independently in R, with a numerical Jacobian), a simulation with
known truth, and the API on data without a unit column, with a text treatment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from analysis.doubly_robust import DR_COLUMNS, dr_att
from analysis.estimability import NotEstimable


def _reference_data() -> pd.DataFrame:
    """The data the R reference below read (written with ``to_csv`` to dr.csv)."""
    rng = np.random.default_rng(20261207)
    n = 300
    x1 = np.round(rng.normal(size=n), 3)
    x2 = rng.binomial(1, 0.4, n)
    g = rng.integers(0, 3, n)
    e = special.expit(-0.2 + 0.9 * x1 + 0.6 * x2 - 0.5 * (g == 2))
    t = rng.binomial(1, e)
    y = rng.binomial(1, special.expit(-0.8 + 0.6 * x1 - 0.5 * x2 + 0.3 * (g == 1) + 0.7 * t))
    cnt = rng.poisson(np.exp(0.3 + 0.2 * x1 + 0.3 * t))
    return pd.DataFrame({"x1": x1, "x2": x2, "g": g, "t": t, "y": y, "cnt": cnt})


# R 4.x, base R only (glm; the Jacobian of the stacked estimating equations by central
# differences, independent of the analytic one in dr_att):
#
#   d <- read.csv("dr.csv"); d$g <- factor(d$g)
#   dr <- function(yname, fam) {
#     Z <- model.matrix(~ x1 + x2 + g, d); t <- d$t; y <- d[[yname]]; n <- nrow(d)
#     k <- ncol(Z)
#     ps <- glm(t ~ x1 + x2 + g, family = binomial, data = d)
#     e <- fitted(ps); w <- ifelse(t == 0, e / (1 - e), 0)
#     om <- glm(reformulate(c("x1", "x2", "g"), yname), family = fam, weights = w,
#               data = d, subset = t == 0)
#     m <- predict(om, newdata = d, type = "response")
#     mu1 <- mean(y[t == 1]); mu0 <- mean(m[t == 1])
#     theta <- c(coef(ps), coef(om), mu1, mu0)
#     psi <- function(th) {
#       g <- th[1:k]; b <- th[(k + 1):(2 * k)]
#       e <- plogis(drop(Z %*% g)); w <- e / (1 - e); m <- fam$linkinv(drop(Z %*% b))
#       cbind(Z * (t - e), Z * ((1 - t) * w * (y - m)), t * (y - th[2 * k + 1]),
#             t * (m - th[2 * k + 2]))
#     }
#     p <- length(theta); A <- matrix(0, p, p); h <- 1e-6
#     for (j in 1:p) { up <- theta; dn <- theta; up[j] <- up[j] + h; dn[j] <- dn[j] - h
#       A[, j] <- -(colMeans(psi(up)) - colMeans(psi(dn))) / (2 * h) }
#     P <- psi(theta); B <- crossprod(P) / n
#     V <- (solve(A) %*% B %*% t(solve(A)) / n)[(p - 1):p, (p - 1):p]
#     gl <- c(1 / (mu1 * (1 - mu1)), -1 / (mu0 * (1 - mu0))); gr <- c(1 / mu1, -1 / mu0)
#     c(mu1, mu0, mu1 - mu0, sqrt(c(1, -1) %*% V %*% c(1, -1)),
#       qlogis(mu1) - qlogis(mu0), sqrt(gl %*% V %*% gl), log(mu1 / mu0),
#       sqrt(gr %*% V %*% gr))
#   }
#   dr("y", quasibinomial()); dr("cnt", quasipoisson())
R_BINARY = dict(mu1=0.519685039370, mu0=0.290868492214, rd=0.228816547156,
                rd_se=0.062106711714, lor=0.969950622428, lor_se=0.277057053686,
                lrr=0.580351686314, lrr_se=0.174911185145)  # fmt: skip
R_COUNT = dict(mu1=1.992125984252, mu0=1.419930307918, lrr=0.338594610791,
               lrr_se=0.097075507123)  # fmt: skip


def test_dr_att_binary_against_r():
    d = _reference_data()
    out = dr_att(d, "y", "t", ["x1", "x2", "g"], categorical=["g"], kind="binary",
                 trim=None).set_index("estimand")  # fmt: skip
    assert sorted(out.reset_index().columns) == sorted(DR_COLUMNS)
    r = R_BINARY
    assert out.loc["att_rd", "mean_treated"] == pytest.approx(r["mu1"], rel=1e-10)
    assert out.loc["att_rd", "mean_control_dr"] == pytest.approx(r["mu0"], rel=1e-9)
    assert out.loc["att_rd", "estimate"] == pytest.approx(r["rd"], rel=1e-9)
    assert np.log(out.loc["att_or", "estimate"]) == pytest.approx(r["lor"], rel=1e-9)
    assert np.log(out.loc["att_rr", "estimate"]) == pytest.approx(r["lrr"], rel=1e-9)
    # SEs: R's Jacobian is numerical (h = 1e-6), hence 1e-7
    assert out.loc["att_rd", "se"] == pytest.approx(r["rd_se"], rel=1e-7)
    assert out.loc["att_or", "se"] == pytest.approx(r["lor_se"], rel=1e-7)
    assert out.loc["att_rr", "se"] == pytest.approx(r["lrr_se"], rel=1e-7)
    assert out.loc["att_rd", "cov_type"].startswith("M-estimation")


def test_dr_att_count_against_r():
    d = _reference_data()
    out = dr_att(d, "cnt", "t", ["x1", "x2", "g"], categorical=["g"], kind="count",
                 trim=None).iloc[0]  # fmt: skip
    assert out["estimand"] == "att_rr"
    assert out["mean_control_dr"] == pytest.approx(R_COUNT["mu0"], rel=1e-9)
    assert np.log(out["estimate"]) == pytest.approx(R_COUNT["lrr"], rel=1e-9)
    assert out["se"] == pytest.approx(R_COUNT["lrr_se"], rel=1e-7)


def _draw(rng: np.random.Generator, n: int, *, ps_wrong: bool = False) -> pd.DataFrame:
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    e = special.expit(-0.3 + 0.8 * x1 + 0.5 * x2 + (0.6 * x1**2 if ps_wrong else 0))
    t = rng.binomial(1, e)
    eta0 = -1 + 0.7 * x1 - 0.4 * x2
    y = rng.binomial(1, special.expit(eta0 + 0.8 * t))
    return pd.DataFrame({"x1": x1, "x2": x2, "t": t, "y": y})


def _true_att_rd(ps_wrong: bool = False) -> float:
    """Population ATT risk difference: E[e (p1 - p0)] / E[e] over many covariate draws."""
    rng = np.random.default_rng(99)
    x1, x2 = rng.normal(size=2_000_000), rng.binomial(1, 0.4, 2_000_000)
    e = special.expit(-0.3 + 0.8 * x1 + 0.5 * x2 + (0.6 * x1**2 if ps_wrong else 0))
    eta0 = -1 + 0.7 * x1 - 0.4 * x2
    return float((e * (special.expit(eta0 + 0.8) - special.expit(eta0))).sum() / e.sum())


def test_dr_att_simulation_known_truth():
    # Correct outcome model, PS model wrong (it omits x1^2): still unbiased (double
    # robustness), and the M-estimation intervals cover the truth about 95% of the time.
    truth = _true_att_rd(ps_wrong=True)
    rng = np.random.default_rng(2026)
    est, cover = [], 0
    reps = 300
    for _ in range(reps):
        r = dr_att(_draw(rng, 800, ps_wrong=True), "y", "t", ["x1", "x2"],
                   kind="binary").iloc[0]  # fmt: skip
        est.append(r["estimate"])
        cover += r["ci_low"] <= truth <= r["ci_high"]
    bias = np.mean(est) - truth
    assert abs(bias) < 3 * np.std(est) / np.sqrt(reps)  # no detectable bias
    assert 0.925 <= cover / reps <= 0.975


def test_dr_att_api_on_any_data():
    d = _reference_data().drop(columns="cnt")
    base = dr_att(d, "y", "t", ["x1", "x2"], kind="binary")
    text = dr_att(d.assign(t=d["t"].astype(str)), "y", "t", ["x1", "x2"], kind="binary")
    np.testing.assert_allclose(text["estimate"], base["estimate"], rtol=1e-12)
    with pytest.raises(ValueError, match="must be coded 0/1"):
        dr_att(d.assign(t=d["t"] + 1), "y", "t", ["x1"], kind="binary")
    with pytest.raises(ValueError, match="kind"):
        dr_att(d, "y", "t", ["x1"], kind="ordinal")  # type: ignore[arg-type]
    # a covariate that varies only among the treated: no outcome model among the controls
    x3 = np.zeros(len(d))
    x3[np.flatnonzero(d["t"] == 1)[:5]] = 1.0
    with pytest.raises(NotEstimable, match="collinear"):
        dr_att(d.assign(x3=x3), "y", "t", ["x1", "x3"], kind="binary")
