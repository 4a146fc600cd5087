"""Small-cell suppression (analysis/disclosure.py), on hand-made tables.

Every expected pattern below is worked out by hand from the documented rules; the
comments give the reasoning, so a changed rule shows up as a failing test.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lp_audit import interval

from analysis.disclosure import Relation, determined_cells, protect_cells, suppress_cells


def _grid(rows: dict[str, list[int]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=["x", "y", "z"])


def _reasons(res) -> dict:
    return {
        (r, c): res.reason.loc[r, c]
        for r in res.reason.index
        for c in res.reason.columns
        if res.reason.loc[r, c]
    }


def test_primary_only():
    t = _grid({"A": [2, 10, 20], "B": [7, 0, 9]})
    res = suppress_cells(t, ["x", "y", "z"], margins="none")
    # 2 < 5 is suppressed; 0 is not (default rule); 7, 9, 10, 20 are published
    assert _reasons(res) == {("A", "x"): "primary"}
    assert res.table.loc["A", "x"] == "<5" and res.table.loc["B", "y"] == 0
    assert res.mask.to_numpy().sum() == 1


def test_row_totals_need_a_complement_in_the_row():
    t = _grid({"A": [2, 10, 20], "B": [7, 8, 9]})
    res = suppress_cells(t, ["x", "y", "z"], margins="rows")
    # row A total 32 - 10 - 20 = 2 would reveal x: suppress the smallest other, y = 10
    assert _reasons(res) == {("A", "x"): "primary", ("A", "y"): "secondary"}
    assert list(res.table.loc["A"]) == ["<5", "x", 20]


def test_column_totals_need_a_complement_in_the_column():
    t = _grid({"A": [2, 10, 20], "B": [7, 8, 9], "C": [30, 1, 40]})
    res = suppress_cells(t, ["x", "y", "z"], margins="columns")
    # column x: 2 suppressed alone -> smallest other in x is B (7)
    # column y: 1 suppressed alone -> smallest other in y is B (8)
    assert _reasons(res) == {
        ("A", "x"): "primary", ("B", "x"): "secondary",
        ("C", "y"): "primary", ("B", "y"): "secondary",
    }  # fmt: skip


def test_both_margins_iterate_until_stable():
    t = _grid({"A": [2, 10, 20], "B": [12, 6, 30], "C": [15, 40, 50]})
    res = suppress_cells(t, ["x", "y", "z"])
    # pass 1, rows: A has only x -> add A.y (10 < 20)
    # pass 1, columns: x has only A -> add B.x (12 < 15); y has only A.y -> add B.y (6 < 40)
    # pass 2: rows A and B and columns x and y each have two suppressed cells: stable
    assert _reasons(res) == {
        ("A", "x"): "primary", ("A", "y"): "secondary",
        ("B", "x"): "secondary", ("B", "y"): "secondary",
    }  # fmt: skip
    # no row or column is left with exactly one suppressed cell
    assert set(res.mask.sum(axis=1)) <= {0, 2} and set(res.mask.sum(axis=0)) <= {0, 2}


def test_two_small_cells_in_a_row_protect_each_other():
    t = _grid({"A": [2, 3, 20], "B": [40, 50, 60], "C": [40, 50, 60]})
    res = suppress_cells(t, ["x", "y", "z"], margins="rows")
    # total - 20 = 5 = x + y: neither can be recomputed, no secondary needed in rows
    assert _reasons(res) == {("A", "x"): "primary", ("A", "y"): "primary"}


def test_zero_counts_rule_and_complement_choice():
    t = pd.DataFrame({"a": [0], "b": [3], "c": [10], "d": [20]})
    res = suppress_cells(t, list("abcd"), margins="rows")
    # 0 is not suppressed and is not a useful complement: 10 is chosen, not 0
    assert _reasons(res) == {(0, "b"): "primary", (0, "c"): "secondary"}
    strict = suppress_cells(t, list("abcd"), margins="rows", suppress_zeros=True)
    # 0 and 3 both primary: two suppressed cells in the row, no complement needed
    assert _reasons(strict) == {(0, "a"): "primary", (0, "b"): "primary"}
    # when only zeros are left, a zero is used rather than leaving the cell exposed
    only_zero = suppress_cells(pd.DataFrame({"a": [3], "b": [0]}), ["a", "b"], margins="rows")
    assert _reasons(only_zero) == {(0, "a"): "primary", (0, "b"): "secondary"}


def test_ties_go_to_the_first_cell():
    t = _grid({"A": [1, 9, 9]})
    res = suppress_cells(t, ["x", "y", "z"], margins="rows")
    assert _reasons(res) == {("A", "x"): "primary", ("A", "y"): "secondary"}


def test_dependent_percentages_and_markers():
    t = pd.DataFrame(
        {
            "category": ["werk", "geen werk", "anders"],
            "n_treated": [3, 40, 57],
            "pct_treated": [3.0, 40.0, 57.0],
            "n_control": [20, 30, 50],
            "pct_control": [20.0, 30.0, 50.0],
        }
    )
    res = suppress_cells(
        t,
        ["n_treated", "n_control"],
        dependents={"n_treated": ["pct_treated"], "n_control": ["pct_control"]},
        margins="columns",
        marker="< 5",
        secondary_marker="*",
    )
    # n_treated: 3 alone in its column -> complement 40 (row 1); n_control untouched
    assert list(res.table["n_treated"]) == ["< 5", "*", 57]
    assert list(res.table["pct_treated"]) == ["*", "*", 57.0]
    assert list(res.table["n_control"]) == [20, 30, 50]
    assert list(res.reason["pct_treated"]) == ["primary", "secondary", ""]
    assert not res.mask["category"].any() and res.table["category"].equals(t["category"])
    assert res.table["n_treated"].dtype == object
    # input not modified
    assert t.loc[0, "n_treated"] == 3 and t["n_treated"].dtype == np.int64


def test_total_row_publishes_column_totals():
    t = _grid({"A": [2, 10, 20], "B": [9, 8, 30], "Totaal": [11, 18, 50]})
    res = suppress_cells(t, ["x", "y", "z"], margins="columns", total_rows=["Totaal"])
    # the complement for A.x comes from the body (B.x = 9), never from the total row
    assert _reasons(res) == {("A", "x"): "primary", ("B", "x"): "secondary"}
    # a total below the threshold is itself suppressed, and then that column has no
    # published total, so its single small cell needs no complement
    t2 = _grid({"A": [2, 10, 20], "B": [1, 8, 30], "Totaal": [3, 18, 50]})
    res2 = suppress_cells(t2, ["x", "y", "z"], margins="columns", total_rows=["Totaal"])
    assert _reasons(res2) == {
        ("A", "x"): "primary", ("B", "x"): "primary", ("Totaal", "x"): "primary"
    }  # fmt: skip


def test_missing_counts_are_left_alone():
    t = pd.DataFrame({"a": [np.nan, 2.0], "b": [10.0, 20.0]})
    res = suppress_cells(t, ["a", "b"], margins="rows")
    assert np.isnan(res.table.loc[0, "a"]) and not res.mask.loc[0].any()
    assert _reasons(res) == {(1, "a"): "primary", (1, "b"): "secondary"}


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (pd.DataFrame({"a": [-1]}), {}, "non-negative whole"),
        (pd.DataFrame({"a": [1.5]}), {}, "non-negative whole"),
        (pd.DataFrame({"a": ["veel"]}), {}, "numeric"),
        (pd.DataFrame({"a": [1]}), {"dependents": {"a": ["pct"]}}, "pct"),
        (pd.DataFrame({"a": [1]}), {"margins": "diagonal"}, "margins"),
        (pd.DataFrame({"a": [1]}), {"min_cell": 0}, "min_cell"),
    ],
)
def test_invalid_input(table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        suppress_cells(table, ["a"], **kwargs)


# ------------------------------------------------------------------ relations and the audit
def test_two_cycles_joined_by_one_cell_need_the_audit():
    # Every row and column has two or more small cells, so no single total gives one away
    # and the row-and-column heuristic stops. Yet B.c (2) is determined:
    #   B.c = (row A + row B) - (column a + column b)
    #         - (A.c + A.d + B.d) + (C.a + D.a + C.b + D.b)
    #       = (156 + 96) - (75 + 115) - (70 + 80 + 90) + (40 + 30 + 50 + 60) = 2.
    # The audit suppresses one more cell of B.c's row or column: A.c (70) or B.d (90);
    # A.c is the smaller and joins the two cycles, so B.c is no longer determined.
    t = pd.DataFrame({"a": [2, 3, 40, 30], "b": [4, 1, 50, 60], "c": [70, 2, 3, 4],
                      "d": [80, 90, 1, 2]}, index=list("ABCD"))  # fmt: skip
    res = suppress_cells(t, list("abcd"), margins="both")
    assert _reasons(res) == {
        **{(r, c): "primary" for r, c in ["Aa", "Ab", "Ba", "Bb", "Bc", "Cc", "Cd", "Dc", "Dd"]},
        ("A", "c"): "secondary",
    }
    # With row totals only, the small cells protect each other: nothing is added.
    rows_only = suppress_cells(t, list("abcd"), margins="rows")
    assert set(_reasons(rows_only).values()) == {"primary"}


def test_determined_cells_by_linear_algebra():
    # a + b = 7, b + c = 9, a + c = 10 (all published totals): three unknowns, three
    # independent relations, so a = 4, b = 3, c = 6 are all determined; drop one relation
    # and none is.
    values = [4, 3, 6, 7, 9, 10]
    relations = [Relation.sum([0, 1], 3), Relation.sum([1, 2], 4), Relation.sum([0, 2], 5)]
    unknown = np.array([True, True, True, False, False, False])
    assert determined_cells(values, relations, unknown).tolist()[:3] == [True] * 3
    assert not determined_cells(values, relations[:2], unknown)[:3].any()
    # A relation that leaves nothing for its unknowns pins them at zero.
    pinned = determined_cells([0, 0, 0], [Relation.sum([0, 1], 2)], np.array([1, 1, 0], bool))
    assert pinned.tolist() == [True, True, False]


def test_a_hidden_rest_is_protected_like_a_cell():
    # 75 of 77 pass: the 2 fails are never published but are a cell (hidden, small), so
    # the count next to the total is suppressed; with 2 unknowns (75 and the rest) in
    # "pass + fail = 77" neither can be computed.
    values = [75, 2, 77]
    found = protect_cells(values, [Relation.sum([0, 1], 2)], eligible=[True, False, False],
                          hidden=[False, True, False])
    assert found.suppressed.tolist() == [True, False, False]
    assert not found.primary.any() and found.unprotected == ()


def test_a_cell_nothing_can_protect_is_reported():
    # A single count equal to a published total that may not be suppressed.
    found = protect_cells([3, 3], [Relation.sum([0], 1)], eligible=[True, False])
    assert found.suppressed.tolist() == [True, False] and found.unprotected == (0,)


@st.composite
def linked_tables(draw):
    """A small two-way table with its margins, plus sums over some of its cells published
    elsewhere (linked tables) and counts next to a total whose rest is hidden."""
    n_rows, n_cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    counts = st.sampled_from([0, 1, 2, 3, 4, 5, 7, 9, 12, 30])
    grid = np.array(draw(st.lists(st.lists(counts, min_size=n_cols, max_size=n_cols),
                                  min_size=n_rows, max_size=n_rows)), dtype=float)  # fmt: skip
    values = list(grid.ravel())
    eligible = [True] * len(values)
    hidden = [False] * len(values)

    def cell(value, *, is_hidden=False):
        values.append(value)
        eligible.append(False)
        hidden.append(is_hidden)
        return len(values) - 1

    relations = []
    margins = draw(st.sampled_from(["rows", "columns", "both"]))
    if margins in ("rows", "both"):
        for i in range(n_rows):
            parts = [i * n_cols + j for j in range(n_cols)]
            relations.append(Relation.sum(parts, cell(grid[i].sum())))
    if margins in ("columns", "both"):
        for j in range(n_cols):
            parts = [i * n_cols + j for i in range(n_rows)]
            relations.append(Relation.sum(parts, cell(grid[:, j].sum())))
    n = n_rows * n_cols
    for parts in draw(st.lists(st.sets(st.integers(0, n - 1), min_size=2, max_size=4),
                               max_size=3)):  # fmt: skip
        parts = sorted(parts)
        relations.append(Relation.sum(parts, cell(sum(grid.ravel()[parts]))))
    for c, rest in draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from([0, 2, 9])),
                                 max_size=2)):  # fmt: skip
        r = cell(float(rest), is_hidden=True)
        relations.append(Relation.sum([c, r], cell(values[c] + rest)))
    return values, relations, eligible, hidden


@settings(max_examples=150, deadline=None)
@given(linked_tables())
def test_after_suppression_no_sensitive_cell_is_determined(case):
    values, relations, eligible, hidden = case
    found = protect_cells(values, relations, eligible=eligible, hidden=hidden)
    v = np.asarray(values)
    hidden = np.asarray(hidden)
    small = (v >= 1) & (v < 5)
    assert (found.primary == (small & ~hidden & np.asarray(eligible))).all()
    assert not (found.suppressed & hidden).any()
    assert not (found.suppressed & ~np.asarray(eligible)).any()
    unknown = found.suppressed | hidden
    for c in np.flatnonzero(found.suppressed | (hidden & small)):
        low, high = interval(values, relations, unknown, c)
        assert low <= v[c] + 1e-7 and v[c] - 1e-7 <= high
        if c in found.unprotected:  # reported: really determined, nothing left to hide
            assert high - low < 1e-7
        else:
            assert high - low > 1e-7, (c, v[c], low, high)


@settings(max_examples=60, deadline=None)
@given(linked_tables())
def test_protection_is_deterministic(case):
    values, relations, eligible, hidden = case
    first = protect_cells(values, relations, eligible=eligible, hidden=hidden)
    again = protect_cells(values, relations, eligible=eligible, hidden=hidden)
    assert (first.suppressed == again.suppressed).all() and first.unprotected == again.unprotected


def test_a_share_of_100_percent_is_protected_where_it_can_be():
    # 25 of 25 pass: the hidden rest is 0, so "100,0%" tells that every member of the
    # group passed. With a second group and a column total the rest can be protected:
    # the count goes, and so does the other group's count (its complement in the column).
    values = [25, 0, 25, 30, 10, 40, 55]  # pass/rest/n of two groups, total passes
    relations = [Relation.sum([0, 1], 2), Relation.sum([3, 4], 5), Relation.sum([0, 3], 6)]
    eligible = [True, False, False, True, False, False, False]
    hidden = [False, True, False, False, True, False, False]
    found = protect_cells(values, relations, eligible=eligible, hidden=hidden,
                          group_zeros=True)
    assert found.suppressed.tolist() == [True, False, False, True, False, False, False]
    assert found.unprotected == () and found.groups == ()
    # without the rule, or without control (min_cell 1), nothing is suppressed
    without = protect_cells(values, relations, eligible=eligible, hidden=hidden)
    assert not without.suppressed.any()
    assert not protect_cells(values, relations, min_cell=1, eligible=eligible, hidden=hidden,
                             group_zeros=True).suppressed.any()


def test_a_share_of_100_percent_nothing_can_hide_is_reported_not_unprotected():
    # One group whose pass count is also the published total passes: suppressing the
    # count does not hide it (the total gives it back). The rest of 0 is reported as a
    # group disclosure, the guarantee for small cells is kept, and nothing is
    # suppressed in vain.
    values = [25, 0, 25, 25]
    relations = [Relation.sum([0, 1], 2), Relation.sum([0], 3)]
    found = protect_cells(values, relations, eligible=[True, False, False, False],
                          hidden=[False, True, False, False], group_zeros=True)
    assert found.groups == (1,) and found.unprotected == ()
    assert not found.suppressed.any()
