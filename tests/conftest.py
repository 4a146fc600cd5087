"""Shared fixtures: the project's codebook and helpers to build raw exports in memory."""

from __future__ import annotations

import pytest

from pipeline.codebook import load_codebook
from pipeline.config import DEFAULT_CODEBOOK
from pipeline.readers import RawExport


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


@pytest.fixture(scope="session")
def example_outputs(tmp_path_factory):
    """One full run of the shipped example study (``pipeline run``), shared by the tests
    of the outputs it writes (workbook, SPSS files, fonts, browser layout)."""
    from pipeline.cli import main
    from pipeline.config import PROJECT_ROOT

    out = tmp_path_factory.mktemp("example")
    config = PROJECT_ROOT / "studies" / "example.toml"
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    return out
