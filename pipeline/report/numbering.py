"""Chapter, table and figure numbers and the table of contents, derived from the registry.

Nothing in a template is numbered by hand: a template asks ``ref.table("unit_attainment")``
or ``ref.figure("employment_comparison")`` and gets the number, wherever the exhibit is
declared. Chapters are numbered 1, 2, … in registry order; appendices I, II, III; exhibits
run through the main chapters (Tabel 1, 2, …) and restart per appendix (Tabel I.1, I.2, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.report.chapter import Chapter

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class TocEntry:
    key: str
    number: str
    kind: str


class References:
    """Numbers by key, for templates (``ref.chapter``, ``ref.table``, ``ref.figure``)."""

    def __init__(self, chapters: Iterable[Chapter], absent: Iterable[str] = ()) -> None:
        absent = set(absent)
        self._chapters: dict[str, str] = {}
        self._exhibits: dict[str, str] = {}
        self.toc: list[TocEntry] = []
        main = appendix = 0
        counters = {"table": 0, "figure": 0}
        for chapter in chapters:
            if chapter.kind == "chapter":
                main += 1
                number, prefix = str(main), ""
            elif chapter.kind == "appendix":
                number = ROMAN[appendix]
                appendix += 1
                prefix = f"{number}."
                counters = {"table": 0, "figure": 0}
            else:
                number, prefix = "", ""
            self._chapters[chapter.key] = number
            if chapter.kind != "front" and chapter.in_toc:
                self.toc.append(TocEntry(chapter.key, number, chapter.kind))
            # A chapter without its source shows no exhibits: they take no numbers.
            for exhibit in () if chapter.key in absent else chapter.exhibits:
                kind = exhibit.partition(":")[0]
                counters[kind] += 1
                self._exhibits[exhibit] = f"{prefix}{counters[kind]}"

    def chapter(self, key: str) -> str:
        return self._lookup(self._chapters, key, "chapter")

    def table(self, key: str) -> str:
        return self._lookup(self._exhibits, f"table:{key}", "table")

    def figure(self, key: str) -> str:
        return self._lookup(self._exhibits, f"figure:{key}", "figure")

    @property
    def exhibits(self) -> Mapping[str, str]:
        return dict(self._exhibits)

    @staticmethod
    def _lookup(table: Mapping[str, str], key: str, kind: str) -> str:
        try:
            return table[key]
        except KeyError:
            # A template asking for an undeclared exhibit is a programming error: fail loudly.
            raise KeyError(f"no {kind} {key!r} is declared in any chapter's exhibits") from None
