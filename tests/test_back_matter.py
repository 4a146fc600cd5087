"""The rendered example report: summary prose before any table, every technical term
used is in the glossary, every cited work is in the literature list (and the other way
round), and no file path in running text."""

from __future__ import annotations

import json
import re
import tomllib
from html import unescape
from pathlib import Path

import pytest

from pipeline.report.chapter import CHAPTERS_DIR, chapter_module
from pipeline.report.formatting import fmt_pp

REPORTS = {"nl": "werktop_report.html", "en": "werktop_report_en.html"}
#: A file path: a token with a slash and a file extension, or a bare file name with one.
PATH = re.compile(r"\b[\w.-]+/[\w./-]+\.[a-z]{2,4}\b|\b\w+\.(?:csv|json|toml|py|md|sav|xlsx)\b")
CITATION = re.compile(r"\(([A-Z][^()]*?), (\d{4})\)")


def _html(example_outputs: Path, language: str) -> str:
    path = example_outputs / "reports" / REPORTS[language]
    assert path.exists(), f"{path.name}: the shared run renders both languages (conftest.py)"
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return html


def _section(html: str, key: str) -> str:
    start = html.index(f'id="{key}"')
    end = html.find("<section class=", start)
    return html[start:end if end > 0 else len(html)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _without(html: str, *keys: str) -> str:
    for key in keys:
        html = html.replace(_section(html, key), " ")
    return html


def _strings(chapter: str, language: str) -> dict:
    with (CHAPTERS_DIR / chapter / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_summary_prose_comes_before_any_table_and_reads_the_primary_row(example_outputs,
                                                                         language):
    html = _html(example_outputs, language)
    summary = _section(html, "summary")
    assert summary.index('class="summary-prose"') < summary.index("<table")
    prose = _text(summary[:summary.index("<table")])
    stats = json.loads((example_outputs / "results" / "stats.json").read_text())
    numbers = stats["conclusions"]["headline"]["numbers"]
    row = stats["jobseekers"]["effects"][numbers["outcome"]][numbers["estimate_key"]]
    assert numbers["estimate"] == row["estimate"]  # read from the results row, not recomputed
    for value in (row["estimate"], row["ci_low"], row["ci_high"]):
        assert fmt_pp(value, 1, language) in prose
    assert "odds ratio" in prose.lower()  # the odds ratio is explained where it is mentioned


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_technical_term_used_is_in_the_glossary(example_outputs, language):
    glossary_module = chapter_module("glossary")
    terms = glossary_module.TERMS
    explained = _strings("glossary", language)["glossary"]["terms"]
    assert set(explained) <= set(terms), "an explanation without a term in TERMS"
    text = _text(_without(_html(example_outputs, language), "glossary", "literature",
                          "colophon"))
    used = [key for key, pattern in terms.items() if re.search(pattern, text)]
    assert len(used) >= 15  # the report is technical: most terms do appear
    missing = [key for key in used if key not in explained]
    assert missing == []
    glossary = _text(_section(_html(example_outputs, language), "glossary"))
    for key in used:
        assert explained[key]["term"] in glossary


@pytest.mark.parametrize("language", ["nl", "en"])
def test_cited_works_and_the_literature_list_match(example_outputs, language):
    html = _html(example_outputs, language)
    stats = json.loads((example_outputs / "results" / "stats.json").read_text())
    entries = chapter_module("literature").references(stats)
    listed = _text(_section(html, "literature"))
    body = _text(_without(html, "literature", "colophon"))
    for entry in entries:
        assert entry["entry"] in listed
        assert f"({entry['cite']})" in body or f"{entry['cite']};" in body, entry["cite"]
    cites = {e["cite"] for e in entries}
    for author, year in CITATION.findall(body):
        assert f"{author}, {year}" in cites, f"cited but not listed: {author}, {year}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_file_path_in_running_text(example_outputs, language):
    html = _without(_html(example_outputs, language), "colophon")
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)  # marked-up references
    running = " ".join(re.findall(r"<(?:p|li|dd|td|th|caption|figcaption)\b[^>]*>(.*?)</",
                                  html, flags=re.S))
    assert PATH.findall(_text(running)) == []


def test_path_pattern_finds_paths() -> None:
    assert PATH.findall("staat in results/tables/x.csv en data.json") == [
        "results/tables/x.csv", "data.json"]
    assert PATH.findall("95%-BI [1,2; 3,4] en 3/5 eenheden") == []
