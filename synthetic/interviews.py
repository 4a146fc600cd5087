"""The interview coding: coded paraphrases from the group interviews, one row per fragment.

Units that attained their targets are described with codes from the "hoog" pool, the others
from "laag" (a code about a municipal merger only for a unit that is merging, scenario
``herindeling``); each unit also states its intention after the project (``voortzetten_<ja|twijfel|
nee>``, scenario ``voortzetten``); a few fragments carry personal data.
"""

from __future__ import annotations

import numpy as np

from pipeline.study.codebook import Codebook
from synthetic import scenario as S
from synthetic import texts as T
from synthetic.mess import unit_spellings
from synthetic.personal_data import PiiFactory
from synthetic.writers import csv_text, label_variants


def interviews_csv(rng: np.random.Generator, cb: Codebook, pii: PiiFactory) -> tuple[str, dict]:
    """The interview-coding CSV text (UTF-8, ``,``) and its truth entry."""
    inst = cb.instruments["interviews"]
    theme = inst.variable("thema")
    rows = []
    for u in cb.units:
        attainment = S.UNITS[u.id]["attainment"]
        merging = bool(S.UNITS[u.id].get("herindeling", False))
        p_high = 1.0 if attainment == "boven alle doelen" else 0.4 if "iets" in attainment else 0.0
        lo, hi = S.INTERVIEW_FRAGMENTS_PER_UNIT
        k = int(rng.integers(lo, hi + 1))
        n_themes = len(theme.code_values())
        # k fragments in all, the intention fragment below included
        themes = np.concatenate(
            [theme.code_values(), rng.choice(theme.code_values(), k - 1 - n_themes)]
        )
        used: set[tuple[str, str]] = set()
        for t in np.sort(themes):
            level = "hoog" if rng.random() < p_high else "laag"
            pool = [c for c in T.INTERVIEW_CODES[int(t)][level]
                    if merging or c[0] not in T.MERGER_CODES]  # fmt: skip
            options = [c for c in pool if (level, c[0]) not in used]
            if not options:
                options = pool
            code, text = options[int(rng.integers(0, len(options)))]
            used.add((level, code))
            speaker = T.INTERVIEW_SPEAKERS[int(rng.integers(0, len(T.INTERVIEW_SPEAKERS)))]
            rows.append([u.id, int(t), code, f"{speaker}: {text}"])
        # The unit's intention after the project: one fragment of the last theme.
        intention = S.UNITS[u.id]["voortzetten"]
        speaker = T.INTERVIEW_SPEAKERS[int(rng.integers(0, len(T.INTERVIEW_SPEAKERS)))]
        rows.append([u.id, max(theme.code_values()), f"voortzetten_{intention}",
                     f"{speaker}: {T.INTERVIEW_CONTINUATION[intention]}"])  # fmt: skip
    spellings = unit_spellings(rng, np.array([r[0] for r in rows]), cb)
    pii_rows = np.sort(rng.choice(len(rows), size=len(T.INTERVIEW_PII_TEMPLATES), replace=False))
    planted = []
    for i, template in zip(pii_rows, T.INTERVIEW_PII_TEMPLATES, strict=True):
        kind = "bsn" if "BSN" in template else "phone" if "belde" in template else "email"
        value = pii.make(kind)
        rows[i][3] = rows[i][3] + " " + template.format(value)
        planted.append(value)
    width = max(3, len(str(len(rows))))
    ids = [f"F{i + 1:0{width}d}" for i in range(len(rows))]
    variants = label_variants(theme)
    out_rows = []
    for i, (_, t, code, text) in enumerate(rows):
        label = theme.label(t)
        if rng.random() < S.RATES["label_variant"] and variants[t]:
            label = variants[t][int(rng.integers(0, len(variants[t])))]
        out_rows.append([ids[i], spellings[i], label, code, text])
    headers = [S.HEADER_MESS["interviews"].get(v.name, v.name) for v in inst.variables]
    columns = [np.array(c, dtype=object) for c in zip(*out_rows, strict=True)]
    truth = {
        "file": S.FILE_NAMES["interviews"],
        "rows_in_file": len(rows),
        "fragments_per_unit": {u.id: sum(r[0] == u.id for r in rows) for u in cb.units},
        "pii_fragments": [ids[i] for i in pii_rows],
    }
    return csv_text(headers, columns, ",", "\n"), truth
