"""Render stage: HTML and PDF report from fixture results that follow the results contract."""

from __future__ import annotations

import html as html_lib
import io
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import example_run
from front_fixtures import add_front_results
from test_chapter_units import write_chapter_results

from pipeline.outputs.io import read_json, write_json
from pipeline.report.chapter import load_chapters
from pipeline.report.numbering import References
from pipeline.report.pdf_cache import pdf_cache_path
from pipeline.report.strings import STRINGS_DIR
from pipeline.stages.render import inline_svg, load_inputs, render_html, render_report
from pipeline.study.config import OutputPaths
from pipeline.study.errors import UserError

CHAPTERS = load_chapters()
FIGURES = [f.name for c in CHAPTERS for f in c.figures]
#: Every strings file: the shared one and each chapter's, as (folder, stem) pairs.
STRING_FOLDERS = [STRINGS_DIR, *(c.directory for c in CHAPTERS)]

UNITS = [
    ("hilversum", "Hilversum"),
    ("zaanstad", "Zaanstad"),
    ("lansingerland", "Lansingerland"),
    ("doetinchem", "Doetinchem"),
    ("mug", "MUG"),
]
TARGETS = {"contacten": 70, "regulier": 40, "wep": 20}
ACHIEVED = {
    "hilversum": (112, 51, 24),
    "zaanstad": (45, 12, 9),
    "lansingerland": (88, 43, 22),
    "doetinchem": (74, 47, 31),
    "mug": (30, 6, 4),
}


def employment_rows() -> list[dict]:
    return [
        {
            "outcome": "werk_regulier",
            "label_nl": "Regulier betaald werk",
            "label_en": "Regular paid job",
            "n_treated": 1234, "events_treated": 411, "p_treated": 0.33306320907617504,
            "n_control": 310, "events_control": 58, "p_control": 0.1870967741935484,
            "test": "chi2", "statistic": 26.8412, "dof": 1, "p_val": 0.0000002,
            "p_adj": 0.0000004, "min_expected": 82.3,
            "risk_difference": 0.14596643488262664,
            "rd_ci_low": 0.0961, "rd_ci_high": 0.1958,
            "odds_ratio": 2.1736, "or_ci_low": 1.5982, "or_ci_high": 2.9561,
            "relative_risk": 1.7802, "rr_ci_low": 1.3907, "rr_ci_high": 2.2787, "note": "",
        },
        {
            "outcome": "werk_any",
            "label_nl": "Regulier werk of werkervaringsplaats",
            "label_en": "Regular job or work-experience place",
            "n_treated": 1234, "events_treated": 530, "p_treated": 0.42949756888168555,
            "n_control": 310, "events_control": 117, "p_control": 0.3774193548387097,
            "test": "fisher", "statistic": 1.2391, "dof": float("nan"), "p_val": 0.0312,
            "p_adj": 0.0312, "min_expected": 4.2,
            "risk_difference": 0.05207821404296585,
            "rd_ci_low": -0.0089, "rd_ci_high": 0.1131,
            "odds_ratio": 1.2391, "or_ci_low": 0.9601, "or_ci_high": 1.5992,
            "relative_risk": 1.1380, "rr_ci_low": 0.9676, "rr_ci_high": 1.3384, "note": "",
        },
    ]  # fmt: skip


def scale_rows() -> list[dict]:
    return [
        {
            "outcome": "scale_zoekgedrag", "label_nl": "Zoekgedrag (1-5)",
            "label_en": "Job-search intensity (1-5)",
            "n_treated": 380, "mean_treated": 3.9263, "sd_treated": 0.71,
            "n_control": 320, "mean_control": 3.6464, "sd_control": 0.74,
            "test": "welch_t", "statistic": 5.0123, "dof": 671.4, "p_val": 0.0000007,
            "p_adj": 0.0000028, "mean_difference": 0.2799, "md_ci_low": 0.1702,
            "md_ci_high": 0.3896, "hedges_g": 0.3866, "g_ci_low": 0.2365, "g_ci_high": 0.5367,
            "note": "",
        },
    ]  # fmt: skip


FLOW = [
    ("employers", "Enquête ondernemers", "Employer survey", [
        ("duplicate", 3), ("test_row", 2), ("break_off", 11)], 214),
    ("candidates", "Enquête Werktop-kandidaten", "Werktop candidate survey", [
        ("duplicate", 4), ("break_off", 25), ("ineligible", 6)], 1234),
    ("control", "Enquête controlegroep", "Control-group survey", [
        ("test_row", 1), ("break_off", 19), ("some_new_reason", 2)], 310),
]  # fmt: skip


def _effects_follow(paths: OutputPaths, emp: list[dict], scales: list[dict]) -> None:
    """The crude rows of jobseekers_effects carry the hand-made crude comparisons: one
    statistic has one value in the whole report (the render stage checks it)."""
    path = paths.tables / "jobseekers_effects.csv"
    effects = pd.read_csv(path)
    columns = {"risk_difference": ("risk_difference", "rd_ci_low", "rd_ci_high"),
               "odds_ratio": ("odds_ratio", "or_ci_low", "or_ci_high"),
               "mean_difference": ("mean_difference", "md_ci_low", "md_ci_high")}
    for row in [*emp, *scales]:
        for measure, (est, low, high) in columns.items():
            if est not in row:
                continue
            sel = ((effects["outcome"] == row["outcome"]) & (effects["method"] == "crude")
                   & (effects["measure"] == measure))  # fmt: skip
            effects.loc[sel, ["estimate", "ci_low", "ci_high", "p_val"]] = (
                row[est], row[low], row[high], row["p_val"])
    effects.to_csv(path, index=False)


def write_results(root: Path, *, synthetic: bool = True, n_candidates: int = 1234) -> OutputPaths:
    """Write a complete set of results (tables + stats.json) following the contract.

    The base is the shared example run (every chapter's tables and stats); the tables and
    stats these tests check are then replaced by hand-made ones with known numbers.
    """
    paths = OutputPaths(root)
    shutil.copytree(example_run() / "results" / "tables", paths.tables)
    real_stats = read_json(example_run() / "results" / "stats.json")
    unit_rows = []
    for unit, name in UNITS:
        for (indicator, target), achieved in zip(TARGETS.items(), ACHIEVED[unit], strict=True):
            unit_rows.append({
                "unit": unit, "unit_name": name, "indicator": indicator, "target": target,
                "achieved": achieved, "attainment": achieved / target,
                "target_met": achieved >= target,
            })  # fmt: skip
    pd.DataFrame(unit_rows).to_csv(paths.tables / "unit_attainment.csv", index=False)
    emp = employment_rows()
    for row in emp:
        row["n_treated"] = n_candidates
    pd.DataFrame(emp).to_csv(paths.tables / "employment_comparison.csv", index=False)
    pd.DataFrame(scale_rows()).to_csv(paths.tables / "scale_comparison.csv", index=False)
    _effects_follow(paths, emp, scale_rows())
    pd.DataFrame(
        [{"instrument": "control", "label_nl": "Enquête controlegroep",
          "label_en": "Control-group survey", "issue": "out_of_range",
          "action": "set_missing", "n": 1207}]
    ).to_csv(paths.tables / "validation_summary.csv", index=False)  # fmt: skip
    flow_rows = []
    for instrument, label_nl, label_en, exclusions, kept in FLOW:
        raw = kept + sum(n for _, n in exclusions)
        base = {"instrument": instrument, "label_nl": label_nl, "label_en": label_en}
        flow_rows.append({**base, "step": "raw", "reason": "", "n": raw})
        for reason, n in exclusions:
            flow_rows.append({**base, "step": "excluded", "reason": reason, "n": n})
        flow_rows.append({**base, "step": "kept", "reason": "", "n": kept})
    pd.DataFrame(flow_rows).to_csv(paths.tables / "sample_flow.csv", index=False)
    exceeding = [
        name for unit, name in UNITS
        if all(a >= t for a, t in zip(ACHIEVED[unit], TARGETS.values(), strict=True))
    ]  # fmt: skip
    stats = {
        "study": {
            "title": "Evaluatie Werktop", "synthetic": synthetic, "language": "nl",
            "alpha": 0.05, "confidence": 0.95, "seed": 20140601,
            "config": "studies/example.toml",
            "scenario": "data/raw/example/SCENARIO.md" if synthetic else None,
        },
        "n": {"employers": 214, "candidates": n_candidates, "control": 310},
        "units": {
            "n_units": 5, "n_exceeding_all": len(exceeding), "units_exceeding_all": exceeding,
        },
        "employment": {row["outcome"]: row for row in emp},
        "scales": {row["outcome"]: row for row in scale_rows()},
        "outcome_family": {"method": "holm", "size": 2},
        "disclosure": {"min_cell": 5, "marker": "<5", "secondary_marker": "x",
                       "suppressed_cells": {"unit_attainment": 2}},
        "something_new": {"ignored": True},
    }  # fmt: skip
    add_front_results(paths, stats)  # front matter, conclusions, appendix II
    write_chapter_results(paths.tables, stats)  # units, municipalities, appendix III
    write_json(paths.stats, {**real_stats, **stats})
    return paths


def write_figures(paths: OutputPaths) -> None:
    """Tiny stand-in SVGs, so render tests do not depend on the plot stage."""
    for folder in (paths.figures_for("nl"), paths.figures_for("en")):
        folder.mkdir(parents=True, exist_ok=True)
        for name in FIGURES:
            _stand_in(folder / f"{name}.svg", name)


def _stand_in(path: Path, name: str) -> None:
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" '
        'viewBox="0 0 400 200"><rect x="10" y="10" width="200" height="80" '
        f'fill="#0072B2"/><text x="10" y="150">{name}</text></svg>\n',
        encoding="utf-8",
    )


@pytest.fixture
def results(tmp_path: Path) -> OutputPaths:
    paths = write_results(tmp_path)
    write_figures(paths)
    return paths


def _html(paths: OutputPaths, language: str) -> str:
    return render_html(load_inputs(paths, CHAPTERS), language, CHAPTERS)


def _text(html: str) -> str:
    """Visible text, whitespace collapsed."""
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


# ---------------------------------------------------------------- strings


def _keys(table: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in table.items():
        if isinstance(value, dict):
            out |= _keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


@pytest.mark.parametrize("folder", STRING_FOLDERS, ids=lambda f: f.name)
def test_string_files_have_the_same_keys(folder):
    tables = {}
    for lang in ("nl", "en"):
        with (folder / f"{lang}.toml").open("rb") as fh:
            tables[lang] = tomllib.load(fh)
    nl, en = _keys(tables["nl"]), _keys(tables["en"])
    assert nl == en, f"only nl: {sorted(nl - en)}; only en: {sorted(en - nl)}"


@pytest.mark.parametrize("folder", STRING_FOLDERS, ids=lambda f: f.name)
def test_strings_contain_no_study_numbers(folder):
    # fixed text must not carry results (targets, counts, confidence levels); those come
    # from results/
    for lang in ("nl", "en"):
        text = (folder / f"{lang}.toml").read_text(encoding="utf-8")
        values = [line.split("=", 1)[1] for line in text.splitlines() if " = " in line]
        for value in values:
            value = re.sub(r"\\u[0-9A-Fa-f]{4}", " ", value)  # TOML escapes (no-break space)
            # names and formulas of methods, not results: HC3, ps/(1 − ps)
            value = re.sub(r"\bHC\d\b|\(1 [−-] ps\)", " ", value)
            numbers = set(re.findall(r"\d+", value)) - {"2014", "100"}
            assert not numbers, f"{lang}: number(s) {numbers} in {value.strip()}"


# ---------------------------------------------------------------- HTML


def test_dutch_html_has_notice_units_and_dutch_numbers(results):
    html = _html(results, "nl")
    text = _text(html)
    assert 'lang="nl"' in html
    assert "Let op: synthetische gegevens" in text
    assert "NIET de bevindingen van de evaluatie van Werktop uit 2014" in text
    for _, name in UNITS:
        assert name in text
    assert "1.234" in text  # n_treated with a thousands dot
    assert "33,3%" in text and "18,7%" in text  # p_treated / p_control
    assert "14,6" in text  # risk difference in percentage points
    assert "[9,6; 19,6]" in text  # its CI
    assert "[1,60; 2,96]" in text  # odds-ratio CI
    assert "< 0,001" in text and "0,031" in text  # raw p of the two crude tests
    assert "χ²(1) = 26,84" in text
    assert "Fisher (exact)" in text
    assert "160%" in text  # Hilversum contacts 112/70
    assert "✓" in text and "✗" in text
    assert "Lansingerland en Doetinchem" in text  # units exceeding all targets
    assert "some_new_reason" in text  # unknown reason code shown as is
    assert "dubbele respondent" in text
    # disclosure control: the rule and where cells were suppressed (the units table)
    number = References(CHAPTERS).table("unit_attainment")
    figure = References(CHAPTERS).figure("unit_attainment")  # drawn from that table
    assert "kleiner dan 5 niet" in text
    assert f"Onderdrukte cellen staan in: Tabel {number}, Figuur {figure}." in text


def test_html_number_follows_the_fixture(tmp_path):
    before = write_results(tmp_path / "before")
    write_figures(before)
    assert "4.321" not in _text(_html(before, "nl"))
    after = write_results(tmp_path / "after", n_candidates=4321)
    write_figures(after)
    text = _text(_html(after, "nl"))
    assert "4.321" in text  # stats.n.candidates and the n_treated column
    assert "Werktop-kandidaten 4.321" in text


def test_sample_flow_table_lists_raw_excluded_kept(results):
    html = _html(results, "nl")
    table = re.search(r'<table class="data flow".*?</table>', html, flags=re.S).group(0)
    text = _text(table)
    # employers: raw 230 = 3 + 2 + 11 + 214
    assert re.search(r"Enquête ondernemers Ontvangen +230", text)
    assert "Geanalyseerd 214" in text
    assert text.index("Ontvangen") < text.index("Uitgesloten") < text.index("Geanalyseerd")


def test_english_html(results):
    html = _html(results, "en")
    text = _text(html)
    assert 'lang="en"' in html
    assert "Note: synthetic data" in text
    assert "NOT the findings of the 2014 evaluation" in text
    assert "Werktop versus control group" in text
    assert "1,234" in text and "33.3%" in text and "[9.6, 19.6]" in text
    assert "< 0.001" in text
    assert "Lansingerland and Doetinchem" in text
    assert "synthetische" not in text


def test_no_notice_for_real_data(tmp_path):
    paths = write_results(tmp_path, synthetic=False)
    write_figures(paths)
    html = _html(paths, "nl")
    assert 'class="synthetic-notice"' not in html and "synthetische gegevens" not in html


def test_html_is_self_contained(results):
    html = _html(results, "nl")
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", html)
    assert "http://" not in html and "https://" not in html
    assert "<img" not in html and html.count("<svg ") == len(FIGURES)  # figures inline
    assert "@page" in html  # stylesheet inlined


def test_missing_results_file_is_a_user_error(results):
    (results.tables / "employment_comparison.csv").unlink()
    (results.figures / "unit_attainment.svg").unlink()
    with pytest.raises(UserError) as info:
        render_report(results, "nl")
    message = str(info.value)
    assert "employment_comparison.csv" in message and "unit_attainment.svg" in message
    assert not results.report_html.exists() and not results.report_pdf.exists()


def test_missing_stats_key_and_column_are_user_errors(results):
    stats = read_json(results.stats)
    del stats["units"]["n_exceeding_all"]
    write_json(results.stats, stats)
    flow = pd.read_csv(results.tables / "sample_flow.csv").drop(columns=["reason"])
    flow.to_csv(results.tables / "sample_flow.csv", index=False)
    with pytest.raises(UserError) as info:
        load_inputs(results, CHAPTERS)
    message = str(info.value)
    assert "units.n_exceeding_all" in message and "'reason'" in message


def test_unknown_language_is_a_user_error(results):
    with pytest.raises(UserError):
        render_report(results, "de")


# ---------------------------------------------------------------- PDF


def _pdf_text(pdf: bytes) -> str:
    """Text of the PDF's first page (pypdf is a dev dependency)."""
    import pypdf

    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_pdf_is_byte_identical_and_first_page_has_notice(results, tmp_path):
    html_path, pdf_path = render_report(results, "nl")
    first = pdf_path.read_bytes()
    first_html = html_path.read_bytes()
    assert first.startswith(b"%PDF")
    assert b"/CreationDate" not in first and b"/ModDate" not in first
    pdf_cache_path(results, "nl").unlink()  # WeasyPrint again, not the last run's PDF
    html_path2, pdf_path2 = render_report(results, "nl")
    assert pdf_path2.read_bytes() == first
    assert html_path2.read_bytes() == first_html
    page1 = re.sub(r"\s+", " ", _pdf_text(first))
    assert "Let op: synthetische gegevens" in page1
    assert "NIET de bevindingen" in page1


def test_pdf_is_reused_only_for_the_same_html(results, monkeypatch):
    """WeasyPrint runs again only when the HTML changed or the PDF is not the one recorded."""
    import pipeline.stages.render as render_stage

    _, pdf_path = render_report(results, "nl")
    first = pdf_path.read_bytes()
    calls: list[str] = []
    real = render_stage.html_to_pdf

    def counting(html: str) -> bytes:
        calls.append(html)
        return real(html)

    monkeypatch.setattr(render_stage, "html_to_pdf", counting)
    render_report(results, "nl")  # same HTML: the recorded PDF is written again
    assert calls == [] and pdf_path.read_bytes() == first
    pdf_path.write_bytes(first + b"%")  # a PDF that is not the recorded one is rendered
    render_report(results, "nl")
    assert len(calls) == 1 and pdf_path.read_bytes() == first
    stats = read_json(results.stats)
    stats["study"]["title"] += " (2)"  # another HTML is rendered
    write_json(results.stats, stats)
    render_report(results, "nl")
    assert len(calls) == 2 and pdf_path.read_bytes() != first
    pdf_cache_path(results, "nl").write_text("not json")  # a broken cache is rendered around
    render_report(results, "nl")
    assert len(calls) == 3


def test_pdf_identifier_follows_content(results):
    _, pdf_path = render_report(results, "nl")
    nl = pdf_path.read_bytes()
    _, pdf_path = render_report(results, "en")
    en = pdf_path.read_bytes()
    assert nl != en
    ids = [re.search(rb"/ID \[\(([0-9a-f]+)\)", b) for b in (nl, en)]
    if all(ids):
        assert ids[0].group(1) != ids[1].group(1)


def test_scale_table_shows_means_g_and_both_p_values(results: OutputPaths) -> None:
    html = _html(results, "nl")
    table = html[html.index('id="tab-scales"'):]
    table = table[: table.index("</table>")]
    # the row label is the outcome's short form from the chapter strings ([jobseekers.short])
    assert "<th scope=\"row\">Zoekgedrag</th>" in table
    assert "3,93 (0,71)" in table and "0,39" in table and "[0,24; 0,54]" in table
    assert "t(671,4) = 5,01" in table
    # crude comparisons are descriptive: a raw p only; Holm belongs to the adjusted rows
    assert "p (ruw)" in table and "p (Holm)" not in table


def test_quality_table_lists_checks_with_dutch_labels(results: OutputPaths) -> None:
    html = _html(results, "nl")
    table = html[html.index('id="tab-quality"'):]
    table = table[: table.index("</table>")]
    assert "waarde buiten geldig bereik" in table and "op ontbrekend gezet" in table
    assert "1.207" in table


def test_empty_quality_table_says_nothing_was_recoded(results: OutputPaths) -> None:
    path = results.tables / "validation_summary.csv"
    pd.read_csv(path).iloc[0:0].to_csv(path, index=False)
    html = _html(results, "en")
    assert 'id="tab-quality"' not in html
    assert "All values met the codebook" in html


SVG_FILE = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="5pt" viewBox="0 0 10 5" \
xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata>
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><cc:Work/></rdf:RDF>
 </metadata>
 <defs><path id="m1" d="M 0 0 L 1 1"/><clipPath id="p2"><rect width="3" height="3"/></clipPath>
 </defs>
 <g id="figure_1"><use xlink:href="#m1" clip-path="url(#p2)" style="fill: url(#h3)"/>
  <text style="font-size: 9px" x="1" y="2">id="x" &amp; url(#y)</text></g>
</svg>
"""


def test_inline_svg_drops_the_prolog_and_prefixes_every_id_and_reference():
    markup = inline_svg(SVG_FILE, "fig-a")
    assert markup.startswith('<svg width="10pt" height="5pt" viewBox="0 0 10 5" version="1.1">')
    assert "<?xml" not in markup and "DOCTYPE" not in markup and "metadata" not in markup
    assert "xmlns" not in markup and "http" not in markup
    assert re.findall(r'\sid="([^"]+)"', markup) == ["fig-a-m1", "fig-a-p2", "fig-a-figure_1"]
    assert 'xlink:href="#fig-a-m1"' in markup
    assert 'clip-path="url(#fig-a-p2)"' in markup and "fill: url(#fig-a-h3)" in markup
    assert '>id="x" &amp; url(#y)</text>' in markup  # text content is left alone
    assert markup.rstrip().endswith("</svg>")
    with pytest.raises(ValueError):
        inline_svg("<html></html>", "fig-a")


def test_inline_figures_share_no_id_and_every_reference_resolves(example_outputs):
    html = (example_outputs / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    svg_ids = [i for i in ids if i.startswith("fig-") and i.count("-") >= 2]
    assert len(svg_ids) > 1000
    references = set(re.findall(r'href="#([^"]+)"', html)) | set(re.findall(r"url\(#([^)]+)\)",
                                                                          html))
    assert references and references <= set(ids)
