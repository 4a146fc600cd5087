"""The whole pipeline on the shipped example study, into a temporary directory.

Checks the outputs' content against the scenario's truth file (written by the generator
from what it planted, independently of the pipeline's parsing), not just their existence.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from pipeline.cli import main
from pipeline.study.config import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "studies" / "example.toml"
TRUTH = json.loads((PROJECT_ROOT / "data" / "raw" / "example" / "truth.json").read_text())
SURVEYS = {"employers": "employers", "candidates": "candidates", "control": "control"}


def _run(out: Path) -> Path:
    assert main(["run", "--config", str(CONFIG), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def out(example_outputs) -> Path:
    return example_outputs


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_stage_wrote_its_outputs(out):
    expected = [
        "data/interim/ingested/control.csv", "data/interim/validation_report.csv",
        "data/interim/exclusions.csv", "data/interim/sample_flow.csv",
        "data/interim/candidates.csv", "data/processed/jobseekers.csv",
        "data/processed/datapackage.json", "results/stats.json",
        "results/tables/unit_attainment.csv", "results/tables/employment_comparison.csv",
        "figures/unit_attainment.png", "figures/unit_attainment.svg",
        "reports/werktop_report.html", "reports/werktop_report.pdf",
    ]
    missing = [f for f in expected if not (out / f).is_file()]
    assert not missing
    # no temporary files left behind by the atomic writers
    assert not [p for p in out.rglob("*.tmp")]


def test_row_accounting_matches_what_was_planted(out):
    flow = pd.read_csv(out / "data/interim/sample_flow.csv", keep_default_na=False)
    for instrument, key in SURVEYS.items():
        truth = TRUTH["files"][key]
        rows = flow[flow["instrument"] == instrument]
        n = dict(zip(rows["step"] + ":" + rows["reason"], rows["n"], strict=True))
        assert n["raw:"] == truth["rows_in_file"]
        assert n["kept:"] == truth["expected_clean_respondents"]
        assert n.get("excluded:duplicate", 0) == _count(truth["duplicates"])
        assert n.get("excluded:test_row", 0) == _count(truth["test_rows"])
        assert n.get("excluded:break_off", 0) == _count(truth["breakoffs"])
        assert n.get("excluded:ineligible", 0) == _count(truth.get("ineligible", 0))
        assert n["raw:"] == n["kept:"] + rows.loc[rows["step"] == "excluded", "n"].sum()
        cleaned = pd.read_csv(out / f"data/interim/{instrument}.csv")
        assert len(cleaned) == n["kept:"]
        assert cleaned["respondent"].is_unique


def _count(entry) -> int:
    return entry["count"] if isinstance(entry, dict) else int(entry)


def test_exclusions_log_and_cleaned_data_partition_the_raw_rows(out):
    ex = pd.read_csv(out / "data/interim/exclusions.csv", keep_default_na=False)
    for instrument, key in SURVEYS.items():
        kept = pd.read_csv(out / f"data/interim/{instrument}.csv")["source_row"]
        excluded = ex.loc[ex["instrument"] == instrument, "row"]
        rows = sorted([*kept, *excluded])
        first = 1 if instrument == "candidates" else 2  # SPSS cases count from 1
        assert rows == list(range(first, first + TRUTH["files"][key]["rows_in_file"]))


def test_out_of_range_values_are_logged_and_set_to_missing(out):
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    for instrument, key in SURVEYS.items():
        planted = TRUTH["files"][key]["out_of_range"]
        got = report[(report["instrument"] == instrument) & (report["issue"] == "out_of_range")]
        assert len(got) == sum(len(cases) for cases in planted.values())
        assert set(got["action"]) == {"set_missing"}
        assert sorted(got["column"].str.strip().str.lower()) == sorted(
            col for col, cases in planted.items() for _ in cases
        )


def test_label_typos_are_set_to_missing_with_a_suggestion(out):
    report = pd.read_csv(out / "data/interim/validation_report.csv", keep_default_na=False)
    for instrument, key in SURVEYS.items():
        planted = TRUTH["files"][key]["label_typos"]["cells"]
        got = report[(report["instrument"] == instrument) & (report["issue"] == "unknown_label")]
        assert sorted(got["value"]) == sorted(c["value"] for c in planted)
        assert set(got["action"]) <= {"set_missing"}
        assert (got["suggestion"] != "").all()


def test_headline_comparison_reproduces_the_realised_truth(out):
    stats = json.loads((out / "results/stats.json").read_text())
    emp = stats["employment"]["werk_regulier"]
    real = TRUTH["realised"]
    assert emp["p_treated"] == pytest.approx(real["candidates"]["share_regular_job"], abs=1e-12)
    assert emp["p_control"] == pytest.approx(real["control"]["share_regular_job"], abs=1e-12)
    assert emp["n_treated"] + 0 <= real["candidates"]["n"]
    # the true effect is positive and large: the CI excludes 0; the crude comparison is
    # descriptive (no multiplicity correction: Holm runs over the adjusted estimates, where
    # it keeps the effect significant)
    assert emp["rd_ci_low"] > 0 and emp["p_val"] < stats["study"]["alpha"]
    assert "p_adj" not in emp
    # the family's correction runs over the primary (doubly robust) rows
    effects = stats["jobseekers"]["effects"]["werk_regulier"]
    primary = next(e for e in effects.values() if e.get("primary"))
    assert primary["p_val"] <= primary["p_adj"] < stats["study"]["alpha"]
    for scale in ("zoekgedrag", "eigen_effectiviteit", "bejegening"):
        got = stats["scales"][f"scale_{scale}"]
        assert got["mean_treated"] == pytest.approx(real["candidates"]["scale_means"][scale])
        assert got["mean_control"] == pytest.approx(real["control"]["scale_means"][scale])
    assert stats["study"]["synthetic"] is True
    assert stats["units"]["units_exceeding_all"] == ["Hilversum", "Lansingerland", "Doetinchem"]


def test_unit_table_has_targets_and_attainment(out):
    table = pd.read_csv(out / "results/tables/unit_attainment.csv")
    assert len(table) == 15 and set(table["target"]) == {70, 40, 20}
    mug = table[(table["unit"] == "mug") & (table["indicator"] == "regulier")].iloc[0]
    assert mug["achieved"] == 11 and mug["attainment"] == pytest.approx(11 / 40)


def test_report_shows_notice_units_and_comparison_from_results(out):
    html = (out / "reports/werktop_report.html").read_text(encoding="utf-8")
    assert "synthetisch" in html.lower()
    for name in ("Hilversum", "Zaanstad", "Lansingerland", "Doetinchem", "MUG"):
        assert name in html
    stats = json.loads((out / "results/stats.json").read_text())
    pct = f"{stats['employment']['werk_regulier']['p_treated'] * 100:.1f}".replace(".", ",")
    assert f"{pct}%" in html  # Dutch formatting of a number that comes from stats.json
    assert not re.search(r"(src|href)=\"https?://", html)  # self-contained
    pdf = pypdf.PdfReader(io.BytesIO((out / "reports/werktop_report.pdf").read_bytes()))
    first = pdf.pages[0].extract_text()
    assert "synthetische gegevens" in first.lower()
    assert any("Hilversum" in p.extract_text() for p in pdf.pages)


def test_no_planted_personal_data_reaches_any_output(out):
    planted = TRUTH["planted_pii"]
    assert len(planted) >= 20
    forms = set()
    for value in planted:
        forms |= {value, re.sub(r"\s", "", value)}
    files = _files(out)
    pdf = pypdf.PdfReader(io.BytesIO(files.pop("reports/werktop_report.pdf")))
    texts = {name: data.decode("utf-8", errors="ignore") for name, data in files.items()}
    texts["pdf"] = "\n".join(p.extract_text() for p in pdf.pages)
    leaks = [(name, v) for name, text in texts.items() for v in forms if v in text]
    assert leaks == []
    # and redaction markers show the free text did pass through
    ingested = (out / "data/interim/ingested/control.csv").read_text(encoding="utf-8")
    assert "[BSN]" in ingested or "[IBAN]" in ingested or "[E-MAIL]" in ingested


def test_raw_respondent_ids_never_leave_ingest(out):
    raw_ids = re.compile(r"\b[EKC]\d{4}\b")
    for name, data in _files(out).items():
        if name.endswith((".csv", ".json", ".html")):
            assert not raw_ids.search(data.decode("utf-8")), name


def test_outputs_are_byte_identical_on_a_second_run(out, tmp_path):
    from pipeline.outputs.catalog import artifacts, instruments_of
    from pipeline.report.chapter import load_chapters
    from pipeline.study.config import OutputPaths, load_config

    again = _run(tmp_path / "again")
    dutch = artifacts(OutputPaths(out), instruments_of(load_config(CONFIG)), load_chapters(),
                      ["nl"])  # fmt: skip
    # (the shared run renders the English report too: its files are not in a Dutch run)
    listed = {a.path.relative_to(out).as_posix() for a in dutch}
    first = {name: data for name, data in _files(out).items() if name in listed}
    second = _files(again)
    assert first.keys() == second.keys()
    # The catalog marks the one file that varies: the run summary (durations).
    varies = {a.path.relative_to(out).as_posix() for a in dutch if not a.reproducible}
    assert varies == {"logs/run_summary.json"}
    differing = [name for name in first if first[name] != second[name] and name not in varies]
    assert differing == []


@pytest.mark.parametrize("folder", ["data/interim", "data/processed"])
def test_datapackage_describes_every_column_with_types_and_labels(out, folder):
    package = json.loads((out / folder / "datapackage.json").read_text())
    assert package["resources"]
    for resource in package["resources"]:
        frame = pd.read_csv(out / folder / resource["path"], keep_default_na=False, dtype=str)
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        assert list(fields) == list(frame.columns), resource["name"]
        for name, field in fields.items():
            assert field.get("description") or field.get("title"), (resource["name"], name)
            values = frame[name][frame[name] != ""]
            if field["type"] == "integer":
                assert values.str.fullmatch(r"-?\d+").all(), (resource["name"], name)
            elif field["type"] == "number":
                assert pd.to_numeric(values).notna().all(), (resource["name"], name)
            elif field["type"] == "date":
                assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (resource["name"], name)
            if "categories" in field:
                allowed = {str(c["value"]) for c in field["categories"]}
                assert set(values) <= allowed, (resource["name"], name)
    processed = {r["name"]: r for r in package["resources"]}
    if folder == "data/processed":
        werkstatus = next(
            f for f in processed["jobseekers"]["schema"]["fields"] if f["name"] == "werkstatus"
        )
        assert werkstatus["categories"][0] == {
            "value": 1, "label": "Betaalde baan", "label_en": "Regular paid job",
        }


def test_holm_adjustment_across_the_outcome_family_by_hand(out):
    stats = json.loads((out / "results/stats.json").read_text())
    family = stats["outcome_family"]
    assert family["method"] == "holm" and family["size"] == len(family["members"]) == 7
    # the correction runs over the primary estimates (the doubly robust ATT, multiply
    # imputed), one per outcome, marked in the `primary` column
    effects = pd.read_csv(out / "results/tables/jobseekers_effects.csv")
    primary = effects[effects["p_adj"].notna()]
    assert list(primary["outcome"]) == family["members"]
    assert set(primary["method"]) == {"doubly_robust"}
    assert primary["primary"].all() and effects["primary"].sum() == len(primary)
    p = dict(zip(primary["outcome"], primary["p_val"], strict=True))
    got = dict(zip(primary["outcome"], primary["p_adj"], strict=True))
    # Holm (1979): sort ascending, multiply the j-th smallest by (m - j + 1), cap at 1,
    # then make the sequence non-decreasing.
    m = len(p)
    running = 0.0
    for j, (name, value) in enumerate(sorted(p.items(), key=lambda kv: kv[1]), start=1):
        running = max(running, min(1.0, (m - j + 1) * value))
        assert got[name] == pytest.approx(running, rel=1e-12), name


def test_jobseekers_chapter_states_adjusted_estimates_beside_the_planted_truth(out):
    stats = json.loads((out / "results/stats.json").read_text())
    js = stats["jobseekers"]
    truth = TRUTH["true_att_regular_job"]
    assert js["truth"]["conditional_or"] == truth["conditional_odds_ratio"]
    assert js["truth"]["att_rd"] == truth["clean_candidates"]["risk_difference"]
    claims = {c["claim"]: c for c in js["claims"]}
    assert set(claims) == {1, 2, 3, 4, 8}
    one = claims[1]
    # decided by the primary (doubly robust) estimate: its truth is the marginal ATT OR
    planted = truth["clean_candidates"]["marginal_odds_ratio"]
    assert one["measure"] == "att_or_dr" and one["truth"] == pytest.approx(planted)
    assert one["ci_low"] < one["estimate"] < one["ci_high"]
    assert one["covered"] is (one["ci_low"] <= planted <= one["ci_high"])
    assert claims[8]["verdict"] == "not_testable"
    # the adjusted OR is closer to the planted conditional OR than the crude one
    adj = js["effects"]["werk_regulier"]["adjusted_odds_ratio"]
    crude = js["effects"]["werk_regulier"]["crude_odds_ratio"]
    assert abs(math.log(adj["estimate"] / 2.0)) < abs(math.log(crude["estimate"] / 2.0))
    assert adj["n_used"] + adj["n_missing"] == js["n_treated"] + js["n_control"]
    # the report prints it, formatted from results/
    html = (out / "reports/werktop_report.html").read_text(encoding="utf-8")
    assert 'id="jobseekers"' in html
    text = re.sub(r"<[^>]+>", "", html)  # statistics sit in their data-stat anchors
    assert ("voorwaardelijke odds ratio van " + f"{adj['estimate']:.2f}".replace(".", ",")
            in text)  # fmt: skip
    # every estimate with a planted value is printed beside it
    effects = pd.read_csv(out / "results/tables/jobseekers_effects.csv")
    assert effects["truth"].notna().sum() >= 8
    assert "Synthetische gegevens" in html or "synthetische gegevens" in html


@pytest.mark.parametrize("folder", ["data/interim", "data/processed", "results/tables"])
def test_data_packages_pass_frictionless_validate(out, folder):
    # The real validator (frictionless-py, as `frictionless validate <package>` runs it):
    # types, constraints and categories of every field are checked against every cell.
    from frictionless import Package

    report = Package(str(out / folder / "datapackage.json")).validate()
    errors = [e.message for task in report.tasks for e in task.errors][:5]
    assert report.valid, errors
    assert len(report.tasks) >= 4


def test_catalog_lists_exactly_the_files_a_run_writes(out):
    from pipeline.outputs.catalog import artifacts, instruments_of
    from pipeline.report.chapter import load_chapters
    from pipeline.study.config import OutputPaths, load_config

    config = load_config(CONFIG)
    listed = {
        a.path.relative_to(out).as_posix()
        # the shared run renders the English report too (tests/conftest.py)
        for a in artifacts(OutputPaths(out), instruments_of(config), load_chapters(),
                           ["nl", "en"])
    }
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert listed == written


def test_a_sample_of_report_numbers_traces_to_the_results(out):
    """Numbers picked from results/ (stats.json and tables), formatted the Dutch way,
    appear in the report: the templates format what the analysis wrote."""
    from pipeline.report.formatting import fmt_ci, fmt_int, fmt_number, fmt_pct, fmt_pp

    html = (out / "reports/werktop_report.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(
        r"<style>.*?</style>", " ", html, flags=re.S)))
    text = text.replace("\u00a0", " ")
    stats = json.loads((out / "results/stats.json").read_text())
    emp = stats["employment"]["werk_regulier"]
    effects = stats["jobseekers"]["effects"]["werk_regulier"]["adjusted_odds_ratio"]
    units = pd.read_csv(out / "results/tables/unit_attainment.csv")
    first_unit = units.iloc[0]
    flow = pd.read_csv(out / "results/tables/sample_flow.csv", keep_default_na=False)
    raw_control = flow.query("instrument == 'control' and step == 'raw'")["n"].item()
    expected = [
        fmt_int(stats["n"]["candidates"]),
        fmt_int(raw_control),
        fmt_pct(emp["p_treated"], 1),
        fmt_pct(emp["p_control"], 1),
        fmt_pp(emp["risk_difference"], 1),
        fmt_ci(emp["rd_ci_low"], emp["rd_ci_high"], 1, percent=True),
        fmt_number(effects["estimate"], 2),
        fmt_ci(effects["ci_low"], effects["ci_high"], 2),
        fmt_pct(first_unit["attainment"], 0),
        fmt_number(stats["scales"]["scale_zoekgedrag"]["mean_treated"], 2),
    ]
    missing = [value for value in expected if value not in text]
    assert missing == []
