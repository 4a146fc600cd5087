"""Chained-equations PMM (analysis.pmm): each piece against an independent reference.

* the OLS step, computed from Gram matrices, against ``statsmodels.api.OLS`` (estimates
  and ``cov_params``) on realistic survey data, also inside a running chain whose Gram
  matrix has been updated many times;
* the radix/timsort order against ``numpy.argsort(kind="stable")``;
* the window search for the k nearest predicted means against a brute-force sort;
* type-1 matching on data with an exact linear relation (a hand computation);
* the contract of ``PMMChains`` (observed values only, determinism, chain independence);
* a simulation with known truth: under MAR the complete-case mean is biased, the MI mean
  is not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pmm import PMMChains, _nearest_window, _ols_gram, _sort_order, impute_pmm


def _survey(n: int, seed: int) -> pd.DataFrame:
    """Realistic imputation data: codes 0..10, ages, years, scale means, dummies; ~5% NaN."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 4, n)
    age = rng.integers(18, 67, n).astype(float)
    frame = pd.DataFrame({
        "treated": rng.integers(0, 2, n).astype(float),
        "sex": rng.integers(1, 3, n).astype(float),
        "age": age,
        "years": np.minimum(rng.poisson(4, n), 30).astype(float),
        "code": rng.integers(0, 11, n).astype(float),
        # a mean of seven 1..5 items: values like 3.142857142857143
        "scale": rng.integers(7, 36, n) / 7.0,
        "count": rng.poisson(3 + 0.05 * (age - 40).clip(0), n).astype(float),
        **{f"unit_{u}": (unit == u).astype(float) for u in (1, 2, 3)},
    })  # fmt: skip
    for col in ("sex", "age", "years", "code", "scale", "count"):
        frame.loc[rng.random(n) < 0.05, col] = np.nan
    return frame


# ------------------------------------------------------------------ OLS from Gram matrices
def test_ols_from_gram_equals_statsmodels_on_raw_survey_codes():
    # uncentred raw data (ages around 40 next to 0/1 dummies), observed rows' Gram
    # obtained as all rows minus the missing rows, as the chain does
    frame = _survey(2000, 1).fillna(1.0)  # any values in the "missing" rows
    z = np.column_stack([np.ones(len(frame)), frame.to_numpy()])
    rng = np.random.default_rng(2)
    mis = rng.random(len(z)) < 0.1
    for target in (2, 3, 5, 6, 7):  # sex, age, code, scale, count
        y, keep = z[~mis, target], np.arange(z.shape[1]) != target
        X = z[~mis][:, keep]
        b, inv, rank = _ols_gram(z.T @ z - z[mis].T @ z[mis], target)
        resid = y - X @ b
        cov = float(resid @ resid) / (len(y) - rank) * inv
        fit = sm.OLS(y, X).fit()  # statsmodels' default method="pinv"
        assert rank == fit.df_model + 1 == X.shape[1]
        np.testing.assert_allclose(b, fit.params, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-8, atol=1e-15)


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_ols_from_gram_on_a_rank_deficient_design_gives_the_minimum_norm_solution():
    rng = np.random.default_rng(8)
    x = rng.normal(size=200)
    z = np.column_stack([np.ones(200), x, 2 * x, 1 + 3 * x + rng.normal(size=200)])
    b, inv, rank = _ols_gram(z.T @ z, 3)
    X, y = z[:, :3], z[:, 3]
    fit = sm.OLS(y, X).fit()
    resid = y - X @ b
    np.testing.assert_allclose(b, fit.params, atol=1e-9)
    np.testing.assert_allclose(float(resid @ resid) / (200 - rank) * inv, fit.cov_params(),
                               rtol=1e-8, atol=1e-12)  # fmt: skip
    assert rank == 2 and fit.df_resid == 200 - 2  # the covariance uses n - rank


def test_fit_inside_a_running_chain_equals_statsmodels_on_its_current_data():
    # after three cycles the Gram matrix has been updated 3 x 6 times from changed rows
    # only; every conditional model must still be the OLS fit of the current data
    chains = PMMChains(_survey(3000, 3), list(_survey(1, 3).columns), m=2, seed=5,
                       burn_in=1)  # fmt: skip
    state = chains.chain(1)
    for _ in range(3):
        for j in chains.todo:
            state.update(j, 20)
    np.testing.assert_allclose(state.gram, state.z.T @ state.z, rtol=1e-12, atol=1e-9)
    for j in chains.todo:
        obs = ~chains.miss[:, j]
        keep = np.arange(state.z.shape[1]) != j + 1
        X, y = state.z[obs][:, keep], state.z[obs, j + 1]
        b, cov, fitted, zm = state.fit(j)
        fit = sm.OLS(y, X).fit()
        np.testing.assert_allclose(b, fit.params, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(cov, fit.cov_params(), rtol=1e-8, atol=1e-15)
        np.testing.assert_allclose(fitted, fit.fittedvalues, rtol=1e-8, atol=1e-10)
        np.testing.assert_array_equal(zm, state.z[chains.miss[:, j]])


# ------------------------------------------------------------------ sorting and matching
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [-1e300, -2.5, -1.0, 0.0, 1e-300, 0.5, 0.5000000000000001, 3.0, 7.25, 1e300]
        ),
        max_size=60,
    )  # fmt: skip
    | st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=200)
)
def test_sort_order_is_the_stable_argsort(values):
    a = np.array(values, dtype=float)
    order, sorted_a = _sort_order(a)
    np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))
    np.testing.assert_array_equal(sorted_a, np.sort(a))


def test_sort_order_is_the_stable_argsort_on_long_arrays_with_ties():
    rng = np.random.default_rng(4)
    for a in (
        rng.normal(size=100_000),
        np.round(rng.normal(size=100_000), 2),
        np.concatenate([rng.normal(size=50_000), [1e9]]),
    ):  # one far outlier
        order, sorted_a = _sort_order(a)
        np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))
        np.testing.assert_array_equal(sorted_a, a[order])


def _brute_force_nearest(sorted_pred: np.ndarray, q: float, k: int) -> np.ndarray:
    return np.argsort(np.abs(sorted_pred - q), kind="stable")[:k]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60), st.integers(1, 25), st.integers(0, 2**32 - 1))
def test_window_holds_the_k_nearest_neighbours(n, k, seed):
    rng = np.random.default_rng(seed)
    k = min(k, n)
    sorted_pred = np.sort(rng.normal(size=n))  # continuous: no ties
    query = np.concatenate([rng.normal(scale=1.5, size=30), sorted_pred[: min(n, 3)],
                            [sorted_pred[0] - 1, sorted_pred[-1] + 1]])  # fmt: skip
    lo = _nearest_window(sorted_pred, query, k)
    assert ((lo >= 0) & (lo + k <= n)).all()
    for q, start in zip(query, lo, strict=True):
        window = set(range(start, start + k))
        assert window == set(_brute_force_nearest(sorted_pred, q, k).tolist())


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.integers(1, 25), st.integers(0, 2**32 - 1))
def test_window_with_ties_has_the_k_smallest_distances(n, k, seed):
    rng = np.random.default_rng(seed)
    k = min(k, n)
    sorted_pred = np.sort(rng.integers(0, 6, n).astype(float))  # many ties
    query = rng.integers(-2, 9, 40) / 2.0  # on values and halfway between them
    lo = _nearest_window(sorted_pred, query, k)
    for q, start in zip(query, lo, strict=True):
        got = np.sort(np.abs(sorted_pred[start : start + k] - q))
        want = np.sort(np.abs(sorted_pred - q))[:k]
        np.testing.assert_array_equal(got, want)


def test_type_1_matching_on_an_exact_linear_relation_takes_the_nearest_donor():
    # y = 2x + 1 exactly: residual scale 0, so the drawn parameters equal the estimates
    # and with k_pmm = 1 each missing y is 2 * (nearest observed x) + 1, by hand
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 2.4, 6.8, -3.0, 20.0])
    y = 2 * x + 1
    y[10:] = np.nan
    frame = pd.DataFrame({"x": x, "y": y})
    out = PMMChains(frame, ["x", "y"], m=2, seed=3, burn_in=2, k_pmm=1).completed(0)
    np.testing.assert_array_equal(out["y"].to_numpy()[10:], [5.0, 15.0, 1.0, 19.0])
    # with k_pmm = 2 the donor is one of the two nearest: x 2 or 3 for x = 2.4
    for seed in range(10):
        out = PMMChains(frame, ["x", "y"], m=2, seed=seed, burn_in=2, k_pmm=2).completed(1)
        assert out["y"].iloc[10] in (5.0, 7.0) and out["y"].iloc[12] in (1.0, 3.0)


# ------------------------------------------------------------------ the chains' contract
def test_imputed_values_are_observed_values_and_observed_cells_are_kept():
    frame = _survey(1500, 6)
    before = frame.copy()
    columns = list(frame.columns)
    chains = PMMChains(frame, columns, m=3, seed=11, burn_in=3)
    for i in range(3):
        out = chains.completed(i)
        assert not out[columns].isna().any().any()
        for col in columns:
            observed = frame[col].notna()
            pd.testing.assert_series_equal(out.loc[observed, col], frame.loc[observed, col])
            assert set(out.loc[~observed, col]) <= set(frame.loc[observed, col])
    pd.testing.assert_frame_equal(frame, before)  # the input is never modified


def test_chains_are_deterministic_and_independent_of_order_and_of_each_other():
    frame, columns = _survey(800, 7), list(_survey(1, 7).columns)
    first = PMMChains(frame, columns, m=4, seed=21, burn_in=3)
    in_order = [first.completed_block(i) for i in range(4)]
    again = PMMChains(frame, columns, m=4, seed=21, burn_in=3)
    np.testing.assert_array_equal(again.completed_block(2), in_order[2])  # alone, first
    np.testing.assert_array_equal(again.completed_block(0), in_order[0])
    assert not np.array_equal(in_order[0], in_order[1])  # chains differ
    other = PMMChains(frame, columns, m=4, seed=22, burn_in=3)
    assert not np.array_equal(other.completed_block(0), in_order[0])  # seeds matter
    frames = impute_pmm(frame, columns, m=4, seed=21, burn_in=3)
    np.testing.assert_array_equal(frames[3][columns].to_numpy(), in_order[3])
    with pytest.raises(IndexError):
        first.completed_block(4)


def test_mi_mean_recovers_the_true_mean_where_the_complete_case_mean_is_biased():
    # truth: y = 1 + x + e, x ~ N(0, 1), e ~ N(0, 1), so E[y] = 1. y is missing at random
    # given x (P(missing) = logistic(x - 1), about 30%, more often for large x): the
    # complete-case mean of y is biased downwards (to about 0.75). A second predictor w,
    # missing completely at random, makes the chain cycle over two columns. (With much
    # stronger selection, e.g. logistic(1.5 x), PMM itself stays biased, about 0.88 with
    # the previous implementation and this one alike: donors cannot be found where almost
    # every y is missing; van Buuren 2018, section 3.4.3.)
    reps, n = 30, 400
    cc, mi = [], []
    for rep in range(reps):
        rng = np.random.default_rng(1000 + rep)
        x = rng.normal(size=n)
        w = 0.5 * x + rng.normal(size=n)
        y = 1 + x + rng.normal(size=n)
        y[rng.random(n) < 1 / (1 + np.exp(1 - x))] = np.nan
        w[rng.random(n) < 0.2] = np.nan
        frame = pd.DataFrame({"x": x, "w": w, "y": y})
        cc.append(np.nanmean(y))
        frames = impute_pmm(frame, ["x", "w", "y"], m=5, seed=rep, burn_in=5)
        mi.append(np.mean([f["y"].mean() for f in frames]))
    cc, mi = np.array(cc), np.array(mi)
    mc_se = mi.std(ddof=1) / np.sqrt(reps)  # Monte Carlo error of the average
    assert abs(mi.mean() - 1.0) < 3 * mc_se
    assert cc.mean() < 1.0 - 10 * cc.std(ddof=1) / np.sqrt(reps)  # the bias is real


def test_tracing_a_chain_changes_nothing_in_it():
    from analysis.pmm import PMMChains

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
                          "c": rng.integers(0, 3, size=200).astype(float)})  # fmt: skip
    frame.loc[rng.random(200) < 0.2, "a"] = np.nan
    frame.loc[rng.random(200) < 0.1, "c"] = np.nan
    chains = PMMChains(frame, ["a", "b", "c"], m=3, seed=9, burn_in=4)
    trace, block = chains.traced_block(1, 6)
    np.testing.assert_array_equal(block, chains.completed_block(1, 6))
    assert trace.shape == (6, 4)  # two incomplete columns: mean and SD of each
    # the last cycle's trace is the mean and SD of the block's imputed values
    for col, j in enumerate(chains.todo):
        imputed = block[chains.mis_idx[j], j]
        assert trace[-1, col] == pytest.approx(imputed.mean() - chains.shift[j])
        assert trace[-1, 2 + col] == pytest.approx(imputed.std())
