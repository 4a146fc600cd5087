"""Title page: title, the synthetic-data notice, the study's settings, sample sizes, contents."""

from __future__ import annotations

from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, SourceAbsent


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    """Respondents after cleaning, per survey (the title page's sample table)."""
    n: dict[str, int] = {}
    try:
        n["employers"] = len(inputs.data("employers"))
    except SourceAbsent:
        pass
    jobseekers = inputs.data("jobseekers")
    n["candidates"] = int((jobseekers["werktop"] == 1).sum())
    n["control"] = int((jobseekers["werktop"] == 0).sum())
    return ChapterResults(stats={"n": n})


CHAPTER = Chapter(
    key="title",
    kind="front",
    analyze=analyze,
    stats=("study.title", "study.synthetic", "study.alpha", "study.seed", "study.config",
           "n.employers", "n.candidates", "n.control",
           "provenance.commit", "provenance.algorithm", "provenance.data_sha256",
           "provenance.n_inputs",
           "provenance.config_sha256", "provenance.codebook_sha256",
           "provenance.n_codebook", "provenance.packages", "provenance.python"),
)
