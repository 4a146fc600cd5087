"""Which stages are out of date, judged the way make judges them (file times).

``python -m pipeline run --stale-only`` runs only these stages, all in one process, so
``make report`` starts one Python process instead of one per stage while make's file
dependencies still decide whether anything runs at all (see the Makefile's report rule).

A stage is stale when one of its outputs (from the catalog) is missing or older than one
of its inputs: the outputs of every earlier stage, its own code (the same lists the
Makefile uses, :mod:`pipeline.runner.make_targets`), and for ingest the study's raw exports,
config and codebook plus make's stamps (``.venv/.installed``, and in the output root
``.make/config`` and ``.make/key``: the pseudonym key's fingerprint). Once a stage is
stale, every later stage is too.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.outputs.catalog import STAGES, artifacts, instruments_of
from pipeline.report.chapter import CHAPTERS_DIR, load_chapters
from pipeline.study.config import PROJECT_ROOT, OutputPaths, StudyConfig

#: make's stamp of the environment: a new one rebuilds everything (as do the output root's
#: ``.make/config`` and ``.make/key``, :class:`~pipeline.study.config.OutputPaths`).
VENV_STAMP = PROJECT_ROOT / ".venv" / ".installed"


def _mtimes(paths: list[Path]) -> list[float | None]:
    out: list[float | None] = []
    for p in paths:
        try:
            out.append(p.stat().st_mtime)
        except OSError:
            out.append(None)
    return out


def stale_stages(config: StudyConfig, paths: OutputPaths, language: str) -> list[str]:
    """The stages to run, in order, for the report in ``language``.

    Parameters
    ----------
    config : StudyConfig
        The study.
    paths : OutputPaths
        Where the outputs are.
    language : str
        The report language (plot and render outputs of this language only).

    Returns
    -------
    list of str
        A suffix of :data:`pipeline.outputs.catalog.STAGES` (empty when everything is up to date).
    """
    from pipeline.runner.make_targets import _code, study_inputs

    listed = artifacts(paths, instruments_of(config), load_chapters(CHAPTERS_DIR), (language,))
    stamps = [VENV_STAMP, paths.config_stamp, paths.key_stamp]
    earlier: list[Path] = [*study_inputs(config), *stamps]
    for index, stage in enumerate(STAGES):
        outputs = [a.path for a in listed if a.stage == stage]
        inputs = earlier + [PROJECT_ROOT / c for c in _code(stage)]
        out_times = _mtimes(outputs)
        in_times = [t for t in _mtimes(inputs) if t is not None]
        if any(t is None for t in out_times) or (
            in_times and outputs and min(out_times) < max(in_times)  # type: ignore[type-var]
        ):
            return list(STAGES[index:])
        earlier = earlier + outputs
    return []
