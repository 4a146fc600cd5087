"""The synthetic example study: deterministic, readable, messy as planned, scenario holds."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from pipeline.study.codebook import load_codebook, normalise_label
from pipeline.study.config import DEFAULT_CODEBOOK, PROJECT_ROOT, load_config
from synthetic import simulate_study
from synthetic.scenario import FILE_NAMES
from synthetic.writers import config_text

SEED = 20140601


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(DEFAULT_CODEBOOK)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict[str, Path]:
    return simulate_study(tmp_path_factory.mktemp("sim_a"), seed=SEED)


@pytest.fixture(scope="module")
def truth(study) -> dict:
    return json.loads(study["truth"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sav(study):
    return pyreadstat.read_sav(str(study["candidates"]), user_missing=True)


@pytest.fixture(scope="module")
def control(study) -> pd.DataFrame:
    return pd.read_csv(
        study["control"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False
    )


@pytest.fixture(scope="module")
def employers(study) -> pd.DataFrame:
    wb = openpyxl.load_workbook(study["employers"], read_only=True)
    rows = list(wb["Enquete ondernemers"].iter_rows(values_only=True))
    wb.close()
    width = len(rows[0])
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=rows[0], dtype=object)


def _norm_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: c.strip().casefold())


# --------------------------------------------------------------------------- determinism


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_same_seed_gives_identical_bytes(study, tmp_path, monkeypatch):
    # the second run draws its progress on a (fake) terminal: that changes no byte
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    again = simulate_study(tmp_path / "sim_b", seed=SEED)
    assert "\rsimulate 0/8 drawing employers" in term.getvalue()
    assert "\rsimulate 8/8" in term.getvalue()
    assert set(again) == set(study)
    for name, path in study.items():
        assert again[name].read_bytes() == path.read_bytes(), f"{name} differs between runs"


def test_other_seed_gives_other_data(study, tmp_path):
    other = simulate_study(tmp_path / "sim_c", seed=SEED + 1)
    assert other["control"].read_bytes() != study["control"].read_bytes()
    # the register is fixed by the scenario, not drawn
    assert other["register"].read_bytes() == study["register"].read_bytes()


def test_timestamps_are_fixed(study):
    raw = study["candidates"].read_bytes()
    assert raw[92:109] == b"01 Jun 1412:00:00"
    with zipfile.ZipFile(io.BytesIO(study["employers"].read_bytes())) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2014, 6, 1, 12, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "2014-06-01T12:00:00Z" in core


def test_scale_multiplies_sample_sizes(tmp_path):
    small = simulate_study(tmp_path / "small", seed=SEED, scale=0.25)
    t = json.loads(small["truth"].read_text(encoding="utf-8"))
    assert t["files"]["candidates"]["generated_respondents"] == 100
    assert t["files"]["employers"]["generated_respondents"] == 75


# --------------------------------------------------------------------------- formats


def test_files_readable_with_expected_row_counts(study, truth, sav, control, employers):
    files = truth["files"]
    assert len(employers) == files["employers"]["rows_in_file"]
    assert len(sav[0]) == files["candidates"]["rows_in_file"]
    assert len(control) == files["control"]["rows_in_file"]
    for name in ("employers", "candidates", "control"):
        f = files[name]
        planted = f["generated_respondents"] + f["duplicates"]["count"] + f["test_rows"]["count"]
        assert f["rows_in_file"] == planted
        inel = f.get("ineligible", {}).get("count", 0)
        expected = f["generated_respondents"] - f["breakoffs"]["count"] - inel
        assert f["expected_clean_respondents"] == expected
    reg = pd.read_csv(study["register"], sep=";", encoding="utf-8-sig", dtype=str)
    assert len(reg) == files["register"]["rows_in_file"] == 6  # five units and Assen
    inter = pd.read_csv(study["interviews"], dtype=str)
    assert len(inter) == files["interviews"]["rows_in_file"]
    assert all(10 <= k <= 15 for k in files["interviews"]["fragments_per_unit"].values())


def test_encodings_delimiters_and_line_endings(study):
    ctrl = study["control"].read_bytes()
    ctrl.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        ctrl.decode("utf-8")  # é, ë ... are single cp1252 bytes
    assert ctrl.count(b"\r\n") > 300 and b";" in ctrl.splitlines()[0]
    assert re.search(rb";\d+,5;", ctrl), "decimal commas"
    assert re.search(rb";\d\d-\d\d-2014;", ctrl), "dd-mm-jjjj dates"
    assert re.search(rb'"[^"]*\n[^"]*"', ctrl), "quoted newline in free text"
    reg = study["register"].read_bytes()
    assert reg.startswith(b"\xef\xbb\xbf") and re.search(rb";\d+,\d;", reg)
    inter = study["interviews"].read_bytes().decode("utf-8")
    assert inter.splitlines()[0] == "fragment_id,gemeente,thema,code,parafrase"


def test_headers_are_messy_codebook_names(codebook, sav, control, employers):
    for frame, name in ((employers, "employers"), (control, "control"), (sav[0], "candidates")):
        names = codebook.instruments[name].names
        assert [c.strip().casefold() for c in frame.columns] == names
        assert list(frame.columns) != names  # some headers differ in case or spacing
    assert " Gemeente" in control.columns and "Respondent_ID" in employers.columns


def test_sav_metadata(codebook, sav):
    df, meta = sav
    inst = codebook.instruments["candidates"]
    assert meta.original_variable_types["datum_invullen"].startswith("DATE")
    assert meta.original_variable_types["Leeftijd"] == "F8.0"
    assert meta.column_names_to_labels["werkstatus"] == inst.variable("werkstatus").question_nl
    labels = meta.variable_value_labels["werkstatus"]
    assert labels[1.0] == inst.variable("werkstatus").label(1) and 9.0 in labels
    assert {r["lo"] for r in meta.missing_ranges["Leeftijd"]} == {99.0, 999.0}
    assert (df["zoek_moeite"] == 9).any(), "user-missing codes are present"
    assert df["Respondent_ID"].map(type).eq(str).all()
    assert df.select_dtypes("number").shape[1] == len(df.columns) - 4  # id, unit, date, text


def test_excel_mixes_date_cells_and_text(employers):
    dates = employers["Datum_invullen "]
    assert dates.map(lambda x: hasattr(x, "year")).sum() > 100
    assert (
        dates.map(lambda x: isinstance(x, str) and bool(re.fullmatch(r"\d\d-\d\d-2014", x))).sum()
        > 30
    )


def test_unit_spellings_all_resolve(codebook, sav, control, employers, study):
    table = codebook.unit_alias_table(comparison=True)  # the register may name Assen
    reg = pd.read_csv(study["register"], sep=";", encoding="utf-8-sig", dtype=str)
    inter = pd.read_csv(study["interviews"], dtype=str)
    values = [
        *employers[" Gemeente"],
        *sav[0]["Gemeente"],
        *control[" Gemeente"],
        *reg["Gemeente"],
        *inter["gemeente"],
    ]
    assert all(normalise_label(v) in table for v in values)
    assert len(set(values)) > 20, "several spellings per unit"
    assert "MUG-gemeenten" in set(reg["Gemeente"])


# --------------------------------------------------------------------------- planted mess


def test_test_rows_duplicates_breakoffs_out_of_range(truth, sav, control):
    ids = control["respondent_ID"]
    f = truth["files"]["control"]
    assert set(f["test_rows"]["respondent_ids"]) <= set(ids)
    assert all(re.match(r"^\s*(test|tst|dummy)", i, re.I) for i in f["test_rows"]["respondent_ids"])
    counts = ids.value_counts()
    dup_ids = {d["respondent_id"] for d in f["duplicates"]["respondents"]}
    assert set(counts[counts == 2].index) == dup_ids
    frame = _norm_columns(control).set_index("respondent_id")
    for b in f["breakoffs"]["respondents"]:
        row = frame.loc[b["respondent_id"]]
        last = list(frame.columns).index(b["last_question"])
        assert (row.iloc[last + 1 :] == "").all()
    for col, entries in f["out_of_range"].items():
        for e in entries:
            assert frame.loc[e["respondent_id"], col] == str(e["value"])
    for rid in f["ineligible"]["respondent_ids"]:
        assert frame.loc[rid, "deelname_werktop"].strip().casefold() == "ja"
    df = _norm_columns(sav[0]).set_index("respondent_id")
    for col, entries in truth["files"]["candidates"]["out_of_range"].items():
        for e in entries:
            assert df.loc[e["respondent_id"], col] == e["value"]


def test_hours_only_for_working(sav):
    df = sav[0]
    working = df["werkstatus"].isin([1.0, 2.0])
    not_working = df["werkstatus"].isin([3.0, 4.0])
    assert df.loc[not_working, "uren_week"].isna().all()
    assert df.loc[not_working, "contract"].isna().all()
    assert df.loc[working, "uren_week"].notna().mean() > 0.8


def test_planted_pii_in_raw_free_text(study, truth, sav, control, employers):
    pii = truth["planted_pii"]
    assert len(pii) == len(set(pii)) >= 20
    text = "\n".join(
        [
            *(str(x) for x in employers["Wensen "] if x),
            *sav[0]["wensen"],
            *control["wensen"],
            *pd.read_csv(study["interviews"], dtype=str)["parafrase"],
        ]
    )
    missing = [p for p in pii if p not in text]
    assert not missing
    kinds = truth["planted_pii_by_kind"]
    assert all(kinds[k] for k in ("bsn", "email", "phone", "iban", "postcode"))
    for bsn in kinds["bsn"]:
        d = [int(c) for c in bsn]
        assert len(d) == 9
        assert sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], d, strict=True)) % 11 == 0
    for iban in kinds["iban"]:
        s = iban.replace(" ", "")
        assert int("".join(str(int(ch, 36)) for ch in s[4:] + s[:4])) % 97 == 1


# --------------------------------------------------------------------------- scenario


def test_scenario_direction_and_size(codebook, truth, sav, control):
    ref = truth["expected_population"]["share_regular_job"]
    assert truth["parameters"]["regular_job"]["odds_ratio"] == 2.0
    assert 0.09 < ref["control"] < 0.15 and 0.21 < ref["candidates"] < 0.30
    df = sav[0]
    valid = df["werkstatus"].isin([1.0, 2.0, 3.0, 4.0])
    p_cand = (df.loc[valid, "werkstatus"] == 1).mean()
    ws = codebook.instruments["control"].variable("werkstatus")
    lookup = {normalise_label(a): c.code for c in ws.codes for a in (c.nl, *c.aliases)}
    ctrl_codes = control["WERKSTATUS"].map(lambda x: lookup.get(normalise_label(x)))
    p_ctrl = (ctrl_codes.dropna() == 1).mean()
    assert p_cand - p_ctrl > 0.06
    assert abs(p_cand - ref["candidates"]) < 0.08 and abs(p_ctrl - ref["control"]) < 0.07
    real = truth["realised"]
    assert real["candidates"]["share_regular_job"] > real["control"]["share_regular_job"]
    for scale in ("zoekgedrag", "eigen_effectiviteit", "bejegening"):
        assert real["candidates"]["scale_means"][scale] > real["control"]["scale_means"][scale]
    assert real["candidates"]["mean_sollicitaties_4wk"] > real["control"]["mean_sollicitaties_4wk"]
    # reverse-worded items run against their scale
    items = df[["zoek_moeite", "zoek_opgegeven"]].where(df[["zoek_moeite", "zoek_opgegeven"]] < 9)
    assert items.corr().iloc[0, 1] < -0.1


def test_units_and_employers_as_documented(truth, employers, codebook):
    units = truth["parameters"]["units"]
    assert sorted(truth["parameters"]["units_exceeding_all_targets"]) == [
        "doetinchem",
        "hilversum",
        "lansingerland",
    ]
    assert not units["zaanstad"]["exceeds_all_targets"]
    assert units["mug"]["attainment_ratio"]["regulier"] < 0.5
    order = sorted(units, key=lambda u: units[u]["achieved"]["regulier"])
    assert order[0] == "mug"
    for key in ("draagvlak", "uren_gemeente", "uren_adviesbureau"):
        assert sorted(units, key=lambda u: units[u][key]) == order
    # employers: administration and finance are the most common bottlenecks
    knel = employers[[c for c in employers.columns if c.startswith("knelpunt_")]]
    shares = knel.apply(pd.to_numeric, errors="coerce").mean()
    assert set(shares.drop("knelpunt_geen").nlargest(2).index) == {
        "knelpunt_administratie",
        "knelpunt_financieel",
    }
    # scored (reverse-recoded) item means: administration and finance are the weakest
    inst = codebook.instruments["employers"]
    means = {}
    for name in inst.scales[0].items:
        var = inst.variable(name)
        lookup = {normalise_label(a): c.code for c in var.codes for a in (c.nl, *c.aliases)}
        codes = employers[name].map(lambda x, lk=lookup: lk.get(normalise_label(x or "")))
        codes = pd.to_numeric(codes, errors="coerce")
        means[name] = float((6 - codes).mean() if var.reverse else codes.mean())
    assert set(sorted(means, key=means.get)[:2]) == {"eval_administratie", "eval_financieel"}
    marks = pd.to_numeric(employers["RM_cijfer"], errors="coerce")
    assert marks.between(6, 9).mean() > 0.7


# --------------------------------------------------------------------------- config


def test_generated_config_loads(study):
    cfg = load_config(study["config"])
    assert cfg.synthetic and cfg.seed == SEED
    assert cfg.codebook_dir == DEFAULT_CODEBOOK  # outside the project: codebook line omitted
    for name, spec in cfg.inputs.items():
        assert spec.path == study[name].resolve() and spec.path.exists()
    assert cfg.inputs["employers"].sheet == "Enquete ondernemers"
    assert cfg.scenario == study["scenario"].resolve()


def test_shipped_example_config_is_generator_output():
    example = PROJECT_ROOT / "studies" / "example.toml"
    raw = PROJECT_ROOT / "data" / "raw" / "example"
    paths = {name: raw / file for name, file in FILE_NAMES.items()}
    paths["scenario"] = raw / "SCENARIO.md"
    paths["truth"] = raw / "truth.json"
    assert config_text(example, paths, SEED) == example.read_text(encoding="utf-8")


def test_seed_recorded(truth):
    assert truth["seed"] == SEED and truth["synthetic"] is True
    assert np.isclose(truth["scale"], 1.0)


def test_committed_example_study_is_the_generator_output(study):
    """`make example-data` regenerates data/raw/example byte-identically."""
    example = Path(__file__).resolve().parent.parent / "data" / "raw" / "example"
    for key, path in study.items():
        if key == "config":
            continue
        committed = example / Path(path).name
        assert committed.read_bytes() == Path(path).read_bytes(), committed.name
