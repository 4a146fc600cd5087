"""Shared fixtures: the project's codebook and helpers to build raw exports in memory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from pipeline.inputs.readers import RawExport
from pipeline.study.codebook import load_codebook
from pipeline.study.config import DEFAULT_CODEBOOK


@pytest.fixture(scope="session")
def codebook():
    return load_codebook(DEFAULT_CODEBOOK)


def make_raw(columns: list[str], rows: list[dict], *, file: str = "test.csv", **meta) -> RawExport:
    """A RawExport as a CSV reader would return it; unspecified cells are blank."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    return RawExport(
        file=file,
        columns=list(columns),
        rows=cells,
        source_rows=list(range(2, len(rows) + 2)),
        meta={"format": "csv", "decimal": meta.pop("decimal", ","), **meta},
    )


_EXAMPLE_RUN: list[Path] = []


def example_run() -> Path:
    """One full run of the shipped example study (``pipeline run``) per test session,
    shared by every test that only reads its outputs, plus the English report drawn and
    rendered from the same results (``plot`` and ``render --lang en``: figures in
    ``figures/en``, ``reports/werktop_report_en.*``; about 30-40 s), so that the layout,
    back-matter and consistency checks run on both languages. Tests must not modify it:
    copy what you change."""
    if not _EXAMPLE_RUN:
        from pipeline.cli import main
        from pipeline.study.config import PROJECT_ROOT

        out = Path(tempfile.mkdtemp(prefix="werktop-example-")) / "out"
        config = PROJECT_ROOT / "studies" / "example.toml"
        assert main(["run", "--config", str(config), "--out", str(out)]) == 0
        # the run's own summary stays (a stage command writes its own; tests read the run's)
        summary = out / "logs" / "run_summary.json"
        kept = summary.read_bytes()
        for stage in ("plot", "render"):
            assert main(["-q", stage, "--lang", "en", "--config", str(config),
                         "--out", str(out)]) == 0  # fmt: skip
        summary.write_bytes(kept)
        _EXAMPLE_RUN.append(out)
    return _EXAMPLE_RUN[0]


@pytest.fixture(scope="session")
def example_outputs() -> Path:
    """The shared example run (see ``example_run``)."""
    yield example_run()
    shutil.rmtree(example_run().parent, ignore_errors=True)
