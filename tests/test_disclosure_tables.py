"""Disclosure control of the published results tables (pipeline/report/disclosure_control.py).

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
from lp_audit import exposed

from pipeline.report.chapter import TableSpec, load_chapters
from pipeline.report.disclosure_control import (
    DerivedCount,
    _rows_matching,
    has_suppressed,
    suppress_table,
    suppress_tables,
    without_markers,
)
from pipeline.report.formatting import is_suppressed

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
    # code x group with a published total group (row totals: a + b = total) and n_valid
    # per group (column totals). By hand, rows first then columns in each pass:
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
                 suppress_within="item", suppress_grid=("code", "group"), grid_total="total")
    out, _ = suppress_table(spec, t, 5)
    p = out[out["item"] == "p"]
    shown = dict(zip(zip(p["code"], p["group"], strict=True), p["n"], strict=True))
    assert shown[("1", "a")] == "<5"
    assert all(shown[(c, g)] == "x" for c in "123" for g in "ab" if (c, g) != ("1", "a"))
    assert [shown[(c, "total")] for c in "123"] == [12, 26, 29]
    assert (p["pct"] == "x").sum() == 6
    assert out[out["item"] == "q"]["n"].tolist() == [9, 9, 9]


def _by_group(cells: dict[tuple[str, str], int], **kw) -> tuple[TableSpec, pd.DataFrame]:
    """A long code x group table (appendix II style): n per code and group, column totals
    (n valid per group) published, each cell keyed for linking."""
    t = pd.DataFrame([{"item": "q", "code": c, "group": g, "n": v}
                      for (c, g), v in cells.items()])  # fmt: skip
    spec = TableSpec("by_group", tuple(t.columns), "test", suppress={"n": ()},
                     margins="columns", suppress_within="item", suppress_grid=("code", "group"),
                     cell_keys={"n": "s:{item}={code}:{group}"}, **kw)  # fmt: skip
    return spec, t


def _shown(frame: pd.DataFrame, *keys: str) -> dict:
    return dict(zip(zip(*(frame[k] for k in keys), strict=True), frame["n"], strict=True))


def test_a_published_category_total_and_the_other_group_give_a_cell_away():
    # Werktop vs control per category, and elsewhere the category totals over both groups:
    #   code  werktop  control  total (other table)
    #   1        3        9       12
    #   2       40       50       90
    #   3       30       41       71
    # Each table on its own: by_group hides werktop 3 ("<5") and, for its column total,
    # the smallest other werktop count (30); the totals table has nothing small. Together
    # they leak: total 12 - control 9 = 3.
    spec, t = _by_group({("1", "werktop"): 3, ("1", "control"): 9, ("2", "werktop"): 40,
                         ("2", "control"): 50, ("3", "werktop"): 30, ("3", "control"): 41})
    totals = pd.DataFrame({"item": "q", "code": ["1", "2", "3"], "n": [12, 90, 71]})
    total_spec = TableSpec("totals", tuple(totals.columns), "test", suppress={"n": ()},
                           cell_sums={"n": ("s:{item}={code}:werktop",
                                            "s:{item}={code}:control")})  # fmt: skip
    alone, _ = suppress_table(spec, t, 5)
    alone_totals, n_totals = suppress_table(total_spec, totals, 5)
    old = _shown(alone, "code", "group")
    assert old[("1", "werktop")] == "<5" and n_totals == 0
    assert alone_totals["n"].tolist()[0] - old[("1", "control")] == 3  # recovered

    # Linked: "werktop + control = total" per code is a relation too. Code 1 now has one
    # unknown in it, so its smallest other cell goes (control 9 < total 12); the control
    # column then needs a second cell (41 < 50). Every hidden cell is in a cycle of two
    # codes x two groups, and the totals table stays as it is.
    both = suppress_tables({"by_group": (spec, t), "totals": (total_spec, totals)}, 5)
    new = _shown(both.tables["by_group"], "code", "group")
    assert new == {("1", "werktop"): "<5", ("1", "control"): "x", ("2", "werktop"): 40,
                   ("2", "control"): 50, ("3", "werktop"): "x", ("3", "control"): "x"}
    assert both.tables["totals"]["n"].tolist() == [12, 90, 71]
    assert both.suppressed == {"by_group": 4, "totals": 0}
    cells = both.cells
    unknown = both.protection.suppressed | np.asarray(cells.hidden)
    assert not exposed(cells.values, cells.relations, unknown,
                       np.flatnonzero(both.protection.suppressed))
    assert both.unprotected == () and both.broken_links == ()


def test_the_same_cell_in_two_tables_is_hidden_in_both():
    # A grid with a total group (appendix I style, grid_total) and the total group's
    # distribution in a table of its own (chapter 5 style); by hand, rows then columns:
    #   code   a   b  total
    #   1      2   1    3     all small; "a + b = total" has three unknowns
    #   2      4   5    9     a small alone in its row: the smaller neighbour b = 5 goes
    #   3     20  30   50
    # Column "total" (3, 9, 50 add up to the published n valid) then has 3 alone: the
    # smallest other total, 9, goes — in both tables, as they show the same cells.
    cells = {("1", "a"): 2, ("1", "b"): 1, ("1", "total"): 3,
             ("2", "a"): 4, ("2", "b"): 5, ("2", "total"): 9,
             ("3", "a"): 20, ("3", "b"): 30, ("3", "total"): 50}  # fmt: skip
    spec, t = _by_group(cells, grid_total="total")
    spec = dataclasses.replace(spec, margins="both")
    dist = pd.DataFrame({"item": "q", "code": ["1", "2", "3"], "n": [3, 9, 50]})
    dist_spec = TableSpec("dist", tuple(dist.columns), "test", suppress={"n": ()},
                          margins="columns", suppress_within="item",
                          cell_keys={"n": "s:{item}={code}:total"})  # fmt: skip
    both = suppress_tables({"grid": (spec, t), "dist": (dist_spec, dist)}, 5)
    grid = _shown(both.tables["grid"], "code", "group")
    assert [grid[(c, "total")] for c in "123"] == ["<5", "x", 50]
    assert both.tables["dist"]["n"].tolist() == ["<5", "x", 50]
    assert [grid[(c, g)] for c in "123" for g in "ab"] == ["<5", "<5", "<5", "x", 20, 30]
    unknown = both.protection.suppressed | np.asarray(both.cells.hidden)
    assert not exposed(both.cells.values, both.cells.relations, unknown,
                       np.flatnonzero(both.protection.suppressed))


def test_a_derived_outcome_is_linked_to_its_source_codes():
    # Work status per group (appendix II) and the employment outcomes (chapter 6):
    # "regular job" is werkstatus 1, "job or work-experience place" werkstatus 1 or 2.
    #   werkstatus (control):  1 = 29, 2 = 3, 3 = 63, 4 = 214
    #   employment (control):  werk_regulier 29, werk_any 32
    # On its own, appendix II hides 3 and the smallest other code (29); the employment
    # table has nothing small. Together: 32 - 29 = 3.
    spec, t = _by_group({("1", "control"): 29, ("2", "control"): 3, ("3", "control"): 63,
                         ("4", "control"): 214})
    spec = dataclasses.replace(spec, cell_keys={"n": "s:werkstatus={code}:{group}"})
    jobs = pd.DataFrame({"outcome": ["werk_regulier", "werk_any"], "events_control": [29, 32],
                         "n_control": [309, 309]})
    job_spec = TableSpec("jobs", tuple(jobs.columns), "test", suppress={"events_control": ()},
                         complements={"events_control": "n_control"},
                         cell_keys={"events_control": "s:{outcome}=1:control"})  # fmt: skip
    links = (DerivedCount("s", "werk_regulier=1", ("werkstatus=1",)),
             DerivedCount("s", "werk_any=1", ("werkstatus=1", "werkstatus=2")))
    alone = {name: suppress_table(sp, f, 5)[0] for name, sp, f in
             [("status", spec, t), ("jobs", job_spec, jobs)]}  # fmt: skip
    assert alone["status"]["n"].tolist() == ["x", "<5", 63, 214]
    assert alone["jobs"]["events_control"].tolist() == [29, 32]  # 32 - 29 = 3: a leak
    both = suppress_tables({"status": (spec, t), "jobs": (job_spec, jobs)}, 5, links)
    # werk_regulier's count is werkstatus 1, hidden in appendix II: hidden here too. Then
    # 32 = werkstatus 1 + werkstatus 2 has two unknowns.
    assert both.tables["status"]["n"].tolist() == ["x", "<5", 63, 214]
    assert both.tables["jobs"]["events_control"].tolist() == ["x", 32]
    unknown = both.protection.suppressed | np.asarray(both.cells.hidden)
    assert not exposed(both.cells.values, both.cells.relations, unknown,
                       np.flatnonzero(both.protection.suppressed))
    # Without the plan's links the two tables do not know of each other.
    assert suppress_tables({"status": (spec, t), "jobs": (job_spec, jobs)},
                           5).tables["jobs"]["events_control"].tolist() == [29, 32]


def test_a_sum_with_an_unpublished_part_keeps_the_rest_hidden():
    # n_agree = codes 4 + 5, but only code 4 (20) is published elsewhere: the rest, code
    # 5 = 23 - 20 = 3, is a hidden cell and small. "20 + rest = 23" would give it away,
    # so the smaller published cell of that relation goes: code 4 (20 < 23), shown "x"
    # in its own table.
    dist = pd.DataFrame({"item": "q", "code": ["4"], "n": [20]})
    dist_spec = TableSpec("dist", ("item", "code", "n"), "test", suppress={"n": ()},
                          cell_keys={"n": "s:{item}={code}:total"})
    agree = pd.DataFrame({"item": ["q"], "n_agree": [23]})
    agree_spec = TableSpec("agree", ("item", "n_agree"), "test", suppress={"n_agree": ()},
                           cell_sums={"n_agree": ("s:{item}=4:total", "s:{item}=5:total")})
    both = suppress_tables({"dist": (dist_spec, dist), "agree": (agree_spec, agree)}, 5)
    assert both.tables["dist"]["n"].tolist() == ["x"]
    assert both.tables["agree"]["n_agree"].tolist() == [23]
    assert suppress_table(dist_spec, dist, 5)[0]["n"].tolist() == [20]  # alone: a leak


def test_linked_cells_that_disagree_are_not_linked_and_reported():
    a = pd.DataFrame({"k": ["1"], "n": [3]})
    b = pd.DataFrame({"k": ["1"], "n": [30]})
    spec = TableSpec("a", ("k", "n"), "test", suppress={"n": ()}, cell_keys={"n": "s:{k}"})
    both = suppress_tables({"a": (spec, a), "b": (dataclasses.replace(spec, name="b"), b)}, 5)
    assert both.tables["a"]["n"].tolist() == ["<5"] and both.tables["b"]["n"].tolist() == [30]
    assert len(both.broken_links) == 1 and "s:1" in both.broken_links[0]


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
    from pipeline.report.numbering import References

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
    from pipeline.stages.analyze import run_analyze
    from pipeline.study.codebook import load_codebook
    from pipeline.study.config import PROJECT_ROOT, OutputPaths, load_config

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


@pytest.fixture(scope="module")
def linked(example_outputs, tmp_path_factory):
    """Every chapter re-analysed on the example's processed data, with the unsuppressed
    tables kept: (the unsuppressed tables with their specs, the plan's links)."""
    from pipeline.outputs.io import read_csv
    from pipeline.report.disclosure_control import plan_links
    from pipeline.stages.analyze import run_analyze
    from pipeline.study.codebook import load_codebook
    from pipeline.study.config import PROJECT_ROOT, OutputPaths, load_config
    from pipeline.study.plan import load_plan

    config = load_config(PROJECT_ROOT / "studies" / "example.toml")
    root = tmp_path_factory.mktemp("linked")
    shutil.copytree(example_outputs / "data", root / "data")
    cfg = dataclasses.replace(config, keep_unsuppressed=True)
    paths = OutputPaths(root)
    codebook = load_codebook(cfg.codebook_dir)
    run_analyze(cfg, paths, codebook)
    specs = {t.name: t for c in CHAPTERS for t in c.tables}
    tables = {}
    for name, spec in specs.items():
        path = paths.unsuppressed / f"{name}.csv"
        if path.exists():
            tables[name] = (spec, read_csv(path, keep_default_na=False, na_values=[""]))
    for name in tables:  # byte-identical to the example run's published tables
        assert (paths.tables / f"{name}.csv").read_bytes() == (
            example_outputs / "results" / "tables" / f"{name}.csv").read_bytes(), name
    return tables, plan_links(load_plan(codebook))


def _audit(result) -> list:
    """Suppressed (and small hidden) cells a reader can compute: none if protected."""
    cells = result.cells
    values, hidden = np.asarray(cells.values), np.asarray(cells.hidden)
    unknown = result.protection.suppressed | hidden
    sensitive = result.protection.suppressed | (hidden & (values >= 1) & (values < 5))
    return exposed(cells.values, cells.relations, unknown, np.flatnonzero(sensitive))


def test_the_example_tables_pass_the_audit(linked):
    tables, links = linked
    result = suppress_tables(tables, 5, links)
    assert result.unprotected == () and result.broken_links == ()
    assert _audit(result) == []
    # Every relation holds with the true counts (a wrong declaration would not).
    values = np.asarray(result.cells.values)
    for rel in result.cells.relations:
        assert np.nansum(values[list(rel.cells)] * np.asarray(rel.signs)) == 0, rel
    # Every table that declares links is linked: one of its cells is shown in another
    # table too, or is in a relation with a cell of another table (a sum, or the plan's
    # werk_any = werkstatus 1 + 2).
    owners: dict[int, set[str]] = {}
    for name, where in result.positions.items():
        for cell in where.values():
            owners.setdefault(cell, set()).add(name)
    for name, (spec, _) in tables.items():
        if not (spec.cell_keys or spec.cell_sums):
            continue
        mine = set(result.positions[name].values())
        shared = any(len(owners[c]) > 1 for c in mine)
        related = any(mine & set(rel.cells) and any(owners.get(c, {name}) - {name}
                                                    for c in rel.cells)
                      for rel in result.cells.relations)  # fmt: skip
        assert shared or related, name
    assert "jobseekers:werk_any=1:control" in result.cells.keys and len(links) == 2


@pytest.mark.parametrize("min_cell", [10, 15])
def test_tables_protected_one_by_one_leak_on_the_example_data(linked, min_cell):
    # With a higher threshold the example's own data show the problem: each table on its
    # own is protected, together they are not. Linked, nothing is computable.
    tables, links = linked
    joint = suppress_tables(tables, min_cell, links)
    assert joint.unprotected == () and joint.broken_links == ()
    cells = joint.cells
    alone = np.zeros(len(cells.values), dtype=bool)
    for name, (spec, frame) in tables.items():
        published, _ = suppress_table(spec, frame, min_cell)
        for (label, count), cell in joint.positions.get(name, {}).items():
            alone[cell] |= bool(is_suppressed(published.at[label, count]))
    values, hidden = np.asarray(cells.values), np.asarray(cells.hidden)
    small = (values >= 1) & (values < min_cell)
    leaks = exposed(cells.values, cells.relations, alone | hidden,
                    np.flatnonzero(alone | (hidden & small)))
    assert leaks  # the per-table pattern gives cells away
    unknown = joint.protection.suppressed | hidden
    sensitive = joint.protection.suppressed | (hidden & small)
    assert exposed(cells.values, cells.relations, unknown, np.flatnonzero(sensitive)) == []
    if min_cell == 10:
        # Control group, werkstatus 2 (work-experience place): 8 < 10. Alone, appendix II
        # hides it and werkstatus 1 (29); chapter 6 publishes the control group's counts
        # for "regular job" (werkstatus 1) and "job or work-experience place" (1 or 2):
        # 37 - 29 = 8.
        status = tables["appendix_jobseekers_categorical"][1]
        row = status.index[(status["item"] == "werkstatus") & (status["group"] == "control")
                           & (status["code"].astype(str) == "2")][0]  # fmt: skip
        assert cells.names[leaks[0][0]].startswith("appendix_jobseekers_categorical")
        assert any(c == joint.positions["appendix_jobseekers_categorical"][(row, "n")]
                   for c, _, _ in leaks)  # fmt: skip
        jobs = tables["employment_comparison"][1].set_index("outcome")["events_control"]
        assert jobs["werk_any"] - jobs["werk_regulier"] == status.at[row, "n"] == 8


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

    from pipeline.outputs.catalog import _numbers_beside_markers
    from pipeline.report.formatting import fmt_int, fmt_pct

    frame = pd.read_csv(io.StringIO("a,b,c\n<5,x,t\n302,0.5,u\n,0.25,v\n"))
    out = _numbers_beside_markers(frame)
    assert out["a"].tolist() == ["<5", 302, None] and out["b"].tolist() == ["x", 0.5, 0.25]
    assert out["c"].tolist() == ["t", "u", "v"]
    assert fmt_int(out["a"][1]) == "302" and fmt_pct(out["b"][1], 1) == "50,0%"
    assert fmt_int(out["a"][0]) == "<5"


def test_a_minimum_or_maximum_of_one_respondent_is_hidden():
    from pipeline.report.disclosure_control import mask_extremes

    frame = pd.DataFrame({"item": ["a", "b"], "min": [0.0, 1.0], "max": [3.0, 10.0],
                          "n_at_min": [40, 5], "n_at_max": [2, 4]})  # fmt: skip
    out = mask_extremes(frame, 5)
    assert list(out.columns) == ["item", "min", "max"]
    assert out["min"].tolist() == [0.0, 1.0] and out["max"].tolist() == ["x", "x"]
    # no control: everything shown
    assert mask_extremes(frame, 1)["max"].tolist() == [3.0, 10.0]


def test_the_example_appendices_show_no_single_answer_as_min_or_max(example_outputs):
    for name in ("appendix_employer_numeric", "appendix_jobseekers_numeric"):
        table = pd.read_csv(example_outputs / "results" / "tables" / f"{name}.csv", dtype=str)
        assert (table["max"] == "x").any(), name
