"""README, "Running on your own data", followed word for word: the demo exports of
``python -m synthetic.foreign``, the study config exactly as the README prints it, one run.
The numbers the README quotes must be the ones the run gives (tests/test_gitignore.py
checks that its exports are ignored by git)."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.study.config import PROJECT_ROOT
from synthetic.foreign import write_foreign_study

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Running on your own data"):]
SECTION = SECTION[:SECTION.index("\n## ", 5)]


def _block(marker: str, lang: str) -> str:
    start = SECTION.index(f"```{lang}\n", SECTION.index(marker)) + len(lang) + 4
    return SECTION[start:SECTION.index("```", start)]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("clone")
    studies = root / "studies"
    # the README's command: python -m synthetic.foreign --out studies/proef2015/exports
    assert "python -m synthetic.foreign --out studies/proef2015/exports" in SECTION
    facts = write_foreign_study(studies / "proef2015" / "exports")
    assert "make report CONFIG=studies/proef2015.toml" in SECTION
    config = studies / "proef2015.toml"
    config.write_text(_block("walkthrough-config", "toml"), encoding="utf-8")
    out = root / "out"
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--config", str(config), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    return {"facts": facts, "out": out, "run": run}


def test_the_walkthrough_config_runs(walkthrough):
    run = walkthrough["run"]
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_the_numbers_the_readme_quotes_are_the_runs(walkthrough):
    facts, out = walkthrough["facts"], walkthrough["out"]
    flow = pd.read_csv(out / "data/interim/sample_flow.csv")
    raw = flow[flow["step"] == "raw"].set_index("instrument")["n"]
    kept = flow[flow["step"] == "kept"].set_index("instrument")["n"]
    quoted = re.search(r"It reads (\d+) employers, (\d+) candidates and (\d+) control rows, "
                       r"keeps (\d+), (\d+) and\s+(\d+)", SECTION)
    assert quoted, "the README's sentence with the counts has changed"
    numbers = [int(x) for x in quoted.groups()]
    assert numbers == [raw["employers"], raw["candidates"], raw["control"],
                       kept["employers"], kept["candidates"], kept["control"]]
    cleaned = pd.read_csv(out / "data/interim/candidates.csv")
    per_unit = cleaned["gemeente"].value_counts().to_dict()
    assert per_unit == facts.surveys["candidates"].kept_per_unit
    m = re.search(r"candidates: (\d+) Doetinchem, (\d+) Berg en Dal,\s+(\d+) Zaanstad", SECTION)
    assert m and [int(x) for x in m.groups()] == [per_unit["doetinchem"],
                                                  per_unit["bergendal"], per_unit["zaanstad"]]
    for name in ("employers", "control"):
        got = pd.read_csv(out / f"data/interim/{name}.csv")["gemeente"].value_counts().to_dict()
        assert got == facts.surveys[name].kept_per_unit, name
    excluded = pd.read_csv(out / "data/interim/exclusions.csv")
    by_config = excluded[excluded["reason"] == "excluded_by_config"]["detail"].value_counts()
    m = re.search(r"the (\d+) preview and (\d+) unfinished", SECTION)
    assert m and [int(x) for x in m.groups()] == [by_config.get("Status = Survey Preview", 0),
                                                  by_config.get("Finished = False", 0)]


def test_the_report_names_only_the_studys_units(walkthrough):
    html = (walkthrough["out"] / "reports/werktop_report.html").read_text(encoding="utf-8")
    text = re.sub(r"data:[^\"')]+", "", html)
    for name in ("Doetinchem", "Berg en Dal", "Zaanstad"):
        assert name in text
    for name in ("Hilversum", "Lansingerland"):
        assert name not in text
