"""Personal data typed anywhere never reaches an output (issue 21).

A fresh synthetic study (``pipeline simulate``) gets personal data planted in every place a
person types text that the pipeline may echo: the study title, the config's, scenario's
and every export's file name, the Excel sheet name, column headers (an unknown column and
a renamed one, with the rename key in the study config), SPSS variable names, variable
labels and value labels (and a value-label code), free-text answers, and numbers stored as
numbers in numeric SPSS and Excel columns. Each item is written in a disguise (zero-width
and no-break spaces between digits, full-width digits, ``(at)``/``[dot]`` e-mails, a
lower-case postcode). The whole pipeline then runs once, and no output file (CSV, JSON,
Parquet, SPSS, the workbook's XML, SVG and PNG metadata, the HTML with its embedded
files, the PDF's text and metadata) nor any message on stderr holds any planted item, in
any of the forms it could take after normalisation.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.study.privacy import is_valid_bsn, is_valid_iban

# ------------------------------------------------------------------ the planted items

_ZW = "\u200b"  # zero-width space
_NBSP = "\u00a0"
_THIN = "\u2009"
_NNBSP = "\u202f"


def _wide(text: str) -> str:
    """Full-width digits (U+FF10..U+FF19) and letters; NFKC folds them back."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _bsn(prefix: str) -> str:
    """The first nine-digit BSN (11-test holds) starting with the seven digits ``prefix``."""
    return next(f"{prefix}{k:02d}" for k in range(100) if is_valid_bsn(f"{prefix}{k:02d}"))


def _iban(account: str) -> str:
    """A Dutch IBAN (bank ABNA) for a ten-digit account number, with valid check digits."""
    bban = "ABNA" + account
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "NL00")) % 97
    iban = f"NL{check:02d}{bban}"
    assert is_valid_iban(iban)
    return iban


@dataclass(frozen=True)
class Plant:
    """The personal data planted in one place: what is typed there, and what to look for."""

    place: str
    letter: str  # makes the e-mail address of this place unique
    number: int  # makes the numbers of this place unique (0..99)

    @property
    def email_user(self) -> str:
        return f"zqplant{self.letter}"

    @property
    def email_domain(self) -> str:
        return f"zqdomein{self.letter}"

    @property
    def phone(self) -> str:
        """Nine digits (a mobile number without its trunk zero) that fail the 11-test, so
        only the phone rules can catch them."""
        return next(p for k in range(10) if not is_valid_bsn(p := f"64189{self.number:02d}7{k}"))

    @property
    def bsn(self) -> str:
        return _bsn(f"1{self.number:02d}4567")

    @property
    def iban(self) -> str:
        return _iban(f"41{self.number:02d}164300")

    @property
    def postcode(self) -> tuple[str, str, str]:  # digits, letters, house number
        return f"97{self.number:02d}", "XK", "17"

    def needles(self) -> dict[str, re.Pattern[str]]:
        """What must not appear in an output (searched in normalised, lower-case text):
        every item with any separators (up to three non-alphanumerics) between its
        characters, so a redaction that kept the digits in another layout still fails."""

        def spaced(chars: str) -> re.Pattern[str]:
            return re.compile(r"[\W_]{0,3}".join(map(re.escape, chars.lower())))

        digits, letters, house = self.postcode
        return {
            "e-mail user": spaced(self.email_user),
            "e-mail domain": spaced(self.email_domain),
            "phone": spaced(self.phone),
            "bsn": spaced(self.bsn),
            "iban": spaced(self.iban[4:]),  # the bank and account number
            "iban account": spaced(self.iban[8:]),
            "postcode": spaced(digits + letters + house),
        }

    # The disguises -----------------------------------------------------------------

    def pieces(self) -> list[str]:
        """Every item, each in a disguise (for places that take any character)."""
        digits, letters, house = self.postcode
        phone = "0" + self.phone
        return [
            f"mail {self.email_user} (at) {self.email_domain} [dot] nl of "
            f"{self.email_user}{_ZW}@{self.email_domain}.nl",
            f"bel {_wide(phone[:2])}{_NBSP}{_wide(phone[2:6])}{_THIN}{_wide(phone[6:])} "
            f"of +31{_NNBSP}{phone[1]}{_ZW}{phone[2:]}",
            f"bsn {_ZW.join(self.bsn)}",
            f"iban {_NBSP.join(self.iban[i:i + 4] for i in range(0, 18, 4))}",
            f"adres {digits} {letters.lower()} {house}",
        ]

    def text(self) -> str:
        return ", ".join(self.pieces())

    def file_text(self) -> str:
        """Every item, disguised, in characters a file name may hold (no '/')."""
        digits, letters, house = self.postcode
        return (
            f"{self.email_user} at {self.email_domain}.nl "
            f"06{_ZW}{self.phone[1:]} {_wide(self.bsn)} "
            f"{self.iban.lower()} {digits}{_NBSP}{letters.lower()}{_NBSP}{house}"
        )

    def sheet_text(self) -> str:
        """Phone, BSN and postcode in at most 31 characters (an Excel sheet name)."""
        digits, letters, house = self.postcode
        return f"0{self.phone} {self.bsn} {digits}{letters.lower()} {house}"

    def spss_name(self) -> str:
        """An SPSS variable name: letters, digits and underscores only."""
        return f"tel_0{self.phone}_bsn_{self.bsn}"


_LETTERS = "abcdefghijklmnopqrstuvwxy"
PLACES = [
    "title", "config file", "scenario file", "truth file",
    "employers file", "candidates file", "control file", "register file", "interviews file",
    "sheet name", "unknown column csv", "unknown column xlsx", "renamed column", "exclude",
    "spss variable name", "spss variable label", "spss value label", "spss file label",
    "free text csv", "free text xlsx", "free text sav", "numbers",
]
PLANTS = {place: Plant(place, _LETTERS[i], 10 + i) for i, place in enumerate(PLACES)}


# ------------------------------------------------------------------ planting


def _edit_csv(path: Path, edit) -> None:
    """Rewrite a CSV export as UTF-8 (the planted text needs it) after ``edit(rows)``."""
    import csv

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    edit(rows)
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def _set(rows: list[list[str]], header: str, row: int, value: str) -> None:
    rows[row][rows[0].index(header)] = value


def _add_column(rows: list[list[str]], header: str, value: str) -> None:
    rows[0].append(header)
    for r in rows[1:]:
        r.append(value)


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for the characters used here)."""
    return json.dumps(text)


def plant_study(root: Path) -> Path:
    """Simulate a study into ``root`` and plant personal data everywhere; the config path."""
    import openpyxl
    import pandas as pd
    import pyreadstat

    assert main(["-q", "simulate", "--out", str(root), "--seed", "3"]) == 0
    P = PLANTS
    config = (root / "study.toml").read_text(encoding="utf-8")

    # Control group (CSV): free text, numbers in a code column and a numeric measure,
    # an unknown column, a renamed column (the rename key goes into the config) and a row
    # the config excludes by a value of the unknown column (the reason names both).
    renamed = f"Q3 leeftijd {P['renamed column'].text()}"
    unknown = f"Opmerking {P['unknown column csv'].text()}"

    def control(rows: list[list[str]]) -> None:
        _set(rows, "wensen", 5, P["free text csv"].text())
        _set(rows, "opleiding", 6, P["numbers"].phone)  # a phone without its trunk zero
        _set(rows, "Leeftijd ", 7, P["numbers"].bsn)  # a BSN in a numeric measure
        _add_column(rows, unknown, "niets")
        _set(rows, unknown, 9, P["exclude"].text())
        rows[0][rows[0].index("Leeftijd ")] = renamed

    _edit_csv(root / "controlegroep.csv", control)
    _edit_csv(root / "interviews_codering.csv",
              lambda rows: _set(rows, "parafrase", 3, P["free text csv"].text()))
    _edit_csv(root / "register_gemeenten.csv",
              lambda rows: _add_column(rows, P["unknown column csv"].text(), "1"))

    # Employers (Excel): the sheet name, an unknown column, free text, numbers.
    wb = openpyxl.load_workbook(root / "ondernemers.xlsx")
    ws = wb["Enquete ondernemers"]
    ws.title = P["sheet name"].sheet_text()
    header = [c.value for c in ws[1]]
    ws.cell(row=1, column=len(header) + 1, value=P["unknown column xlsx"].text())
    ws.cell(row=4, column=len(header) + 1, value="x")
    ws.cell(row=5, column=header.index("Wensen ") + 1, value=P["free text xlsx"].text())
    ws.cell(row=6, column=header.index("Sector") + 1, value=int(P["numbers"].bsn))
    ws.cell(row=7, column=header.index("aangenomen_regulier") + 1,
            value=float(P["numbers"].phone))
    wb.save(root / "ondernemers.xlsx")

    # Candidates (SPSS): variable name and label, value labels, a value-label code, the
    # file label, free text, numbers stored as numbers.
    sav = root / "kandidaten.sav"
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    frame.loc[3, "wensen"] = P["free text sav"].text()
    frame.loc[4, "opleiding"] = float(P["numbers"].bsn)  # a code column
    frame.loc[5, "sollicitaties_4wk"] = float(P["numbers"].phone)  # a numeric measure
    frame[P["spss variable name"].spss_name()] = 1.0
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    labels["wensen"] = P["spss variable label"].text()
    labels[P["spss variable name"].spss_name()] = P["spss variable label"].text()
    value_labels = dict(meta.variable_value_labels)
    value_labels["opleiding"] = {  # codes the data do not use; a label has 120 bytes
        **value_labels["opleiding"],
        **{float(5 + k): piece for k, piece in enumerate(P["spss value label"].pieces())},
    }
    value_labels["geslacht"] = {**value_labels["geslacht"], float(P["numbers"].bsn): "anders"}
    frame["datum_invullen"] = pd.to_datetime(frame["datum_invullen"]).dt.date
    pyreadstat.write_sav(
        frame, str(sav), file_label=P["spss file label"].sheet_text(),
        column_labels=labels, variable_value_labels=value_labels,
        missing_ranges=meta.missing_ranges, variable_measure=meta.variable_measure,
    )

    # File names (the config, scenario, truth and every export).
    names = {
        "SCENARIO.md": f"SCENARIO {P['scenario file'].file_text()}.md",
        "truth.json": f"truth {P['truth file'].file_text()}.json",
        "ondernemers.xlsx": f"ondernemers {P['employers file'].file_text()}.xlsx",
        "kandidaten.sav": f"kandidaten {P['candidates file'].file_text()}.sav",
        "controlegroep.csv": f"controlegroep {P['control file'].file_text()}.csv",
        "register_gemeenten.csv": f"register {P['register file'].file_text()}.csv",
        "interviews_codering.csv": f"interviews {P['interviews file'].file_text()}.csv",
    }
    for old, new in names.items():
        (root / old).rename(root / new)
        config = config.replace(f'"{old}"', _toml(new))
    config = config.replace('title = "Evaluatie Werktop"',
                            f"title = {_toml('Evaluatie Werktop ' + P['title'].text())}")
    config = config.replace('sheet = "Enquete ondernemers"',
                            f"sheet = {_toml(P['sheet name'].sheet_text())}")
    config += f"\n[inputs.control.rename]\n{_toml(renamed)} = \"leeftijd\"\n"
    config += f"\n[inputs.control.exclude]\n{_toml(unknown)} = [{_toml(P['exclude'].text())}]\n"
    (root / "study.toml").unlink()
    path = root / f"study {P['config file'].file_text()}.toml"
    path.write_text(config, encoding="utf-8")
    return path


# ------------------------------------------------------------------ reading every output


def _normalise(text: str) -> str:
    """NFKC, without format characters (zero-width spaces), lower case."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf").lower()


_DATA_URI = re.compile(r"data:[\w/+.-]+(?:;[\w=.-]+)*;base64,([A-Za-z0-9+/=]+)")


def output_texts(path: Path) -> dict[str, str]:
    """Every text an output file holds, by part: its bytes as text, and what a reader of
    its format sees (PDF text and metadata, workbook XML, Parquet and SPSS values and
    labels, PNG text chunks, files embedded in the HTML)."""
    data = path.read_bytes()
    texts = {"bytes": data.decode("utf-8", errors="ignore")}
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdf

        pdf = pypdf.PdfReader(io.BytesIO(data))
        texts["pdf text"] = "\n".join(page.extract_text() for page in pdf.pages)
        texts["pdf metadata"] = json.dumps({k: str(v) for k, v in (pdf.metadata or {}).items()})
    elif suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                texts[name] = z.read(name).decode("utf-8", errors="ignore")
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        texts["values"] = table.to_pandas().to_csv()
        texts["schema"] = str(table.schema) + str(table.schema.metadata)
    elif suffix == ".sav":
        import pyreadstat

        frame, meta = pyreadstat.read_sav(str(path))
        texts["values"] = frame.to_csv()
        texts["labels"] = json.dumps([meta.file_label, meta.notes, meta.column_labels,
                                      meta.variable_value_labels], default=str)
    elif suffix == ".png":
        from PIL import Image

        with Image.open(path) as img:
            texts["png metadata"] = json.dumps(img.info, default=str)
    elif suffix == ".toml":  # the planted config (escapes read as the characters)
        import tomllib

        texts["toml"] = json.dumps(tomllib.loads(texts["bytes"]), ensure_ascii=False)
    elif suffix == ".html":
        for k, m in enumerate(_DATA_URI.finditer(texts["bytes"])):
            texts[f"embedded {k}"] = base64.b64decode(m.group(1)).decode("utf-8", "ignore")
    return texts


def find_leaks(texts: dict[str, str]) -> list[tuple[str, str, str]]:
    """(where, place, item) for every planted item found in ``texts`` (where -> text)."""
    leaks = []
    for where, text in texts.items():
        norm = _normalise(text)
        for plant in PLANTS.values():
            for item, needle in plant.needles().items():
                if needle.search(norm):
                    leaks.append((where, plant.place, item))
    return leaks


# ------------------------------------------------------------------ the run


@dataclass
class Run:
    config: Path
    out: Path
    stderr: str


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("planted")
    config = plant_study(root / "study")
    out = root / "out"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["-v", "run", "--config", str(config), "--out", str(out)])
    assert status == 0, err.getvalue()[-3000:]
    return Run(config, out, err.getvalue())


def test_the_planted_study_holds_every_item_in_its_place(planted_run):
    # The test is only as good as its plants: each place's text really is in the inputs.
    inputs = {p.name: output_texts(p) for p in planted_run.config.parent.iterdir()}
    found = {(place, item) for texts in inputs.values() for _, place, item in find_leaks(texts)}
    names = find_leaks({"names": " ".join(inputs)})
    found |= {(place, item) for _, place, item in names}
    for plant in PLANTS.values():
        items = {"phone", "bsn", "postcode"} if plant.place in ("sheet name",
                                                                "spss file label") else (
            {"phone", "bsn"} if plant.place in ("numbers", "spss variable name")
            else set(plant.needles()))
        assert {(plant.place, i) for i in items} <= found, plant.place


_ALL = ["[E-MAIL]", "[TELEFOON]", "[BSN]", "[IBAN]", "[ADRES]"]


def _has(text: str, markers: list[str]) -> bool:
    return all(m in text for m in markers)


def test_each_place_arrives_redacted(planted_run):
    # The plants reached the pipeline where they were put, and came out as markers.
    out = planted_run.out
    stats = json.loads((out / "results/stats.json").read_text(encoding="utf-8"))["study"]
    assert _has(stats["title"], _ALL) and _has(stats["config"], _ALL)
    assert _has(stats["scenario"], _ALL)
    meta = {name: json.loads((out / f"data/interim/ingested/{name}.meta.json").read_text(
        encoding="utf-8")) for name in ("employers", "candidates", "control", "register")}
    assert all(_has(m["file"], _ALL) for m in meta.values())
    assert _has(meta["employers"]["sheet"], ["[TELEFOON]", "[BSN]", "[ADRES]"])
    assert any(_has(c, _ALL) for c in meta["employers"]["unknown_columns"])
    assert any(_has(c, _ALL) for c in meta["control"]["unknown_columns"])
    assert _has(meta["control"]["columns"]["leeftijd"], _ALL)  # the renamed column
    exclusions = (out / "data/interim/exclusions.csv").read_text(encoding="utf-8")
    assert _has(exclusions, _ALL) and "excluded_by_config" in exclusions
    assert "tel_[TELEFOON]_bsn_[BSN]" in meta["candidates"]["unknown_columns"]
    assert _has(" ".join(meta["candidates"]["value_labels"]["opleiding"].values()), _ALL)
    assert "[BSN]" in meta["candidates"]["value_labels"]["geslacht"]  # a code
    # Numbers stored as numbers: in code columns at ingest, in the validation report.
    import pandas as pd

    def ingested(name: str, column: str) -> set[str]:
        frame = pd.read_csv(out / f"data/interim/ingested/{name}.csv", dtype=str,
                            keep_default_na=False)
        return set(frame[column])

    assert "[TELEFOON]" in ingested("control", "opleiding")
    assert "[BSN]" in ingested("candidates", "opleiding")
    assert "[BSN]" in ingested("employers", "sector")
    report = pd.read_csv(out / "data/interim/validation_report.csv", dtype=str,
                         keep_default_na=False)
    values = set(zip(report["instrument"], report["value"], strict=True))
    assert {("control", "[BSN]"), ("candidates", "[TELEFOON]"),
            ("employers", "[TELEFOON]")} <= values


def test_no_planted_item_reaches_any_output(planted_run):
    leaks = []
    for path in sorted(planted_run.out.rglob("*")):
        if path.is_file():
            rel = path.relative_to(planted_run.out).as_posix()
            texts = {f"{rel} ({part})": text for part, text in output_texts(path).items()}
            leaks += find_leaks(texts)
    leaks += find_leaks({"stderr": planted_run.stderr})
    assert leaks == []


def test_user_error_messages_are_redacted_also_where_repr_escaped_a_character():
    from pipeline.study.errors import UserError

    plant = PLANTS["renamed column"]
    err = UserError(f"no column {plant.text()!r}", hint=f"the file has {[plant.text()]!r}")
    assert "\\u200b" in repr(plant.text())  # repr() writes the zero-width space as an escape
    assert err.messages[0].startswith("no column ") and "[E-MAIL]" in err.hint
    assert find_leaks({"message": err.render()}) == []


def test_messages_of_a_failed_run_are_redacted(planted_run, tmp_path):
    # A rename of a column the file lacks: the error quotes the setting and lists the
    # file's columns (one of them planted); both reach stderr and logs/run_summary.json.
    study = planted_run.config.parent
    config = planted_run.config.read_text(encoding="utf-8")
    config = re.sub(r'^(path|scenario|truth) = (".*")$',
                    lambda m: f"{m.group(1)} = {_toml(str(study / json.loads(m.group(2))))}",
                    config, flags=re.MULTILINE)
    wrong = f"Kolom {PLANTS['renamed column'].text()}"
    config += f"\n[inputs.employers.rename]\n{_toml(wrong)} = \"gemeente\"\n"
    path = tmp_path / "failing.toml"
    path.write_text(config, encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["run", "--config", str(path), "--out", str(tmp_path / "out")])
    assert status == 2
    assert "[E-MAIL]" in err.getvalue() and "has no column" in err.getvalue()
    summary = (tmp_path / "out/logs/run_summary.json").read_text(encoding="utf-8")
    assert "has no column" in summary
    assert find_leaks({"stderr": err.getvalue(), "run_summary.json": summary}) == []
