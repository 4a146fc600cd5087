"""Study config loading (pipeline/study/config.py): one schema, every problem a named UserError."""

import re

import pytest

from pipeline.study import config as config_module
from pipeline.study.config import (
    DEFAULT_CODEBOOK,
    OutputPaths,
    claim_output_root,
    default_output_root,
    key_fingerprint,
    load_config,
)
from pipeline.study.errors import UserError

SURVEY_INPUTS = "".join(
    f'[inputs.{name}]\npath = "{name}.csv"\nformat = "csv"\n'
    for name in ("employers", "candidates", "control")
)
INPUTS = SURVEY_INPUTS + "".join(
    f'[inputs.{name}]\npath = "{name}.csv"\nformat = "csv"\n'
    for name in ("register", "interviews")
)
SYNTHETIC = '[study]\nsynthetic = true\n[privacy]\npseudonym_key = "k"\n'


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv("WERKTOP_PSEUDONYM_KEY", raising=False)


def _write(tmp_path, text):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text) -> str:
    with pytest.raises(UserError) as info:
        load_config(_write(tmp_path, text))
    return info.value.render()


# --------------------------------------------------------------------------- what loads


def test_paths_are_relative_to_the_config_and_defaults_apply(tmp_path):
    config = load_config(_write(tmp_path, SYNTHETIC + INPUTS))
    assert config.inputs["control"].path == (tmp_path / "control.csv").resolve()
    assert config.codebook_dir == DEFAULT_CODEBOOK
    assert (config.language, config.alpha, config.seed) == ("nl", 0.05, 20140601)
    spec = config.inputs["control"]
    assert (spec.header_row, spec.skip_rows, spec.date_format, spec.rename) == (1, 0, None, {})
    assert config.unit_aliases == {} and config.max_errors == 50


def test_synthetic_defaults_to_false(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "from-env")
    assert load_config(_write(tmp_path, "[study]\n" + INPUTS)).synthetic is False


def test_format_names_ignore_case(tmp_path):
    text = SYNTHETIC + INPUTS.replace('path = "control.csv"\nformat = "csv"',
                                      'path = "control.csv"\nformat = "CSV"')
    assert load_config(_write(tmp_path, text)).inputs["control"].format == "csv"


def test_register_and_interviews_are_optional(tmp_path):
    config = load_config(_write(tmp_path, SYNTHETIC + SURVEY_INPUTS))
    assert list(config.inputs) == ["employers", "candidates", "control"]
    assert config.has("control") and not config.has("register")
    assert not config.has("interviews")


def test_study_mapping_settings_are_read(tmp_path):
    text = SYNTHETIC + SURVEY_INPUTS.replace(
        '[inputs.control]\npath = "control.csv"\nformat = "csv"\n',
        '[inputs.control]\npath = "control.csv"\nformat = "csv"\nskip_rows = [3, 2]\n'
        'date_format = "%m/%d/%Y"\ndelimiter = ";"\n'
        '[inputs.control.rename]\nResponseId = "respondent_id"\n',
    ) + '[units.aliases]\n"Gemeente Hilversum" = "hilversum"\n'
    config = load_config(_write(tmp_path, text))
    spec = config.inputs["control"]
    assert spec.skip_rows == (2, 3)  # sorted
    assert (spec.date_format, spec.delimiter) == ("%m/%d/%Y", ";")
    assert spec.rename == {"ResponseId": "respondent_id"}
    assert config.unit_aliases == {"Gemeente Hilversum": "hilversum"}


# --------------------------------------------------------------------------- the key


def test_the_environment_key_wins_over_the_config_of_a_synthetic_study(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "from-env")
    config = load_config(_write(tmp_path, SYNTHETIC + INPUTS))
    assert config.pseudonym_key == b"from-env"


def test_key_fingerprint_is_a_sha256_prefix_not_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "from-env")
    config = load_config(_write(tmp_path, "[study]\n" + INPUTS))
    # printf 'from-env' | sha256sum  ->  43d6d63b060c2e893fe63263b0b7f6fd...
    assert config.key_fingerprint == "43d6d63b060c2e89"
    assert key_fingerprint(config) == "43d6d63b060c2e89"
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "another key")
    assert key_fingerprint(load_config(_write(tmp_path, "[study]\n" + INPUTS))) != (
        "43d6d63b060c2e89"
    )


def test_a_key_in_the_config_of_a_real_study_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "from-env")  # even with the variable set
    err = _error(tmp_path, '[study]\nsynthetic = false\n[privacy]\npseudonym_key = "k"\n'
                 + INPUTS)
    assert "[privacy]: a 'pseudonym_key' in the config file is only allowed for a synthetic" in err
    assert "set the environment variable WERKTOP_PSEUDONYM_KEY instead" in err


def test_a_real_study_without_a_key_in_the_environment_stops(tmp_path):
    err = _error(tmp_path, '[study]\n[privacy]\npseudonym_key_env = "MY_KEY"\n' + INPUTS)
    assert "[privacy]: no pseudonym key; set the environment variable MY_KEY" in err
    assert "pseudonym_key' in the config" not in err  # not offered for real data


def test_a_synthetic_study_without_any_key_says_how_to_set_one(tmp_path):
    err = _error(tmp_path, "[study]\nsynthetic = true\n" + INPUTS)
    assert "set the environment variable WERKTOP_PSEUDONYM_KEY" in err


# --------------------------------------------------------------------------- unknown names


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[study]", "[studie]", "unknown table [studie] — did you mean 'study'?"),
        ("[privacy]", "[privacy]\npseudonym_keyenv = 'X'",
         "[privacy]: unknown setting 'pseudonym_keyenv' — did you mean 'pseudonym_key_env'?"),
        ("[study]", "[study]\nalfa = 0.05",
         "[study]: unknown setting 'alfa' — did you mean 'alpha'?"),
        ("[study]", "[analysis]\nmultiplicty = 'holm'\n[study]",
         "[analysis]: unknown setting 'multiplicty' — did you mean 'multiplicity'?"),
        ("[study]", "[cleaning]\ntest_pattern = 'x'\n[study]",
         "[cleaning]: unknown setting 'test_pattern' — did you mean 'test_id_pattern'?"),
        ('path = "control.csv"', 'path = "control.csv"\nsheet_name = "Blad1"',
         "[inputs.control]: unknown setting 'sheet_name' — did you mean 'sheet'?"),
        ('path = "control.csv"', 'path = "control.csv"\ndelimter = ";"',
         "[inputs.control]: unknown setting 'delimter' — did you mean 'delimiter'?"),
        ("[inputs.interviews]", "[inputs.interview]",
         "unknown input [inputs.interview] — did you mean 'interviews'?"),
        ("[study]", "[units]\nalias = {}\n[study]",
         "[units]: unknown setting 'alias' — did you mean 'aliases'?"),
    ],
)
def test_unknown_names_are_refused_with_the_nearest_valid_one(tmp_path, old, new, message):
    err = _error(tmp_path, (SYNTHETIC + INPUTS).replace(old, new, 1))
    assert message in err


def test_a_name_like_nothing_lists_the_valid_ones(tmp_path):
    err = _error(tmp_path, SYNTHETIC.replace("[study]", "[study]\nxyz = 1") + INPUTS)
    assert "unknown setting 'xyz' — valid: 'title', 'synthetic', 'language', 'seed'" in err


def test_a_missing_survey_input_is_named(tmp_path):
    text = SYNTHETIC + INPUTS.replace("[inputs.candidates]", "[inputs.register2]")
    assert "unknown input [inputs.register2] — did you mean 'register'?" in _error(tmp_path, text)
    text = SYNTHETIC + INPUTS.replace('[inputs.candidates]\npath = "candidates.csv"\n'
                                      'format = "csv"\n', "")
    err = _error(tmp_path, text)
    assert "no [inputs.candidates] table; the surveys (employers, candidates, control)" in err


# --------------------------------------------------------------------------- wrong values


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("synthetic = true", 'synthetic = "false"',
         "[study]: synthetic 'false' — expected true or false (without quotes) (got a string)"),
        ("[study]", '[study]\nalpha = "vijf procent"',
         "[study]: alpha 'vijf procent' — expected a number between 0 and 1 (e.g. 0.05) "
         "(got a string"),
        ("[study]", "[study]\nalpha = 1.5", "[study]: alpha 1.5 — expected a number between 0"),
        ("[study]", '[study]\nseed = "abc"',
         "[study]: seed 'abc' — expected a whole number of 0 or more (got a string"),
        ("[study]", "[study]\nseed = 1.5", "[study]: seed 1.5 — expected a whole number of 0"),
        ("[study]", "[study]\nlanguage = 'de'",
         "[study]: language 'de' — expected one of 'nl', 'en'"),
        ("[study]", "[cleaning]\nmax_errors = -1\n[study]",
         "[cleaning]: max_errors -1 — expected a whole number of 1 or more"),
        ("[study]", "[cleaning]\ntest_id_pattern = '(test'\n[study]",
         "[cleaning]: test_id_pattern '(test' — not a valid regular expression: missing ), "
         "unterminated subpattern"),
        ("[study]", "[analysis]\nmultiplicity = 'bonf'\n[study]",
         "[analysis]: multiplicity 'bonf' — expected one of 'holm', 'fdr_bh', 'none'"),
        ('format = "csv"', 'format = "ods"',
         "format 'ods' — expected one of 'csv', 'sav', 'dta', 'xlsx'"),
        ('format = "csv"', 'format = "csv"\nheader_row = 0',
         "[inputs.employers]: header_row 0 — expected a whole number of 1 or more"),
        ('format = "csv"', 'format = "csv"\ndelimiter = ";;"',
         "[inputs.employers]: delimiter ';;' — expected exactly one character"),
        ('format = "csv"', 'format = "csv"\nencoding = "utf-9"',
         "[inputs.employers]: encoding 'utf-9' — expected an encoding Python knows"),
        ('format = "csv"', 'format = "csv"\nskip_rows = -2',
         "[inputs.employers]: skip_rows -2 — expected a number of rows (0 or more) or a list"),
        ('format = "csv"', 'format = "csv"\nskip_rows = [1]',
         "[inputs.employers]: skip_rows [1] — row 1 is not below the header (row 1)"),
        ('format = "csv"', 'format = "csv"\ndate_format = "%m/%Y"',
         "[inputs.employers]: date_format '%m/%Y' — expected a strptime format with day, month "
         "and year"),
        ('format = "csv"', 'format = "csv"\nsheet = "Blad1"',
         "[inputs.employers]: 'sheet' applies only to format xlsx, and this input is 'csv'"),
        ('format = "csv"', 'format = "csv"\nrename = "respondent_id"',
         "[inputs.employers]: rename 'respondent_id' — expected a table of export column name = "
         "codebook name (got a string)"),
        ('format = "csv"', 'format = "csv"\nrename = {ResponseId = "respondent_id", '
         'Id = "respondent_id"}',
         "[inputs.employers].rename: both 'ResponseId' and 'Id' are renamed to 'respondent_id'"),
        ('path = "employers.csv"\n', "",
         "[inputs.employers]: missing required setting 'path'"),
    ],
)
def test_wrong_values_name_the_setting_and_what_was_expected(tmp_path, old, new, message):
    err = _error(tmp_path, (SYNTHETIC + INPUTS).replace(old, new, 1))
    assert message in err, err


def test_unit_aliases_must_be_names(tmp_path):
    err = _error(tmp_path, SYNTHETIC + INPUTS + '[units.aliases]\n"Gem. Hilversum" = 1\n')
    assert re.search(r"\[units\]: aliases — expected a table of spelling = unit id.*"
                     r"'Gem. Hilversum' = 1 is not a name in quotes", err), err


def test_errors_stop_the_cli_with_exit_code_2(tmp_path, capsys):
    from pipeline.cli import main

    path = _write(tmp_path, (SYNTHETIC + INPUTS).replace('path = "control.csv"',
                                                          'path = "control.csv"\nsheet_name = "x"'))
    assert main(["ingest", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "did you mean 'sheet'?" in capsys.readouterr().err


def test_each_study_builds_in_a_folder_named_after_its_config(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "BUILD_DIR", tmp_path / "build")
    assert default_output_root("studies/mystudy.toml") == tmp_path / "build" / "mystudy"
    assert default_output_root("studies/example.toml") == tmp_path / "build" / "example"
    first, second = tmp_path / "a" / "mystudy.toml", tmp_path / "b" / "mystudy.toml"
    paths = OutputPaths(default_output_root(first))
    claim_output_root(paths, first)
    claim_output_root(paths, first)  # the same study again
    assert paths.config_stamp.read_text(encoding="utf-8") == f"{first}\n"
    with pytest.raises(UserError, match=r"holds the outputs of .*a/mystudy\.toml, not of "
                                        r".*b/mystudy\.toml") as caught:
        claim_output_root(paths, second)
    assert "rename one of the configs" in caught.value.hint and "--out" in caught.value.hint
    assert paths.config_stamp.read_text(encoding="utf-8") == f"{first}\n"


# --------------------------------------------------------------------------- costs, recruitment


def test_costs_and_recruitment_are_optional_and_checked(tmp_path):
    config = load_config(_write(tmp_path, SYNTHETIC + INPUTS))
    assert config.hourly_rates == {} and config.recruitment == {}  # not given: stays absent
    text = SYNTHETIC + INPUTS + (
        "[costs]\nhourly_rate_municipality = 60\nhourly_rate_consultancy = 92.5\n"
        '[recruitment.control]\ninvited = 900\napproach = "register_sample"\n'
        'period = ["2014-03-01", "2014-05-31"]\n'
    )
    config = load_config(_write(tmp_path, text))
    assert config.hourly_rates == {"hourly_rate_municipality": 60.0,
                                   "hourly_rate_consultancy": 92.5}
    assert config.recruitment["control"]["invited"] == 900
    assert "mode" not in config.recruitment["control"]


@pytest.mark.parametrize(("extra", "words"), [
    ("[costs]\nhourly_rate_municipality = 0\n", "above 0"),
    ('[costs]\nhourly_rate = 60\n', "unknown setting 'hourly_rate'"),
    ("[recruitment.kandidaten]\ninvited = 5\n", "candidates"),
    ('[recruitment.control]\napproach = "lottery"\n', "random_sample"),
    ("[recruitment.control]\ninvited = 0\n", "invited"),
])
def test_costs_and_recruitment_refuse_bad_settings(tmp_path, extra, words):
    assert words in _error(tmp_path, SYNTHETIC + INPUTS + extra)
