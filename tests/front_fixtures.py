"""Results of the front matter, conclusions and appendix II for the render-stage fixtures.

``tests/test_render.py``'s ``write_results`` calls ``add_front_results`` so the fixture
results follow the contract of these chapters too (stats keys and results tables).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pandas as pd

from pipeline.report.chapter import chapter_module as load_chapter_module
from pipeline.report.chapter import load_chapters
from pipeline.report.claims import claim_record, value
from pipeline.study.config import OutputPaths

_CHAPTERS = {c.key: c for c in load_chapters()}


def chapter_module(key: str) -> ModuleType:
    """A chapter's ``chapter.py`` module (imported by ``load_chapters`` under this name)."""
    return load_chapter_module(key)


def fixture_claims() -> dict:
    """Claim records as the chapters write them: 1 supported (with truth), 5 not supported."""
    return {
        "jobseekers": {"claims": [
            claim_record(1, "supported", rule="direction_holm_signs", evidence="adjusted_one",
                         values={"alpha": value(0.05, "number2"),
                                 "outcome": value({"nl": "In een betaalde baan",
                                                   "en": "In a regular paid job"}, "text"),
                                 "crude": value(3.4769, "number2"),
                                 "weighted": value(3.2951, "number2")},
                         estimate=2.1736, ci_low=1.5982, ci_high=2.9561, p_adj=0.0000004,
                         measure="conditional_or", truth=2.0, outcome="werk_regulier"),
        ]},
        "units": {"claims": [
            claim_record(5, "not_supported", rule="rule_5", evidence="evidence_5",
                         values={"far": value(0.5, "pct"), "exceed": value(2, "int"),
                                 "total": value(5, "int"), "below": value(3, "int"),
                                 "far_below": value(1, "int"), "unknown": value(0, "int")},
                         estimate=2.0, total=5, measure="n_units_exceeding"),
        ]},
    }  # fmt: skip


def add_front_results(paths: OutputPaths, stats: dict) -> None:
    """Add the stats and tables of the chapters of the front-matter branch."""
    conclusions = chapter_module("conclusions")
    stats["provenance"] = {
        "algorithm": "SHA-256", "commit": "abc1234567-dirty", "dirty": True,
        "config_sha256": "0123456789ab",
        "data_sha256": "ba9876543210", "n_inputs": 5, "codebook_sha256": "c0ffee000000",
        "n_codebook": 9, "packages": {"pandas": "2.2.2", "numpy": "2.0.1"},
        "python": "3.11.7",
    }  # fmt: skip
    stats["summary"] = {"response": [
        {"instrument": "candidates", "label_nl": "Enquête kandidaten Werktop",
         "label_en": "Werktop candidate survey", "raw": 1269, "kept": 1234,
         "share_kept": 1234 / 1269},
    ]}  # fmt: skip
    stats["introduction"] = {
        "n_units": 5, "unit_names": ["Hilversum", "Zaanstad", "Lansingerland", "Doetinchem",
                                     "MUG"],
        "n_municipalities": 7, "targets": {"contacten": 70, "regulier": 40, "wep": 20},
    }  # fmt: skip
    earlier = {**stats, **fixture_claims()}
    table = conclusions.scorecard(earlier, {7: True})
    stats["conclusions"] = {
        "claims": conclusions.claim_summary(table),
        "n_supported": 1, "n_claims": 8,
        "key_effects": conclusions.key_effects(earlier, table),
        "values": conclusions.scorecard_values(earlier),
        "has_truth": True,
        "units_line": conclusions.units_line(stats),
        # the summary's prose (conclusions/headline.py); no register: no doelmatigheid
        "headline": importlib.import_module(
            conclusions.__name__.rsplit(".", 1)[0] + ".headline").headline(earlier),
        "efficiency": {"available": False},
    }  # fmt: skip
    table.to_csv(paths.tables / "claims_scorecard.csv", index=False)
    efficiency = next(t for t in conclusions.CHAPTER.tables if t.name == "conclusions_efficiency")
    pd.DataFrame(columns=list(efficiency.columns)).to_csv(
        paths.tables / "conclusions_efficiency.csv", index=False)
    appendix = _CHAPTERS["appendix_jobseekers"]
    specs = {t.name: t for t in appendix.tables}
    item = {"block": "background", "item": "geslacht", "question_nl": "Wat is uw geslacht?",
            "question_en": "What is your sex?"}  # fmt: skip
    rows = []
    for group, n in (("werktop", 600), ("control", 150)):
        for code, nl, en in ((1, "Man", "Male"), (2, "Vrouw", "Female")):
            rows.append({**item, "kind": "categorical", "group": group, "code": code,
                         "label_nl": nl, "label_en": en, "n": n // code,
                         "pct_all": 100 * (n // code) / 1000, "pct_valid": 50.0,
                         "n_valid": n + n // 2, "n_missing": 3, "pct_missing": 0.3,
                         "n_total": n + n // 2 + 3})  # fmt: skip
    pd.DataFrame(rows, columns=specs["appendix_jobseekers_categorical"].columns).to_csv(
        paths.tables / "appendix_jobseekers_categorical.csv", index=False)
    pd.DataFrame([{**item, "item": "leeftijd", "group": "werktop", "n": 900, "n_missing": 3,
                   "mean": 41.25, "sd": 9.5, "median": 41.0, "min": 18, "max": 64}],
                 columns=specs["appendix_jobseekers_numeric"].columns).to_csv(
        paths.tables / "appendix_jobseekers_numeric.csv", index=False)  # fmt: skip
    pd.DataFrame([{"block": "background", "item": "geslacht", "kind": "categorical",
                   "n_1": 900, "n_2": 225, "test": "chi2", "statistic": 1.5, "dof": 1,
                   "p_val": 0.22, "effect_size": 0.04, "effect_size_type": "cramers_v",
                   "p_adj": 0.4321, "note": ""}],
                 columns=specs["appendix_jobseekers_tests"].columns).to_csv(
        paths.tables / "appendix_jobseekers_tests.csv", index=False)  # fmt: skip
    stats["appendix_jobseekers"] = {"n_tested": 1, "n_items": 2}
