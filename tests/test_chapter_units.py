"""Chapter 4 (units), chapter 7 (municipalities) and appendix III (Assen): analysis steps on
small in-memory frames with hand-computed numbers, and the rendered report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.report.chapter import chapter_module, load_chapters
from pipeline.report.formatting import fmt_int, fmt_number, fmt_pct_kind
from pipeline.study.codebook import load_codebook
from pipeline.study.config import PROJECT_ROOT

CB = load_codebook(PROJECT_ROOT / "data" / "codebook")
CHAPTERS = {c.key: c for c in load_chapters()}
UNITS_MOD = chapter_module("units")
MUN_MOD = chapter_module("municipalities")
ASSEN_MOD = chapter_module("appendix_assen")
IDS = [u.id for u in CB.units]


def _register(achieved, hours, support, comparison=False) -> pd.DataFrame:
    rows = []
    for uid, (c, r, w), h, d in zip(IDS, achieved, hours, support, strict=True):
        rows.append({"unit": uid, "leden": uid, "inwoners": 50000, "wwb_bestand": 1000,
                     "werkloosheid": 6.0, "startdatum": "2012-11-01", "einddatum": "2014-04-01",
                     "doel_contacten": 70, "doel_regulier": 40, "doel_wep": 20,
                     "behaald_contacten": c, "behaald_regulier": r, "behaald_wep": w,
                     "uren_gemeente": h, "uren_adviesbureau": 100.0, "draagvlak": d})
    if comparison:
        rows.append({"unit": "assen", "leden": "Assen", "inwoners": 67000, "wwb_bestand": 2000,
                     "werkloosheid": 7.0, "startdatum": "2012-01-01", "einddatum": "2014-04-01",
                     "doel_contacten": np.nan, "doel_regulier": np.nan, "doel_wep": np.nan,
                     "behaald_contacten": np.nan, "behaald_regulier": 60, "behaald_wep": 40,
                     "uren_gemeente": np.nan, "uren_adviesbureau": np.nan, "draagvlak": np.nan})
    frame = pd.DataFrame(rows)
    frame["uren_totaal"] = frame["uren_gemeente"] + frame["uren_adviesbureau"]
    frame["comparison"] = (frame["unit"] == "assen").astype("int64")
    return frame


ACHIEVED = [(84, 48, 24), (70, 44, 19), (35, 20, 10), (91, 40, 30), (14, 8, 4)]
HOURS = [2000.0, 1500.0, 600.0, 2500.0, 300.0]
SUPPORT = [8.0, 7.0, 5.0, 9.0, 3.0]


def test_comparison_units_are_left_out_of_the_unit_tables():
    units = _register(ACHIEVED, HOURS, SUPPORT, comparison=True)
    att = UNITS_MOD.unit_attainment(units, CB)
    assert "assen" not in set(att["unit"]) and len(att) == 15
    ch = UNITS_MOD.unit_characteristics(units, CB)
    assert list(ch["unit"]) == IDS
    # 2012-11-01 .. 2014-04-01 = 516 days; 516 / (365.25 / 12) months
    assert ch["project_months"].iloc[0] == pytest.approx(516 / (365.25 / 12))


def test_efficiency_and_association_by_hand():
    units = _register(ACHIEVED, HOURS, SUPPORT)
    eff = UNITS_MOD.unit_efficiency_table(units, CB)
    first = eff.iloc[0]
    assert first["hours"] == 2100.0 and first["placements"] == 72
    assert first["hours_per_placement"] == pytest.approx(2100 / 72)
    assert first["mean_attainment"] == pytest.approx(1.2)  # 84/70 = 48/40 = 24/20 = 1.2
    assoc = UNITS_MOD.unit_association(eff)
    # mean attainment ranks: u4 > u1 > u2 > u3 > u5, the same order as hours and support:
    # rho = 1, and exactly 2 of the 5! = 120 pairings reach |rho| = 1 -> p = 2/120.
    assert list(assoc["predictor"]) == ["hours", "draagvlak"]
    assert assoc["spearman_rho"].tolist() == pytest.approx([1.0, 1.0])
    assert assoc["p_val_exact"].tolist() == pytest.approx([2 / 120, 2 / 120])
    record, summary = UNITS_MOD.claim_support(assoc)
    # five units can only indicate, never prove: the strongest result is "indicative"
    assert record["claim"] == 6 and record["verdict"] == "indicative"
    assert summary["p_min_exact"] == pytest.approx(2 / 120)
    assert summary["power_note"] == "association_power_low"  # 2/120 < alpha = 0.05
    assert UNITS_MOD.power_note(2 / 24, 0.05) == "association_power_none"  # four units
    # reversing support gives rho = -1: not supported
    eff2 = eff.assign(draagvlak=eff["draagvlak"].to_numpy()[::-1] * 0 + [1, 2, 3, 0.5, 4])
    rec2, _ = UNITS_MOD.claim_support(UNITS_MOD.unit_association(eff2))
    assert rec2["verdict"] == "not_supported"


def test_association_not_computable_with_two_units():
    eff = UNITS_MOD.unit_efficiency_table(_register(ACHIEVED, HOURS, SUPPORT), CB)
    eff.loc[2:, "hours"] = np.nan
    assoc = UNITS_MOD.unit_association(eff)
    assert assoc.empty
    record, _ = UNITS_MOD.claim_support(assoc)
    assert record["verdict"] == "not_testable"


def test_target_claim_rule():
    # u1 and u4 meet all targets, u2 misses wep (19 < 20), u3 and u5 are below:
    # 2 of 5 exceed -> not more than half -> not supported.
    att = UNITS_MOD.unit_attainment(_register(ACHIEVED, HOURS, SUPPORT), CB)
    records, summary = UNITS_MOD.claim_targets(att)
    by = {(r["claim"], r["sensitivity"]): r for r in records}
    assert summary["n_exceed"] == 2 and summary["n_below"] == 3
    assert by[(5, None)]["verdict"] == "not_supported"
    # far below: u3 mean (0.5 + 0.5 + 0.5) = 0.5 is not < 0.5; u5 0.2 is -> one, not two
    assert summary["n_far_below"] == 1 and by[(9, None)]["verdict"] == "not_supported"
    # read as "behind, some far": three below, not two
    assert by[(9, "sensitivity_behind")]["verdict"] == "not_supported"
    # three exceed, two below -> claim 5 supported; u3 mean 0.5 not far, u5 far: claim 9 not
    achieved = [(84, 48, 24), (70, 44, 20), (35, 20, 10), (91, 40, 30), (14, 8, 4)]
    records, summary = UNITS_MOD.claim_targets(
        UNITS_MOD.unit_attainment(_register(achieved, HOURS, SUPPORT), CB))
    by = {(r["claim"], r["sensitivity"]): r for r in records}
    assert summary["n_exceed"] == 3 and by[(5, None)]["verdict"] == "supported"
    assert by[(9, None)]["verdict"] == "not_supported"
    assert by[(9, "sensitivity_behind")]["verdict"] == "supported"
    assert summary["units_below"] == [CB.units[2].name, CB.units[4].name]


def test_prorated_targets_follow_the_register_dates():
    # u2 ran 182 of the others' (median) 365 days: its targets shrink by 182/365, so 36
    # contacts meet a pro-rated target of 34.9; the durations come from the register dates
    achieved = [(84, 48, 24), (36, 21, 11), (35, 20, 10), (91, 40, 30), (14, 8, 4)]
    units = _register(achieved, HOURS, SUPPORT)
    start = pd.Timestamp("2012-11-01")
    units["startdatum"] = start
    units["einddatum"] = start + pd.Timedelta(days=365)
    units.loc[units["unit"] == CB.units[1].id, "einddatum"] = start + pd.Timedelta(days=182)
    pro = UNITS_MOD.prorated_attainment(units, CB)
    row = pro[(pro["unit"] == CB.units[1].id) & (pro["indicator"] == "contacten")].iloc[0]
    assert row["target"] == pytest.approx(70 * 182 / 365)
    records, _ = UNITS_MOD.claim_targets(UNITS_MOD.unit_attainment(units, CB), pro)
    by = {(r["claim"], r["sensitivity"]): r for r in records}
    assert by[(5, None)]["estimate"] == 2 and by[(5, None)]["verdict"] == "not_supported"
    assert by[(5, "sensitivity_prorated")]["estimate"] == 3
    assert by[(5, "sensitivity_prorated")]["verdict"] == "supported"


def test_unit_survey_rates_and_empty_unit():
    js = pd.DataFrame({
        "gemeente": [IDS[0]] * 4 + [IDS[1]] * 2,
        "werktop": [1, 1, 1, 0, 1, 0],
        "werk_regulier": [1, 0, np.nan, 0, 1, 1],
        "werk_any": [1, 1, 0, 0, 1, 1],
    })
    table = UNITS_MOD.unit_survey(js, CB)
    assert len(table) == 2 * len(IDS)
    r = table[(table["unit"] == IDS[0]) & (table["group"] == "werktop")].iloc[0]
    assert (r["n"], r["n_valid_regular"], r["n_regular"]) == (3, 2, 1)
    assert r["p_regular"] == pytest.approx(0.5) and r["p_any"] == pytest.approx(2 / 3)
    empty = table[table["unit"] == IDS[4]]
    assert (empty["n"] == 0).all() and empty["p_regular"].isna().all()
    none = UNITS_MOD.unit_survey(None, CB)
    assert (none["n"] == 0).all()


def _interviews() -> pd.DataFrame:
    return pd.DataFrame({
        "fragment_id": ["F1", "F2", "F3", "F4", "F5"],
        "gemeente": [IDS[0], IDS[0], IDS[1], IDS[1], IDS[0]],
        "thema": [1, 1, 2, 5, 5],
        "code": ["a", "b", "a2", "voortzetten_twijfel", "borging_x"],
        "parafrase": ["p1", "p2", "p3", "p4", "p5"],
    })


def test_interview_matrix_codes_and_continuation():
    iv = _interviews()
    matrix = MUN_MOD.interview_matrix(iv, CB)
    n_themes = len(CB.instruments["interviews"].variable("thema").codes)
    assert len(matrix) == len(IDS) * n_themes  # every unit x theme, zeros kept
    cell = matrix[(matrix["unit"] == IDS[0]) & (matrix["theme"] == 1)].iloc[0]
    assert (cell["n_fragments"], cell["n_codes"], cell["n_unit_fragments"]) == (2, 2, 3)
    assert matrix.loc[matrix["unit"] == IDS[4], "n_fragments"].sum() == 0
    codes = MUN_MOD.interview_codes(iv, CB)
    assert len(codes) == 5 and codes.iloc[0]["theme"] == 1
    cont = MUN_MOD.interview_continuation(iv, CB).set_index("unit")
    assert cont.loc[IDS[1], "intention"] == "twijfel" and cont.loc[IDS[1], "paraphrase"] == "p4"
    assert pd.isna(cont.loc[IDS[0], "intention"]) and cont.loc[IDS[0], "safeguards"] == "borging_x"


def test_comparison_figures_and_features():
    figs = ASSEN_MOD.comparison_figures(_register(ACHIEVED, HOURS, SUPPORT, comparison=True), CB)
    assen = figs.iloc[-1]
    assert assen["unit"] == "assen" and assen["comparison"] == 1
    assert math.isnan(assen["contacts"]) and math.isnan(assen["hours"])
    assert assen["placements_per_caseload"] == pytest.approx(1000 * 100 / 2000)
    feats = ASSEN_MOD.comparison_features(CB)
    assert set(feats["approach"]) == {"werktop", "assen"}
    assert feats["value_nl"].notna().all()


# ----------------------------------------------------------------------------- rendered


@pytest.fixture(scope="module")
def out(example_outputs) -> Path:
    return example_outputs


def test_report_shows_the_three_chapters_from_results(out):
    html = (out / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    stats = json.loads((out / "results" / "stats.json").read_text())
    tables = out / "results" / "tables"
    for key in ("units", "municipalities", "appendix_assen"):
        assert f'id="{key}"' in html
    eff = pd.read_csv(tables / "unit_efficiency.csv")
    assert fmt_number(eff["hours_per_placement"].iloc[0], 1, "nl") in html
    assoc = pd.read_csv(tables / "unit_association.csv")
    assert fmt_number(assoc["spearman_rho"].iloc[0], 2, "nl") in html
    assert {c["claim"] for c in stats["units"]["claims"]} == {5, 6, 9}
    # synthetic scenario: three units exceed, Zaanstad and MUG stay below (SCENARIO.md)
    assert stats["units"]["targets_claim"]["n_exceed"] == 3
    figs = pd.read_csv(tables / "comparison_figures.csv")
    assert "assen" in set(figs["unit"]) and "Assen" in html
    assert fmt_int(figs.loc[figs["unit"] == "assen", "population"].iloc[0], "nl") in html
    survey = pd.read_csv(tables / "unit_survey.csv")
    assert fmt_pct_kind(survey["p_regular"].iloc[0], "share", "nl") in html
    matrix = pd.read_csv(tables / "interview_matrix.csv")
    truth = json.loads((PROJECT_ROOT / "data/raw/example/truth.json").read_text())
    per_unit = matrix.groupby("unit")["n_fragments"].sum().to_dict()
    assert per_unit == truth["files"]["interviews"]["fragments_per_unit"]
    assert stats["municipalities"]["n_stop"] == 1  # MUG: voortzetten = nee in the scenario


def test_chapter_specs_declare_their_tables():
    assert {t.name for t in CHAPTERS["units"].tables} >= {"unit_efficiency", "unit_association"}
    assert CHAPTERS["municipalities"].sources == ("interviews",)
    assert CHAPTERS["appendix_assen"].kind == "appendix"


# ------------------------------------------------------- results for the render fixtures


def write_chapter_results(tables_dir: Path, stats: dict) -> None:
    """Results of the units, municipalities and Assen chapters from small in-memory frames,
    for the render and plot tests' hand-made results (tests/test_render.py)."""
    from pipeline.report.chapter import AnalysisInputs

    frames = {"units": _register(ACHIEVED, HOURS, SUPPORT, comparison=True),
              "interviews": _interviews(),
              "jobseekers": pd.DataFrame({"gemeente": IDS, "werktop": [1, 0, 1, 0, 1],
                                          "werk_regulier": [1, 0, 0, 1, 0],
                                          "werk_any": [1, 0, 1, 1, 0]})}  # fmt: skip
    inputs = AnalysisInputs(data=frames.__getitem__, codebook=CB, plan=None, alpha=0.05,
                            multiplicity="holm", seed=1, study={})  # fmt: skip
    for key in ("units", "municipalities", "appendix_assen"):
        res = CHAPTERS[key].analyze(inputs)
        for name, table in res.tables.items():
            if not (tables_dir / f"{name}.csv").exists():  # keep the caller's own tables
                table.to_csv(tables_dir / f"{name}.csv", index=False)
        for top, values in res.stats.items():
            merged = stats.setdefault(top, {})
            for k, v in values.items():
                merged.setdefault(k, v)


CHAPTER_FIGURES = ("unit_scatter_hours", "unit_scatter_support")


def test_a_quote_never_shows_a_redaction_marker():
    assert MUN_MOD.without_redactions(
        "Relatiemanager: Ondernemers zijn positief. Een kandidaat belde op [TELEFOON] en "
        "kreeg een afspraak.") == "Relatiemanager: Ondernemers zijn positief."
    assert MUN_MOD.without_redactions("Bel [TELEFOON].") is None
    codes = pd.Series(["Wethouder: Besluit volgt. Mail [E-MAIL] voor info.",
                       "Relatiemanager: Besluit volgt later."])
    # a paraphrase that needs no cut wins over the first one
    assert MUN_MOD._example(codes) == "Relatiemanager: Besluit volgt later."
    assert MUN_MOD._example(codes[:1]) == "Wethouder: Besluit volgt."
