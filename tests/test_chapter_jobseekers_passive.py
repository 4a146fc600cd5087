"""Spline terms are imputed passively: the chains impute the covariate, and each completed
data set's terms are the spline basis of its imputed values (never imputed on their own)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.design import covariate_terms, rcs_knots
from pipeline.chapters.jobseekers.imputation import CompletedData


def _frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 60, n)
    frame = pd.DataFrame({
        "werktop": rng.integers(0, 2, n), "gemeente": rng.choice(["a", "b"], n),
        "leeftijd": age, "y": (rng.uniform(size=n) < 0.3).astype(float),
    })
    frame.loc[rng.choice(n, 40, replace=False), "leeftijd"] = np.nan
    return frame


def test_terms_are_the_basis_of_the_imputed_covariate():
    frame = _frame()
    knots = {"leeftijd": list(rcs_knots(frame["leeftijd"], 4))}
    terms, names = covariate_terms(frame, ["leeftijd"], {"leeftijd": "rcs"}, knots)
    frame = pd.concat([frame, terms], axis=1)
    design = {"transforms": {"leeftijd": "rcs"}, "knots": knots}
    data = CompletedData(frame, names, ["y"], ["a", "b"], m=2, seed=1, burn_in=3,
                         design=design)
    # only the covariate (and the outcome) are imputed, never its spline terms
    assert data.chains is not None
    assert not any("__rcs" in c for c in data.chains.columns)
    done = data.get(1)
    assert done["leeftijd"].notna().all()
    expected, _ = covariate_terms(done, ["leeftijd"], {"leeftijd": "rcs"}, knots)
    pd.testing.assert_frame_equal(done[list(expected.columns)], expected)
    # observed rows keep their own terms
    seen = frame["leeftijd"].notna()
    np.testing.assert_allclose(done.loc[seen, "leeftijd__rcs1"], frame.loc[seen, "leeftijd__rcs1"])


def test_the_convergence_trace_follows_the_imputed_covariates_not_the_outcomes():
    # Outcomes are imputed only as predictors (each analysis uses its observed outcome),
    # so the burn-in is judged on the covariates' traces: means then SDs, one each.
    frame = _frame()
    frame.loc[:19, "y"] = np.nan
    data = CompletedData(frame, ["leeftijd"], ["y"], ["a", "b"], m=2, seed=1, burn_in=3)
    todo = [data.chains.columns[j] for j in data.chains.todo]
    assert set(todo) == {"leeftijd", "y"}
    done, trace = data.traced(0, 4)
    assert trace.shape == (4, 2)
    full, _ = data.chains.traced_block(0, 4)
    k = todo.index("leeftijd")
    np.testing.assert_array_equal(trace, full[:, [k, len(todo) + k]])
    pd.testing.assert_frame_equal(done, data.get(0, 4))
