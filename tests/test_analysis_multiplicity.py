"""Tests for analysis.multiplicity with hand-worked Holm and Benjamini-Hochberg examples."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.multiplicity import adjust_pvalues


def test_holm_hand():
    # m = 4. Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running
    # max 0.02, 0.03, 0.06, 0.06; back in input order:
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    # capped at 1: sorted 0.3*3 = 0.9, 0.6*2 = 1.2 -> 1, 0.8*1 = 0.8 -> running max 1
    np.testing.assert_allclose(adjust_pvalues([0.8, 0.3, 0.6], "holm"), [1.0, 0.9, 1.0], rtol=1e-12)


def test_bh_hand():
    # m = 8, p_(i) * 8 / i = 0.008, 0.032, 0.104, 0.082, 0.0672, 0.08, 0.0845714, 0.205;
    # running minimum from the top gives the adjusted values.
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205]
    expected = [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.074 * 8 / 7, 0.205]
    shuffle = [3, 0, 7, 5, 1, 6, 2, 4]
    out = adjust_pvalues([p[i] for i in shuffle], "fdr_bh")
    np.testing.assert_allclose(out, [expected[i] for i in shuffle], rtol=1e-12)


def test_nan_excluded_from_family():
    p = [0.01, np.nan, 0.04, None, 0.03, pd.NA, 0.005]
    out = adjust_pvalues(p, "holm")
    np.testing.assert_allclose(out, [0.03, np.nan, 0.06, np.nan, 0.06, np.nan, 0.02])
    none = adjust_pvalues(np.array([0.2, np.nan]), "none")
    np.testing.assert_array_equal(none, [0.2, np.nan])
    assert np.isnan(adjust_pvalues([np.nan], "fdr_bh")).all()
    with pytest.raises(ValueError):
        adjust_pvalues([1.2], "holm")
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], "bonferroni")  # type: ignore[arg-type]


def test_input_not_mutated():
    p = np.array([0.04, 0.01])
    adjust_pvalues(p, "holm")
    np.testing.assert_array_equal(p, [0.04, 0.01])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_adjusted_bounds(p):
    for method in ("holm", "fdr_bh"):
        out = adjust_pvalues(p, method)
        assert np.all(out >= np.asarray(p) - 1e-15)
        assert np.all(out <= 1.0)
    holm, bh = adjust_pvalues(p, "holm"), adjust_pvalues(p, "fdr_bh")
    assert np.all(bh <= holm + 1e-12)  # BH is never more conservative than Holm
