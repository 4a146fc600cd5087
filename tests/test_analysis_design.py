"""Tests for analysis.design: restricted cubic splines against R's Hmisc and the textbook
formula, knots at Harrell's quantiles, and the term builder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from patsy import dmatrix

from analysis.design import covariate_terms, rcs_basis, rcs_knots


def test_rcs_basis_equals_hmisc():
    # R 4.x, Hmisc 4.x:
    #   options(digits = 15)
    #   rcspline.eval(c(18, 22.5, 30, 39, 46, 55, 64, NA), knots = c(21, 35, 44, 58),
    #                 inclx = FALSE)          # norm = 2, the default
    expected = np.array([
        [0.0, 0.0],
        [0.00246530314097882, 0.0],
        [0.53250547845142471, 0.0],
        [4.26004382761139766, 0.0467494521548576],
        [11.39799645205050993, 0.9626421788583954],
        [26.14050923510384195, 4.2464259626421814],
        [42.89189189189189477, 8.3162892622352089],
    ])  # fmt: skip
    got = rcs_basis([18, 22.5, 30, 39, 46, 55, 64, np.nan], [21, 35, 44, 58])
    np.testing.assert_allclose(got[:7], expected, rtol=1e-13, atol=1e-15)
    assert np.isnan(got[7]).all()


def test_rcs_basis_textbook_formula_by_hand():
    # Harrell (2015), eq. 2.25, at x = 50 with knots 10, 20, 40, 60 (norm (t4 - t1)^2):
    # term 1: (40^3 - 10^3 * (60 - 10)/(60 - 40) + 0) / 50^2 = (64000 - 2500) / 2500 = 24.6
    # term 2: (30^3 - 10^3 * (60 - 20)/20) / 2500 = (27000 - 2000) / 2500 = 10.0
    np.testing.assert_allclose(rcs_basis([50.0], [10, 20, 40, 60])[0], [24.6, 10.0])
    # linear beyond the outer knots: constant second differences of zero
    x = np.array([61.0, 70.0, 79.0, 88.0])
    second = np.diff(rcs_basis(x, [10, 20, 40, 60]), n=2, axis=0)
    np.testing.assert_allclose(second, 0.0, atol=1e-9)


def test_rcs_spans_the_natural_cubic_splines():
    # Independent basis: patsy's natural cubic regression spline cr() with the same
    # knots (interior knots, boundary knots at t1 and tk) lies in span(1, x, rcs terms).
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 30, 300))
    knots = rcs_knots(x, 5)
    cr = np.asarray(dmatrix("cr(x, knots=inner, lower_bound=lo, upper_bound=hi) - 1",
                            {"x": x, "inner": knots[1:-1], "lo": knots[0], "hi": knots[-1]}))
    ours = np.column_stack([np.ones_like(x), x, rcs_basis(x, knots)])
    coef, *_ = np.linalg.lstsq(ours, cr, rcond=None)
    np.testing.assert_allclose(ours @ coef, cr, atol=1e-8)


def test_knots_at_harrells_quantiles_as_hmisc():
    # R: z <- (0:199)^1.5 / 100; attr(rcspline.eval(z, nk = 4), "knots"), likewise nk = 5
    # (n >= 100: Hmisc uses the quantiles themselves)
    z = np.arange(200) ** 1.5 / 100
    np.testing.assert_allclose(rcs_knots(z, 4), [0.313916377715996, 5.812852783624757,
                                                 14.711327480108135, 25.993528612328202],
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(rcs_knots(z, 5)[[1, 3]], [4.048456827139301, 17.329585838293429],
                               rtol=1e-12)  # fmt: skip
    with pytest.raises(ValueError, match="not distinct"):
        rcs_knots([0, 0, 0, 0, 1] * 10, 4)
    with pytest.raises(ValueError, match="3 to 7"):
        rcs_knots(z, 8)


def test_covariate_terms():
    df = pd.DataFrame({"age": [20.0, 30.0, np.nan, 50.0, 60.0], "years": [0, 1, 3, np.nan, 9],
                       "sex": [1, 2, 1, 2, 1]})  # fmt: skip
    knots = {"age": [25.0, 35.0, 45.0, 55.0]}
    new, names = covariate_terms(df, ["age", "years", "sex"],
                                 {"age": "rcs", "years": "log1p", "sex": "categorical"}, knots)
    assert names == ["age", "age__rcs1", "age__rcs2", "years__log1p", "sex"]
    assert list(new.columns) == ["age__rcs1", "age__rcs2", "years__log1p"]
    np.testing.assert_allclose(new["years__log1p"].to_numpy()[[0, 1, 2, 4]],
                               np.log([1, 2, 4, 10]))  # fmt: skip
    assert new.loc[2, ["age__rcs1", "age__rcs2"]].isna().all()
    np.testing.assert_allclose(new[["age__rcs1", "age__rcs2"]].to_numpy()[[0, 1, 3, 4]],
                               rcs_basis([20, 30, 50, 60], knots["age"]))  # fmt: skip
    assert "age__rcs1" not in df.columns  # not modified
    with pytest.raises(ValueError, match="unknown transform"):
        covariate_terms(df, ["age"], {"age": "spline"})
