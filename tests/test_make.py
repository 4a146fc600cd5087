"""The Makefile keeps good outputs: a failed or interrupted ``make report`` never deletes or
changes the previous report, a failed run is retried the next time, ``make report`` is up
to date right after a successful build, and each study has a folder of its own.

Make runs in a copy of the project whose ``build/example/`` starts as the session's example
run (``tests/conftest.py``) with only the report older than its inputs, so each make run
renders, nothing more (the interrupted runs render a stand-in report: what matters is that
it replaced the old one when the signal came).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.study.config import PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

COPIED = ("Makefile", "pyproject.toml", "constraints.txt", "pipeline", "analysis", "synthetic",
          "report_templates", "data/codebook", "data/raw/example", "studies")
REPORT = ("build/example/reports/werktop_report.html", "build/example/reports/werktop_report.pdf")
DAY = 86400

# Stands in for python: runs `python -m pipeline ...`; with STOP_WITH set, the render stage
# of `run` writes a new report and is then stopped by that signal, before the run finishes.
HOOK = """\
import os, runpy, signal, sys, time

assert sys.argv[1:3] == ["-m", "pipeline"], sys.argv
sys.argv = ["pipeline", *sys.argv[3:]]
stop = os.environ.get("STOP_WITH")
if stop and sys.argv[1] == "run":
    import pipeline.stages.render as render
    from pipeline.outputs.io import write_bytes

    def render_then_stop(paths, language, chapters=None):
        write_bytes(paths.report(language, "html"), b"<p>a new report</p>")
        write_bytes(paths.report(language, "pdf"), b"%PDF a new report")
        if stop == "SIGINT":  # Ctrl-C: the terminal signals make and the pipeline
            os.killpg(os.getpgrp(), signal.SIGINT)
        else:  # make is killed (a CI timeout, kill): make passes SIGTERM on to its job
            os.kill(os.getpgrp(), signal.SIGTERM)
        time.sleep(60)
        raise AssertionError(stop + " did not stop the run")

    render.render_report = render_then_stop
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def _copy_project(root: Path) -> Path:
    project = root / "project"
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, project / name)
    return project


def _python(root: Path) -> Path:
    (root / "hook.py").write_text(HOOK, encoding="utf-8")
    python = root / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{root / "hook.py"}" "$@"\n')
    python.chmod(0o755)
    return python


class Make:
    """``make`` in the project copy, with the test's Python and an installed-venv stamp."""

    def __init__(self, root: Path, project: Path) -> None:
        self.project = project
        self.stamp = root / "installed"
        self.stamp.touch()
        self.python = _python(root)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "STOP_WITH")}
        self.env["PYTHONPATH"] = str(project)

    def __call__(self, *args: str, stop_with: str | None = None) -> subprocess.CompletedProcess:
        env = dict(self.env, **({"STOP_WITH": stop_with} if stop_with else {}))
        return subprocess.run(
            ["make", "--no-print-directory", *args, f"PY={self.python}", f"STAMP={self.stamp}"],
            cwd=self.project, env=env, capture_output=True, text=True, timeout=600,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )


@pytest.fixture()
def built(example_outputs, tmp_path) -> tuple[Make, dict[str, bytes]]:
    """A project copy with a good report whose render is out of date (nothing else is)."""
    project = _copy_project(tmp_path)
    shutil.copytree(example_outputs, project / "build" / "example")
    make = Make(tmp_path, project)
    first = make("-q", "report")  # writes make's stamps and file lists for the example
    assert first.returncode == 1, first.stderr
    inputs, outputs = time.time() - 3 * DAY, time.time() - 2 * DAY
    for path in [make.stamp, *project.rglob("*")]:
        if path.is_file():
            os.utime(path, (inputs, inputs))
    for path in (project / "build" / "example").rglob("*"):
        if path.is_file() and ".make" not in path.parts:
            os.utime(path, (outputs, outputs))
    for name in REPORT:  # older than the code: the report is rendered again
        os.utime(project / name, (inputs - 60, inputs - 60))
    return make, {name: (project / name).read_bytes() for name in REPORT}


def _unchanged(make: Make, report: dict[str, bytes]) -> None:
    for name, content in report.items():
        path = make.project / name
        assert path.is_file(), f"{name} was deleted"
        assert path.read_bytes() == content, f"{name} was changed"
    assert not list((make.project / "build" / "example").glob(".werktop-rollback-*"))


def test_a_user_error_keeps_the_report_and_the_run_is_retried(built):
    make, report = built
    table = make.project / "build/example/results/tables/unit_attainment.csv"
    good, when = table.read_bytes(), table.stat().st_mtime
    table.write_bytes(good.replace(b"attainment", b"attainmnt", 1))
    os.utime(table, (when, when))  # a damaged table, not a newer one: only render reruns

    failed = make("report")
    assert failed.returncode != 0
    assert "error: " in failed.stderr and "attainment" in failed.stderr
    assert "Traceback" not in failed.stderr and "Deleting" not in failed.stderr
    _unchanged(make, report)
    assert make("-q", "report").returncode == 1  # still out of date: retried next time

    table.write_bytes(good)
    os.utime(table, (when, when))
    done = make("report")
    assert done.returncode == 0, done.stderr
    assert "[render] done" in done.stderr and "[analyze]" not in done.stderr
    assert make("-q", "report").returncode == 0  # up to date right after the build

    # Another study builds in its own folder: switching CONFIG back rebuilds nothing.
    shutil.copy2(make.project / "studies/example.toml", make.project / "studies/second.toml")
    assert make("-q", "report", "CONFIG=studies/second.toml").returncode == 1
    assert (make.project / "build/second/.make/config").read_text() == "studies/second.toml\n"
    assert make("-q", "report").returncode == 0


@pytest.mark.parametrize("stop_with", ["SIGTERM", "SIGINT"])
def test_a_run_stopped_after_the_new_pdf_was_written_keeps_the_old_one(built, stop_with):
    """SIGTERM: make is killed (CI timeout, ``kill``) and passes it on to the pipeline;
    SIGINT: Ctrl-C in the terminal reaches make and the pipeline together."""
    make, report = built
    stopped = make("report", stop_with=stop_with)
    assert stopped.returncode != 0
    assert "Deleting" not in stopped.stderr and "Traceback" not in stopped.stderr
    _unchanged(make, report)
    assert make("-q", "report").returncode == 1  # retried next time


def test_two_configs_with_the_same_name_never_share_a_folder(tmp_path):
    project = _copy_project(tmp_path)
    make = Make(tmp_path, project)
    assert make("-q", "report").returncode == 1
    assert (project / "build/example/.make/config").read_text() == "studies/example.toml\n"
    other = project / "elsewhere" / "example.toml"
    other.parent.mkdir()
    other.write_text((project / "studies/example.toml").read_text())

    refused = make("-q", "report", "CONFIG=elsewhere/example.toml")
    assert refused.returncode == 2
    assert ("build/example/ holds the outputs of studies/example.toml, not of "
            "elsewhere/example.toml") in refused.stderr
    pipeline = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", "--config", str(other)],
        cwd=project, env=make.env, capture_output=True, text=True, check=False,
    )
    assert pipeline.returncode == 2 and "Traceback" not in pipeline.stderr
    assert ("error: build/example/ holds the outputs of studies/example.toml, not of "
            "elsewhere/example.toml") in pipeline.stderr
    assert "--out" in pipeline.stderr
    assert not (project / "build/example/data").exists()  # nothing was written
