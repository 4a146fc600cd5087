"""One number, one value: every statistic the report shows in more than one place is the
same everywhere and equals its results row (``pipeline/report/anchors.py``).

The rendered report marks each anchored statistic ``data-stat="<table>|<key>|<columns>"``.
These tests walk the Dutch and English report of the example study and of a second
simulated study (the foreign study, ``synthetic/foreign.py``), and show that the check
fails when one copy of a number is changed: one rendered copy, one results cell behind
a copy, or one key of ``stats.json`` a summary copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.report.anchors import anchors, check
from pipeline.report.chapter import load_chapters
from pipeline.stages.render import load_inputs, render_html
from pipeline.study.config import PROJECT_ROOT, OutputPaths
from synthetic import foreign as F
from tests.conftest import example_run

#: Statistics the example report must show in more than one place (the body and a
#: second table or sentence): their copies are what the issue found disagreeing.
EXPECTED_DUPLICATES = (
    # the complete-case Poisson model: effects table and applications table
    "jobseekers_effects|sollicitaties_4wk|adjusted_cc|rate_ratio|ci_low,ci_high",
    "jobseekers_effects|sollicitaties_4wk|adjusted_cc|rate_ratio|p_val",
    # one search channel's BH p: chapter 6 and appendix II
    "jobseekers_channels|kanaal_netwerk|p_adj_bh",
    "jobseekers_channels|kanaal_open_sollicitatie|p_adj_bh",
    # the coded open question (knelpunten en wensen): chapter 6 and appendix II
    "jobseekers_wishes|wens_contact|p_adj_bh",
    "jobseekers_wishes|wens_maatwerk|p_treated",
    # the relatiemanager's pass share: running text and its table
    "jobseekers_rm_rating|treated|p_pass",
    # the headline: chapter 6's sentence, its table and the summary
    "jobseekers_effects|werk_regulier|adjusted|odds_ratio|estimate",
)


def _report(out: Path, language: str) -> tuple[str, dict]:
    chapters = load_chapters()
    inputs = load_inputs(OutputPaths(out), chapters, "nl")  # figures do not hold anchors
    return render_html(inputs, language, chapters), inputs["tables"]


@pytest.fixture(scope="module")
def example() -> Path:
    return example_run()


@pytest.fixture(scope="module")
def example_nl(example) -> tuple[str, dict]:
    return _report(example, "nl")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_example_report_is_consistent(example, language):
    document, tables = _report(example, language)
    assert check(document, tables, language) == []


def test_the_example_shows_statistics_more_than_once(example_nl):
    document, _ = example_nl
    counts = Counter(a.stat for a in anchors(document))
    for stat in EXPECTED_DUPLICATES:
        assert counts[stat] >= 2, f"{stat} shown {counts[stat]} time(s)"
    assert sum(1 for n in counts.values() if n > 1) >= 30


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_built_report_file_is_the_checked_one(example, language):
    # the render stage itself refuses an inconsistent report, so the file on disk passes
    # (the shared run renders the English report too: tests/conftest.py)
    name = "werktop_report.html" if language == "nl" else "werktop_report_en.html"
    document = (example / "reports" / name).read_text(encoding="utf-8")
    _, tables = _report(example, language)
    assert anchors(document) and check(document, tables, language) == []


def _tamper_one_copy(document: str, stat: str) -> str:
    """The document with the *second* rendered copy of ``stat`` changed by one digit."""
    pattern = re.compile(r'(<span data-stat="' + re.escape(stat)
                         + r'" data-fmt="[^"]*">)([^<]*)(</span>)')
    matches = list(pattern.finditer(document))
    assert len(matches) >= 2
    m = matches[1]
    text = m.group(2)
    digit = re.search(r"\d(?=\D*$)", text)
    assert digit is not None, text
    k = digit.start()
    changed = text[:k] + str((int(text[k]) + 1) % 10) + text[k + 1:]
    return document[:m.start(2)] + changed + document[m.end(2):]


@pytest.mark.parametrize("stat", EXPECTED_DUPLICATES)
def test_changing_one_rendered_copy_is_caught(example_nl, stat):
    document, tables = example_nl
    problems = check(_tamper_one_copy(document, stat), tables, "nl")
    assert any(p.startswith(stat) for p in problems), problems


def test_changing_one_results_cell_is_caught(example_nl):
    # appendix II's copy of a channel's p (BH) is anchored to chapter 6's row: a cell of
    # chapter 6's table that no longer matches the appendix's copy is found
    document, tables = example_nl
    tables = dict(tables)
    channels = tables["jobseekers_channels"].copy()
    row = channels.index[channels["item"] == "kanaal_netwerk"][0]
    channels.loc[row, "p_adj_bh"] = float(channels.loc[row, "p_adj_bh"]) + 0.01
    tables["jobseekers_channels"] = channels
    problems = check(document, tables, "nl")
    assert any("kanaal_netwerk|p_adj_bh" in p for p in problems), problems


def test_render_refuses_a_summary_copy_that_differs(example, tmp_path):
    # the summary copies the headline from stats.json; a changed copy stops the render
    out = tmp_path / "out"
    shutil.copytree(example, out)
    stats_path = out / "results" / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    primary = next(r for r in stats["conclusions"]["key_effects"]
                   if r["estimator"] == "primary" and r["outcome"] == "werk_regulier")  # fmt: skip
    primary["estimate"] = primary["estimate"] + 0.5
    primary["row"]["estimate"] = primary["estimate"]
    stats_path.write_text(json.dumps(stats), encoding="utf-8")
    chapters = load_chapters()
    inputs = load_inputs(OutputPaths(out), chapters, "nl")
    document = render_html(inputs, "nl", chapters)
    problems = check(document, inputs["tables"], "nl")
    key = f"werk_regulier|{primary['row']['method']}|{primary['row']['measure']}|estimate"
    assert any(key in p for p in problems), problems
    config = PROJECT_ROOT / "studies" / "example.toml"
    with pytest.raises(RuntimeError, match="disagree with their results rows"):
        main(["render", "--config", str(config), "--out", str(out)])


# ------------------------------------------------------------------ a second study
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WERKTOP_PSEUDONYM_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


@pytest.fixture(scope="module")
def foreign(tmp_path_factory) -> Path:
    study = F.write_foreign_study(tmp_path_factory.mktemp("foreign-consistency") / "study")
    out = study.out_dir.parent / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(study.config),
         "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, env=_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.parametrize("language", ["nl", "en"])
def test_foreign_study_report_is_consistent(foreign, language):
    document, tables = _report(foreign, language)
    found = anchors(document)
    assert sum(1 for n in Counter(a.stat for a in found).values() if n > 1) >= 10
    assert check(document, tables, language) == []
