"""Numbered subsections: every ``<h3>`` of a numbered chapter gets "<chapter>.<n> ".

The 2014 report numbers its subsections (4.1, 4.2, ...). Templates write plain ``<h3>``
headings; the render stage numbers them here, in document order, so no template numbers
by hand and adding a subsection renumbers the rest. Rules:

- only sections ``<section class="chapter ...">`` that are not appendices, and only
  ``<h3>`` elements without a ``class`` attribute (a classed h3 is a label, not a
  subsection, e.g. the scorecard's details heading);
- a heading that already starts with its number ("8.2 ...", written by a template) keeps
  it, and the count continues from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SECTION = re.compile(r'<section class="(?P<classes>[^"]*)" id="(?P<key>[^"]+)">')
_H3 = re.compile(r"<h3>(?P<body>\s*)")


def number_headings(html: str, chapter_numbers: Mapping[str, str]) -> str:
    """``html`` with the plain ``<h3>`` headings of numbered chapters numbered."""
    # Top-level sections only (chapters, front and back matter); nested sections such as
    # the unit profiles belong to the chapter around them.
    starts = [m for m in _SECTION.finditer(html)
              if {"chapter", "front", "back", "title-page"} & set(m["classes"].split())]
    out: list[str] = []
    last = 0
    for i, match in enumerate(starts):
        classes = match["classes"].split()
        end = starts[i + 1].start() if i + 1 < len(starts) else len(html)
        number = chapter_numbers.get(match["key"], "")
        if "chapter" not in classes or "appendix" in classes or not number:
            continue
        count = 0
        pieces = []
        body = html[match.end():end]
        own = re.compile(rf"{re.escape(number)}\.(\d+)\s")
        for h3 in _H3.finditer(body):
            after = body[h3.end():h3.end() + 16]
            written = own.match(after)
            if written:
                count = int(written.group(1))
                continue
            count += 1
            pieces.append((match.end() + h3.end(), f"{number}.{count} "))
        for at, text in pieces:
            out.append(html[last:at])
            out.append(text)
            last = at
    out.append(html[last:])
    return "".join(out)
