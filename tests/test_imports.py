"""The pipeline's folders import one way (CONTRIBUTING.md, the layout).

Every module's imports are read with ``ast`` (module-level and those inside functions alike)
and each import from one folder of ``pipeline/`` into another must be an allowed direction:

==========  ===========================================================================
folder      may import
==========  ===========================================================================
study       only itself
inputs      study
report      study
outputs     study, inputs, report
runner      study, inputs, report, outputs
chapters    study, inputs, report, outputs, runner (``parallel``)
stages      everything above
top level   anything (``cli``, ``__main__``, ``__init__``)
==========  ===========================================================================

Importing the package root itself (``from pipeline import __version__``) is always allowed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"

ALLOWED: dict[str, set[str]] = {
    "study": set(),
    "inputs": {"study"},
    "report": {"study"},
    "outputs": {"study", "inputs", "report"},
    "runner": {"study", "inputs", "report", "outputs"},
    "chapters": {"study", "inputs", "report", "outputs", "runner"},
    "stages": {"study", "inputs", "report", "outputs", "runner", "chapters"},
}
FOLDERS = set(ALLOWED)


def folder_of(module: str) -> str | None:
    """``pipeline.study.config`` -> ``study``; the top level (``pipeline.cli``) -> None."""
    parts = module.split(".")
    if parts[0] != "pipeline" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in FOLDERS else None


def imported_modules(source: str, module: str) -> list[str]:
    """The absolute names of every ``pipeline`` module ``source`` (module ``module``) imports."""
    names = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append(target)
            # ``from pipeline.report import charts`` imports pipeline.report.charts
            names += [f"{target}.{alias.name}" for alias in node.names]
    return [n for n in names if n == "pipeline" or n.startswith("pipeline.")]


def violations(modules: Iterable[tuple[str, str]]) -> list[str]:
    """``(module name, source)`` pairs -> one line per import against the allowed directions."""
    found: dict[tuple[str, str], str] = {}
    for module, source in modules:
        home = folder_of(module)
        if home is None:
            continue  # the top level may import anything
        for target in imported_modules(source, module):
            there = folder_of(target)
            if there is None or there == home:
                continue
            if there not in ALLOWED[home]:
                found.setdefault((module, there), f"{module} ({home}) imports {target} ({there})")
    return sorted(found.values())


def pipeline_modules() -> list[tuple[str, str]]:
    modules = []
    for path in sorted(PIPELINE.rglob("*.py")):
        relative = path.relative_to(PIPELINE.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        modules.append((name, path.read_text(encoding="utf-8")))
    return modules


def test_every_module_lives_in_a_folder_or_is_the_entry_point():
    top = sorted(p.name for p in PIPELINE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py"]
    folders = sorted(p.name for p in PIPELINE.iterdir()
                     if p.is_dir() and p.name != "__pycache__")
    assert set(folders) == FOLDERS


def test_folders_import_one_way():
    assert violations(pipeline_modules()) == []


def test_the_allowed_directions_have_no_cycle():
    seen: dict[str, int] = {}

    def visit(folder: str) -> None:
        if seen.get(folder) == 1:
            raise AssertionError(f"cycle through {folder}")
        if seen.get(folder) == 2:
            return
        seen[folder] = 1
        for below in ALLOWED[folder]:
            visit(below)
        seen[folder] = 2

    for folder in ALLOWED:
        visit(folder)


@pytest.mark.parametrize(("module", "source"), [
    ("pipeline.study.config", "from pipeline.outputs.io import atomic_write\n"),
    ("pipeline.study.config", "def f():\n    from pipeline.stages import ingest\n"),
    ("pipeline.report.view", "import pipeline.outputs.io\n"),
    ("pipeline.inputs.readers", "from pipeline.report import charts\n"),
    ("pipeline.outputs.io", "from ..stages.render import render_report\n"),
])
def test_the_checker_catches_a_violation(module, source):
    fake = [(module, source), ("pipeline.cli", "from pipeline.stages import render\n")]
    assert len(violations(fake)) == 1


def test_the_checker_allows_downward_and_top_level_imports():
    fake = [
        ("pipeline.stages.render", "from pipeline.outputs.io import atomic_write\n"),
        ("pipeline.outputs.catalog", "from pipeline.report.chapter import Chapter\n"),
        ("pipeline.report.view", "from pipeline import __version__\n"),
        ("pipeline.study.errors", "from .privacy import redact_text\n"),
        ("pipeline.cli", "from pipeline.stages.render import render_report\n"),
    ]
    assert violations(fake) == []
