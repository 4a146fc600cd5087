"""Literature (back matter, after the conclusions): the works the report cites.

The entries are in ``references.toml`` beside this file (one table per work, the same in
both languages); ``cite`` is how the text cites the work ("Holm, 1979"). Every entry is
cited somewhere in the report and every work the report cites is listed
(tests/test_back_matter.py checks both directions on the rendered report).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pipeline.report.chapter import Chapter, ViewInputs

REFERENCES = Path(__file__).with_name("references.toml")


def references() -> list[dict[str, Any]]:
    """The entries of ``references.toml``, sorted by their citation (author, year)."""
    with REFERENCES.open("rb") as fh:
        entries = tomllib.load(fh)["references"]
    return sorted(({"key": k, **v} for k, v in entries.items()),
                  key=lambda e: e["cite"].casefold())


def view(inputs: ViewInputs) -> dict:
    del inputs
    return {"references": references()}


CHAPTER = Chapter(key="literature", kind="back", view=view)
