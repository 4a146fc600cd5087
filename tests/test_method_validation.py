"""Reduced simulation study (methods_validation.run): loose bounds, runs in seconds.

The full study (500 studies per scenario) is in docs/method_validation.md; here 30 studies
per scenario (100 bootstrap replicates each) check that the estimators behave as
documented and that the crude comparison fails, with bounds wide enough for Monte-Carlo
error (coverage MCSE about 0.04 at n = 30).
"""

from __future__ import annotations

import numpy as np
import pytest

from methods_validation import run as mv


@pytest.fixture(scope="module")
def study():
    return mv.run(30, seed=12345, replicates=100, n_truth=60_000)


FAST = dict(replicates=50, n_truth=20_000)


def test_large_sample_check_on_a_small_size():
    from methods_validation.large import large_sample_check, render_large

    t = large_sample_check(3, {"small": (1920, 1630, 2)}, n_truth=40_000)
    assert set(t["estimate"]) == {"adjusted_or", "weighted_rd", "weighted_or", "dr_rd", "dr_or"}
    # the limits under the chapter's splines sit near the planted values
    assert (t["rel_plim_planted"].abs() < 0.02).all()
    text = render_large(t, 40_000)
    assert "| small | 3,550 | 2 |" in text and "Largest |limit / planted" in text


def test_truths_are_consistent(study):
    _, _, _, meta = study
    te, tn = meta["truth_effect"], meta["truth_null"]
    # the sensitivity estimands: near the ATT (trimming drops few), smaller for the ATO
    # (it weights towards the middle scores); zero without an effect
    assert abs(te["plim_trim_rd"] - te["patt_rd"]) < 0.02 and 0.03 < te["plim_ato_rd"] < 0.2
    assert abs(tn["plim_trim_rd"]) < 0.005 and abs(tn["plim_ato_rd"]) < 0.005
    assert te["conditional_or"] == 2.0 and tn["conditional_or"] == 1.0
    assert tn["patt_rd"] == 0.0 and tn["patt_or"] == pytest.approx(1.0)
    # non-collapsibility: the marginal OR lies between 1 and the conditional OR
    assert 1.0 < te["patt_or"] < 2.0 and 0.05 < te["patt_rd"] < 0.2
    # probability limits of the chapter's specification: near, not at, the planted values
    assert 1.9 < te["plim_conditional_or"] < 2.15
    assert abs(te["plim_patt_rd"] - te["patt_rd"]) < 0.01
    assert abs(tn["plim_conditional_or"] - 1.0) < 0.05 and abs(tn["plim_patt_rd"]) < 0.01
    # the doubly robust limit and the AME over the treated target the population ATT
    assert abs(te["plim_dr_rd"] - te["patt_rd"]) < 0.01 and abs(tn["plim_dr_rd"]) < 0.01
    assert abs(te["plim_ame_att_rd"] - te["patt_rd"]) < 0.01


def test_the_validation_reads_the_chapters_specification():
    from pipeline.study.codebook import load_codebook
    from pipeline.study.config import DEFAULT_CODEBOOK
    from pipeline.study.plan import load_plan

    covs = load_plan(load_codebook(DEFAULT_CODEBOOK)).covariates
    spec = mv.chapter_spec()
    assert spec["covariates"] == list(covs.adjust)
    assert spec["categorical"] == list(covs.categorical)
    assert spec["fixed_effects"] == list(covs.fixed_effects)
    assert spec["transforms"] == covs.transforms()
    # the models get the chapter's terms: the plan's splines, made by the chapter's code
    frame = mv._simulate(np.random.default_rng(1), 60, 50, 2.0)
    _, terms = mv.with_terms(frame, spec)
    from pipeline.chapters.jobseekers.chapter import model_terms

    assert terms == model_terms(frame, covs)[1]
    assert any("__rcs" in t for t in terms)


def test_adjusted_and_weighted_cover(study):
    eff, nul, _, _ = study
    e, n = eff.set_index("method"), nul.set_index("method")
    for key in ("adjusted_or", "adjusted_ame"):
        assert e.loc[key, "coverage"] >= 0.85
        assert n.loc[key, "rejection"] <= 0.15
        assert 0.75 < e.loc[key, "se_ratio"] < 1.3
    for key in ("weighted_rd", "weighted_or", "mest_rd", "mest_or", "boot_rd", "boot_or",
                "dr_rd", "dr_or", "drboot_rd", "drboot_or", "adjusted_att", "boot_rd_mover",
                "trim_rd", "trim_or", "ato_rd", "ato_or", "trim_rd_hc0", "ato_rd_hc0"):
        assert e.loc[key, "coverage"] >= 0.80
        assert n.loc[key, "rejection"] <= 0.20
    # unbiased within 4 Monte-Carlo SEs (log-OR has a small finite-sample bias)
    for key in ("adjusted_ame", "weighted_rd", "boot_rd", "dr_rd", "trim_rd", "ato_rd"):
        assert abs(e.loc[key, "bias"]) < 4 * e.loc[key, "bias_mcse"] + 0.005
    # the MOVER interval re-uses the weighted estimate; it is asymmetric, so it differs
    # from the Wald interval of the same replicates
    assert e.loc["boot_rd_mover", "mean_estimate"] == e.loc["boot_rd", "mean_estimate"]
    # the two branches of a sensitivity row share their point estimate
    for name in ("trim", "ato"):
        assert e.loc[f"{name}_rd", "mean_estimate"] == e.loc[f"{name}_rd_hc0", "mean_estimate"]
    # the bootstrap and the sandwich estimate the same thing: identical point estimates
    assert e.loc["boot_rd", "mean_estimate"] == pytest.approx(e.loc["mest_rd", "mean_estimate"])
    assert e.loc["drboot_rd", "mean_estimate"] == pytest.approx(e.loc["dr_rd", "mean_estimate"])
    # at the example's size every study's control ESS is below the rule's 1000
    _, _, _, meta = study
    assert meta["rule_bootstrap"] == 1.0 and meta["ess_max"] < 1000
    assert (eff["n_failed"] == 0).all() and (eff["n_studies"] == 30).all()


def test_crude_comparison_fails(study):
    eff, nul, _, _ = study
    e, n = eff.set_index("method"), nul.set_index("method")
    # confounding: age, years on benefit and health favour the candidates
    assert e.loc["crude_or", "bias"] > 0.15 and e.loc["crude_rd", "bias"] > 0.015
    assert e.loc["crude_or", "coverage"] < 0.9 and n.loc["crude_rd", "rejection"] > 0.1


def test_power_with_planted_effect(study):
    eff, _, large, _ = study
    assert eff.set_index("method").loc["adjusted_or", "rejection"] > 0.5
    assert large.set_index("method").loc["weighted_rd", "rejection"] > 0.9


def test_markdown_report(study, tmp_path):
    eff, nul, large, meta = study
    meta = meta | {"command": "python -m methods_validation.run --studies 60"}
    text = mv.render_markdown(eff, nul, large, meta, meta["large_null"])
    assert "Studies per scenario: **30**" in text and "seed **12345**" in text
    assert text.count("| Adjusted logit (HC3) |") == 4
    assert text.count("| Doubly robust ATT RD (stratified bootstrap) |") == 4
    assert text.count("| PS-weighted ATT RD (stratified bootstrap, MOVER) |") == 4
    assert text.count("| Crump-trimmed ATT RD (stratified bootstrap, MOVER) |") == 4
    assert text.count("| Overlap-weighted OR (stratified bootstrap) |") == 4
    assert "restricted cubic spline" in text
    assert "stratified bootstrap" in text and "probability limit" in text
    assert "python -m methods_validation.run --studies 60" in text
    out = tmp_path / "sub" / "mv.md"
    mv.write_atomic(out, text)
    assert out.read_text(encoding="utf-8") == text


def test_scenarios_are_deterministic():
    a = mv.run_scenario(2.0, 3, seed=99, **FAST)
    b = mv.run_scenario(2.0, 3, seed=99, workers=2, **FAST)
    np.testing.assert_array_equal(a["estimate"].to_numpy(), b["estimate"].to_numpy())
    np.testing.assert_array_equal(a["se"].to_numpy(), b["se"].to_numpy())
    assert len(a) == 3 * len(mv.METHODS)


def test_main_rejects_too_few_studies(tmp_path):
    with pytest.raises(SystemExit):
        mv.main(["--studies", "1", "--out", str(tmp_path / "x.md")])


def test_progress_only_on_a_terminal_and_the_same_numbers(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    quiet = mv.run_scenario(2.0, 2, seed=99, **FAST)
    assert pipe.getvalue() == ""
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    shown = mv.run_scenario(2.0, 2, seed=99, label="planted effect", **FAST)
    assert "\rmethod validation: planted effect 2/2" in term.getvalue()
    np.testing.assert_array_equal(quiet["estimate"].to_numpy(), shown["estimate"].to_numpy())
