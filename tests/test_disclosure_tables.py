"""Disclosure control of the published results tables (pipeline/disclosure_control.py).

Unit tests work on hand-made tables whose expected patterns are worked out by hand from the
rules in analysis/disclosure.py; the example-run tests scan every table a chapter declares
as counting respondents.
"""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from pipeline.chapter import TableSpec, load_chapters
from pipeline.disclosure_control import (
    _rows_matching,
    has_suppressed,
    suppress_table,
    without_markers,
)
from pipeline.formatting import is_suppressed

CHAPTERS = load_chapters()
SPECS = [t for c in CHAPTERS for t in c.tables if t.suppress]


def _spec(columns, **kw) -> TableSpec:
    return TableSpec("t", tuple(columns), "test table", **kw)


# ------------------------------------------------------------------ unit tests
def test_a_share_next_to_its_n_is_hidden_when_the_rest_is_small():
    # 75 of 77 pass: the 2 fails are a cell too, so n_pass and its share read "x".
    t = pd.DataFrame({"unit": ["a", "b"], "n": [77, 40], "n_pass": [75, 30],
                      "p_pass": [75 / 77, 0.75]})
    spec = _spec(t.columns, suppress={"n": (), "n_pass": ("p_pass",)},
                 complements={"n_pass": "n"})
    out, n = suppress_table(spec, t, 5)
    assert out["n_pass"].tolist() == ["x", 30] and out["p_pass"].tolist() == ["x", 0.75]
    assert out["n"].tolist() == [77, 40] and n == 2


def test_a_published_total_row_needs_a_complement_in_the_column():
    # a: rest 77 - 75 = 2 -> hidden; the total row publishes the column sum 145, so one
    # more body cell goes: the smallest other, b = 30 (c = 40); the total row stays.
    t = pd.DataFrame({"unit": ["a", "b", "c", "total"], "n": [77, 40, 50, 167],
                      "n_pass": [75, 30, 40, 145]})
    spec = _spec(t.columns, suppress={"n_pass": ()}, complements={"n_pass": "n"},
                 margins="columns", total_rows={"unit": ("total",)})
    out, _ = suppress_table(spec, t, 5)
    assert out["n_pass"].tolist() == ["x", "x", 40, 145]


def test_missing_rows_are_exempt_and_each_variable_is_its_own_table():
    # Variable v: 2 < 5 is primary; its column total (n_valid = 82) is published, so the
    # smallest other level (30) is a complement. The missing row (3) is left alone. w has
    # no small cell and is untouched.
    t = pd.DataFrame({
        "variable": ["v", "v", "v", "v", "w", "w"],
        "code": ["1", "2", "3", "missing", "1", "missing"],
        "n": [2, 50, 30, 3, 85, 0],
        "pct": [2 / 82, 50 / 82, 30 / 82, np.nan, 1.0, np.nan],
    })  # fmt: skip
    spec = _spec(t.columns, suppress={"n": ("pct",)}, margins="columns",
                 suppress_within="variable", suppress_exempt={"code": ("missing",)})
    out, n = suppress_table(spec, t, 5)
    assert out["n"].tolist() == ["<5", 50, "x", 3, 85, 0]
    assert out["pct"].tolist()[:3] == ["x", 50 / 82, "x"]
    assert n == 4


def test_a_long_table_is_suppressed_as_a_code_by_group_grid():
    # code x group with a published total group (row totals) and n_valid per group
    # (column totals). By hand, rows first then columns in each pass:
    #        a   b  total
    #   1    2  10   12    (1,a) primary; row 1 -> smallest other (1,b) = 10
    #   2   20   6   26    column a -> (3,a) = 15; column b -> (2,b) = 6
    #   3   15  14   29    pass 2: row 2 -> (2,a) = 20; row 3 -> (3,b) = 14
    # Every a and b cell ends up hidden, the total column stays. Item q has no small cell.
    cells = {("1", "a"): 2, ("1", "b"): 10, ("1", "total"): 12,
             ("2", "a"): 20, ("2", "b"): 6, ("2", "total"): 26,
             ("3", "a"): 15, ("3", "b"): 14, ("3", "total"): 29}  # fmt: skip
    rows = [{"item": "p", "group": g, "code": c, "n": v} for (c, g), v in cells.items()]
    rows += [{"item": "q", "group": g, "code": "1", "n": 9} for g in ("a", "b", "total")]
    t = pd.DataFrame(rows)
    t["pct"] = t["n"] / 100
    spec = _spec(t.columns, suppress={"n": ("pct",)}, margins="both",
                 suppress_within="item", suppress_grid=("code", "group"))
    out, _ = suppress_table(spec, t, 5)
    p = out[out["item"] == "p"]
    shown = dict(zip(zip(p["code"], p["group"], strict=True), p["n"], strict=True))
    assert shown[("1", "a")] == "<5"
    assert all(shown[(c, g)] == "x" for c in "123" for g in "ab" if (c, g) != ("1", "a"))
    assert [shown[(c, "total")] for c in "123"] == [12, 26, 29]
    assert (p["pct"] == "x").sum() == 6
    assert out[out["item"] == "q"]["n"].tolist() == [9, 9, 9]


def test_a_column_computed_from_two_counts_is_hidden_when_either_is():
    t = pd.DataFrame({"n_t": [100, 100], "c_t": [40, 50], "n_c": [100, 100],
                      "c_c": [3, 60], "rd": [0.37, -0.1]})
    spec = _spec(t.columns, suppress={"c_t": ("rd",), "c_c": ("rd",)})
    out, _ = suppress_table(spec, t, 5)
    assert out["c_c"].tolist() == ["<5", 60] and out["rd"].tolist() == ["x", -0.1]
    assert out["c_t"].tolist() == [40, 50]


def test_figures_read_markers_as_missing():
    t = pd.DataFrame({"p": ["x", 0.5], "n": ["<5", 12], "label": ["a", "b"]})
    out = without_markers(t)
    assert np.isnan(out["p"][0]) and out["p"][1] == 0.5 and out["n"][1] == 12
    assert out["label"].tolist() == ["a", "b"]
    assert has_suppressed(t) and not has_suppressed(out)


# ------------------------------------------------------------------ example run
def _published(out, spec: TableSpec) -> pd.DataFrame:
    return pd.read_csv(out / "results" / "tables" / f"{spec.name}.csv", keep_default_na=True)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_no_published_count_of_respondents_is_below_min_cell(example_outputs, spec):
    frame = _published(example_outputs, spec)
    frame = frame[~_rows_matching(frame, spec.suppress_exempt)]  # missing-answer rows
    for count, dependents in spec.suppress.items():
        values = pd.to_numeric(frame[count], errors="coerce")
        marked = frame[count].map(is_suppressed).astype(bool)
        small = (values >= 1) & (values < 5)
        assert not small.any(), f"{spec.name}.{count}: {values[small].tolist()}"
        for dep in dependents:
            assert frame.loc[marked, dep].map(is_suppressed).all(), f"{spec.name}.{dep}"
        for total in (t for t in [spec.complements.get(count, ())] for t in
                      ((t,) if isinstance(t, str) else t)):
            rest = pd.to_numeric(frame[total], errors="coerce") - values
            assert not ((rest >= 1) & (rest < 5)).any(), f"{spec.name}: {count} vs {total}"


def test_stats_record_the_suppressed_tables(example_outputs):
    import json

    stats = json.loads((example_outputs / "results" / "stats.json").read_text("utf-8"))
    dc = stats["disclosure"]
    assert dc["min_cell"] == 5 and dc["marker"] == "<5"
    marked = {s.name for s in SPECS if has_suppressed(_published(example_outputs, s))}
    assert marked and set(dc["suppressed_cells"]) == marked
    # the unit profiles of the example have small counts of controls in work
    assert "unit_survey" in marked


def test_report_shows_markers_and_names_the_tables(example_outputs):
    from pipeline.numbering import References

    html = (example_outputs / "reports" / "werktop_report.html").read_text("utf-8")
    assert re.search(r'<td class="num">&lt;5</td>', html)  # a suppressed count in a table
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    paragraph = text[text.index("Onderdrukte cellen staan in:"):][:1000]
    ref = References(CHAPTERS)
    import json

    suppressed = json.loads((example_outputs / "results" / "stats.json").read_text("utf-8"))[
        "disclosure"]["suppressed_cells"]
    named = 0
    for c in CHAPTERS:
        for e in c.exhibits:
            kind, name = e.split(":", 1)
            if kind == "table" and c.exhibit_tables.get(name, name) in suppressed:
                assert f"Tabel {ref.table(name)}" in paragraph
                named += 1
    assert named >= 3
    assert "resultatentabel unit_survey" in paragraph  # the unit profiles
    # a figure drawn from a suppressed table says so in its caption
    assert "zijn onderdrukt en niet getekend" in text


@pytest.fixture(scope="module")
def reanalysed(example_outputs, tmp_path_factory):
    """Re-run the analyze stage of a few chapters on the example's processed data."""
    from pipeline.analyze import run_analyze
    from pipeline.codebook import load_codebook
    from pipeline.config import PROJECT_ROOT, OutputPaths, load_config

    config = load_config(PROJECT_ROOT / "studies" / "example.toml")
    chapters = [c for c in CHAPTERS if c.key in ("units", "employers", "appendix_jobseekers")]

    def run(min_cell: int) -> OutputPaths:
        root = tmp_path_factory.mktemp(f"min_cell_{min_cell}")
        shutil.copytree(example_outputs / "data" / "processed", root / "data" / "processed")
        cfg = dataclasses.replace(config, min_cell=min_cell, keep_unsuppressed=True)
        paths = OutputPaths(root)
        run_analyze(cfg, paths, load_codebook(cfg.codebook_dir), chapters=chapters)
        return paths

    return {1: run(1), 5: run(5)}, [t for c in chapters for t in c.tables]


def test_min_cell_one_suppresses_nothing(reanalysed):
    import json

    runs, specs = reanalysed
    paths = runs[1]
    assert json.loads(paths.stats.read_text("utf-8"))["disclosure"]["suppressed_cells"] == {}
    for spec in specs:
        published = (paths.tables / f"{spec.name}.csv").read_bytes()
        assert published == (paths.unsuppressed / f"{spec.name}.csv").read_bytes(), spec.name


def test_published_cells_are_the_unsuppressed_ones_or_markers(reanalysed):
    runs, specs = reanalysed
    paths = runs[5]
    n_small = 0
    for spec in specs:
        if not spec.suppress:
            continue
        raw = pd.read_csv(paths.unsuppressed / f"{spec.name}.csv", keep_default_na=True)
        pub = pd.read_csv(paths.tables / f"{spec.name}.csv", keep_default_na=True)
        marked = pub.map(is_suppressed)
        for column in pub.columns:
            keep = ~marked[column]
            left = pd.to_numeric(pub.loc[keep, column], errors="coerce")
            if left.notna().any():  # numbers equal where not suppressed
                right = pd.to_numeric(raw.loc[keep, column], errors="coerce")
                assert np.allclose(left, right, equal_nan=True), (spec.name, column)
        exempt = _rows_matching(raw, spec.suppress_exempt)
        for count in spec.suppress:
            values = pd.to_numeric(raw[count], errors="coerce")
            small = (values >= 1) & (values < 5) & ~exempt
            n_small += int(small.sum())
            assert (pub.loc[small, count] == "<5").all(), (spec.name, count)
    assert n_small > 0  # the example has small cells to protect


def test_numbers_beside_markers_are_read_back_as_numbers(tmp_path):
    # A column with "<5" is text in the CSV; the render and plot stages must still see
    # 302 and 0.5 as numbers (formatted "302" and "50,0%"), and the markers as they are.
    import io

    from pipeline.catalog import _numbers_beside_markers
    from pipeline.formatting import fmt_int, fmt_pct

    frame = pd.read_csv(io.StringIO("a,b,c\n<5,x,t\n302,0.5,u\n,0.25,v\n"))
    out = _numbers_beside_markers(frame)
    assert out["a"].tolist() == ["<5", 302, None] and out["b"].tolist() == ["x", 0.5, 0.25]
    assert out["c"].tolist() == ["t", "u", "v"]
    assert fmt_int(out["a"][1]) == "302" and fmt_pct(out["b"][1], 1) == "50,0%"
    assert fmt_int(out["a"][0]) == "<5"
