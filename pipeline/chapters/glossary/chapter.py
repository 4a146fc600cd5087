"""Glossary (back matter, after the appendices): every technical term the report uses.

``TERMS`` lists each term with the pattern that finds it in the report's text (Dutch or
English). The explanations are the chapter's strings (``[glossary.terms.<key>]`` in
nl.toml and en.toml: ``term``, ``text`` and optionally ``cite``, the key of the work in the
literature list that the explanation cites). tests/test_back_matter.py renders the report
and checks that every term of ``TERMS`` found in the text outside the glossary has an
explanation in both languages, and that every explanation belongs to a listed term.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.report.chapter import Chapter, ViewInputs, chapter_module

#: Term key -> regular expression (case-sensitive) that finds the term in the report text.
TERMS: dict[str, str] = {
    "att": r"\bATT\b",
    "ci": r"betrouwbaarheidsinterval|confidence interval|\bBI\b|\bCI\b",
    "p_value": r"\bp-waarde|\bp-value",
    "holm": r"\bHolm\b",
    "bh": r"Benjamini|\bBH\b",
    "odds_ratio": r"odds ratio|\bOR\b",
    "risk_difference": r"procentpunt|percentage point|risicoverschil|risk difference",
    "rate_ratio": r"rate ratio|\bRR\b",
    "hedges_g": r"Hedges",
    "smd": r"\bSMD\b|gestandaardiseerd|standardised (mean )?difference",
    "propensity": r"propensity",
    "kish": r"\bKish\b",
    "e_value": r"E-waarde|E-value",
    "mi": r"multipele imputatie|multiple imputation",
    "pmm": r"\bPMM\b|predictive mean matching",
    "hc3": r"\bHC3\b",
    "fixed_effects": r"vaste effecten|fixed effects",
    "cronbach": r"Cronbach",
    "feldt": r"\bFeldt\b",
    "epsilon_squared": r"ε²|epsilon",
    "welch": r"\bWelch\b",
    "mann_whitney": r"Mann[–-]Whitney",
    "kruskal": r"Kruskal",
    "fisher": r"\bFisher\b",
    "chi_square": r"χ²|chi-kwadraat|chi-square",
    "spearman": r"Spearman",
    "wilson": r"\bWilson\b",
    "poisson": r"Poisson",
}


#: Terms explained only when the study uses the method (a study with another multiplicity
#: correction never mentions Holm): term key -> test on stats.json.
WHEN: dict[str, Any] = {
    "holm": lambda stats: stats.get("outcome_family", {}).get("method") == "holm",
}


def applies(key: str, stats: dict[str, Any]) -> bool:
    """Whether term ``key`` belongs in this study's glossary (``WHEN``; default yes)."""
    test = WHEN.get(key)
    return True if test is None else bool(test(stats))


def view(inputs: ViewInputs) -> dict[str, Any]:
    """The glossary's entries in the order of their term in the report language."""
    terms = inputs.strings["glossary"]["terms"]
    # A term's ``cite`` names an entry of the literature list, cited as "(author, year)".
    literature = chapter_module("literature", Path(__file__).resolve().parent.parent)
    cites = {e["key"]: e["cite"] for e in literature.references()}
    entries = [{"key": key, **terms[key], "cite_text": cites.get(terms[key].get("cite", ""))}
               for key in TERMS if key in terms and applies(key, dict(inputs.stats))]
    return {"glossary_entries": sorted(entries, key=lambda e: e["term"].casefold())}


CHAPTER = Chapter(key="glossary", kind="back", view=view, stats=("outcome_family.method",))
