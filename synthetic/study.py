"""Generate the synthetic example study: five messy raw exports with known true effects.

``simulate_study(out_dir)`` draws respondents from the scenario in ``synthetic.scenario``
(``synthetic.model``), plants the mess real exports have (``synthetic.mess``) and writes

- ``ondernemers.xlsx``        employer survey (Excel, Dutch labels, mixed date cells)
- ``kandidaten.sav``          candidate survey (SPSS, codes + value labels, user-missing)
- ``controlegroep.csv``       control-group survey (cp1252, ``;``, decimal commas, CRLF)
- ``register_gemeenten.csv``  unit register (UTF-8 with BOM, ``;``, decimal commas)
- ``interviews_codering.csv`` interview coding (UTF-8, ``,``)
- ``SCENARIO.md`` and ``truth.json`` (every true parameter and every planted problem)
- a study config TOML pointing at the files.

Everything is driven by the codebook (names, labels, aliases, missing codes) and by the seed:
the same seed gives byte-identical files (zip and SPSS header timestamps are fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.outputs import console
from pipeline.outputs.io import write_bytes, write_json, write_text
from pipeline.study.codebook import Codebook, load_codebook
from pipeline.study.config import DEFAULT_CODEBOOK
from synthetic import scenario as S
from synthetic import texts as T
from synthetic.draws import stream_rng, typo_stream_rng
from synthetic.employers import draw_employers
from synthetic.interviews import interviews_csv
from synthetic.mess import Survey, add_test_rows, field_dates, plant_mess, plant_typos
from synthetic.model import JobseekerDraw, draw_jobseekers
from synthetic.personal_data import PiiFactory
from synthetic.truth import (
    realised_summary,
    reference_draws,
    reference_values,
    scenario_markdown,
    true_att_regular_job,
    true_parameters,
)
from synthetic.writers import (
    config_text,
    csv_text,
    register_csv,
    render_table,
    sav_bytes,
    xlsx_bytes,
)


def _n(base: int, scale: float) -> int:
    return max(40, round(base * scale))


#: The steps of :func:`simulate_study`, for its progress line (on a terminal only).
_STEPS = ("drawing employers", "drawing candidates", "drawing control", "writing employers",
          "writing candidates", "writing control", "writing register and interviews",
          "writing truth and config")


def draw_surveys(
    cb: Codebook, seed: int, scale: float, pii: PiiFactory,
    step: Callable[[str], None] = lambda note: None,
) -> tuple[dict[str, Survey], dict[str, JobseekerDraw]]:
    """The three surveys with the scenario's model and planted mess, before anything is
    written: the example study's respondents for its seed (``synthetic.foreign`` moves the
    same respondents into another study). ``step`` is told when each survey starts."""
    surveys: dict[str, Survey] = {}
    draws: dict[str, JobseekerDraw] = {}

    # employers
    step("drawing employers")
    rng = stream_rng(seed, "employers")
    inst = cb.instruments["employers"]
    n = _n(S.SAMPLE_SIZES["employers"], scale)
    frame, units = draw_employers(rng, inst, n, cb)
    dates = field_dates(rng, S.FIELD_PERIOD["employers"], n)
    sv = plant_mess(rng, "employers", inst, frame, units, dates, cb, pii, T.WENSEN_EMPLOYERS)
    add_test_rows(rng, sv, frame, T.EMPLOYER_TEST_TEXT, cb)
    plant_typos(typo_stream_rng(seed, "employers"), sv, cb, S.LABEL_TYPOS["employers"])
    surveys["employers"] = sv

    # candidates and control
    for name in ("candidates", "control"):
        step(f"drawing {name}")
        rng = stream_rng(seed, name)
        inst = cb.instruments[name]
        n = _n(S.SAMPLE_SIZES[name], scale)
        if name == "control":
            ineligible = np.zeros(n, dtype=bool)
            k = max(1, round(S.RATES["ineligible_control"] * n))
            ineligible[rng.choice(n, size=k, replace=False)] = True
            treat = ineligible.astype(float)
        else:
            ineligible, treat = None, np.ones(n)
        draw = draw_jobseekers(rng, inst, name, treat, cb)
        frame, units = draw.frame, draw.unit
        draws[name] = draw
        dates = field_dates(rng, S.FIELD_PERIOD[name], n)
        awkward = T.WENSEN_AWKWARD if name == "control" else None
        sv = plant_mess(
            rng, name, inst, frame, units, dates, cb, pii, T.WENSEN_JOBSEEKERS, awkward, ineligible
        )
        template = frame.loc[~ineligible] if ineligible is not None else frame
        add_test_rows(rng, sv, template, T.JOBSEEKER_TEST_TEXT, cb)
        plant_typos(typo_stream_rng(seed, name), sv, cb, S.LABEL_TYPOS[name])
        surveys[name] = sv
    return surveys, draws


def simulate_study(
    out_dir: Path, *, seed: int = 20140601, scale: float = 1.0, config_path: Path | None = None
) -> dict[str, Path]:
    """Write the synthetic example study into ``out_dir``; return name -> path."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    with console.progress("simulate", len(_STEPS)) as bar:

        def step(note: str) -> None:  # a step starts: the ones before it are done
            bar.update(_STEPS.index(note), note)

        paths = _simulate_study(Path(out_dir), seed, scale, config_path, step)
        bar.update(len(_STEPS))
    return paths


def _simulate_study(
    out_dir: Path, seed: int, scale: float, config_path: Path | None,
    step: Callable[[str], None],
) -> dict[str, Path]:
    cb = load_codebook(DEFAULT_CODEBOOK)
    pii = PiiFactory(np.random.default_rng(np.random.SeedSequence([seed, 0])))
    surveys, draws = draw_surveys(cb, seed, scale, pii, step)

    paths = {name: out_dir / S.FILE_NAMES[name] for name in S.FILE_NAMES}
    step("writing employers")
    write_bytes(
        paths["employers"], xlsx_bytes(stream_rng(seed, "employers"), surveys["employers"], cb)
    )
    step("writing candidates")
    write_bytes(
        paths["candidates"], sav_bytes(stream_rng(seed, "candidates"), surveys["candidates"], cb)
    )
    step("writing control")
    headers, columns = render_table(stream_rng(seed, "control"), surveys["control"], cb, "csv")
    write_bytes(paths["control"], csv_text(headers, columns, ";", "\r\n").encode("cp1252"))
    step("writing register and interviews")
    write_bytes(paths["register"], register_csv(cb).encode("utf-8-sig"))
    interviews_text, interviews_truth = interviews_csv(stream_rng(seed, "interviews"), cb, pii)
    write_bytes(paths["interviews"], interviews_text.encode("utf-8"))

    step("writing truth and config")
    files = {name: sv.truth for name, sv in surveys.items()}
    compared = [u.id for u in cb.comparison_units if u.id in S.COMPARISON_UNITS]
    files["register"] = {
        "file": S.FILE_NAMES["register"],
        "rows_in_file": len(cb.units) + len(compared),
        "comparison_units": compared,
    }
    files["interviews"] = interviews_truth
    ref_candidates, ref_control = reference_draws(cb)
    truth = {
        "synthetic": True,
        "seed": seed,
        "scale": scale,
        "parameters": true_parameters(cb),
        "expected_population": reference_values(ref_candidates.frame, ref_control.frame, cb),
        "true_att_regular_job": true_att_regular_job(
            ref_candidates, draws["candidates"], surveys["candidates"].kept
        ),
        "realised": {
            name: realised_summary(surveys[name].expected, cb.instruments[name], cb)
            for name in ("candidates", "control")
        },
        "files": files,
        "planted_pii": list(pii.planted),
        "planted_pii_by_kind": pii.by_kind,
        "rates": S.RATES,
    }
    paths["scenario"] = out_dir / "SCENARIO.md"
    paths["truth"] = out_dir / "truth.json"
    write_text(paths["scenario"], scenario_markdown(truth))
    write_json(paths["truth"], truth)
    config_path = Path(config_path) if config_path is not None else out_dir / "study.toml"
    write_text(config_path, config_text(config_path, paths, seed))
    paths["config"] = config_path
    return paths
