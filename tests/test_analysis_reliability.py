"""Tests for analysis.reliability against base-R computations and hand values."""

import numpy as np
import pandas as pd
import pytest

from analysis.reliability import (
    GROUP_ALPHA_COLUMNS,
    GROUP_ITEM_COLUMNS,
    item_analysis,
    reliability_by_group,
)
from analysis.scales import cronbach_alpha

X = pd.DataFrame(
    [[4, 5, 3, 4], [3, 4, 3, 3], [5, 5, 4, 5], [2, 3, 2, 1], [4, 4, 5, 4], [3, 2, 3, 3],
     [1, 2, 2, 2]],
    columns=["a", "b", "c", "d"],
)  # fmt: skip
# R 4.2.2 (base only):
#   calpha <- function(x) {k <- ncol(x); k/(k-1) * (1 - sum(apply(x, 2, var)) / var(rowSums(x)))}
#   calpha(x)                                                  # 0.928193499622071
#   sapply(1:4, function(j) cor(x[, j], rowSums(x[, -j])))     # item-rest r
#   sapply(1:4, function(j) calpha(x[, -j]))                   # alpha if deleted
R_ALPHA = 0.928193499622071
R_ITEM_REST = [0.947497221839198, 0.747990278118521, 0.761147991108047, 0.896101041190887]
R_ALPHA_DROP = [0.865638766519824, 0.933962264150943, 0.931034482758621, 0.884615384615385]


def test_item_analysis_against_r():
    out = item_analysis(X)
    assert out["item"].tolist() == ["a", "b", "c", "d"]
    assert out["item_rest_r"].tolist() == pytest.approx(R_ITEM_REST, rel=1e-12)
    assert out["alpha_if_deleted"].tolist() == pytest.approx(R_ALPHA_DROP, rel=1e-12)
    assert (out["n"] == 7).all()
    assert out["mean"].tolist() == pytest.approx([22 / 7, 25 / 7, 22 / 7, 22 / 7])


def test_alpha_if_deleted_hand_for_three_items():
    # Dropping item b leaves a, c, d; alpha = 3/2 (1 - sum var / var total).
    sub = X[["a", "c", "d"]].to_numpy(float)
    hand = 1.5 * (1 - sub.var(axis=0, ddof=1).sum() / sub.sum(axis=1).var(ddof=1))
    assert item_analysis(X)["alpha_if_deleted"].iloc[1] == pytest.approx(hand, rel=1e-12)


def test_two_items_and_missing_rows():
    two = item_analysis(X[["a", "b"]])
    assert two["alpha_if_deleted"].isna().all()
    # with two items the item-rest correlation is the inter-item correlation
    r_ab = np.corrcoef(X["a"], X["b"])[0, 1]
    assert two["item_rest_r"].tolist() == pytest.approx([r_ab, r_ab])
    with_missing = pd.concat([X, pd.DataFrame([[5, np.nan, 1, 1]], columns=X.columns)])
    assert item_analysis(with_missing)["item_rest_r"].tolist() == pytest.approx(R_ITEM_REST)


def test_reliability_by_group():
    frame = pd.concat(
        [X.assign(grp="w"), (6 - X).iloc[:4].assign(grp="c"),
         pd.DataFrame({"a": [1], "grp": ["c"]})],
        ignore_index=True,
    )  # fmt: skip
    alphas, items = reliability_by_group(frame, ["a", "b", "c", "d"], "grp", order=["w", "c"])
    assert list(alphas.columns) == GROUP_ALPHA_COLUMNS
    assert list(items.columns) == GROUP_ITEM_COLUMNS
    assert alphas["group"].tolist() == ["w", "c"]
    w = alphas.iloc[0]
    assert w["cronbach_alpha"] == pytest.approx(R_ALPHA, rel=1e-12)
    ref = cronbach_alpha(X).iloc[0]
    assert (w["ci_low"], w["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    c = alphas.iloc[1]
    assert (c["n_total"], c["n"], c["k"]) == (5, 4, 4)  # the row with only item a is not complete
    assert c["cronbach_alpha"] == pytest.approx(cronbach_alpha(6 - X.iloc[:4])["cronbach_alpha"][0])
    assert items.loc[items.group == "w", "item_rest_r"].tolist() == pytest.approx(R_ITEM_REST)
    # a group with fewer than two complete cases gets NaN instead of an error
    alphas2, items2 = reliability_by_group(frame, ["a", "b"], "grp", order=["w", "zz"])
    assert np.isnan(alphas2.loc[1, "cronbach_alpha"]) and alphas2.loc[1, "n_total"] == 0
    assert items2.loc[items2.group == "zz", "item_rest_r"].isna().all()
