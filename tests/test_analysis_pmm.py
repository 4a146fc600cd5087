"""The chained-equations imputation's OLS step equals statsmodels' OLS fit."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from analysis.pmm import _ols


def test_ols_step_equals_statsmodels_params_and_covariance():
    rng = np.random.default_rng(7)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 4)), rng.integers(0, 2, 300)])
    y = X @ np.array([1.0, 0.5, -0.2, 0.0, 2.0, 0.7]) + rng.normal(size=300)
    b, cov = _ols(y, X)
    fit = sm.OLS(y, X).fit()  # statsmodels' default pinv method
    np.testing.assert_allclose(b, fit.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-9, atol=1e-14)


def test_ols_step_on_a_rank_deficient_design_gives_the_minimum_norm_solution():
    rng = np.random.default_rng(8)
    x = rng.normal(size=200)
    X = np.column_stack([np.ones(200), x, 2 * x])  # third column = 2 x second
    y = 1 + 3 * x + rng.normal(size=200)
    b, cov = _ols(y, X)
    fit = sm.OLS(y, X).fit()
    np.testing.assert_allclose(b, fit.params, atol=1e-9)
    np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-8, atol=1e-12)
    assert fit.df_resid == 200 - 2  # rank 2: the covariance uses n - rank
