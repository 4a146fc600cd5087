"""The codebook loader and the generated analysts' document."""

import shutil
import tomllib

import pytest

from pipeline.cli import main
from pipeline.report.codebook_doc import codebook_markdown
from pipeline.study.codebook import load_codebook, normalise_label
from pipeline.study.config import DEFAULT_CODEBOOK, PROJECT_ROOT
from pipeline.study.errors import UserError


def test_candidate_and_control_share_one_core(codebook):
    cand = codebook.instruments["candidates"]
    ctrl = codebook.instruments["control"]
    core = set(cand.names) & set(ctrl.names)
    assert {"werkstatus", "ze_lukt", "bej_serieus", "gemeente"} <= core
    assert "rm_cijfer" in cand.names and "rm_cijfer" not in ctrl.names
    assert cand.variable("ze_twijfel") == ctrl.variable("ze_twijfel")
    assert "jobseeker_core.toml" in cand.source_files


def test_scales_know_their_reverse_items(codebook):
    scale = {s.name: s for s in codebook.instruments["control"].scales}["eigen_effectiviteit"]
    assert set(scale.reverse_items) == {"ze_twijfel", "ze_onzeker"}
    assert (scale.minimum, scale.maximum) == (1, 5)


def test_unit_aliases_cover_the_mug_members(codebook):
    table = codebook.unit_alias_table()
    for name in ("Groesbeek", "Ubbergen", "Millingen aan de Rijn", "M.U.G."):
        assert table[normalise_label(name)].id == "mug"


def test_a_broken_codebook_is_a_user_error(tmp_path):
    target = tmp_path / "codebook"
    shutil.copytree(DEFAULT_CODEBOOK, target)
    path = target / "control.toml"
    path.write_text(path.read_text().replace('values = "ja_nee"', 'values = "ja_nee_typo"'))
    with pytest.raises(UserError, match="unknown value set 'ja_nee_typo'"):
        load_codebook(target)


def _broken(tmp_path, file: str, old: str, new: str):
    """A copy of the shipped codebook with one edit (``old`` must occur in ``file``)."""
    target = tmp_path / "codebook"
    shutil.copytree(DEFAULT_CODEBOOK, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}; the test needs another edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _error(target) -> str:
    with pytest.raises(UserError) as info:
        load_codebook(target)
    return info.value.render()


def _entry_number(file: str, name: str) -> int:
    """The position (from 1) of variable ``name`` among the file's [[variables]]."""
    with (DEFAULT_CODEBOOK / file).open("rb") as fh:
        names = [v["name"] for v in tomllib.load(fh)["variables"]]
    return names.index(name) + 1


def test_a_misspelt_key_stops_with_the_file_the_entry_and_the_nearest_key(tmp_path):
    # `revers = true` would otherwise leave the item silently un-reversed.
    target = _broken(tmp_path, "employers.toml", "reverse = true", "revers = true")
    number = _entry_number("employers.toml", "eval_administratie")
    assert (
        f"{target / 'employers.toml'} [[variables]] #{number} 'eval_administratie': "
        "unknown key 'revers' — did you mean 'reverse'?"
    ) in _error(target)


def test_a_quoted_boolean_is_not_read_as_true(tmp_path):
    target = _broken(tmp_path, "employers.toml", "reverse = true", 'reverse = "false"')
    err = _error(target)
    assert "'eval_administratie': reverse 'false' — expected true or false (without quotes) " \
        "(got a string)" in err
    assert "employers.toml" in err


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        # an included file is named itself, not the instrument that includes it
        ("jobseeker_core.toml", 'name = "geslacht"', 'name = "geslacht"\nlabel_enn = "x"',
         f"jobseeker_core.toml [[variables]] #{_entry_number('jobseeker_core.toml', 'geslacht')} "
         "'geslacht': unknown key 'label_enn' — did you mean 'label_en'?"),
        ("jobseeker_core.toml", "[[variables]]", "[[variable]]",
         "jobseeker_core.toml: unknown table [[variable]] — did you mean 'variables'?"),
        ("employers.toml", 'type = "ordinal"', 'type = "ordinaal"',
         "type 'ordinaal' — expected one of 'id', 'unit', 'date', 'categorical', 'ordinal'"),
        ("employers.toml", "missing = [9]", 'missing = ["9"]',
         "missing ['9'] — expected a list of whole numbers; '9' is a string"),
        ("employers.toml", "", '[[variables]]\nname = "datum_x"\ntype = "date"\n'
         'min = "15-11-2013"\n\n',
         "employers.toml [[variables]] #1 'datum_x': min '15-11-2013' — expected an ISO date "
         "in quotes"),
        ("employers.toml", "\nmin = 0\nmax = 50", '\nmin = "0"\nmax = 50',
         "min '0' — expected a number for an integer variable"),
        ("employers.toml", "\nmin = 0\nmax = 50", "\nmin = 60\nmax = 50",
         "min 60 is above max 50"),
        ("employers.toml", 'kind = "survey"', 'kind = "enquete"', "never matches"),
        ("register.toml", 'kind = "register"', 'kind = "registry"',
         "register.toml [instrument]: kind 'registry' — expected one of 'survey', 'register'"),
        ("register.toml", 'on_invalid = "error"', 'on_invalid = "eror"',
         "on_invalid 'eror' — expected one of 'missing', 'error'"),
        ("employers.toml", "completeness_min = 0.5", "completeness_min = 50",
         "[instrument]: completeness_min 50 — expected a number from 0 to 1"),
        ("control.toml", 'values = "ja_nee"', 'values = "ja_nee_typo"',
         "unknown value set 'ja_nee_typo' — did you mean 'ja_nee'?"),
        ("employers.toml", 'scale = "', 'scale = "x',
         "is not declared under [[scales]]"),
        ("employers.toml", 'mrset = "', 'mrset = "x',
         "is not declared under [[mrsets]]"),
        ("common.toml", '{ code = 1, nl = "Ja", en = "Yes" }',
         '{ code = "1", nl = "Ja", en = "Yes" }',
         "common.toml [value_sets.ja_nee] codes #1: code '1' — expected a whole number "
         "(got a string)"),
        ("common.toml", '{ code = 0, nl = "Nee", en = "No" }', '{ code = 0, nl = "Nee" }',
         "common.toml [value_sets.ja_nee] codes #2: missing required key 'en'"),
        ("common.toml", '"nvt" = "not_applicable"', '"nvt" = true',
         "common.toml [missing_labels]: 'nvt' = True — expected a string in quotes"),
        ("common.toml", "99 = {", "nn = {",
         "common.toml [missing_codes]: 'nn' — expected a whole-number code"),
        ("units.toml", 'id = "hilversum"', 'id = "hilversum"\ncomparison = "false"',
         "units.toml [[units]] #1 'hilversum': comparison 'false' — expected true or false"),
        ("units.toml", "members = [", "member = [",
         "unknown key 'member' — did you mean 'members'?"),
    ],
)
def test_every_key_and_type_of_every_codebook_file_is_checked(tmp_path, file, old, new, message):
    if message == "never matches":  # employers.toml has no kind; add a wrong one
        old, new = "[instrument]", '[instrument]\nkind = "enquete"'
        message = "[instrument]: kind 'enquete' — expected one of 'survey', 'register'"
    err = _error(_broken(tmp_path, file, old, new))
    assert message in err, err


def test_a_range_only_applies_where_it_is_used(tmp_path):
    target = _broken(tmp_path, "employers.toml", 'values = "eens5"',
                     'values = "eens5"\nmax = 4')
    assert "'max' applies only to integer, number and date variables" in _error(target)


def test_the_cli_stops_on_a_broken_codebook_with_exit_code_2(tmp_path, capsys):
    target = _broken(tmp_path, "employers.toml", "reverse = true", "revers = true")
    example = (PROJECT_ROOT / "studies" / "example.toml").read_text(encoding="utf-8")
    config = tmp_path / "study.toml"
    config.write_text(
        example.replace('"../data/', f'"{PROJECT_ROOT / "data"}/').replace(
            f'codebook = "{PROJECT_ROOT / "data"}/codebook"', f'codebook = "{target}"'
        ),
        encoding="utf-8",
    )
    assert f'codebook = "{target}"' in config.read_text(encoding="utf-8")
    out = tmp_path / "out"
    assert main(["validate", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"error: {target / 'employers.toml'} [[variables]]" in err
    assert "unknown key 'revers' — did you mean 'reverse'?" in err
    assert "Traceback" not in err


def test_committed_codebook_document_is_current(codebook):
    committed = (PROJECT_ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == codebook_markdown(codebook), "run `make codebook-doc` and commit"
