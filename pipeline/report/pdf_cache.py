"""Run WeasyPrint only when the report's HTML has changed.

The PDF is a function of the HTML alone: the HTML is self-contained (stylesheet, fonts as
data URIs, figures as inline SVG; ``pipeline/stages/render.py``) and WeasyPrint's output is
deterministic for identical HTML. So the render stage records the HTML's hash together with
the versions of the Python packages that turn it into PDF (and ``SOURCE_DATE_EPOCH``, which
stamps the font subsets) and the hash of the PDF it wrote. When the next run produces the
same HTML and the PDF on disk still has the recorded bytes, those bytes are written again
instead of laying the document out anew (WeasyPrint takes 10-15 s for the example's report;
everything else in the stage about 2 s). A touched template, an edit that changes no
output, or the other language's run reuse the PDF; any change to the HTML renders it.

Speed only: an unreadable cache or a PDF that differs from the recorded bytes is rendered.
System libraries (Pango, HarfBuzz, fontconfig) are not part of the key; after upgrading
them, delete the cache file (or ``make clean``) to render every PDF again.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.study.config import OutputPaths

#: Version of the key's recipe: a change here renders every PDF again.
RECIPE = 1
#: The packages between the HTML and the PDF bytes.
PDF_PACKAGES = ("weasyprint", "pydyf", "tinyhtml5", "tinycss2", "cssselect2", "fonttools",
                "pillow")  # fmt: skip


def pdf_cache_path(paths: OutputPaths, language: str) -> Path:
    """Where the render stage records the HTML its PDF was made from, per language."""
    return paths.root / ".cache" / f"pdf_{language}.json"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def pdf_key(html: str) -> str:
    """Hash of everything the PDF depends on: the HTML and the toolchain."""
    h = hashlib.sha256(f"{RECIPE}".encode())
    for package in PDF_PACKAGES:
        h.update(f"\x1f{package}={_version(package)}".encode())
    h.update(f"\x1fSOURCE_DATE_EPOCH={os.environ.get('SOURCE_DATE_EPOCH', '')}".encode())
    h.update(b"\x1e")
    h.update(html.encode("utf-8"))
    return h.hexdigest()


def cached_pdf(cache_path: Path, key: str, pdf_path: Path) -> bytes | None:
    """The PDF the last run wrote, if it was made from the same HTML with the same tools
    and the file still has the bytes recorded; else None: render it."""
    try:
        entry: Any = json.loads(cache_path.read_text(encoding="utf-8"))
        if not isinstance(entry, dict) or entry.get("recipe") != RECIPE:
            return None
        if entry.get("key") != key:
            return None
        data = pdf_path.read_bytes()
    except (OSError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == entry.get("pdf") else None


def cache_entry(key: str, pdf: bytes) -> bytes:
    """The cache file's content for a PDF made from the HTML with ``key``."""
    entry = {"recipe": RECIPE, "key": key, "pdf": hashlib.sha256(pdf).hexdigest()}
    return (json.dumps(entry, sort_keys=True, indent=1) + "\n").encode()
