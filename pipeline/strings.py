"""The report's fixed text: shared strings plus each chapter's own, in one language.

``report_templates/strings/<lang>.toml`` holds what every chapter uses (table and figure
words, multiplicity methods); ``pipeline/chapters/<key>/<lang>.toml`` holds a chapter's own
text. They are merged into one mapping; a key defined twice is an error, so a chapter can
never silently overwrite another's text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from pipeline.chapter import Chapter
from pipeline.config import LANGUAGES, PROJECT_ROOT
from pipeline.errors import UserError

STRINGS_DIR = PROJECT_ROOT / "report_templates" / "strings"


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"strings file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc


def merge_strings(target: dict, extra: dict, source: str, where: str = "") -> dict:
    """Deep-merge ``extra`` into ``target``; a leaf defined in both is an error."""
    for key, value in extra.items():
        dotted = f"{where}.{key}" if where else key
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_strings(target[key], value, source, dotted)
        elif key in target:
            raise UserError(f"{source}: string {dotted!r} is already defined elsewhere")
        else:
            target[key] = value
    return target


def load_strings(language: str, chapters: Iterable[Chapter] = ()) -> dict:
    """The fixed text of the report in ``language``: shared strings plus the chapters'."""
    if language not in LANGUAGES:
        raise UserError(f"report language {language!r} — expected one of {LANGUAGES}")
    strings = _read(STRINGS_DIR / f"{language}.toml")
    for chapter in chapters:
        path = chapter.strings_file(language)
        if path.is_file():
            merge_strings(strings, _read(path), str(path))
    return strings
