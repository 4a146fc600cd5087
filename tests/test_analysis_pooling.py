"""Tests for analysis.pooling: Rubin's rules by hand and a known-truth simulation (imputed
with analysis.pmm, as chapter 6 does)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.pmm import impute_pmm
from analysis.pooling import RUBIN_COLUMNS, pooled_effect, rubin_combine

Q = [1.0, 2.0, 3.0, 4.0, 5.0]
U = [0.5, 1.0, 1.0, 1.0, 1.5]


def test_rubin_rules_hand():
    # m = 5: Qbar = 3, Ubar = 1, B = var(1..5) = 2.5, T = 1 + (1 + 1/5) 2.5 = 4,
    # riv = 1.2 * 2.5 / 1 = 3, lambda = 3 / 4, df_old = (m - 1) / lambda² = 4 / 0.5625 = 64/9,
    # fmi = (riv + 2 / (df + 3)) / (1 + riv) = (3 + 18/91) / 4 = 291/364.
    r = rubin_combine(Q, U).iloc[0]
    assert list(r.index) == RUBIN_COLUMNS
    assert r["m"] == 5 and r["estimate"] == pytest.approx(3.0)
    assert r["within_var"] == pytest.approx(1.0) and r["between_var"] == pytest.approx(2.5)
    assert r["total_var"] == pytest.approx(4.0) and r["se"] == pytest.approx(2.0)
    assert r["riv"] == pytest.approx(3.0) and r["lambda"] == pytest.approx(0.75)
    assert r["df"] == pytest.approx(64 / 9, rel=1e-12)
    assert r["fmi"] == pytest.approx(291 / 364, rel=1e-12)
    assert np.isinf(r["df_com"])
    assert r["statistic"] == pytest.approx(1.5)
    crit = stats.t.ppf(0.975, 64 / 9)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((3 - 2 * crit, 3 + 2 * crit))
    assert r["p_val"] == pytest.approx(2 * stats.t.sf(1.5, 64 / 9))


def test_barnard_rubin_df_hand():
    # n = 20, k = 2: df_com = 18, df_obs = (19/21) * 18 * (1 - 3/4) = 57/14,
    # df = df_old df_obs / (df_old + df_obs) = (64/9)(57/14) / (64/9 + 57/14) = 3648/1409,
    # fmi = (3 + 2 / (3648/1409 + 3)) / 4 = (3 + 2818/7875) / 4.
    r = rubin_combine(Q, U, n=20, k=2).iloc[0]
    assert r["df_com"] == 18
    assert r["df"] == pytest.approx(3648 / 1409, rel=1e-12)
    assert r["fmi"] == pytest.approx((3 + 2818 / 7875) / 4, rel=1e-12)
    # a huge complete-data df gives back Rubin's df
    big = rubin_combine(Q, U, n=10**9).iloc[0]
    assert big["df"] == pytest.approx(64 / 9, rel=1e-6)


def test_rubin_no_between_variance():
    r = rubin_combine([2.0, 2.0, 2.0], [0.25, 0.25, 0.25]).iloc[0]
    assert r["total_var"] == pytest.approx(0.25) and r["riv"] == 0 and r["lambda"] == 0
    # mice floors lambda at 1e-4: df_old = (m - 1) / 1e-8
    assert r["df"] == pytest.approx(2e8)
    assert r["ci_high"] - 2.0 == pytest.approx(stats.norm.ppf(0.975) * 0.5, rel=1e-6)


def test_rubin_input_errors():
    with pytest.raises(ValueError):
        rubin_combine([1.0], [1.0])
    with pytest.raises(ValueError):
        rubin_combine([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        rubin_combine([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError):
        rubin_combine([1.0, 2.0], [1.0, 1.0], k=2)


def test_pooled_effect_equals_rubin_combine():
    frames = [pd.DataFrame({"x": [q]}) for q in Q]
    se = dict(zip(Q, np.sqrt(U), strict=True))
    out = pooled_effect(frames, lambda f: (f["x"].iloc[0], se[f["x"].iloc[0]]))
    pd.testing.assert_frame_equal(out, rubin_combine(Q, U))


def _toy(seed: int, n: int, *, complete: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n).astype(float)
    edu = rng.integers(1, 5, n).astype(float)
    x = 0.5 * edu + rng.normal(size=n)
    y = 1.0 + 0.5 * g + 1.0 * x + rng.normal(size=n)
    frame = pd.DataFrame({"id": np.arange(n), "g": g, "edu": edu, "x": x, "y": y})
    if complete:
        return frame
    frame.loc[rng.random(n) < 0.3, "x"] = np.nan  # MCAR
    frame.loc[rng.random(n) < 0.2, "edu"] = np.nan  # MCAR
    return frame


def test_mcar_simulation_recovers_known_effect():
    # Truth: y = 1 + 0.5 g + 1.0 x + e; x is 30% MCAR (edu 20%). The pooled group
    # coefficient of y ~ g + x + edu must be close to 0.5 and its CI must cover it.
    frame = _toy(2024, 1500)

    def fit(f: pd.DataFrame) -> tuple[float, float]:
        res = sm.OLS(f["y"], sm.add_constant(f[["g", "x", "edu"]])).fit()
        return float(res.params["g"]), float(res.bse["g"])

    frames = impute_pmm(frame, ["g", "edu", "x", "y"], m=20, seed=5, burn_in=5)
    pooled = pooled_effect(frames, fit, n=len(frame), k=4).iloc[0]
    assert abs(pooled["estimate"] - 0.5) < 3 * pooled["se"]
    assert pooled["ci_low"] < 0.5 < pooled["ci_high"]
    assert 0 < pooled["fmi"] < 0.6 and pooled["between_var"] > 0
    # Closer still to the estimate on the same sample before values were deleted (0.618).
    full_g, _ = fit(_toy(2024, 1500, complete=True))
    assert abs(pooled["estimate"] - full_g) < pooled["se"]

    # The slope of the incomplete covariate x (truth 1.0) is recovered; mean imputation
    # on this sample gives 0.59 and would fail here.
    def fit_x(f: pd.DataFrame) -> tuple[float, float]:
        res = sm.OLS(f["y"], sm.add_constant(f[["g", "x", "edu"]])).fit()
        return float(res.params["x"]), float(res.bse["x"])

    slope = pooled_effect(frames, fit_x).iloc[0]
    assert abs(slope["estimate"] - 1.0) < 3 * slope["se"]
