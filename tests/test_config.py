"""Study config loading (pipeline/config.py)."""

import pytest

from pipeline.config import DEFAULT_CODEBOOK, load_config
from pipeline.errors import UserError

INPUTS = "".join(
    f'[inputs.{name}]\npath = "{name}.csv"\nformat = "csv"\n'
    for name in ("employers", "candidates", "control", "register", "interviews")
)


def _write(tmp_path, text):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_are_relative_to_the_config_and_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.delenv("WERKTOP_PSEUDONYM_KEY", raising=False)
    config = load_config(_write(tmp_path, '[study]\n[privacy]\npseudonym_key = "k"\n' + INPUTS))
    assert config.inputs["control"].path == (tmp_path / "control.csv").resolve()
    assert config.codebook_dir == DEFAULT_CODEBOOK
    assert (config.language, config.alpha, config.synthetic) == ("nl", 0.05, False)
    assert config.inputs["control"].header_row == 1


def test_the_environment_key_wins_over_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKTOP_PSEUDONYM_KEY", "from-env")
    config = load_config(_write(tmp_path, '[study]\n[privacy]\npseudonym_key = "k"\n' + INPUTS))
    assert config.pseudonym_key == b"from-env"


def test_no_key_at_all_says_how_to_set_one(tmp_path, monkeypatch):
    monkeypatch.delenv("WERKTOP_PSEUDONYM_KEY", raising=False)
    with pytest.raises(UserError, match="set the environment variable WERKTOP_PSEUDONYM_KEY"):
        load_config(_write(tmp_path, "[study]\n" + INPUTS))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('format = "csv"', 'format = "ods"', 1), r"format 'ods' — expected one of"),
        (('format = "csv"', 'format = "csv"\nheader_row = 0', 1), r"header_row 0 — expected"),
        (("[study]", "[study]\nalpha = 1.5", 1), r"alpha 1.5 — expected a number between"),
        (("[inputs.interviews]", "[inputs.extra]", 1), r"no \[inputs.interviews\] table"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path, change, message):
    text = ('[study]\n[privacy]\npseudonym_key = "k"\n' + INPUTS).replace(*change)
    with pytest.raises(UserError, match=message):
        load_config(_write(tmp_path, text))


def test_unknown_multiplicity_method_is_refused(tmp_path):
    text = '[study]\n[privacy]\npseudonym_key = "k"\n[analysis]\nmultiplicity = "bonf"\n' + INPUTS
    with pytest.raises(UserError, match="multiplicity 'bonf' — expected 'holm', 'fdr_bh'"):
        load_config(_write(tmp_path, text))
