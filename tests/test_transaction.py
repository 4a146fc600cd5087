"""A stopped run leaves the previous outputs as they were: a bug, Ctrl-C and SIGTERM/SIGHUP
(a killed make, a CI timeout) roll back; stale files of a stage's own kinds go the same way."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.outputs.io import write_text
from pipeline.outputs.transaction import (
    JOURNAL_PREFIX,
    remove_stale,
    termination_raises,
    transaction,
)
from pipeline.study.config import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "studies" / "example.toml"


def _stage_that_is_stopped(signum: int):
    """A stage that replaces one output, writes another, then receives ``signum``."""

    def run_stage(name, config, paths, language=None) -> None:
        write_text(paths.root / "kept.txt", "new")
        write_text(paths.root / "added.txt", "new")
        os.kill(os.getpid(), signum)
        time.sleep(10)  # the signal arrives here
        raise AssertionError(f"{signal.Signals(signum).name} did not stop the stage")

    return run_stage


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_termination_signal_rolls_the_run_back(tmp_path, monkeypatch, capsys, signum):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("previous good output")
    monkeypatch.setattr(cli, "run_stage", _stage_that_is_stopped(signum))
    before = signal.getsignal(signum)

    code = cli.main(["ingest", "--config", str(EXAMPLE), "--out", str(out)])

    assert code == 128 + signum
    assert f"stopped by {signal.Signals(signum).name}" in capsys.readouterr().err
    assert (out / "kept.txt").read_text() == "previous good output"
    assert not (out / "added.txt").exists()
    assert not list(out.glob(f"{JOURNAL_PREFIX}*"))
    assert signal.getsignal(signum) is before  # the handler was only there for the run


def _sleep() -> None:
    time.sleep(30)


def test_a_forked_worker_still_ends_on_sigterm_at_once():
    """Pools end their workers with SIGTERM: a worker must die, not raise in the middle of
    its work loop (it has no transaction of its own)."""
    with termination_raises():
        worker = multiprocessing.get_context("fork").Process(target=_sleep)
        worker.start()
        time.sleep(0.2)
        worker.terminate()
        worker.join(10)
    assert worker.exitcode == -signal.SIGTERM


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tables"
    (folder / "sub").mkdir(parents=True)
    for name in ("written.csv", "stale.csv", "notes.txt", "sub/deeper.csv"):
        (folder / name).write_text(name)
    return folder


def test_remove_stale_removes_only_unwritten_files_of_the_given_kinds(tmp_path):
    folder = _folder(tmp_path)
    removed = remove_stale(folder, ("*.csv",), [folder / "written.csv"])
    assert removed == [folder / "stale.csv"]
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert left == ["notes.txt", "sub/deeper.csv", "written.csv"]


def test_a_failed_run_brings_stale_files_back(tmp_path):
    folder = _folder(tmp_path)
    with pytest.raises(RuntimeError), transaction(tmp_path):
        remove_stale(folder, ("*.csv",), [folder / "written.csv"])
        assert not (folder / "stale.csv").exists()
        raise RuntimeError("a bug later in the run")
    assert (folder / "stale.csv").read_text() == "stale.csv"
