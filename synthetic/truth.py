"""What is true about the synthetic study: ``truth.json`` and ``SCENARIO.md``.

The true parameters (from ``synthetic.scenario``), population values implied by them
(from a large clean reference draw with a fixed seed, so they do not depend on the study's
seed), summaries of the clean data actually drawn, and every planted problem per file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.study.codebook import Codebook, Instrument
from synthetic import scenario as S
from synthetic.draws import STREAMS
from synthetic.model import JobseekerDraw, draw_jobseekers

REFERENCE_N = 100_000
REFERENCE_SEED = 20140601  # the expected values are properties of the scenario, not the seed


def _scale_scores(frame: pd.DataFrame, inst: Instrument) -> dict[str, np.ndarray]:
    out = {}
    for sc in inst.scales:
        items = frame[list(sc.items)].to_numpy(dtype=float).copy()
        for j, name in enumerate(sc.items):
            if name in sc.reverse_items:
                items[:, j] = sc.minimum + sc.maximum - items[:, j]
        answered = (~np.isnan(items)).sum(axis=1)
        total = np.nansum(items, axis=1)
        score = np.where(answered >= sc.min_items, total / np.maximum(answered, 1), np.nan)
        out[sc.name] = score
    return out


def realised_summary(frame: pd.DataFrame, inst: Instrument, cb: Codebook) -> dict:
    """Shares and means of the clean data a correct cleaner should recover."""
    ws = frame["werkstatus"].to_numpy(dtype=float)
    regular = inst.variable("werkstatus").code_values()[0]
    ws = ws[~np.isnan(ws)]
    apps = frame["sollicitaties_4wk"].to_numpy(dtype=float)
    tev = frame["tevreden_meerwaarde"].to_numpy(dtype=float)
    out = {
        "n": len(frame),
        "share_regular_job": float(np.mean(ws == regular)),
        "mean_sollicitaties_4wk": float(np.nanmean(apps)),
        "mean_tevreden_meerwaarde": float(np.nanmean(tev)),
        "scale_means": {},
    }
    for name, score in _scale_scores(frame, inst).items():
        out["scale_means"][name] = float(np.nanmean(score))
    return out


def _smd(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    return float((a.mean() - b.mean()) / math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))


def reference_draws(cb: Codebook) -> tuple[JobseekerDraw, JobseekerDraw]:
    """Large clean samples of candidates and control group, with a fixed seed."""
    rng = np.random.default_rng(np.random.SeedSequence([REFERENCE_SEED, STREAMS["reference"]]))
    cand_inst, ctrl_inst = cb.instruments["candidates"], cb.instruments["control"]
    cand = draw_jobseekers(rng, cand_inst, "candidates", np.ones(REFERENCE_N), cb)
    ctrl = draw_jobseekers(rng, ctrl_inst, "control", np.zeros(REFERENCE_N), cb)
    return cand, ctrl


def reference_values(cand: pd.DataFrame, ctrl: pd.DataFrame, cb: Codebook) -> dict:
    """Population values implied by the scenario, from the reference draws' frames."""
    cand_inst, ctrl_inst = cb.instruments["candidates"], cb.instruments["control"]
    sc_c, sc_k = _scale_scores(cand, cand_inst), _scale_scores(ctrl, ctrl_inst)
    regular = cand_inst.variable("werkstatus").code_values()[0]
    p1 = float(np.mean(cand["werkstatus"] == regular))
    p0 = float(np.mean(ctrl["werkstatus"] == regular))
    return {
        "n_per_group": REFERENCE_N,
        "share_regular_job": {"candidates": p1, "control": p0},
        "raw_odds_ratio_regular_job": (p1 / (1 - p1)) / (p0 / (1 - p0)),
        "raw_smd_scale_mean": {
            name: _smd(sc_c[name], sc_k[name])
            for name in ("zoekgedrag", "eigen_effectiviteit", "bejegening")
        },
        "raw_smd_tevreden_meerwaarde": _smd(
            cand["tevreden_meerwaarde"].to_numpy(float), ctrl["tevreden_meerwaarde"].to_numpy(float)
        ),
        "mean_sollicitaties_4wk": {
            "candidates": float(cand["sollicitaties_4wk"].mean()),
            "control": float(ctrl["sollicitaties_4wk"].mean()),
        },
        "mean_leeftijd": {
            "candidates": float(cand["leeftijd"].mean()),
            "control": float(ctrl["leeftijd"].mean()),
        },
        "mean_jaren_uitkering": {
            "candidates": float(cand["jaren_uitkering"].mean()),
            "control": float(ctrl["jaren_uitkering"].mean()),
        },
    }


def _att_summary(p0: np.ndarray, p1: np.ndarray) -> dict:
    # math.fsum: exactly rounded sums, so truth.json does not depend on how numpy's SIMD
    # summation meets the arrays in memory (np.mean flipped the last digit of the risk
    # difference between two builds of the same code)
    n = len(p0)
    m1, m0 = math.fsum(p1) / n, math.fsum(p0) / n
    return {
        "n": n,
        "mean_p1": m1,
        "mean_p0": m0,
        "risk_difference": math.fsum(p1 - p0) / n,
        "marginal_odds_ratio": (m1 / (1 - m1)) / (m0 / (1 - m0)),
    }


def true_att_regular_job(
    population: JobseekerDraw, example: JobseekerDraw, kept: np.ndarray
) -> dict:
    """True effect of Werktop on the treated (ATT) for a regular job, from potential outcomes.

    ``population``: the candidates of the reference draw; ``example``: the candidates drawn
    for the study, of whom ``kept`` are the ones a correct cleaner keeps (no break-offs).
    """
    return {
        "definition": (
            "p1, p0 = a Werktop participant's probability of a regular paid job with and "
            "without Werktop under the scenario's model; risk_difference = mean(p1 - p0), "
            "marginal_odds_ratio = odds(mean(p1)) / odds(mean(p0)), over the candidates"
        ),
        "conditional_odds_ratio": S.EMPLOYMENT["odds_ratio"],
        "population": _att_summary(population.p0, population.p1),
        "generated_candidates": _att_summary(example.p0, example.p1),
        "clean_candidates": _att_summary(example.p0[kept], example.p1[kept]),
    }


def true_parameters(cb: Codebook) -> dict:
    """Every true parameter of the scenario, for ``truth.json``."""
    units = {}
    for u in cb.units:
        p = S.UNITS[u.id]
        achieved = dict(zip(("contacten", "regulier", "wep"), p["behaald"], strict=True))
        targets = dict(zip(("contacten", "regulier", "wep"), S.TARGETS, strict=True))
        units[u.id] = {
            "register_name": p["register_name"],
            "members": list(u.members),
            "targets": targets,
            "achieved": achieved,
            "attainment_ratio": {k: achieved[k] / targets[k] for k in targets},
            "exceeds_all_targets": all(achieved[k] > targets[k] for k in targets),
            "attainment": p["attainment"],
            "uren_gemeente": p["uren_gemeente"],
            "uren_adviesbureau": p["uren_adviesbureau"],
            "draagvlak": p["draagvlak"],
            "employment_logit_offset": p["employment_logit"],
            "share_of_candidates": p["share_candidates"],
            "share_of_control": p["share_control"],
            "inwoners": p["inwoners"],
            "wwb_bestand": p["wwb_bestand"],
            "werkloosheid": p["werkloosheid"],
            "startdatum": p["startdatum"],
            "einddatum": p["einddatum"],
            "voortzetten": p["voortzetten"],
        }
    comparison = {
        u.id: {k: (list(v) if isinstance(v, tuple) else v)
               for k, v in S.COMPARISON_UNITS[u.id].items()}
        for u in cb.comparison_units if u.id in S.COMPARISON_UNITS
    }  # fmt: skip
    return {
        "regular_job": {
            "outcome": "werkstatus == 1 (Betaalde baan)",
            "model": "logistic in covariates + unit offset + log(odds_ratio) * Werktop",
            **S.EMPLOYMENT,
        },
        "latent_traits": S.LATENT,
        "item_loading": S.ITEM_LOADING,
        "eens5_thresholds": S.EENS5_CUTS,
        "tevreden5_thresholds": S.TEVREDEN5_CUTS,
        "item_shift": S.ITEM_SHIFT,
        "applications": {
            "outcome": "sollicitaties_4wk",
            "model": "gamma-Poisson; conditional rate ratio for Werktop",
            **S.APPLICATIONS,
        },
        "channels": S.CHANNELS,
        "p_prettig_gesprek_candidate": S.P_PRETTIG_GESPREK_CANDIDATE,
        "rm_cijfer_candidates": S.RM_CIJFER,
        "selection": S.SELECTION,
        "employers": {
            **S.EMPLOYERS,
            "item_shift": S.EMPLOYER_ITEM_SHIFT,
            "rm_cijfer": S.EMPLOYER_RM_CIJFER,
            "knelpunten": {
                k: {"base_p": b, "logit_per_sd": s} for k, (b, s) in S.KNELPUNTEN.items()
            },
            "weakest_items": ["eval_administratie", "eval_financieel"],
        },
        "units": units,
        "comparison_units": comparison,
        "units_exceeding_all_targets": [u for u, x in units.items() if x["exceeds_all_targets"]],
    }


def scenario_markdown(truth: dict) -> str:
    """``SCENARIO.md``: the scenario and the planted problems, for people."""
    p = truth["parameters"]
    ref = truth["expected_population"]
    e = p["regular_job"]
    lat = p["latent_traits"]
    lines = [
        "# Scenario of the synthetic example study",
        "",
        "**These data are synthetic.** They were generated by `python -m pipeline simulate` "
        "from the scenario below; they are not the 2014 microdata and the numbers are not "
        "the findings of the 2014 evaluation.",
        "",
        f"- seed: {truth['seed']}",
        f"- scale (multiplier of the survey sample sizes): {truth['scale']}",
        "- machine-readable version of everything on this page: `truth.json`",
        "",
        "## True effects (Werktop candidates vs control group)",
        "",
        "Selection into Werktop is not randomised: candidates are younger, shorter on "
        "benefit, speak better Dutch and have fewer health limitations. The effects below "
        "are conditional on those covariates and the unit; raw differences also contain "
        "the selection.",
        "",
        "| outcome | true conditional effect | expected raw difference (population) |",
        "|---|---|---|",
        f"| regular paid job (werkstatus = 1) | odds ratio {e['odds_ratio']} | "
        f"{ref['share_regular_job']['control']:.1%} control vs "
        f"{ref['share_regular_job']['candidates']:.1%} Werktop |",
    ]
    for name in ("zoekgedrag", "eigen_effectiviteit", "bejegening"):
        lines.append(
            f"| scale {name} | +{lat[name]['effect']} SD on the latent trait | "
            f"SMD of the scale mean {ref['raw_smd_scale_mean'][name]:+.2f} |"
        )
    lines += [
        f"| tevreden_meerwaarde | +{lat['tevreden_meerwaarde']['effect']} SD on the latent "
        f"trait | SMD {ref['raw_smd_tevreden_meerwaarde']:+.2f} |",
        f"| sollicitaties_4wk | rate ratio {p['applications']['rate_ratio']} | mean "
        f"{ref['mean_sollicitaties_4wk']['control']:.2f} control vs "
        f"{ref['mean_sollicitaties_4wk']['candidates']:.2f} Werktop |",
        "",
        "True effect of Werktop on the treated (ATT) for a regular paid job: each "
        "candidate's probability of a regular job with Werktop (p1) and without (p0) under "
        "the model, averaged over the candidates (`truth.json`: `true_att_regular_job`).",
        "",
        "| candidates | n | mean p1 | mean p0 | risk difference | marginal odds ratio |",
        "|---|---|---|---|---|---|",
    ]
    att = truth["true_att_regular_job"]
    for key, label in (
        ("population", "population (reference draw)"),
        ("generated_candidates", "drawn for this study"),
        ("clean_candidates", "kept by a correct cleaner (no break-offs)"),
    ):
        a = att[key]
        lines.append(
            f"| {label} | {a['n']} | {a['mean_p1']:.1%} | {a['mean_p0']:.1%} | "
            f"{100 * a['risk_difference']:+.1f} points | {a['marginal_odds_ratio']:.2f} |"
        )
    lines += [
        "",
        f"The marginal odds ratio differs from the conditional one ({e['odds_ratio']}): "
        "odds ratios are not collapsible.",
        "",
        "Likert items are thresholded responses to one latent trait per scale (loading "
        f"{p['item_loading']}); reverse-worded items (codebook `reverse = true`) are "
        "answered in the reverse direction. Hours and contract are asked only of "
        "respondents with a job or a work-experience place.",
        "",
        "## Units",
        "",
        "| unit | contacts | regular | work-exp. | hours municipality | hours consultancy "
        "| draagvlak | attainment |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for uid, u in p["units"].items():
        a = u["achieved"]
        lines.append(
            f"| {uid} | {a['contacten']} | {a['regulier']} | {a['wep']} | {u['uren_gemeente']} "
            f"| {u['uren_adviesbureau']} | {u['draagvlak']} | {u['attainment']} |"
        )
    lines += [
        "",
        f"Targets for every unit: {S.TARGETS[0]} new employer contacts, {S.TARGETS[1]} "
        f"regular jobs, {S.TARGETS[2]} work-experience placements. Hours invested and "
        "draagvlak go with attainment. In the group interviews each unit states whether it "
        "continues Werktop after the project (" + ", ".join(
            f"{uid}: {u['voortzetten']}" for uid, u in p["units"].items()) + ").",
        "",
        "Comparison units (register only, not evaluated; blank = not recorded): "
        + ("; ".join(
            f"{uid} — regular jobs {c['behaald'][1]}, work-experience places "
            f"{c['behaald'][2]}, caseload {c['wwb_bestand']}"
            for uid, c in p.get("comparison_units", {}).items()) or "none") + ".",
        "",
        "## Employers",
        "",
        "Mostly positive on the approach and the relationship manager; the administrative "
        "burden (reverse-worded item `eval_administratie`) and financial support "
        "(`eval_financieel`) are the weakest; administration and finance are the most "
        "frequent bottlenecks; the relationship manager's mark is mostly 6-9.",
        "",
        "## Planted problems per file",
        "",
        "| file | rows in file | respondents | duplicates | test rows | break-offs "
        "| ineligible | out-of-range | label typos | personal data |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("employers", "candidates", "control"):
        f = truth["files"][name]
        oor = sum(len(x) for x in f["out_of_range"].values())
        inel = f.get("ineligible", {}).get("count", 0)
        lines.append(
            f"| {f['file']} | {f['rows_in_file']} | {f['generated_respondents']} | "
            f"{f['duplicates']['count']} | {f['test_rows']['count']} | "
            f"{f['breakoffs']['count']} | {inel} | {oor} | {f['label_typos']['count']} | "
            f"{len(f['pii_rows'])} |"
        )
    lines += [
        "",
        "Also: unit names spelled several ways (codebook aliases, case and whitespace), "
        "label variants (aliases, case), missing answers as codes 9/99/999 (SPSS) or "
        "'weet niet' / 'geen antwoord' / blank (CSV, Excel), dates as dd-mm-jjjj text, "
        "headers in mixed case with stray spaces, and personal data (BSN, e-mail, phone, "
        "IBAN, postcode) typed into free text. Ineligible control respondents "
        "(deelname_werktop = Ja) took part in Werktop after all and were generated as such.",
        "",
    ]
    return "\n".join(lines)
