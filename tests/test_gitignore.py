"""Real survey data is never one ``git add -A`` away from a commit: the exports of the
README's own-data example are git-ignored, while the configs and the shipped example are not."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import PurePosixPath

import pytest

from pipeline.study.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _in_git() -> bool:
    if shutil.which("git") is None:
        return False
    inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=False)
    return inside.stdout.strip() == "true"


pytestmark = pytest.mark.skipif(not _in_git(), reason="not a git checkout")


def _ignored(path: str) -> bool:
    """Whether .gitignore ignores ``path`` (tracked or not, existing or not)."""
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path],
                            cwd=PROJECT_ROOT, check=False)
    assert result.returncode in (0, 1), f"git check-ignore failed on {path}"
    return result.returncode == 0


def _own_data_example() -> tuple[str, list[str]]:
    """The README's own-data walk-through: its config and the export paths it names."""
    section = README.split("## Running on your own data", 1)[1].split("\n## ", 1)[0]
    config = re.search(r"write the study config, `([^`]+\.toml)`", section).group(1)
    exports = re.findall(r'^\s*path = "([^"]+)"', section, flags=re.M)
    folder = PurePosixPath(config).parent
    return config, [str(folder / p) for p in exports]


def test_the_readme_example_exports_are_ignored():
    config, exports = _own_data_example()
    assert len(exports) == 4, exports  # the three surveys and the register of the walk-through
    assert [p for p in exports if not _ignored(p)] == []
    assert not _ignored(config)  # a study's config can be committed


def test_any_data_file_under_studies_is_ignored_and_the_shipped_files_are_not():
    for path in ("studies/mystudy/ondernemers.xlsx", "studies/kandidaten.sav",
                 "studies/exports/controlegroep.csv"):
        assert _ignored(path), path
    tracked = subprocess.run(["git", "ls-files", "studies", "data/raw", "data/codebook"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    shipped = tracked.stdout.split()
    assert "studies/example.toml" in shipped
    assert [p for p in shipped if _ignored(p)] == []
