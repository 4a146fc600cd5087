"""Employers chapter and appendix I: analysis steps on small in-memory frames.

Expected numbers are hand counts on the frames below; Wilson bounds are the closed form
(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with z = 1.959964, computed by hand
(R's ``prop.test(x, n, correct = FALSE)$conf.int`` gives the same interval).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.report.chapter import AnalysisInputs, ViewInputs, chapter_module, load_chapters
from pipeline.study.plan import load_plan

CHAPTERS = {c.key: c for c in load_chapters()}


def _module(key):
    return chapter_module(key)


EMP = _module("employers")
APPX = _module("appendix_employers")


def _frame(n_units: int = 5) -> pd.DataFrame:
    """Ten employers; the last unit of the codebook ('mug') has nobody when n_units < 5."""
    units = ["hilversum", "zaanstad", "lansingerland", "doetinchem", "mug"][:n_units]
    rows = []
    for i in range(10):
        rows.append({
            "gemeente": units[i % len(units)],
            "sector": [1, 2, 3, 3, np.nan][i % 5],
            "bedrijfsgrootte": [1, 1, 2, 3, 4][i % 5],
            "ervaring_uitkering": [1, 0][i % 2],
            "start_contact": 1,
            "prettig_gesprek": [1, 0][i % 2],
            "aangenomen_regulier": [0, 1, 2, 0, np.nan][i % 5],
            "aangenomen_wep": [0, 0, 1, 0, 0][i % 5],
            "eval_behoefte": [5, 4, 4, 3, np.nan][i % 5],
            "eval_snelheid": 4,
            "eval_kandidaten": [2, 4][i % 2],
            "eval_administratie": [4, 2][i % 2],
            "eval_financieel": [1, 2][i % 2],
            "eval_aanbevelen": 5,
            "rm_bereikbaar": 4, "rm_kent_bedrijf": 4, "rm_afspraken": 5, "rm_aanspreekpunt": 5,
            "rm_cijfer": [7, 8, 6, 5, 9, 7, 8, np.nan, 7, 8][i],
            "knelpunt_administratie": [1, 1, 1, 0, 0, 1, 1, 0, 1, 0][i],
            "knelpunt_financieel": [1, 1, 0, 0, 1, 1, 0, 0, 1, 0][i],
            "knelpunt_match": [1, 0, 0, 0, 0, 0, 0, 0, 1, 0][i],
            "knelpunt_begeleiding": 0, "knelpunt_communicatie": 0,
            "knelpunt_geen": [0, 0, 0, 1, 0, 0, 0, 1, 0, 1][i],
            "doorgaan": [1, 1, 2, 3, 1][i % 5],
            "wensen": ["Minder papierwerk graag.", None, "Kandidaten beter selecteren.",
                       "", "Meer begeleiding en minder formulieren.", None, "Niets.",
                       None, None, None][i],
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["scale_evaluatie_aanpak"] = frame[["eval_behoefte", "eval_snelheid"]].mean(axis=1)
    frame["scale_relatiemanager"] = 4.5
    frame["n_knelpunten"] = frame[[c for c in frame if c.startswith("knelpunt_")
                                   and c != "knelpunt_geen"]].sum(axis=1)  # fmt: skip
    return frame


def _inputs(codebook, frame):
    return AnalysisInputs(
        data=lambda name: frame, codebook=codebook, plan=load_plan(codebook), alpha=0.05,
        multiplicity="holm", seed=1, study={"synthetic": True, "confidence": 0.95},
    )


@pytest.fixture(scope="module")
def results(codebook):
    return EMP.analyze(_inputs(codebook, _frame()))


def test_categories_hand_counts_codebook_order_and_missing_row(results):
    t = results.tables["employer_categories"]
    sector = t[t["variable"] == "sector"]
    assert list(sector["code"]) == ["1", "2", "3", "4", "5", "6", "7", "8", "missing"]
    assert list(sector["n"]) == [2, 2, 4, 0, 0, 0, 0, 0, 2]  # empty levels kept with 0
    handel = sector[sector["code"] == "3"].iloc[0]
    assert handel["pct_all"] == pytest.approx(40.0) and handel["pct_valid"] == pytest.approx(50.0)
    assert sector[sector["code"] == "missing"]["pct_all"].iloc[0] == pytest.approx(20.0)


def test_likert_missing_counts_as_na_and_percentages_of_valid(results):
    t = results.tables["employer_likert"]
    beh = t[t["item"] == "eval_behoefte"].set_index("level")
    assert beh.loc[5, "n"] == 2 and beh.loc[4, "n"] == 4 and beh.loc[1, "n"] == 0
    assert beh.loc[4, "pct"] == pytest.approx(50.0)  # 4 of 8 valid
    assert beh.loc[4, "n_na"] == 2 and beh.loc[4, "pct_na"] == pytest.approx(20.0)


def test_agree_share_with_wilson_interval(results):
    t = results.tables["employer_agree"].set_index("item")
    row = t.loc["eval_behoefte"]
    assert (row["n_agree"], row["n_valid"]) == (6, 8)
    # Wilson closed form, x = 6, n = 8: [0.4092754, 0.9285208]
    assert row["ci_low"] == pytest.approx(0.4092754, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.9285208, abs=1e-6)
    assert bool(t.loc["eval_administratie", "reverse"]) is True


def test_rating_total_and_empty_unit(codebook):
    res = EMP.analyze(_inputs(codebook, _frame(n_units=4)))
    r = res.tables["employer_rating"].set_index("unit")
    total = r.loc["total"]
    grades = [7, 8, 6, 5, 9, 7, 8, 7, 8]
    assert total["n"] == 9 and total["mean"] == pytest.approx(np.mean(grades))
    assert total["sd"] == pytest.approx(np.std(grades, ddof=1))
    assert total["n_pass"] == 8
    assert r.loc["mug", "n"] == 0 and math.isnan(r.loc["mug", "mean"])
    tests = res.tables["employer_group_tests"]
    assert (tests[tests["factor"] == "unit"]["k_empty"] == 1).all()


def test_hires_sum_share_and_mean(results):
    h = results.tables["employer_hires"]
    reg = h[(h["outcome"] == "aangenomen_regulier") & (h["unit"] == "total")].iloc[0]
    # values 0,1,2,0,NaN twice: n = 8, total 6, 4 employers with >= 1
    assert (reg["n"], reg["n_missing"], reg["total"], reg["n_any"]) == (8, 2, 6, 4)
    assert reg["p_any"] == pytest.approx(0.5) and reg["mean"] == pytest.approx(0.75)


def test_wishes_keyword_coding():
    coded = EMP.code_wishes(pd.Series(["Minder papierwerk", "Kandidaten beter selecteren",
                                       "Niets", None, ""]))  # fmt: skip
    assert coded.loc[0, "wens_administratie"] == 1 and coded.loc[0, "wens_aansluiting"] == 0
    assert coded.loc[1, "wens_aansluiting"] == 1
    assert coded.loc[2, "wens_overig"] == 1
    assert coded.loc[[3, 4]].isna().all().all()


def test_bottleneck_ranks_and_claim7(results):
    m = results.tables["employer_multiresponse"]
    knel = m[m["set"] == "knelpunten"].set_index("item")
    assert knel.loc["knelpunt_administratie", "count"] == 6
    assert knel.loc["knelpunt_administratie", "rank"] == 1
    assert knel.loc["knelpunt_financieel", "rank"] == 2
    assert pd.isna(knel.loc["knelpunt_geen", "rank"])
    wish = m[m["set"] == "wensen"].set_index("item")
    assert wish["n"].iloc[0] == 4  # four non-empty texts
    claim = results.stats["employers"]["claims"][0]
    assert claim["claim"] == 7 and claim["positive"] is True and claim["support"] is True
    # fit: 2 of 10; Wilson closed form: [0.05668215, 0.5098375]
    assert claim["fit_ci_low"] == pytest.approx(0.05668215, abs=1e-6)
    assert claim["fit"] is False and claim["verdict"] == "not_supported"


def test_claim7_not_testable_without_grades(codebook):
    frame = _frame()
    frame["rm_cijfer"] = np.nan
    res = EMP.analyze(_inputs(codebook, frame))
    assert res.stats["employers"]["claims"][0]["verdict"] == "not_testable"


def test_group_tests_bh_adjusted(results):
    from scipy.stats import false_discovery_control

    t = results.tables["employer_group_tests"]
    ok = t["p_val"].notna()
    assert np.allclose(t.loc[ok, "p_adj_bh"], false_discovery_control(t.loc[ok, "p_val"]))


def test_view_groups_rows(results, codebook):
    ctx = EMP.view(ViewInputs(results.tables, results.stats, {}, "nl"))
    assert [r["code"] for r in ctx["emp_categories"]["doorgaan"]] == ["1", "2", "3", "missing"]
    assert len(ctx["emp_rating"]) == len(codebook.units) + 1


def test_appendix_covers_every_closed_item(codebook):
    res = APPX.analyze(_inputs(codebook, _frame(n_units=4)))
    inst = codebook.instruments["employers"]
    closed = {v.name for v in inst.variables if v.type not in ("id", "date", "text", "unit")}
    items = set(res.tables["appendix_employer_items"]["item"])
    numeric = set(res.tables["appendix_employer_numeric"]["item"])
    assert items | numeric == closed and not items & numeric
    cats = res.tables["appendix_employer_items"]
    total = cats[(cats["item"] == "sector") & (cats["group"] == "total")]
    assert list(total["n"]) == [2, 2, 4, 0, 0, 0, 0, 0]
    assert (cats[cats["group"] == "mug"]["n_total"] == 0).all()  # empty unit kept
    tests = res.tables["appendix_employer_tests"]
    assert set(tests["item"]) == closed
    ctx = APPX.view(ViewInputs(res.tables, res.stats, {}, "nl"))
    assert [len(v) > 0 for v in ctx["appx_emp_blocks"].values()] == [True] * 5
