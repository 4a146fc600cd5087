"""Reading guide (front matter): how the report is organised and how to read its tables."""

from __future__ import annotations

from pipeline.report.chapter import Chapter

CHAPTER = Chapter(
    key="reading_guide",
    kind="front",
    stats=("study.synthetic", "study.confidence", "study.alpha", "outcome_family.method"),
)
