"""Chapter 7, the municipalities' evaluation: the coded group interviews (qualitative).

Counts are of coded fragments, not of people or opinions: how often a theme or code came
up in a unit's group interview. The paraphrases are redacted free text from the coding.
Theme codes come from ``data/codebook/interviews.toml``; codes starting with
``voortzetten_`` state a unit's intention after the project, ``borging_`` a safeguard for
embedding the approach (the codebook documents the convention).
"""

from __future__ import annotations

import pandas as pd

from pipeline.report.chapter import AnalysisInputs, Chapter, ChapterResults, TableSpec, ViewInputs
from pipeline.report.view import grouped, records
from pipeline.study.codebook import Codebook

from .synthesis import synthesis

CONTINUE_PREFIX = "voortzetten_"
EMBED_PREFIX = "borging_"
_THEME = {
    "theme": ("integer", "Theme code (codebook interviews.toml, variable thema)"),
    "theme_label_nl": ("string", "Theme label (Dutch)"),
    "theme_label_en": ("string", "Theme label (English)"),
}
MATRIX = TableSpec(
    "interview_matrix",
    ("unit", "unit_name", "theme", "theme_label_nl", "theme_label_en", "n_fragments",
     "n_codes", "n_unit_fragments"),
    "Coded interview fragments per unit and theme (counts of fragments; qualitative)",
    extra_columns={**_THEME,
                   "n_fragments": ("integer", "Coded fragments of this unit and theme"),
                   "n_codes": ("integer", "Distinct codes among those fragments"),
                   "n_unit_fragments": ("integer", "Coded fragments of this unit, all themes")},
)  # fmt: skip
CODES = TableSpec(
    "interview_codes",
    ("theme", "theme_label_nl", "theme_label_en", "code", "code_label_nl", "code_label_en",
     "n_fragments", "n_units", "units", "example"),
    "Codes per theme: how many fragments and units, and one paraphrase as an example",
    may_be_empty=True,
    extra_columns={**_THEME,
                   "code": ("string", "Code of the fragment"),
                   "code_label_nl": ("string", "Label of the code (Dutch; codebook value_labels)"),
                   "code_label_en": ("string", "Label of the code (English)"),
                   "n_fragments": ("integer", "Fragments with this code"),
                   "n_units": ("integer", "Units in whose interview the code occurs"),
                   "units": ("string", "Names of those units, in codebook order"),
                   "example": ("string", "First paraphrase with this code (redacted)")},
)  # fmt: skip
CONTINUATION = TableSpec(
    "interview_continuation",
    ("unit", "unit_name", "intention", "paraphrase", "safeguards", "safeguards_nl",
     "safeguards_en"),
    "Per unit: the intention after the project (voortzetten_* code) and the safeguards "
    "for embedding the approach (borging_* codes)",
    extra_columns={
        "intention": ("string", "ja, twijfel or nee (from the voortzetten_* code); missing "
                      "when the interview has no such code"),
        "paraphrase": ("string", "The paraphrase of the intention fragment (redacted)"),
        "safeguards": ("string", "borging_* codes of the unit, '; '-separated"),
        "safeguards_nl": ("string", "Labels of those codes (Dutch), '; '-separated"),
        "safeguards_en": ("string", "Labels of those codes (English), '; '-separated"),
    },
)  # fmt: skip


def _themes(codebook: Codebook) -> list:
    return list(codebook.instruments["interviews"].variable("thema").codes)


def interview_matrix(interviews: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Unit x theme counts; every unit and theme kept (0 when nothing was coded)."""
    themes = _themes(codebook)
    idx = pd.MultiIndex.from_product([[u.id for u in codebook.units],
                                      [c.code for c in themes]], names=["unit", "theme"])
    keys = [interviews["gemeente"], interviews["thema"].astype("Int64")]
    n = interviews.groupby(keys).size()
    k = interviews.groupby(keys)["code"].nunique()
    n.index = n.index.set_names(["unit", "theme"])
    k.index = k.index.set_names(["unit", "theme"])
    out = pd.DataFrame({"n_fragments": n.reindex(idx, fill_value=0),
                        "n_codes": k.reindex(idx, fill_value=0)}).reset_index()
    names = {u.id: u.name for u in codebook.units}
    out.insert(1, "unit_name", out["unit"].map(names))
    out.insert(3, "theme_label_nl", out["theme"].map({c.code: c.nl for c in themes}))
    out.insert(4, "theme_label_en", out["theme"].map({c.code: c.en for c in themes}))
    out["n_unit_fragments"] = out.groupby("unit", sort=False)["n_fragments"].transform("sum")
    return out.astype({"theme": "int64", "n_fragments": "int64", "n_codes": "int64"})[
        list(MATRIX.columns)]  # fmt: skip


def interview_codes(interviews: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One row per theme and code, in codebook theme order, most frequent code first."""
    themes = _themes(codebook)
    order = {u.id: i for i, u in enumerate(codebook.units)}
    names = {u.id: u.name for u in codebook.units}
    frame = interviews.dropna(subset=["thema", "code"]).copy()
    if frame.empty:
        return pd.DataFrame(columns=list(CODES.columns))
    frame["theme"] = frame["thema"].astype("int64")
    frame["_o"] = frame["gemeente"].map(order)
    frame = frame.sort_values(["_o", "fragment_id"], kind="stable")
    by = frame.groupby(["theme", "code"], sort=False)
    out = pd.DataFrame({
        "n_fragments": by.size(),
        "n_units": by["gemeente"].nunique(),
        "units": by["gemeente"].agg(lambda s: ", ".join(names.get(u, u) for u in dict.fromkeys(s))),
        "example": by["parafrase"].first(),
    }).reset_index()  # fmt: skip
    theme_order = {c.code: i for i, c in enumerate(themes)}
    out["_t"] = out["theme"].map(theme_order)
    out = out.sort_values(["_t", "n_fragments", "code"], ascending=[True, False, True],
                          kind="stable").drop(columns="_t")  # fmt: skip
    out["theme_label_nl"] = out["theme"].map({c.code: c.nl for c in themes})
    out["theme_label_en"] = out["theme"].map({c.code: c.en for c in themes})
    variable = codebook.instruments["interviews"].variable("code")
    for lang in ("nl", "en"):
        labels = {c: variable.text_label(c, lang) for c in out["code"].unique()}
        out[f"code_label_{lang}"] = out["code"].map(labels)
    return out.reset_index(drop=True)[list(CODES.columns)]


def interview_continuation(interviews: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per unit the stated intention and the safeguards (missing when not coded)."""
    rows = []
    variable = codebook.instruments["interviews"].variable("code")
    code = interviews["code"].astype("string").fillna("")
    for u in codebook.units:
        mine = interviews[interviews["gemeente"] == u.id]
        mine_code = code[mine.index]
        intent = mine[mine_code.str.startswith(CONTINUE_PREFIX)]
        embed = list(dict.fromkeys(mine_code[mine_code.str.startswith(EMBED_PREFIX)]))
        rows.append({
            "unit": u.id, "unit_name": u.name,
            "intention": (str(intent["code"].iloc[0])[len(CONTINUE_PREFIX):]
                          if len(intent) else None),
            "paraphrase": str(intent["parafrase"].iloc[0]) if len(intent) else None,
            "safeguards": "; ".join(embed) or None,
            "safeguards_nl": "; ".join(variable.text_label(c, "nl") for c in embed) or None,
            "safeguards_en": "; ".join(variable.text_label(c, "en") for c in embed) or None,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(CONTINUATION.columns))


def analyze(inputs: AnalysisInputs) -> ChapterResults:
    interviews = inputs.data("interviews")
    cb = inputs.codebook
    matrix = interview_matrix(interviews, cb)
    codes = interview_codes(interviews, cb)
    cont = interview_continuation(interviews, cb)
    counts = cont["intention"].value_counts()
    stats = {"municipalities": {
        "n_fragments": int(len(interviews)),
        "n_units_interviewed": int(interviews["gemeente"].nunique()),
        "n_units": len(cb.units),
        "n_continue": int(counts.get("ja", 0)),
        "n_doubt": int(counts.get("twijfel", 0)),
        "n_stop": int(counts.get("nee", 0)),
        "n_intention_unknown": int(cont["intention"].isna().sum()),
        "synthesis": synthesis(codes, cont),
    }}  # fmt: skip
    return ChapterResults(
        tables={"interview_matrix": matrix, "interview_codes": codes,
                "interview_continuation": cont},
        stats=stats,
    )  # fmt: skip


def view(inputs: ViewInputs) -> dict:
    t = inputs.tables
    matrix = t["interview_matrix"]
    themes = records(matrix.drop_duplicates("theme")[["theme", "theme_label_nl",
                                                      "theme_label_en"]])  # fmt: skip
    units = grouped(matrix, "unit", name="unit_name")
    for g in units:
        g["cells"] = {r["theme"]: r["n_fragments"] for r in g["rows"]}
        g["total"] = g["rows"][0]["n_unit_fragments"]
    return {
        "themes": themes,
        "matrix": units,
        "codes": grouped(t["interview_codes"], "theme", label_nl="theme_label_nl",
                         label_en="theme_label_en"),
        "continuation": records(t["interview_continuation"]),
    }  # fmt: skip


CHAPTER = Chapter(
    key="municipalities",
    sources=("interviews",),
    tables=(MATRIX, CODES, CONTINUATION),
    exhibits=("table:interview_matrix", "table:interview_codes",
              "table:interview_continuation"),
    stats=("municipalities.n_fragments", "municipalities.n_units_interviewed",
           "municipalities.synthesis",
           "municipalities.n_continue", "municipalities.n_doubt", "municipalities.n_stop",
           "municipalities.n_intention_unknown", "municipalities.n_units"),
    analyze=analyze,
    view=view,
)  # fmt: skip
