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


#: Entries with ``when = "<name>"`` are listed only when the study uses that method, as
#: the glossary that cites them (glossary/chapter.py ``WHEN``): name -> test on stats.json.
WHEN: dict[str, Any] = {
    "holm": lambda stats: stats.get("outcome_family", {}).get("method") == "holm",
}


def references(stats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The entries of ``references.toml`` this study cites (all without ``stats``), sorted
    by their citation (author, year)."""
    with REFERENCES.open("rb") as fh:
        entries = tomllib.load(fh)["references"]
    chosen = [{"key": k, **v} for k, v in entries.items()
              if stats is None or "when" not in v or WHEN[v["when"]](stats)]
    return sorted(chosen, key=lambda e: e["cite"].casefold())


def view(inputs: ViewInputs) -> dict:
    return {"references": references(dict(inputs.stats))}


CHAPTER = Chapter(key="literature", kind="back", view=view, stats=("outcome_family.method",))
