"""Which stages ``pipeline run --stale-only`` runs: file times, as make judges them."""

import os
import time

from pipeline.outputs.catalog import STAGES, artifacts, instruments_of
from pipeline.report.chapter import CHAPTERS_DIR, load_chapters
from pipeline.runner.freshness import stale_stages
from pipeline.runner.make_targets import _code
from pipeline.study.config import PROJECT_ROOT, OutputPaths, load_config


def _outputs(config, paths, language="nl"):
    listed = artifacts(paths, instruments_of(config), load_chapters(CHAPTERS_DIR), (language,))
    return {stage: [a.path for a in listed if a.stage == stage] for stage in STAGES}


def _touch(path, when):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (when, when))


def test_stale_stages_follow_file_times(tmp_path):
    config = load_config("studies/example.toml")
    paths = OutputPaths(tmp_path)
    assert stale_stages(config, paths, "nl") == list(STAGES)  # nothing built yet
    outputs = _outputs(config, paths)
    future = time.time() + 3600  # newer than every input and every code file
    for k, stage in enumerate(STAGES):
        for path in outputs[stage]:
            _touch(path, future + k)
    assert stale_stages(config, paths, "nl") == []
    # A derive output older than a clean output: derive and everything after it rerun.
    _touch(outputs["derive"][0], future - 10)
    assert stale_stages(config, paths, "nl") == ["derive", "analyze", "plot", "render"]
    # A missing figure: plot and render rerun; the English report is judged on its own.
    _touch(outputs["derive"][0], future + 3)
    outputs["plot"][0].unlink()
    assert stale_stages(config, paths, "nl") == ["plot", "render"]
    assert stale_stages(config, paths, "en")[0] == "plot"  # nothing English was built


def test_a_chapters_sibling_modules_are_its_code():
    """Editing any module of a chapter folder (jobseekers/estimates.py, not only chapter.py)
    reruns analyze, plot and render, for make (CODE_<stage>) and for --stale-only alike."""
    modules = {p.relative_to(PROJECT_ROOT).as_posix() for p in CHAPTERS_DIR.glob("*/*.py")}
    assert "pipeline/chapters/jobseekers/estimates.py" in modules
    for stage in ("analyze", "plot", "render"):
        assert modules <= set(_code(stage)), stage
def test_make_stamps_of_the_output_root_rebuild_everything(tmp_path):
    """A new pseudonym key (make rewrites the study's .make/key) reruns every stage; the
    stamps of another output root do not count."""
    config = load_config("studies/example.toml")
    paths, other = OutputPaths(tmp_path / "study"), OutputPaths(tmp_path / "other")
    future = time.time() + 3600
    for path in (p for files in _outputs(config, paths).values() for p in files):
        _touch(path, future)
    _touch(other.key_stamp, future + 10)
    assert stale_stages(config, paths, "nl") == []
    _touch(paths.key_stamp, future + 10)
    assert stale_stages(config, paths, "nl") == list(STAGES)


def test_stale_only_judges_the_outputs_after_recovering_a_killed_run(tmp_path, monkeypatch,
                                                                     capsys):
    """A killed run's half-written outputs are put back before the file times are judged:
    otherwise a missing stats.json would rerun analyze, plot and render."""
    from pipeline import cli
    from pipeline.outputs import transaction as tx
    from pipeline.outputs.io import write_text

    config = load_config("studies/example.toml")
    paths = OutputPaths(tmp_path)
    outputs = _outputs(config, paths)
    future = time.time() + 3600
    for k, stage in enumerate(STAGES):
        for path in outputs[stage]:
            _touch(path, future + k)
    # a run that removed stats.json and rewrote a figure, then was killed
    journal = tx._Journal(tmp_path)
    token = tx._ACTIVE.set(journal)
    try:
        tx.remove(paths.stats)
        write_text(outputs["plot"][0], "half a run")
    finally:
        tx._ACTIVE.reset(token)
        os.close(journal.fd)  # a killed process holds no lock
    assert not paths.stats.exists()
    ran: list[str] = []
    monkeypatch.setattr(cli, "run_stage", lambda name, *args: ran.append(name))
    assert cli.main(["run", "--stale-only", "--config", "studies/example.toml",
                     "--out", str(tmp_path)]) == 0
    assert ran == []
    assert "recovered" in capsys.readouterr().err
    assert paths.stats.exists() and outputs["plot"][0].read_text() == ""
    assert not list(tmp_path.glob(f"{tx.JOURNAL_PREFIX}*"))
