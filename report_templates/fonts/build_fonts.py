"""Rebuild the report's bundled fonts: subsets of DejaVu Sans / DejaVu Sans Mono as WOFF.

The report (HTML and PDF) loads these files with ``@font-face`` (see the start of
``report_templates/report.css``), so the PDF's bytes do not depend on the fonts the
machine has. They are committed; this script only documents and repeats how they were
made:

    apt-get install -y fonts-dejavu-core        # version 2.37-6 (Debian 12)
    .venv/bin/python report_templates/fonts/build_fonts.py

The subset keeps Basic Latin, Latin-1 and Latin Extended-A (Dutch, names), Greek (alpha,
chi, epsilon in statistics), general punctuation (dashes, quotes, ellipsis, thin spaces),
the euro sign, letterlike symbols, arrows, mathematical operators (minus, less-or-equal,
plus-minus), geometric shapes, check and cross marks and the fi/fl ligatures, with all
OpenType layout features; hinting is dropped (PDF and screen rendering do not need it).
A character outside the subset would fall back to a system font, which the font test in
``tests/test_browser.py`` notices (the PDF would differ without system fonts).

Licence: Bitstream Vera / DejaVu (see LICENSE.txt beside this file); the DejaVu changes
are in the public domain. The subsets keep their names (the licence only forbids names
containing "Bitstream" or "Vera" for modified fonts).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/truetype/dejavu")
HERE = Path(__file__).resolve().parent
FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
         "DejaVuSansMono", "DejaVuSansMono-Bold")
UNICODES = (
    "U+0020-007E,U+00A0-017F,U+0192,U+0218-021B,U+02C6-02DD,U+0370-03FF,U+2000-206F,"
    "U+20AC,U+2100-2134,U+2190-2199,U+2200-22FF,U+2300-2310,U+25A0-25FF,U+2713-2718,"
    "U+FB01-FB02,U+FFFD"
)


def build(source: Path = SOURCE, target: Path = HERE) -> list[Path]:
    written = []
    for face in FACES:
        out = target / f"{face}.woff"
        subset.main([
            str(source / f"{face}.ttf"),
            f"--unicodes={UNICODES}",
            "--layout-features=*",
            "--no-hinting",
            "--flavor=woff",
            "--drop-tables+=FFTM",
            f"--output-file={out}",
        ])
        written.append(out)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE):
        print(f"{path.name}: {path.stat().st_size} bytes")
