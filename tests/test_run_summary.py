"""logs/run_summary.json: per stage status, exit status, duration and counts; written after
every run and single stage, a failed one too; sorted keys; the one file that varies."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline import cli
from pipeline.outputs.catalog import STAGES, run_summary_path
from pipeline.outputs.run_summary import RunSummary, recorded, stage_counts
from pipeline.study.config import PROJECT_ROOT, OutputPaths
from pipeline.study.errors import UserError

EXAMPLE = PROJECT_ROOT / "studies" / "example.toml"


def _read(out: Path) -> dict:
    path = run_summary_path(OutputPaths(out))
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    # deterministic key order: sorted keys, two-space indent, stages in pipeline order
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return data


def test_a_full_run_records_every_stage_with_its_counts(example_outputs):
    summary = _read(example_outputs)
    assert summary["command"] == "run" and summary["exit_status"] == 0
    assert summary["schema_version"] == 1 and summary["language"] == "nl"
    assert summary["config"] == str(EXAMPLE)
    assert [s["stage"] for s in summary["stages"]] == list(STAGES)
    assert {s["status"] for s in summary["stages"]} == {"ok"}
    assert {s["exit_status"] for s in summary["stages"]} == {0}
    assert all(s["duration_s"] >= 0 for s in summary["stages"])
    assert summary["duration_s"] >= sum(s["duration_s"] for s in summary["stages"]) * 0.99
    by = {s["stage"]: s["counts"] for s in summary["stages"]}
    flow = pd.read_csv(example_outputs / "data/interim/sample_flow.csv", keep_default_na=False)
    kept = flow[flow["step"] == "kept"].set_index("instrument")["n"].to_dict()
    assert by["clean"] == kept  # rows per instrument
    report = pd.read_csv(example_outputs / "data/interim/validation_report.csv")
    assert by["validate"] == report["issue"].value_counts().to_dict()  # issues per kind
    figures = [p for p in (example_outputs / "figures").glob("*") if p.is_file()]
    assert by["plot"] == {"files": len(figures)} and by["render"] == {"files": 2}


def test_a_single_stage_that_fails_records_its_exit_status_and_message(tmp_path):
    out = tmp_path / "out"
    assert cli.main(["validate", "--config", str(EXAMPLE), "--out", str(out)]) == 2
    summary = _read(out)
    assert summary["command"] == "validate" and summary["exit_status"] == 2
    (stage,) = summary["stages"]
    assert stage["stage"] == "validate" and stage["status"] == "failed"
    assert stage["exit_status"] == 2 and "not found; run the ingest stage first" in \
        stage["messages"][0]
    # nothing but the summary was written
    assert [p for p in out.rglob("*") if p.is_file()] == [run_summary_path(OutputPaths(out))]


def test_a_single_stage_that_succeeds(tmp_path):
    out = tmp_path / "out"
    assert cli.main(["ingest", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    summary = _read(out)
    (stage,) = summary["stages"]
    assert (summary["command"], stage["stage"], stage["status"]) == ("ingest", "ingest", "ok")
    rows = {n: len(pd.read_csv(out / f"data/interim/ingested/{n}.csv", dtype=str))
            for n in stage["counts"]}
    assert stage["counts"] == rows and set(rows) >= {"employers", "candidates", "control"}


@pytest.fixture()
def fake_stages(monkeypatch):
    """Stages that return counts, except the ones told to fail (and how)."""
    failing: dict[str, BaseException] = {}

    def stage(name: str):
        def run(*args: object) -> object:
            if name in failing:
                raise failing[name]
            return ["a.png", "b.png"] if name in ("plot", "render") else {"x": 3}
        return run

    monkeypatch.setattr(cli, "_stage", stage)
    monkeypatch.setattr("pipeline.study.codebook.load_codebook", lambda *a: None)
    return failing


def test_a_run_that_fails_midway_rolls_back_and_says_which_stage(tmp_path, fake_stages):
    fake_stages["clean"] = UserError(["x.csv, row 3: bad", "x.csv, row 4: bad"])
    out = tmp_path / "out"
    assert cli.main(["run", "--config", str(EXAMPLE), "--out", str(out)]) == 2
    summary = _read(out)
    assert summary["exit_status"] == 2
    status = {s["stage"]: (s["status"], s["exit_status"]) for s in summary["stages"]}
    assert status == {"ingest": ("rolled_back", 0), "validate": ("rolled_back", 0),
                      "clean": ("failed", 2), "derive": ("not_run", None),
                      "analyze": ("not_run", None), "plot": ("not_run", None),
                      "render": ("not_run", None)}
    clean = summary["stages"][2]
    assert clean["messages"] == ["x.csv, row 3: bad", "x.csv, row 4: bad"]
    assert summary["stages"][0]["counts"] == {"x": 3}


def test_a_bug_keeps_its_traceback_and_is_recorded_as_exit_status_1(tmp_path, fake_stages):
    fake_stages["analyze"] = RuntimeError("boom")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["run", "--config", str(EXAMPLE), "--out", str(out)])
    summary = _read(out)
    assert summary["exit_status"] == 1
    analyze = next(s for s in summary["stages"] if s["stage"] == "analyze")
    assert analyze["status"] == "failed" and analyze["messages"] == ["RuntimeError: boom"]


def test_stale_only_records_the_stages_it_skipped(tmp_path, fake_stages, monkeypatch):
    monkeypatch.setattr("pipeline.runner.freshness.stale_stages", lambda *a: ["plot", "render"])
    out = tmp_path / "out"
    assert cli.main(["run", "--stale-only", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    status = [(s["stage"], s["status"]) for s in _read(out)["stages"]]
    assert status == [(s, "up_to_date") for s in STAGES[:5]] + [("plot", "ok"),
                                                                ("render", "ok")]
    assert _read(out)["stages"][5]["counts"] == {"files": 2}


def test_stage_counts_and_an_unwritable_summary_is_only_a_warning(tmp_path, capsys):
    assert stage_counts({"a": 1}) == {"a": 1}
    assert stage_counts(("x", "y")) == {"files": 2}
    assert stage_counts(None) == {}
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be")
    summary = RunSummary("ingest", ["ingest"])
    with recorded(summary, blocker / "run_summary.json"), summary.stage("ingest") as record:
        record.counts = {"rows": 1}
    assert "could not write the run summary" in capsys.readouterr().err
