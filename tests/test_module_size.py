"""No module is over about 500 lines unless it says, in its first lines, why it is one
coherent thing (CONTRIBUTING.md, "Small modules"): a long module either splits by job or
starts its docstring's second paragraph with "One module on purpose: <why>"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("pipeline", "analysis", "synthetic", "methods_validation", "benchmarks")
LIMIT = 500
REASON = "One module on purpose:"
#: How a module's first lines may say why it is long (either wording).
REASONS = re.compile(r"one module on purpose|over 500 lines", re.IGNORECASE)
#: Long modules that are known to need a split, with the reason they have not been split
#: yet; an entry that is no longer long fails the test, so the list cannot go stale.
TO_SPLIT: dict[str, str] = {}


def long_modules_without_reason(root: Path = ROOT) -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > LIMIT and not REASONS.search("\n".join(lines[:15])):
                found.append(f"{path.relative_to(root)} ({len(lines)} lines)")
    return found


def test_every_long_module_says_why_it_is_one_module():
    found = long_modules_without_reason()
    assert [f for f in found if f.split(" (")[0] not in TO_SPLIT] == []
    # a module on the to-split list that is no longer long must leave the list
    assert sorted(f.split(" (")[0] for f in found) == sorted(TO_SPLIT)


@pytest.mark.parametrize("reason", [True, False])
def test_the_check_catches_a_long_module_without_a_reason(tmp_path, reason):
    (tmp_path / "analysis").mkdir()
    head = f'"""Something.\n\n{REASON} it is one thing.\n"""\n' if reason else '"""Something."""\n'
    (tmp_path / "analysis" / "big.py").write_text(head + "x = 1\n" * (LIMIT + 1))
    (tmp_path / "analysis" / "small.py").write_text("x = 1\n" * 10)
    expected = [] if reason else [f"analysis/big.py ({LIMIT + 1 + head.count(chr(10))} lines)"]
    assert long_modules_without_reason(tmp_path) == expected
