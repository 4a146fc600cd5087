"""The command line's conveniences: --version, -q/-v in either position, what each level
shows (pipeline/outputs/console.py), progress drawn only on a terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from pipeline.cli import build_parser, main
from pipeline.outputs import console
from pipeline.outputs.version import package_version, version_text
from pipeline.study.config import PROJECT_ROOT


@pytest.fixture(autouse=True)
def _normal_level():
    yield
    console.set_verbosity(console.NORMAL)


def test_version_from_the_command_line_names_package_version_and_commit():
    done = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True,
                          text=True, check=False, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    version = package_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version)
    assert done.stdout.startswith(f"werktop-eval {version}")
    if (PROJECT_ROOT / ".git").exists():
        assert re.search(r"\(commit [0-9a-f]{7,}(-dirty)?\)$", done.stdout.strip())
    assert done.stdout.strip() == version_text()


def test_version_falls_back_to_pyproject_without_package_metadata(monkeypatch):
    import tomllib
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
        expected = tomllib.load(fh)["project"]["version"]
    assert package_version() == expected


@pytest.mark.parametrize(("argv", "level"), [
    (["run", "--config", "x"], console.NORMAL),
    (["-q", "run", "--config", "x"], console.QUIET),
    (["run", "--config", "x", "--quiet"], console.QUIET),
    (["--verbose", "validate", "--config", "x"], console.VERBOSE),
    (["inputs", "-v", "--config", "x"], console.VERBOSE),
    (["simulate", "--out", "x", "-q"], console.QUIET),
])
def test_quiet_and_verbose_before_or_after_the_command(argv, level):
    assert build_parser().parse_args(argv).verbosity == level


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "-q", "-v", "--config", "x"])
    assert exit_.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_each_level_shows_what_it_promises(capsys):
    def say() -> str:
        console.error("E")
        console.warn("W")
        console.result("R")
        console.info("I")
        console.detail("D")
        return capsys.readouterr().err

    console.set_verbosity(console.QUIET)
    assert say().split() == ["E", "W", "R"]
    console.set_verbosity(console.NORMAL)
    assert say().split() == ["E", "W", "R", "I"]
    console.set_verbosity(console.VERBOSE)
    assert say().split() == ["E", "W", "R", "I", "D"]


def test_user_errors_are_shown_in_quiet_mode(tmp_path, capsys):
    assert main(["-q", "ingest", "--config", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert "error: study config not found" in err and "Traceback" not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_in_place_on_a_terminal_and_erased():
    term = _Terminal()
    with console.progress("analyze: imputation", 3, stream=term) as bar:
        for _ in range(3):
            bar.advance()
            bar._drawn_at = float("-inf")  # draw every update, whatever the clock says
    text = term.getvalue()
    assert "\ranalyze: imputation 1/3" in text and "\ranalyze: imputation 3/3" in text
    assert "\n" not in text  # in place
    assert text.endswith("\r" + " " * len("analyze: imputation 3/3") + "\r")  # erased


def test_progress_is_silent_off_a_terminal_and_in_quiet_mode():
    pipe = io.StringIO()
    with console.progress("simulate", 5, stream=pipe) as bar:
        for _ in range(5):
            bar.advance()
    assert pipe.getvalue() == ""
    console.set_verbosity(console.QUIET)
    term = _Terminal()
    with console.progress("simulate", 5, stream=term) as bar:
        bar.update(5)
    assert term.getvalue() == ""


def test_progress_off_a_terminal_says_one_final_line_in_verbose_mode():
    console.set_verbosity(console.VERBOSE)
    pipe = io.StringIO()
    with console.progress("method validation", 4, stream=pipe) as bar:
        for _ in range(4):
            bar.advance()
    assert re.fullmatch(r"method validation 4/4 in \d+\.\d s\n", pipe.getvalue())


def test_a_message_during_progress_clears_the_line_first(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with console.progress("analyze: imputation", 2) as bar:
        bar.update(1)
        console.info("hello")
    text = term.getvalue()
    assert "imputation 1/2" in text
    before, after = text.split("hello\n")
    assert before.endswith("\r" + " " * len("analyze: imputation 1/2") + "\r")
    assert "analyze: imputation 1/2" in after  # redrawn after the message


def test_no_stage_prints_to_stderr_behind_the_consoles_back():
    """Every message goes through pipeline/outputs/console.py, so -q and -v reach it."""
    offenders = []
    for folder in ("pipeline", "synthetic", "analysis", "methods_validation"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path.name == "console.py":
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"file=sys\.stderr|sys\.stderr\.write", text):
                offenders.append(path.relative_to(PROJECT_ROOT).as_posix())
    assert offenders == []
