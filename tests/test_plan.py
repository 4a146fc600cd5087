"""The analysis plan loader (pipeline/study/plan.py): every key declared, every type checked, and
each problem a UserError naming the file, the entry and the key."""

from __future__ import annotations

import shutil

import pytest

from pipeline.study.config import DEFAULT_CODEBOOK
from pipeline.study.errors import UserError
from pipeline.study.plan import PLAN_FILE, load_plan


def test_the_shipped_plan_loads(codebook):
    plan = load_plan(codebook)
    assert [o.name for o in plan.family("primary")][:2] == ["werk_regulier", "werk_any"]
    assert plan.outcome("werk_any").codes == (1, 2)
    assert plan.outcome("n_knelpunten").exclude == ("knelpunt_geen",)
    assert plan.families["primary"].multiplicity == "study"
    assert plan.covariates is not None and plan.covariates.fixed_effects == ("gemeente",)


def _error(codebook, tmp_path, old: str, new: str) -> str:
    path = tmp_path / PLAN_FILE
    shutil.copy(DEFAULT_CODEBOOK / PLAN_FILE, path)
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in the plan; the test needs another edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_plan(codebook, path)
    message = info.value.render()
    assert str(path) in message, message
    return message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('derivation = { rule = "code_in", source = "werkstatus", codes = [1] }',
         'derivaton = { rule = "code_in", source = "werkstatus", codes = [1] }',
         "[[outcomes]] #1 'werk_regulier': unknown key 'derivaton' — did you mean "
         "'derivation'?"),
        ('source = "werkstatus", codes = [1] }', 'sorce = "werkstatus", codes = [1] }',
         "[[outcomes]] #1 'werk_regulier' derivation: unknown key 'sorce' — did you mean "
         "'source'?"),
        ("[covariates]", "[covariate]", "unknown table [covariate] — did you mean 'covariates'?"),
        ('multiplicity = "study"', 'multiplicty = "study"',
         "[families.primary]: unknown key 'multiplicty' — did you mean 'multiplicity'?"),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_valid_one(codebook, tmp_path, old, new,
                                                            message):
    err = _error(codebook, tmp_path, old, new)
    assert message in err, err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("codes = [1] }", 'codes = ["1"] }',
         "'werk_regulier' derivation: codes ['1'] — expected a list of whole numbers; '1' is "
         "a string"),
        ('kind = "binary"', 'kind = "binair"',
         "'werk_regulier': kind 'binair' — expected one of 'binary', 'continuous', 'count', "
         "'ordinal'"),
        ('dataset = "jobseekers"', 'dataset = "werkzoekenden"',
         "dataset 'werkzoekenden' — expected one of 'jobseekers', 'employers'"),
        ('multiplicity = "study"', 'multiplicity = "bonferroni"',
         "[families.primary]: multiplicity 'bonferroni' — expected one of 'holm'"),
        ('fixed_effects = ["gemeente"]', 'fixed_effects = "gemeente"',
         "[covariates]: fixed_effects 'gemeente' — expected a list of strings in quotes (got "
         "a string)"),
        ('label_nl = "In een betaalde baan"', "label_nl = 1",
         "label_nl 1 — expected a string in quotes (got a whole number)"),
        ('rule = "scale", scale = "zoekgedrag" }', 'rule = "scale", scale = "zoekgedrag", '
         "codes = [1] }",
         "'scale_zoekgedrag' derivation: 'codes' does not apply to rule 'scale'"),
        ('rule = "item", source = "sollicitaties_4wk" }', 'rule = "item" }',
         "'sollicitaties_4wk' derivation: rule 'item' needs 'source'"),
        ('family = "primary"', 'family = "primay"',
         "family 'primay' is not declared under [families] — did you mean 'primary'?"),
        ('fixed_effects = ["gemeente"]', 'fixed_effects = ["gemeentee"]',
         "[covariates]: fixed_effects ['gemeentee'] are not candidates variables"),
    ],
)
def test_a_wrong_value_names_the_key_and_what_was_expected(codebook, tmp_path, old, new,
                                                           message):
    err = _error(codebook, tmp_path, old, new)
    assert message in err, err


def test_covariate_transforms(codebook, tmp_path):
    covs = load_plan(codebook).covariates
    assert covs is not None and covs.spline_knots == 4
    transforms = covs.transforms()
    assert transforms["leeftijd"] == transforms["jaren_uitkering"] == "rcs"
    assert transforms["geslacht"] == "categorical"
    # the plan's names equal the ones analysis.design understands
    from analysis.design import TRANSFORMS as DESIGN_TRANSFORMS
    from pipeline.study.plan import TRANSFORMS

    assert TRANSFORMS == DESIGN_TRANSFORMS


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ('transform = { leeftijd = "spline", jaren_uitkering = "rcs" }',
         "transform: 'leeftijd' = 'spline' — expected one of"),
        ('transform = { leeftijdd = "rcs", jaren_uitkering = "rcs" }',
         "transform ['leeftijdd'] are not in 'adjust'"),
        ('transform = { geslacht = "log1p", jaren_uitkering = "rcs" }',
         "a categorical covariate cannot be log1p or rcs"),
    ],
)
def test_a_wrong_transform_is_refused(codebook, tmp_path, new, message):
    old = 'transform = { leeftijd = "rcs", jaren_uitkering = "rcs" }'
    assert message in _error(codebook, tmp_path, old, new)


def test_spline_knots_are_checked(codebook, tmp_path):
    assert "spline_knots" in _error(codebook, tmp_path, "spline_knots = 4", "spline_knots = 2")
    assert "3 to 7" in _error(codebook, tmp_path, "spline_knots = 4", "spline_knots = 9")


def test_the_inference_rule_is_read_and_checked(codebook, tmp_path):
    plan = load_plan(codebook)
    assert plan.inference.sandwich_min_ess == 1000
    assert plan.inference.bootstrap_replicates == 2000
    err = _error(codebook, tmp_path, "bootstrap_replicates = 2000", "bootstrap_replicates = 20")
    assert "bootstrap_replicates 20 — expected a whole number of 100 or more" in err, err
    err = _error(codebook, tmp_path, "sandwich_min_ess = 1000", "sandwich_min_es = 1000")
    assert "did you mean 'sandwich_min_ess'?" in err, err
    # without an [inference] table: the documented defaults
    path = tmp_path / "no_inference.toml"
    text = (DEFAULT_CODEBOOK / PLAN_FILE).read_text(encoding="utf-8")
    path.write_text(text[: text.index("[inference]")], encoding="utf-8")
    assert load_plan(codebook, path).inference == plan.inference
