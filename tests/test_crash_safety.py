"""Crash-safe runs: after a kill at any moment, the next run puts the outputs back.

The journal protocol (``pipeline/outputs/transaction.py``) is checked twice: in-process, by
"killing" a transaction before each of its file-system calls in turn (every later call
is refused, as nothing runs after a real kill) and recovering; and end to end, by sending
SIGKILL to a real ``python -m pipeline run`` at several points of a run over a previous
run's outputs and checking that the next command brings them back byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.outputs import transaction as tx
from pipeline.outputs.io import write_text
from pipeline.outputs.transaction import JOURNAL_PREFIX, recover, remove, transaction
from pipeline.study.config import PROJECT_ROOT
from pipeline.study.errors import UserError

EXAMPLE = PROJECT_ROOT / "studies" / "example.toml"
SUMMARY = "logs/run_summary.json"


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the run summary, with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and p != root / SUMMARY
    }


def _journals(root: Path) -> list[Path]:
    return sorted(root.glob(f"{JOURNAL_PREFIX}*"))


# ------------------------------------------------------------ in-process kill simulation
class _Killed(BaseException):
    """The process died here (a BaseException: nothing catches it as an error)."""


#: The file-system calls of the journal protocol; a kill can fall between any two.
_CALLS = ("write", "fsync", "replace", "rename", "mkdir", "unlink", "rmdir")


@contextmanager
def _kill_at(step: int | None) -> Iterator[list[str]]:
    """Count the protocol's file-system calls; with ``step``, the process "dies" before
    call number ``step``: it and every later call raise :class:`_Killed`."""
    real = {name: getattr(os, name) for name in _CALLS}
    seen: list[str] = []

    def wrap(name: str) -> Callable:
        def call(*args: object, **kwargs: object) -> object:
            if step is not None and len(seen) >= step:
                raise _Killed(name)
            seen.append(f"{name} {args[0] if args else ''}")
            return real[name](*args, **kwargs)
        return call

    for name in _CALLS:
        setattr(os, name, wrap(name))
    try:
        yield seen
    finally:
        for name, func in real.items():
            setattr(os, name, func)


def _old_outputs(root: Path) -> None:
    (root / "results").mkdir(parents=True)
    (root / "results" / "stats.json").write_text("old stats")
    (root / "results" / "gone.csv").write_text("removed by the run")
    (root / "data").mkdir()
    (root / "data" / "a.csv").write_text("old a")
    (root / "data" / "b.csv").write_text("old b")


def _body(root: Path, fail: bool = False) -> None:
    """What a run does: replace, create in a new folder, remove, write a file twice,
    remove a file and write it again."""
    write_text(root / "data" / "a.csv", "new a, first version")
    remove(root / "data" / "b.csv")
    write_text(root / "data" / "processed" / "new.csv", "brand new")
    remove(root / "results" / "gone.csv")
    write_text(root / "data" / "b.csv", "new b")
    write_text(root / "results" / "stats.json", "new stats")
    write_text(root / "data" / "a.csv", "new a")
    if fail:
        raise UserError("bad input found late")


def _run_and_kill(root: Path, step: int | None, *, fail: bool = False) -> list[str]:
    """Run ``_body`` in a transaction that dies before call ``step`` (``None``: lives)."""
    journals = []
    with _kill_at(step) as seen:
        try:
            with transaction(root):
                journals.append(tx._ACTIVE.get())
                _body(root, fail)
        except (_Killed, UserError):
            pass
    for journal in journals:  # a dead process holds no lock: close what it left open
        if journal.fd is not None:
            os.close(journal.fd)
            journal.fd = None
    return seen


def _states(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    old_root, new_root = tmp_path / "old", tmp_path / "new"
    _old_outputs(old_root)
    _old_outputs(new_root)
    with transaction(new_root):
        _body(new_root)
    return _snapshot(old_root), _snapshot(new_root)


def test_the_simulated_run_changes_outputs(tmp_path):
    old, new = _states(tmp_path)
    assert set(new) == {"data/a.csv", "data/b.csv", "data/processed/new.csv",
                        "results/stats.json"}
    assert all(old.get(name) != content for name, content in new.items())


def test_a_kill_before_any_call_recovers_to_the_old_or_the_new_outputs(tmp_path):
    old, new = _states(tmp_path)
    dry = tmp_path / "dry"
    _old_outputs(dry)
    calls = _run_and_kill(dry, None)
    commit = max(i for i, c in enumerate(calls) if c.startswith("write"))  # commit record
    assert _snapshot(dry) == new and not _journals(dry)
    outcomes = set()
    for step in range(len(calls) + 1):
        root = tmp_path / f"kill{step}"
        _old_outputs(root)
        _run_and_kill(root, step)
        had_log = bool(list(root.glob(f"{JOURNAL_PREFIX}*/{tx.LOG_NAME}")))
        messages = recover(root)
        expected = old if step <= commit else new
        assert _snapshot(root) == expected, (step, calls[step - 1] if step else None)
        assert not _journals(root), step
        assert not list(root.rglob("*.tmp")), step
        if step <= commit:
            assert not (root / "data" / "processed").exists(), step  # new folder undone
        if had_log and step > commit:
            assert len(messages) == 1 and "finished its commit" in messages[0], step
        outcomes.add(step <= commit)
        assert recover(root) == []  # nothing left to do
    assert outcomes == {True, False}


def test_a_kill_during_the_roll_back_of_a_failed_run_recovers_the_old_outputs(tmp_path):
    old, _ = _states(tmp_path)
    dry = tmp_path / "dry"
    _old_outputs(dry)
    calls = _run_and_kill(dry, None, fail=True)
    assert _snapshot(dry) == old and not _journals(dry)
    # from the first journal record to the end of the roll-back
    for step in range(len(calls) + 1):
        root = tmp_path / f"kill{step}"
        _old_outputs(root)
        _run_and_kill(root, step, fail=True)
        recover(root)
        assert _snapshot(root) == old, (step, calls[step - 1] if step else None)
        assert not _journals(root) and not (root / "data" / "processed").exists(), step


def test_a_kill_during_recovery_is_recovered_by_the_next_run(tmp_path):
    old, _ = _states(tmp_path)
    # a run killed just before its commit record: recovery has everything to undo
    probe = tmp_path / "probe"
    _old_outputs(probe)
    calls = _run_and_kill(probe, None)
    before_commit = max(i for i, c in enumerate(calls) if c.startswith("write"))
    crashed = tmp_path / "crashed"
    _old_outputs(crashed)
    _run_and_kill(crashed, before_commit)
    recovery_calls = len(_recovery_calls(tmp_path / "count", crashed))
    assert recovery_calls > 5
    for step in range(recovery_calls):
        root = tmp_path / f"kill{step}"
        shutil.copytree(crashed, root)
        with _kill_at(step):
            with pytest.raises(_Killed):
                recover(root)
        recover(root)
        assert _snapshot(root) == old, step
        assert not _journals(root), step


def _recovery_calls(scratch: Path, crashed: Path) -> list[str]:
    shutil.copytree(crashed, scratch)
    with _kill_at(None) as seen:
        recover(scratch)
    return seen


def test_a_journal_of_a_live_run_is_left_alone(tmp_path):
    """Another process holds the journal's lock: it is alive, so its journal stays."""
    _old_outputs(tmp_path)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.outputs.io import write_text\n"
        "from pipeline.outputs.transaction import transaction\n"
        "root = Path(sys.argv[1])\n"
        "with transaction(root):\n"
        "    write_text(root / 'data' / 'a.csv', 'live')\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
    )
    live = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert live.stdout.readline().strip() == "written"
        messages = recover(tmp_path)
        assert len(messages) == 1 and "another run (pid" in messages[0]
        assert "left alone" in messages[0]
        assert (tmp_path / "data" / "a.csv").read_text() == "live" and _journals(tmp_path)
    finally:
        live.kill()
        live.wait()
    recover(tmp_path)  # dead now: rolled back
    assert (tmp_path / "data" / "a.csv").read_text() == "old a" and not _journals(tmp_path)


def test_leftovers_without_a_log(tmp_path):
    (tmp_path / f"{JOURNAL_PREFIX}empty").mkdir()
    old_style = tmp_path / f"{JOURNAL_PREFIX}1234"
    old_style.mkdir()
    (old_style / "0").write_text("a backup without a record of where it belongs")
    messages = recover(tmp_path)
    assert not (tmp_path / f"{JOURNAL_PREFIX}empty").exists()
    assert old_style.exists() and len(messages) == 1 and "cannot be replayed" in messages[0]


# ------------------------------------------------------------ kill -9 of a real run
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WERKTOP_PSEUDONYM_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                      env.get("PYTHONPATH")]))
    return {**env, **extra}


def _journal_text(root: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in root.glob(f"{JOURNAL_PREFIX}*/*.jsonl"))


def _kill_run_when(out: Path, tmp: Path, ready: Callable[[str, str], bool],
                   timeout: float = 240) -> None:
    """Start ``pipeline run`` on the example with another pseudonym key (every output
    changes) over the outputs in ``out``; SIGKILL it once ``ready(journal, stderr)``."""
    log = tmp / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--config", str(EXAMPLE),
             "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            env=_env(WERKTOP_PSEUDONYM_KEY="another key, so every pseudonym changes"),
        )
        try:
            deadline = time.monotonic() + timeout
            while not ready(_journal_text(out), log.read_text(errors="replace")):
                assert proc.poll() is None, f"the run ended before the kill point:\n" \
                                            f"{log.read_text()}"
                assert time.monotonic() < deadline, "kill point not reached"
                time.sleep(0.02)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait() == -signal.SIGKILL
        finally:
            try:  # the run's worker processes, if any, die with it
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture(scope="module")
def previous(example_outputs) -> dict[str, bytes]:
    return _snapshot(example_outputs)


def _records(journal: str) -> list[str]:
    return [json.loads(line).get("path", "") for line in journal.splitlines()
            if line.endswith("}")]


KILL_POINTS = {
    # derive is writing data/processed (ingest, validate and clean have written theirs)
    "derive": lambda journal, err: any(p.startswith("data/processed/")
                                       for p in _records(journal)),
    # analyze is writing results/stats.json (and plot comes next)
    "stats": lambda journal, err: "results/stats.json" in _records(journal),
    # render is making the report (every earlier stage has written its outputs)
    "render": lambda journal, err: "[plot] done" in err,
}
NEXT_COMMAND = {
    # a command that stops at once on a missing config, and a successful stage
    "derive": ["run", "--config", "{tmp}/no-such-study.toml"],
    "stats": ["run", "--config", "{tmp}/no-such-study.toml"],
    "render": ["ingest", "--config", str(EXAMPLE)],
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_then_the_next_command_restores_the_previous_outputs(
        point, example_outputs, previous, tmp_path, capfd):
    out = tmp_path / "out"
    shutil.copytree(example_outputs, out)
    _kill_run_when(out, tmp_path, KILL_POINTS[point])
    assert _journals(out), "killed without a journal"
    at_kill = _snapshot(out)
    changed = [f for f in previous if at_kill.get(f) != previous[f]]
    assert changed, "the killed run had changed nothing: the test would prove nothing"

    args = [a.replace("{tmp}", str(tmp_path)) for a in NEXT_COMMAND[point]]
    code = main([*args, "--out", str(out)])
    err = capfd.readouterr().err
    assert code == (2 if "no-such-study" in args[2] else 0), err
    assert len(re.findall(r"^recovered ", err, re.MULTILINE)) == 1, err
    assert "rolled back the interrupted run" in err
    assert not _journals(out), "journal left behind"
    after = _snapshot(out)
    assert after.keys() == previous.keys(), "files added or removed"
    assert [f for f in previous if after[f] != previous[f]] == []
    assert not list(out.rglob("*.tmp"))
