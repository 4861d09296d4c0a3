"""Shared helpers for the Registry-level (no HTTP) simulator tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onrtools.simulator.clock import FixedClock
from onrtools.simulator.state import Caller, Registry

ROOT = "1.2.246.562.10.00000000001"
KK1 = "1.2.246.562.10.00000000101"
KK2 = "1.2.246.562.10.00000000102"

KK1_USER = Caller(
    "1.2.246.562.98.10000000017",
    "palvelu-kk1",
    {
        "OPPIJOIDENTUONTI": frozenset([KK1]),
        "YLEISTUNNISTE_LUONTI": frozenset([KK1]),
        "TUONTIDATA_READ": frozenset([KK1]),
    },
)
KK2_USER = Caller(
    "1.2.246.562.98.10000000025",
    "palvelu-kk2",
    {
        "OPPIJOIDENTUONTI": frozenset([KK2]),
        "YLEISTUNNISTE_LUONTI": frozenset([KK2]),
        "TUONTIDATA_READ": frozenset([KK2]),
    },
)
SUPER = Caller(
    "1.2.246.562.98.10000000033",
    "rekisterinpitaja",
    {"REKISTERINPITAJA": frozenset([ROOT]), "REKISTERINPITAJA_READ": frozenset([ROOT])},
)
NOBODY = Caller("1.2.246.562.98.10000000041", "nobody", {})


def row(tunniste: str | None = None, **henkilo: Any) -> dict[str, Any]:
    """An import row with defaults for the mandatory fields."""
    h: dict[str, Any] = {
        "etunimet": "Etu",
        "kutsumanimi": "Etu",
        "sukunimi": "Suku",
        "kansalaisuus": [{"koodi": "246" if henkilo.get("hetu") else "999"}],
    }
    h.update(henkilo)
    out: dict[str, Any] = {"henkilo": h}
    if tunniste is not None:
        out["tunniste"] = tunniste
    return out


def vtj_person(hetu: str, etunimet: str, sukunimi: str, **extra: Any) -> dict[str, Any]:
    return {
        "hetu": hetu,
        "etunimet": etunimet,
        "sukunimi": sukunimi,
        "kutsumanimi": extra.pop("kutsumanimi", etunimet.split()[0]),
        "sukupuoli": extra.pop("sukupuoli", None),
        "aidinkieli": "FI",
        "kansalaisuus": ["246"],
        "turvakielto": False,
        "kotikunta": "091",
        "entisetSukunimet": [],
        "korvaavaHetu": None,
        "passivoitu": False,
        "osoite": None,
        **extra,
    }


@pytest.fixture
def make_registry(tmp_path: Path) -> Iterator[Any]:
    made: list[Registry] = []

    def make(**kwargs: Any) -> Registry:
        kwargs.setdefault("clock", FixedClock(step_ms=1))
        kwargs.setdefault("identification", "off")
        reg = Registry(kwargs.pop("db_path", tmp_path / "onr.db"), **kwargs)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        try:
            reg.close()
        except Exception:  # noqa: BLE001 - already closed by the test
            pass


@pytest.fixture
def reg(make_registry: Any) -> Registry:
    return make_registry()


def run_import(reg: Registry, caller: Caller, rows: list[dict[str, Any]], **body: Any) -> int:
    """PUT /oppija + process everything; returns the tuonti id."""
    tuonti = reg.put_oppija(caller, {"henkilot": rows, **body})
    reg.process_all()
    return int(tuonti["id"])


def person_of(reg: Registry, caller: Caller, tuonti_id: int, tunniste: str) -> dict[str, Any]:
    rows = reg.get_tuonti(caller, tuonti_id)["henkilot"]
    return next(r for r in rows if r["tunniste"] == tunniste)
