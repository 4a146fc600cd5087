"""The chapter registry and the chapters' text files are checked like every other TOML file:
an unknown key or chapter folder, or a string that one language lacks, stops with the file,
the key and the nearest valid name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.report.chapter import CHAPTERS_DIR, load_chapters
from pipeline.report.strings import load_strings
from pipeline.study.errors import UserError


def _copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    chapters = tmp_path / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters, ignore=shutil.ignore_patterns("__pycache__"))
    path = chapters / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}; the test needs another edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return chapters


def _error(call) -> str:
    with pytest.raises(UserError) as info:
        call()
    return info.value.render()


def test_the_shipped_chapters_have_the_same_strings_in_every_language():
    chapters = load_chapters()
    assert load_strings("nl", chapters)["framework"]["title"] == "Onderzoekskader"
    assert load_strings("en", chapters)["framework"]["title"] == "Research framework"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('    "units",\n', '    "unit",\n',
         "registry.toml: chapters — 'unit' is not a chapter folder"),
        ('    "units",\n', '    "unit",\n', "did you mean 'units'?"),
        ("chapters = [", "chapter = [",
         "registry.toml: unknown key 'chapter' — did you mean 'chapters'?"),
        ('    "units",\n', '    "units",\n    "units",\n', "'units' is listed twice"),
        ('    "units",\n', "    2,\n",
         "registry.toml: chapters [" ),
    ],
)
def test_the_registry_is_checked(tmp_path, old, new, message):
    chapters = _copy(tmp_path, "registry.toml", old, new)
    err = _error(lambda: load_chapters(chapters))
    assert message in err, err


def test_a_string_misspelt_in_one_language_is_named(tmp_path):
    chapters = _copy(tmp_path, "framework/en.toml", 'title = "Research framework"',
                     'titel = "Research framework"')
    loaded = load_chapters(chapters)
    en, nl = (chapters / "framework" / f"{lang}.toml" for lang in ("en", "nl"))
    err = _error(lambda: load_strings("en", loaded))
    assert (f"{en}: string 'framework.titel' is not in nl.toml, which has 'framework.title' "
            "instead; every language needs the same keys") in err, err
    err = _error(lambda: load_strings("nl", loaded))
    assert f"{nl}: string 'framework.title' is not in en.toml, which has 'framework.titel'" \
        in err, err


def test_a_string_missing_in_one_language_is_named(tmp_path):
    chapters = _copy(tmp_path, "framework/en.toml", 'title = "Research framework"\n', "")
    err = _error(lambda: load_strings("en", load_chapters(chapters)))
    nl_only = "is missing; nl.toml has it (every language needs the same keys)"
    assert f"{chapters / 'framework' / 'en.toml'}: string 'framework.title' {nl_only}" in err
