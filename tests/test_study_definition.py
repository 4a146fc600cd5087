"""A study is defined by its config: its own units, field period, row exclusions, how
blanks in a multi-select read, answer labels the codebook does not know; and coded answers
(the unit included) are read through a file's own value labels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline.inputs.export import _suggest_header_row
from pipeline.stages.clean import fill_unticked
from pipeline.stages.ingest import config_exclusions, export_names, ingest_export
from pipeline.stages.validate import ParsedInstrument, column_failure, hard_errors, parse_instrument
from pipeline.study.config import load_config, study_codebook
from pipeline.study.errors import UserError
from tests.conftest import make_raw

SURVEYS = "".join(
    f'[inputs.{name}]\npath = "{name}.csv"\nformat = "csv"\n'
    for name in ("employers", "candidates", "control")
)
HEAD = '[privacy]\npseudonym_key = "k"\n[study]\nsynthetic = true\n'
UNITS = """
[units.doetinchem]
name = "Doetinchem"
[units.bergendal]
name = "Berg en Dal"
members = ["Groesbeek", "Millingen aan de Rijn", "Ubbergen"]
spellings = ["Millingen a/d Rijn", "Gemeente Berg en Dal"]
[units.zaanstad]
name = "Zaanstad"
[units.assen]
name = "Assen"
comparison = true
"""


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv("WERKTOP_PSEUDONYM_KEY", raising=False)


def _raw(inst, rows: list[dict], **meta):
    """An export with every column of the instrument (blank unless given)."""
    extra = [c for r in rows for c in r if c not in inst.names]
    return make_raw([*inst.names, *dict.fromkeys(extra)], rows, **meta)


def _config(tmp_path, extra: str = UNITS, study: str = ""):
    path = tmp_path / "study.toml"
    path.write_text(HEAD + study + SURVEYS + extra, encoding="utf-8")
    return load_config(path)


def _error(tmp_path, extra: str, study: str = "") -> str:
    with pytest.raises(UserError) as info:
        _config(tmp_path, extra, study)
    return info.value.render()


# --------------------------------------------------------------------------- units


def test_the_study_units_replace_the_codebooks(tmp_path):
    cb = study_codebook(_config(tmp_path))
    assert [u.id for u in cb.units] == ["doetinchem", "bergendal", "zaanstad"]
    assert [u.name for u in cb.units] == ["Doetinchem", "Berg en Dal", "Zaanstad"]
    assert [u.id for u in cb.comparison_units] == ["assen"]
    assert cb.unit_by_id("bergendal").members == ("Groesbeek", "Millingen aan de Rijn",
                                                  "Ubbergen")
    table = cb.unit_alias_table()
    # member municipalities, spellings, name and id all resolve; folding as in the codebook
    for spelling in ("Groesbeek", "UBBERGEN", "millingen a/d rijn", "Gemeente Berg en Dal",
                     "Berg en Dal", "bergendal"):
        assert table[_norm(spelling)].id == "bergendal", spelling
    assert "hilversum" not in table and "assen" not in table
    assert cb.unit_alias_table(comparison=True)["assen"].id == "assen"
    # no codes were given: a bare number is not a spelling of any unit (a survey tool's
    # own codes are read through its value labels instead)
    assert "1" not in table and "2" not in table


def test_without_units_the_codebook_units_apply(tmp_path):
    cb = study_codebook(_config(tmp_path, extra=""))
    assert [u.id for u in cb.units] == ["hilversum", "zaanstad", "lansingerland",
                                        "doetinchem", "mug"]


def test_a_code_given_in_the_config_is_a_spelling(tmp_path):
    cb = study_codebook(_config(tmp_path, UNITS.replace('name = "Zaanstad"',
                                                        'name = "Zaanstad"\ncode = 7')))
    assert cb.unit_alias_table()["7"].id == "zaanstad"
    assert cb.unit_by_id("zaanstad").code == 7


def test_unit_aliases_may_name_the_study_units(tmp_path):
    cb = study_codebook(_config(tmp_path, UNITS + '[units.aliases]\n"Zaandam" = "zaanstad"\n'))
    assert cb.unit_alias_table()["zaandam"].id == "zaanstad"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (UNITS + '[units.doetinchem2]\nname = "Doetinchem (2)"\nspellings = ["Groesbeek"]\n',
         "[units.doetinchem2]: the spelling 'Groesbeek' also means unit 'bergendal'"),
        ('[units.zaanstad]\nnaam = "Zaanstad"\n',
         "[units.zaanstad]: unknown setting 'naam' — did you mean 'name'?"),
        ('[units.zaanstad]\nspellings = ["Zaandam"]\n',
         "[units.zaanstad]: missing required setting 'name'"),
        ('[units.Berg-en-Dal]\nname = "Berg en Dal"\n', "a unit id is lower-case letters"),
        ('[units.zaanstad]\nname = "Zaanstad"\ncomparison = "false"\n',
         "comparison 'false' — expected true or false (without quotes) (got a string)"),
        ('[units.assen]\nname = "Assen"\ncomparison = true\n',
         "every unit is a comparison unit"),
        ('[units.zaanstad]\nname = "Zaanstad"\nspellings = "Zaandam"\n',
         'expected a list of names in quotes'),
        (UNITS + '[units.aliases]\n"Zaandam" = "hilversum"\n',
         "'hilversum' is not a unit id"),
    ],
)
def test_unit_mistakes_are_named(tmp_path, extra, message):
    with pytest.raises(UserError) as info:
        study_codebook(_config(tmp_path, extra))
    assert message in info.value.render()


# --------------------------------------------------------------------------- field period


def test_the_field_period_sets_the_valid_completion_dates(tmp_path):
    config = _config(tmp_path, study='field_period = ["2014-11-01", "2015-07-31"]\n')
    assert config.field_period == (dt.date(2014, 11, 1), dt.date(2015, 7, 31))
    cb = study_codebook(config)
    for name in ("employers", "candidates", "control"):
        var = cb.instruments[name].variable("datum_invullen")
        assert (var.min, var.max) == ("2014-11-01", "2015-07-31")


@pytest.mark.parametrize(
    ("value", "message"),
    [('["2015-07-31", "2014-11-01"]', "the first day before the last"),
     ('["2014-11-01"]', "a list of two ISO dates"),
     ('["01-11-2014", "31-07-2015"]', "an ISO date in quotes")],
)
def test_a_bad_field_period_is_named(tmp_path, value, message):
    assert message in _error(tmp_path, "", study=f"field_period = {value}\n")


def test_dates_mostly_outside_the_field_period_stop_with_a_hint(codebook):
    """Fieldwork in another period must not silently become missing dates."""
    cb = codebook.with_field_period(dt.date(2013, 11, 15), dt.date(2014, 6, 15))
    inst = cb.instruments["control"]
    dates = [f"{d:02d}-03-2015" for d in range(1, 11)] + ["15-03-2014"]
    raw = _raw(inst, [{"respondent_id": f"C{i}", "gemeente": "Zaanstad", "datum_invullen": d}
                      for i, d in enumerate(dates)])
    frame, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    parsed = parse_instrument(frame, meta, inst, cb)
    (error,) = parsed.column_errors
    assert "10 of 11 dates fall outside the field period 2013-11-15 to 2014-06-15" in error
    assert "field_period" in error
    # one typo stays a soft issue
    typo = column_failure("datum_invullen", frame["datum_invullen"].iloc[9:],
                          [i for i in _issues(parsed) if i.value == "10-03-2015"],
                          inst, meta)
    assert typo is None


def _issues(parsed: ParsedInstrument):
    from pipeline.inputs.values import CellIssue

    return [CellIssue(0, r.column, r.value, r.issue, r.expected, r.action)
            for r in parsed.issues.itertuples(index=False)]


# --------------------------------------------------------------------------- exclusions


def test_rows_are_excluded_by_any_column_of_the_export(codebook):
    raw = make_raw(["ResponseId", "Status", "Finished", "gemeente"], [
        {"ResponseId": "R1", "Status": "IP Address", "Finished": "True"},
        {"ResponseId": "R2", "Status": "Survey Preview", "Finished": "True"},
        {"ResponseId": "R3", "Status": "IP Address", "Finished": "FALSE"},
        {"ResponseId": "R4", "Status": "survey preview ", "Finished": "False"},
    ])
    reasons = config_exclusions(
        raw, {"status": ("Survey Preview",), "Finished": ("False",)}, "where"
    )
    assert list(reasons) == ["", "Status = Survey Preview", "Finished = False",
                             "Status = Survey Preview"]


def test_an_exclusion_on_a_column_the_file_lacks_is_named(codebook):
    raw = make_raw(["ResponseId", "Status"], [{"ResponseId": "R1", "Status": "x"}])
    with pytest.raises(UserError) as info:
        config_exclusions(raw, {"Statuss": ("Survey Preview",)}, "control.csv [exclude]")
    assert "the file has no column 'Statuss'; did you mean 'Status'?" in info.value.render()


def test_exclude_and_multiselect_settings_are_checked(tmp_path):
    err = _error(tmp_path, '[inputs.control.exclude]\nStatus = [1]\n')
    assert "is not a list of values" in err
    path = tmp_path / "s.toml"
    path.write_text(HEAD + SURVEYS.replace('path = "control.csv"\nformat = "csv"\n',
                                           'path = "control.csv"\nformat = "csv"\n'
                                           'multiselect_blank = "unticked"\n'))
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "multiselect_blank 'unticked' — expected one of 'missing', 'not_ticked'" in \
        info.value.render()


# --------------------------------------------------------------------------- multi-select


def test_blanks_in_an_answered_multi_select_read_as_not_ticked(codebook):
    inst = codebook.instruments["control"]
    items = next(m for m in inst.mrsets if m.name == "zoekkanalen").items
    rows = [
        {"respondent_id": "A", "gemeente": "Zaanstad", items[0]: "1"},  # one ticked
        {"respondent_id": "B", "gemeente": "Zaanstad"},  # skipped the question
        {"respondent_id": "C", "gemeente": "Zaanstad", items[1]: "1", items[2]: "1"},
        {"respondent_id": "D", "gemeente": "Zaanstad", items[0]: "weet niet"},
    ]
    raw = _raw(inst, rows)
    frame, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    parsed = parse_instrument(frame, meta, inst, codebook)
    filled, n = fill_unticked(parsed)
    got = filled.values[list(items)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    k = len(items)
    expected = np.array([
        [1] + [0] * (k - 1),
        [np.nan] * k,
        [0, 1, 1] + [0] * (k - 3),
        [np.nan] + [0] * (k - 1),  # "weet niet" stays missing; the blanks are not ticked
    ])
    np.testing.assert_array_equal(got, expected)
    assert n == (k - 1) + (k - 2) + (k - 1)
    # the input is not changed in place
    assert parsed.values.loc[0, items[1]] is pd.NA or pd.isna(parsed.values.loc[0, items[1]])


# --------------------------------------------------------------------------- labels win


def _sav_like(codebook, labels: dict, units: list[str], **extra):
    inst = codebook.instruments["candidates"]
    raw = _raw(inst, [{"respondent_id": f"K{i}", "gemeente": u, "geslacht": extra.get("sex", "")}
                      for i, u in enumerate(units)],
               file="kandidaten.sav", decimal=".", value_labels=labels)
    frame, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    return parse_instrument(frame, meta, inst, codebook), inst


def test_the_unit_is_read_through_the_files_value_labels(tmp_path):
    """SPSS file with its own numeric unit codes (1 = Doetinchem, 2 = Berg en Dal,
    3 = Zaanstad): the codebook's 2014 unit 1 is Hilversum, the file's label wins."""
    cb = study_codebook(_config(tmp_path))
    labels = {"gemeente": {"1": "Doetinchem", "2": "Berg en Dal", "3": "Zaanstad"}}
    parsed, _ = _sav_like(cb, labels, ["1", "2", "3", "2", ""])
    assert parsed.values["gemeente"].tolist() == ["doetinchem", "bergendal", "zaanstad",
                                                  "bergendal", None]
    assert parsed.column_errors == []


def test_with_the_2014_units_labels_still_win_over_the_codebook_codes(codebook):
    labels = {"gemeente": {"1": "Doetinchem", "2": "Groesbeek", "3": "Zaanstad"}}
    parsed, _ = _sav_like(codebook, labels, ["1", "2", "3"])
    assert parsed.values["gemeente"].tolist() == ["doetinchem", "mug", "zaanstad"]
    noted = parsed.issues[parsed.issues["issue"] == "value_label_recode"]
    assert set(noted["value"]) == {"1 = Doetinchem", "2 = Groesbeek", "3 = Zaanstad"}


def test_a_unit_label_nobody_knows_stops_with_the_mapping_to_add(tmp_path):
    cb = study_codebook(_config(tmp_path))
    labels = {"gemeente": {"1": "Doetinchem", "2": "Groesbeek-Noord"}}
    parsed, _ = _sav_like(cb, labels, ["1", "2"])
    (error,) = parsed.column_errors
    assert "kandidaten.sav, column 'gemeente': the file's value labels 2 = 'Groesbeek-Noord'" \
        in error
    assert 'add "Groesbeek-Noord" to spellings of its [units.<id>] table' in error


def test_labels_of_codes_that_do_not_occur_do_not_stop_the_run(tmp_path):
    cb = study_codebook(_config(tmp_path))
    labels = {"gemeente": {"1": "Doetinchem", "9": "Elders"}}
    parsed, _ = _sav_like(cb, labels, ["1", "1"])
    assert parsed.column_errors == [] and parsed.values["gemeente"].tolist() == ["doetinchem"] * 2


def test_study_answer_labels_become_codes(tmp_path):
    extra = '[inputs.candidates.labels.geslacht]\n"M (man)" = 1\n"V (vrouw)" = 2\n'
    cb = study_codebook(_config(tmp_path, UNITS + extra))
    sex = cb.instruments["candidates"].variable("geslacht")
    assert sex.label(1) == "Man" and sex.label(2) == "Vrouw"  # codebook codes as before
    labels = {"geslacht": {"1": "V (vrouw)", "2": "M (man)"}}
    parsed, _ = _sav_like(cb, labels, ["1", "2"], sex="1")
    assert parsed.values["geslacht"].tolist() == [2, 2]
    with pytest.raises(UserError) as info:
        study_codebook(_config(tmp_path, UNITS + '[inputs.candidates.labels.geslacht]\n'
                                                 '"X" = 7\n'))
    assert "'X' = 7 — 'geslacht' has the codes" in info.value.render()
    with pytest.raises(UserError) as info:
        study_codebook(_config(tmp_path, UNITS + '[inputs.candidates.labels.geslact]\n'
                                                 '"X" = 1\n'))
    assert "did you mean 'geslacht'?" in info.value.render()


def test_hard_errors_of_a_cell_still_name_file_row_column(codebook):
    labels = {"gemeente": {"1": "Hilversum"}}
    parsed, _ = _sav_like(codebook, labels, ["1", "Hilversm"])
    (message,) = hard_errors(parsed, 10)
    assert "kandidaten.sav, row 3, column 'gemeente': value 'Hilversm'" in message


# --------------------------------------------------------------------------- header


def test_renamed_exports_are_found_by_the_names_they_really_have(codebook):
    inst = codebook.instruments["control"]
    rename = {f"Q{k}": v.name for k, v in enumerate(inst.variables) if v.required}
    names = export_names(inst, rename)
    assert names == list(rename)
    header = [*rename]
    respondent = ["x"] * len(header)
    respondent[3] = "Nederlands"  # an answer that equals a codebook column name
    rows = [["Qualtrics export"], header, respondent]
    # header in row 2: found with the export's own names
    with pytest.raises(UserError) as info:
        _suggest_header_row("c.csv", {",": rows}, 1, names)
    assert "set header_row = 2" in str(info.value.hint)
    _suggest_header_row("c.csv", {",": rows}, 2, names)  # no error
    # with the codebook names, one matching answer is no reason to suggest its row
    _suggest_header_row("c.csv", {",": rows}, 2, [v.name for v in inst.variables
                                                   if v.required])


def _norm(text: str) -> str:
    from pipeline.study.codebook import normalise_label

    return normalise_label(text)


def test_a_stata_file_is_read_through_its_value_labels(tmp_path):
    import pyreadstat

    from pipeline.inputs.readers import read_export

    cb = study_codebook(_config(tmp_path))
    inst = cb.instruments["candidates"]
    frame = pd.DataFrame({n: [""] * 3 for n in inst.names})
    frame["respondent_id"] = ["K1", "K2", "K3"]
    frame["gemeente"] = [3.0, 1.0, 2.0]
    path = tmp_path / "kandidaten.dta"
    pyreadstat.write_dta(frame, str(path), variable_value_labels={
        "gemeente": {1: "Doetinchem", 2: "Millingen a/d Rijn", 3: "Zaanstad"}})
    raw = read_export(path, "dta")
    assert raw.row_label == "case" and raw.meta["format"] == "dta"
    ingested, meta = ingest_export(raw, inst, key=b"k", test_pattern="^test")
    parsed = parse_instrument(ingested, meta, inst, cb)
    assert parsed.values["gemeente"].tolist() == ["zaanstad", "doetinchem", "bergendal"]


def test_an_exclusion_may_name_the_codebook_column_of_a_renamed_export_column(codebook):
    inst = codebook.instruments["control"]
    rows = [{"respondent_id": "A", "Q1": "Zaanstad"}, {"respondent_id": "B", "Q1": "Hilversum"}]
    columns = [n if n != "gemeente" else "Q1" for n in inst.names]
    raw = make_raw(columns, rows)
    frame, _ = ingest_export(raw, inst, key=b"k", test_pattern="^test",
                             rename={"Q1": "gemeente"}, exclude={"gemeente": ("Hilversum",)})
    assert list(frame["config_exclusion"]) == ["", "Q1 = Hilversum"]


# --------------------------------------------------------------------------- numbers


def test_dutch_thousands_separators_are_not_read_as_decimal_points(tmp_path, codebook):
    """A Dutch register: 3.120 hours (thousands separator) beside 3,1 % (decimal comma).
    Reading 3.120 as 3.12 would be silently wrong by a factor of a thousand."""
    from pipeline.inputs.csv_dialect import detect_decimal
    from pipeline.inputs.readers import read_export
    from pipeline.inputs.values import ParseContext, parse_column

    assert detect_decimal([["3.120", "3,1"], ["2.950", "6,4"], ["1.780", "2,2"]]) == ","
    assert detect_decimal([["3.120"], ["2.950"]], ";") == ","  # Dutch Excel's CSV
    assert detect_decimal([["3.120"], ["2.950"]], ",") == "."
    assert detect_decimal([["2.5", "3.120"]]) == "."
    assert detect_decimal([["1.250,5"]]) == "," and detect_decimal([["1,250.5"]]) == "."
    path = tmp_path / "register.csv"
    path.write_bytes("eenheid;uren;werkloosheid\r\nA;3.120;3,1\r\nB;2.950;6,4\r\n"
                     "C;780;5,0\r\n".encode("cp1252"))
    raw = read_export(path, "csv")
    assert raw.meta["decimal"] == ","
    var = codebook.instruments["register"].variable("uren_gemeente")
    values, _, issues = parse_column(var, raw.column(1), ParseContext(codebook, decimal=","))
    assert values.tolist() == [3120, 2950, 780] and issues == []
