"""Synthetic register rows for the client tests: valid test hetus (individual numbers 900–999)."""

from __future__ import annotations

import random
from typing import Any

CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
FIRST = ["Aino", "Eero", "Hanna-Leena", "Åsa", "Jyri", "Mikael", "Sofia", "Ville", "Öljy"]
LAST = ["Testinen", "Koekäyttäjä", "Simulaatti", "Mallinen", "Esimerkki"]


def hetu(rng: random.Random, used: set[str]) -> str:
    while True:
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2005)
        number = rng.randint(900, 999)
        base = f"{day:02d}{month:02d}{year % 100:02d}"
        sign = "-" if year < 2000 else "A"
        code = f"{base}{sign}{number}{CHECK[int(base + str(number)) % 31]}"
        if code not in used:
            used.add(code)
            return code


def register(n: int, *, seed: int, prefix: str, foreign_share: float = 0.2,
             used: set[str] | None = None) -> list[dict[str, Any]]:
    """``n`` people: most with a hetu, some foreign with only a passport number.

    Hetus are unique within ``used`` (pass one set to several calls); the simulator's own
    population may still hold one, so tests count persons that existed before.
    """
    rng = random.Random(seed)
    used = set() if used is None else used
    rows = []
    for i in range(n):
        first = rng.choice(FIRST)
        row: dict[str, Any] = {"tunniste": f"{prefix}-{i}", "etunimet": first,
                               "kutsumanimi": first.split("-")[0], "sukunimi": rng.choice(LAST)}
        if rng.random() < foreign_share:
            row.update(passinumero=f"{prefix.upper()}P{seed}X{i:06d}", kansalaisuus="752",
                       syntymaaika="1990-01-01")
        else:
            row.update(hetu=hetu(rng, used), kansalaisuus="246", aidinkieli="fi")
        rows.append(row)
    return rows
