"""Colophon (back matter, last page): the report's provenance and the study's settings.

Moved here from the title page so that the first pages answer the reader's question and
the technical record (code commit, data and config fingerprints, software versions, seed,
significance level) stays complete at the end of the report.
"""

from __future__ import annotations

from pipeline.report.chapter import Chapter

CHAPTER = Chapter(
    key="colophon",
    kind="back",
    in_toc=False,
    stats=("study.config", "study.seed", "study.alpha",
           "provenance.commit", "provenance.algorithm", "provenance.data_sha256",
           "provenance.n_inputs", "provenance.config_sha256", "provenance.codebook_sha256",
           "provenance.n_codebook", "provenance.packages", "provenance.python"),
)
