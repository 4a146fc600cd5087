"""Benchmark: free-text redaction (``pipeline.study.privacy.redact_text``) is linear in the text.

Run with ``.venv/bin/python benchmarks/bench_redaction.py``. Times 10 kB, 1 MB and 10 MB of
several kinds of text; the target (checked here, never in a unit test) is 10 MB of survey
answers, and of text dense with personal data, each in under one second on the 2-core
reference machine when it is otherwise idle (timings scale with the machine's load). ``letters`` and
``address-chars`` were the quadratic cases of the old e-mail pattern (100 kB took 32 s).
The last kinds take the folding path (zero-width characters, full-width digits: every
character looked up once, each zero-width character mapped back on its own) and the
obfuscated e-mail patterns; they are shown, not held to the target.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.study.privacy import redact_text  # noqa: E402

SENTENCE = (
    "Ik wil graag meer maatwerk, bel me op 06-12345678 of mail jan.jansen@example.nl. "
    "BSN 123456782, NL91ABNA0417164300, 1234 AB 12. Sinds 12-03-2014 werk ik 20 uur "
    "voor 1.234,56 per maand. "
)  # six items of personal data every 190 characters: far denser than real answers
ANSWER = (
    "Ik zoek al drie jaar werk in de zorg of de schoonmaak, maar het lukt niet omdat ik "
    "geen rijbewijs heb en de bus naar het industrieterrein om 7 uur pas rijdt. De "
    "klantmanager belt mij wel elke maand (vorige keer op 12-03-2014) maar er komt weinig "
    "uit. Graag meer maatwerk en hulp bij het solliciteren, 2 of 3 keer per week. "
) * 6 + "Bel mij op 06-12345678. "  # one item of personal data per ~1,900 characters
SIZES = {"10 kB": 10_000, "1 MB": 1_000_000, "10 MB": 10_000_000}
KINDS = {
    "survey answers": lambda n: (ANSWER * (n // len(ANSWER) + 1))[:n],
    "realistic (dense PII)": lambda n: (SENTENCE * (n // len(SENTENCE) + 1))[:n],
    "letters": lambda n: "a" * n,
    "address-chars": lambda n: "a.b-c" * (n // 5),
    "a@a@": lambda n: "a@" * (n // 2),
    "digits": lambda n: "1" * n,
    "phone-like '06 06'": lambda n: "06 " * (n // 3),
    "accented answers": lambda n: (ANSWER.replace("e", "é") * (n // len(ANSWER) + 1))[:n],
    "zero-width in digits": lambda n: "0\u200b6 " * (n // 4),
    "full-width digits": lambda n: "\uff10\uff16\uff11\uff12 " * (n // 5),
    "obfuscated e-mail": lambda n: "jan (at) example [dot] nl of ik at " * (n // 35),
}
TARGET_S = 1.0


def main() -> int:
    failed = False
    print(f"{'text':24} " + " ".join(f"{s:>9}" for s in SIZES))
    for kind, make in KINDS.items():
        times = []
        for n in SIZES.values():
            text = make(n)
            best = float("inf")
            for _ in range(3):  # best of three: the machine is shared
                start = time.perf_counter()
                redact_text(text)
                best = min(best, time.perf_counter() - start)
            times.append(best)
        print(f"{kind:24} " + " ".join(f"{t:8.3f}s" for t in times))
        if kind in ("survey answers", "realistic (dense PII)") and times[-1] > TARGET_S:
            failed = True
    print(
        f"target: 10 MB of survey answers and of dense PII each in under {TARGET_S:.0f} s: "
        + ("MISSED" if failed else "met")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
