"""Personal data planted in free text: valid-looking, unique Dutch BSNs, e-mail addresses,
phone numbers, IBANs and postcodes (the pipeline must keep them out of every output)."""

from __future__ import annotations

import numpy as np

from synthetic import texts as T


class PiiFactory:
    """Valid-looking Dutch personal data, each string unique across the whole study."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.planted: list[str] = []
        self.by_kind: dict[str, list[str]] = {k: [] for k in T.PII_KINDS}
        self._seen: set[str] = set()

    def _digits(self, k: int, first_nonzero: bool = True) -> str:
        d = self.rng.integers(0, 10, size=k)
        if first_nonzero:
            d[0] = self.rng.integers(1, 10)
        return "".join(map(str, d))

    def bsn(self) -> str:
        while True:
            d = [int(c) for c in self._digits(8)]
            s = sum(w * x for w, x in zip(range(9, 1, -1), d, strict=True))
            check = s % 11
            if check < 10:
                return "".join(map(str, d)) + str(check)

    def email(self) -> str:
        r = self.rng
        first = str(r.choice(T.FIRST_NAMES))
        last = str(r.choice(T.LAST_NAMES))
        local = f"{first[0]}.{last}{r.integers(50, 100)}" if r.random() < 0.5 else f"{first}{last}"
        return f"{local}@{r.choice(T.EMAIL_DOMAINS)}"

    def phone(self) -> str:
        r = self.rng
        kind = int(r.integers(0, 3))
        if kind == 0:
            return f"06-{self._digits(8)}"
        if kind == 1:
            return f"+31 6 {self._digits(8)}"
        area = str(r.choice(T.PHONE_AREA))
        return f"{area}-{self._digits(10 - len(area))}"

    def iban(self) -> str:
        bank = str(self.rng.choice(T.BANK_CODES))
        account = self._digits(10, first_nonzero=False)
        numeric = "".join(str(int(ch, 36)) for ch in bank + account + "NL00")
        check = 98 - int(numeric) % 97
        compact = f"NL{check:02d}{bank}{account}"
        if self.rng.random() < 0.5:
            return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return compact

    def postcode(self) -> str:
        r = self.rng
        while True:
            letters = "".join(r.choice(list("ABCEGHJKLMNPRTVWXZ"), size=2))
            if letters not in ("SA", "SD", "SS"):
                break
        return f"{r.integers(1000, 10000)} {letters} {r.integers(1, 200)}"

    def make(self, kind: str) -> str:
        while True:
            value = getattr(self, kind)()
            if value not in self._seen:
                self._seen.add(value)
                self.planted.append(value)
                self.by_kind[kind].append(value)
                return value

    def sentence(self) -> str:
        kind = str(self.rng.choice(T.PII_KINDS))
        value = self.make(kind)
        return str(self.rng.choice(T.PII_TEMPLATES[kind])).format(value)
