"""The report's fixed text: shared strings plus each chapter's own, in one language.

``report_templates/strings/<lang>.toml`` holds what every chapter uses (table and figure
words, multiplicity methods); ``pipeline/chapters/<key>/<lang>.toml`` holds a chapter's own
text. They are merged into one mapping; a key defined twice is an error, so a chapter can
never silently overwrite another's text. The files of one folder have the same keys in every
language: a string missing (or misspelt) in one language is an error naming the file, the
key and the nearest key of the other language.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path

from pipeline.report.chapter import Chapter
from pipeline.study.config import LANGUAGES, PROJECT_ROOT
from pipeline.study.errors import UserError

STRINGS_DIR = PROJECT_ROOT / "report_templates" / "strings"


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UserError(f"strings file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc


def _leaves(doc: dict, where: str = "") -> set[str]:
    """The dotted keys of every string (non-table value) of a strings file."""
    out: set[str] = set()
    for key, value in doc.items():
        dotted = f"{where}.{key}" if where else key
        out |= _leaves(value, dotted) if isinstance(value, dict) else {dotted}
    return out


def check_same_keys(path: Path, doc: dict) -> None:
    """Stop unless ``doc`` (read from ``path``, e.g. ``.../nl.toml``) has the same keys as
    the other languages' files next to it; a key in one file only is named together with
    the nearest key the other file has instead (which of the two is misspelt is for the
    reader to see)."""
    mine = _leaves(doc)
    for other in LANGUAGES:
        other_path = path.with_name(f"{other}.toml")
        if other_path == path or not other_path.is_file():
            continue
        theirs = _leaves(_read(other_path))
        only_mine, only_theirs = sorted(mine - theirs), sorted(theirs - mine)
        if only_mine:
            key = only_mine[0]
            close = difflib.get_close_matches(key, only_theirs, n=1, cutoff=0.6)
            instead = f", which has {close[0]!r} instead" if close else ""
            raise UserError(f"{path}: string {key!r} is not in {other_path.name}{instead}; "
                            "every language needs the same keys")
        if only_theirs:
            raise UserError(f"{path}: string {only_theirs[0]!r} is missing; "
                            f"{other_path.name} has it (every language needs the same keys)")


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
    shared = STRINGS_DIR / f"{language}.toml"
    strings = _read(shared)
    check_same_keys(shared, strings)
    for chapter in chapters:
        path = chapter.strings_file(language)
        if path.is_file():
            doc = _read(path)
            check_same_keys(path, doc)
            merge_strings(strings, doc, str(path))
    return strings
