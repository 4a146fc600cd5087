"""Atomic, deterministic writers shared by every stage.

Every output is written to a temporary file in the same directory and renamed into place,
so an interrupted or failed run never leaves a half-written file that make would treat as
up to date. CSVs are UTF-8 with ``\\n`` line endings and ISO dates; JSON has sorted keys.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` only if it succeeded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))


def write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as UTF-8 CSV, full precision, no index."""
    return atomic_write(
        path,
        lambda p: frame.to_csv(p, index=False, encoding="utf-8", lineterminator="\n"),
    )


def _json_default(obj: object) -> object:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return obj.as_posix()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _clean_floats(obj: object) -> object:
    """NaN and infinities are not JSON; write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_floats(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return _clean_floats(obj.item())
    return obj


def write_json(path: Path, data: object) -> Path:
    text = json.dumps(
        _clean_floats(data), indent=2, sort_keys=True, ensure_ascii=False, default=_json_default
    )
    return write_text(path, text + "\n")


def read_json(path: Path) -> object:
    with Path(path).open(encoding="utf-8") as fh:
        return json.load(fh)
