"""Redraw a figure only when something it reads has changed.

A figure is drawn from its results tables, ``stats.json``, the language, the footer and
some of the report strings. Editing a chapter's text (``nl.toml``) reruns the plot stage
(figure labels live there too), but most figures read none of the strings edited. So
each figure's inputs are fingerprinted: the tables, stats, language, footer and the code
that draws (every ``.py`` of ``pipeline/report/``, ``pipeline/chapters/`` and the plot
stage, and matplotlib's version) exactly, and the strings by *the entries the figure
read* the last time it was drawn (recorded by :class:`RecordingStrings`, with their
values' hashes). When all of them are unchanged and the figure's files exist with the
bytes recorded, the plot stage writes those files again instead of drawing.

This is sound because drawing is deterministic (``pipeline/report/figure_style.py``) and a
figure's choices depend only on what it reads: an entry it did not read cannot change
its output, and every entry it read is compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.study.config import PROJECT_ROOT, OutputPaths

#: Version of the fingerprint's recipe: a change here invalidates every cached figure.
RECIPE = 1
_WHOLE = "*"  # a recorded path whose whole subtree was read (iteration, len, items)


def figure_cache_path(paths: OutputPaths, language: str) -> Path:
    """Where the plot stage keeps what each figure read, per report language."""
    return paths.root / ".cache" / f"figures_{language}.json"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RecordingStrings(Mapping):
    """A read-only view of the report strings that records what is read.

    ``log`` maps a path (keys joined by ``\\x1f``; a trailing ``*`` for a subtree read
    as a whole) to the hash of the value found there, or ``None`` where the key was
    absent. Nested tables come back as recording views themselves.
    """

    def __init__(self, data: Mapping, log: dict[str, str | None] | None = None,
                 path: tuple[str, ...] = ()) -> None:  # fmt: skip
        self._data, self._path = data, path
        self.log: dict[str, str | None] = {} if log is None else log

    def _key(self, *parts: str) -> str:
        return "\x1f".join((*self._path, *parts))

    def _whole(self) -> None:
        self.log[self._key(_WHOLE)] = _digest(_plain(self._data))

    def __getitem__(self, key: str) -> Any:
        if key not in self._data:
            self.log[self._key(str(key))] = None
            raise KeyError(key)
        value = self._data[key]
        if isinstance(value, Mapping):
            # the child records its own reads; its presence as a table is recorded here
            self.log.setdefault(self._key(str(key)), "table")
            return RecordingStrings(value, self.log, (*self._path, str(key)))
        self.log[self._key(str(key))] = _digest(value)
        return value

    def __contains__(self, key: object) -> bool:
        present = key in self._data
        if not present:
            self.log[self._key(str(key))] = None
        else:
            self.log.setdefault(self._key(str(key)), "present")
        return present

    def __iter__(self) -> Iterator[str]:
        self._whole()
        return iter(self._data)

    def __len__(self) -> int:
        self._whole()
        return len(self._data)


def _plain(data: Any) -> Any:
    if isinstance(data, RecordingStrings):
        data = data._data
    if isinstance(data, Mapping):
        return {str(k): _plain(v) for k, v in data.items()}
    return data


def _lookup(strings: Mapping, path: str) -> str | None:
    """The hash a recorded ``path`` would have in ``strings`` now (as the log records it)."""
    parts = path.split("\x1f")
    whole = parts[-1] == _WHOLE
    node: Any = strings
    for part in parts[:-1] if whole else parts:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if whole:
        return _digest(_plain(node))
    return "table" if isinstance(node, Mapping) else _digest(node)


def strings_unchanged(strings: Mapping, log: Mapping[str, str | None]) -> bool:
    """Whether every entry of ``log`` reads the same in ``strings`` now."""
    for path, recorded in log.items():
        now = _lookup(strings, path)
        if recorded in ("table", "present"):
            if now is None:
                return False
            if recorded == "table" and now != "table":
                return False
        elif now != recorded:
            return False
    return True


_CODE_DIGEST: dict[str, str] = {}


def code_digest() -> str:
    """One hash of the code that draws figures (and matplotlib's version)."""
    if "digest" not in _CODE_DIGEST:
        import matplotlib

        h = hashlib.sha256(f"{RECIPE}:{matplotlib.__version__}".encode())
        files = [*sorted((PROJECT_ROOT / "pipeline" / "report").rglob("*.py")),
                 *sorted((PROJECT_ROOT / "pipeline" / "chapters").rglob("*.py")),
                 PROJECT_ROOT / "pipeline" / "stages" / "plot.py"]  # fmt: skip
        for path in files:
            h.update(str(path.relative_to(PROJECT_ROOT)).encode())
            h.update(path.read_bytes())
        _CODE_DIGEST["digest"] = h.hexdigest()
    return _CODE_DIGEST["digest"]


def inputs_digest(tables: Mapping[str, pd.DataFrame], stats: Mapping[str, Any],
                  language: str, footer: str | None) -> str:  # fmt: skip
    """Hash of everything a figure reads except the strings."""
    h = hashlib.sha256(code_digest().encode())
    h.update(_digest([language, footer, stats]).encode())
    for name in sorted(tables):
        frame = tables[name]
        h.update(name.encode())
        h.update(_digest([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def read_cache(path: Path) -> dict[str, Any]:
    """The cache file (figure name -> entry), empty when absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("recipe") == RECIPE else {}


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
