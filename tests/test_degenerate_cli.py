"""Degenerate studies are results, not crashes (issue 21): through the whole command line.

Each case makes a small simulated study degenerate the way a user's data would be — one
respondent per group (rows excluded in the study config), a scale or an outcome that
nobody in a group answered (columns blanked in the export), an employer survey of three
respondents — and checks what the user sees: exit code 0, no traceback, "not estimable"
with its reason in the results table's ``note``, in ``stats.json`` and in the report, and
"not testable" for a claim that rests on such a number. The analysis-level behaviour is
tested in tests/test_analysis_estimability.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.inputs.readers import read_export
from synthetic import simulate_study

SCALE_ITEMS = ("ze_lukt", "ze_gesprek", "ze_tegenslag", "ze_twijfel", "ze_vaardigheden",
               "ze_onzeker")  # fmt: skip
OUTCOMES = ("werk_regulier", "werk_any", "sollicitaties_4wk", "scale_zoekgedrag",
            "scale_eigen_effectiviteit", "scale_bejegening", "tevreden_meerwaarde")  # fmt: skip
MODEL_METHODS = ("adjusted", "adjusted_cc", "weighted")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, Path]:
    """A small simulated study and its cleaned data (which raw rows are respondents)."""
    root = tmp_path_factory.mktemp("degenerate")
    simulate_study(root / "study", seed=5, scale=0.05)
    cleaned = root / "cleaned"
    for stage in ("ingest", "validate", "clean"):
        assert main(["-q", stage, "--config", str(root / "study" / "study.toml"),
                     "--out", str(cleaned)]) == 0  # fmt: skip
    return root / "study", cleaned


def _copy(base: tuple[Path, Path], tmp_path: Path) -> Path:
    study = tmp_path / "study"
    shutil.copytree(base[0], study)
    return study


def _keep_only(study: Path, name: str, fmt: str, keep_rows: set[int], **options: str) -> None:
    """Exclude every row of export ``name`` but ``keep_rows`` (raw row numbers) in the
    study config, by its respondent id: ``[inputs.<input>.exclude] <id column> = [...]``."""
    raw = read_export(study / name, fmt, **options)
    position = next(i for i, c in enumerate(raw.columns) if c.strip().lower() == "respondent_id")
    ids = list(raw.column(position))
    keep = {ids[i] for i, row in enumerate(raw.row_numbers) if row in keep_rows}
    assert len(keep) == len(keep_rows)
    drop = ", ".join(json.dumps(v) for v in ids if v not in keep)
    inputs = {"kandidaten.sav": "candidates", "controlegroep.csv": "control",
              "ondernemers.xlsx": "employers"}[name]  # fmt: skip
    config = study / "study.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f"\n[inputs.{inputs}.exclude]\n{raw.columns[position]} = [{drop}]\n",
                      encoding="utf-8")  # fmt: skip


def _blank_control(study: Path, columns: tuple[str, ...]) -> None:
    """Blank ``columns`` in every record of the control group's export."""
    path = study / "controlegroep.csv"
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    header = [c.strip().lower() for c in lines[0].split(";")]
    positions = [header.index(c) for c in columns]
    for i, line in enumerate(lines[1:], start=1):
        if line:
            cells = line.split(";")
            for p in positions:
                cells[p] = ""
            lines[i] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))


def _run(study: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "-q", *extra, "--config", str(study / "study.toml"),
         "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return result


def _run_study(study: Path, out: Path) -> tuple[pd.DataFrame, dict, str]:
    """Run the study; the effects table, stats.json and the Dutch report as plain text."""
    _run(study, out, "run")
    effects = pd.read_csv(out / "results" / "tables" / "jobseekers_effects.csv",
                          keep_default_na=False, na_values=[""])  # fmt: skip
    stats = json.loads((out / "results" / "stats.json").read_text(encoding="utf-8"))
    return effects, stats, _report_text(out / "reports" / "werktop_report.html")


def _report_text(path: Path, section: str | None = None) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    if section is not None:
        html = re.search(rf'<section class="chapter" id="{section}">.*?</section>', html,
                         flags=re.S).group(0)  # fmt: skip
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _notes(effects: pd.DataFrame, outcome: str, methods: tuple[str, ...]) -> list[str]:
    rows = effects[(effects["outcome"] == outcome) & effects["method"].isin(methods)]
    assert set(rows["method"]) == set(methods)
    return list(rows["note"])


def _claim(stats: dict, claim: int) -> dict:
    return next(c for c in stats["jobseekers"]["claims"] if c["claim"] == claim)


# ------------------------------------------------------------------ the cases
def test_one_respondent_per_group_is_too_few_respondents_not_a_crash(base, tmp_path):
    study = _copy(base, tmp_path)
    cleaned = base[1] / "data" / "interim"
    candidates = pd.read_csv(cleaned / "candidates.csv")
    control = pd.read_csv(cleaned / "control.csv")
    unit = sorted(set(candidates["gemeente"]) & set(control["gemeente"]))[0]
    _keep_only(study, "kandidaten.sav", "sav",
               {int(candidates.loc[candidates["gemeente"] == unit, "source_row"].iloc[0])})
    _keep_only(study, "controlegroep.csv", "csv",
               {int(control.loc[control["gemeente"] == unit, "source_row"].iloc[0])})
    out = tmp_path / "out"
    effects, stats, report = _run_study(study, out)

    assert (stats["jobseekers"]["n_treated"], stats["jobseekers"]["n_control"]) == (1, 1)
    for outcome in OUTCOMES:  # no model has more respondents than parameters
        for note in _notes(effects, outcome, MODEL_METHODS):
            assert note.startswith("not estimable (too few respondents"), (outcome, note)
    listed = stats["jobseekers"]["not_estimable"]
    assert {e["table"] for e in listed} >= {"jobseekers_effects", "jobseekers_weights",
                                            "jobseekers_applications", "scale_comparison"}
    assert {e["reason"] for e in listed} == {"too_few_respondents"}
    assert stats["jobseekers"]["weighting"]["not_estimable"].startswith("not estimable")
    for claim in (1, 2, 3, 4):
        record = _claim(stats, claim)
        assert record["verdict"] == "not_testable" and record["reason"] == "too_few_respondents"
    assert "niet schatbaar: te weinig respondenten" in report
    assert "Niet toetsbaar: ‘In een betaalde baan’ is niet schatbaar (te weinig respondenten)" \
        in report
    # and in English
    for stage in ("plot", "render"):
        _run(study, out, stage, "--lang", "en")
    english = _report_text(out / "reports" / "werktop_report_en.html")
    assert "not estimable: too few respondents" in english
    assert "Propensity-score weighting — not estimable: too few respondents." in english


def test_a_scale_whose_items_are_all_missing_is_not_estimable(base, tmp_path):
    # (missing in both groups: tests/test_chapter_jobseekers.py, imputation and estimates)
    study = _copy(base, tmp_path)
    _blank_control(study, SCALE_ITEMS)
    effects, stats, report = _run_study(study, tmp_path / "out")

    expected = "not estimable (outcome missing in a group: no control respondent has a value)"
    assert _notes(effects, "scale_eigen_effectiviteit", ("crude", *MODEL_METHODS)) \
        == [expected] * 4
    assert stats["scales"]["scale_eigen_effectiviteit"]["note"] == expected
    # the other scales are estimated as usual
    adjusted = effects[(effects["outcome"] == "scale_bejegening")
                       & (effects["method"] == "adjusted")].iloc[0]  # fmt: skip
    assert pd.notna(adjusted["estimate"]) and pd.isna(adjusted["note"])
    record = _claim(stats, 3)
    assert record["verdict"] == "not_testable" and record["evidence"] == "not_estimable"
    assert record["reason"] == "outcome_missing"
    assert "Geloof in eigen kunnen (1-5) — niet schatbaar: de uitkomst ontbreekt in een groep." \
        in report
    assert "Niet toetsbaar: ‘Geloof in eigen kunnen (1-5)’ is niet schatbaar (de uitkomst " \
        "ontbreekt in een groep)" in report


def test_an_outcome_missing_for_one_group_is_not_estimable(base, tmp_path):
    study = _copy(base, tmp_path)
    _blank_control(study, ("sollicitaties_4wk",))
    effects, stats, report = _run_study(study, tmp_path / "out")

    for note in _notes(effects, "sollicitaties_4wk", ("crude", *MODEL_METHODS)):
        assert note == ("not estimable (outcome missing in a group: no control respondent "
                        "has a value)")
    applications = [e for e in stats["jobseekers"]["not_estimable"]
                    if e["table"] == "jobseekers_applications"]  # fmt: skip
    assert [(e["what"], e["reason"]) for e in applications] == [
        ("crude", "outcome_missing"), ("adjusted", "outcome_missing")]
    table = pd.read_csv(tmp_path / "out" / "results" / "tables" / "jobseekers_applications.csv")
    assert table["rate_ratio"].isna().all() and (table["n_control"] == 0).all()
    assert _claim(stats, 2)["reason"] == "outcome_missing"
    assert "Sollicitaties in de afgelopen 4 weken — niet schatbaar: de uitkomst ontbreekt in " \
        "een groep." in report
    assert report.count("Poisson (robuust) ruw") == 1


def test_an_employer_survey_of_three_respondents_reports_small_cells(base, tmp_path):
    study = _copy(base, tmp_path)
    employers = pd.read_csv(base[1] / "data" / "interim" / "employers.csv")
    unit = employers["gemeente"].value_counts().index[0]  # three employers of one unit
    rows = set(employers.loc[employers["gemeente"] == unit, "source_row"].iloc[:3].astype(int))
    _keep_only(study, "ondernemers.xlsx", "xlsx", rows, sheet="Enquete ondernemers")
    out = tmp_path / "out"
    _, stats, _ = _run_study(study, out)

    assert stats["employers"]["n"] == 3
    tests = pd.read_csv(out / "results" / "tables" / "employer_group_tests.csv")
    by_unit = tests[tests["factor"] == "unit"]
    assert (by_unit["test"] == "not_computable").all()
    assert by_unit["note"].str.startswith("not estimable (too few respondents").all()
    chapter = _report_text(out / "reports" / "werktop_report.html", "employers")
    assert "niet schatbaar: te weinig respondenten" in chapter
