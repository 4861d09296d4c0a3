"""Pre-import check for rows without a hetu: is this person already in ONR?

ONR's batch import cannot catch a hetu-less duplicate (it matches by hetu, passport or e-mail
only), and its guidance is to create such people one at a time in the UI, where the duplicate
search runs. We make the batch as safe: for each hetu-less row we ask ONR's own criteria
search (``GET /henkilo/duplikaatit``, open to import users) and score every candidate with our
matcher. Then:

* ``hold``: a confident match; the row is not sent and the existing OID is proposed;
* ``review``: a possible match; the row waits for a person to decide;
* ``send``: no candidate or only non-matches; the row goes into the import.

Rows with a hetu are ``send`` without a search (ONR finds a person by hetu itself).
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from onrtools.duplicates.matching import Model, default_model, score_pairs

COLUMNS = ("tunniste", "action", "proposed_oid", "probability", "candidates", "explanation")


class DuplicateSearch(Protocol):
    def duplikaatit(
        self,
        *,
        etunimet: str,
        kutsumanimi: str,
        sukunimi: str,
        syntymaaika: str | None = None,
    ) -> list[Any]: ...


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _candidate_record(candidate: Any) -> dict[str, Any]:
    data = candidate.model_dump() if hasattr(candidate, "model_dump") else dict(candidate)
    emails = data.get("emails") or []
    passports = data.get("passinumerot") or []
    nationality = data.get("kansalaisuus") or []
    return {
        "tunniste": "onr:" + str(data["oidHenkilo"]),
        "oid": data["oidHenkilo"],
        "etunimet": data.get("etunimet"),
        "kutsumanimi": data.get("kutsumanimi"),
        "sukunimi": data.get("sukunimi"),
        "syntymaaika": data.get("syntymaaika"),
        "sukupuoli": data.get("sukupuoli"),
        "hetu": data.get("hetu"),
        "sahkoposti": emails[0] if emails else None,
        "passinumero": passports[0] if passports else None,
        "kansalaisuus": (nationality[0] or {}).get("kansalaisuusKoodi") if nationality else None,
        "yksiloityVTJ": bool(data.get("yksiloityVTJ")),
        "yksiloity": bool(data.get("yksiloity")),
    }


def check_hetuless_rows(
    client: DuplicateSearch,
    rows: pd.DataFrame,
    *,
    model: Model | None = None,
) -> pd.DataFrame:
    """One result row per input row: ``tunniste``, ``action`` (hold / review / send),
    ``proposed_oid``, ``probability`` (best candidate), ``candidates`` (how many ONR returned),
    ``explanation``."""
    model = model or default_model()
    results = []
    for row in rows.to_dict("records"):
        tunniste = _text(row.get("tunniste"))
        if _text(row.get("hetu")):
            results.append(
                {
                    "tunniste": tunniste,
                    "action": "send",
                    "proposed_oid": "",
                    "probability": float("nan"),
                    "candidates": 0,
                    "explanation": "has a hetu: ONR matches it by hetu",
                }
            )
            continue
        etunimet = _text(row.get("etunimet"))
        found = client.duplikaatit(
            etunimet=etunimet,
            kutsumanimi=_text(row.get("kutsumanimi")) or etunimet,
            sukunimi=_text(row.get("sukunimi")),
            syntymaaika=_text(row.get("syntymaaika")) or None,
        )
        candidates = [_candidate_record(c) for c in found]
        if not candidates:
            results.append(
                {
                    "tunniste": tunniste,
                    "action": "send",
                    "proposed_oid": "",
                    "probability": 0.0,
                    "candidates": 0,
                    "explanation": "ONR's duplicate search found no one",
                }
            )
            continue
        own = {k: row.get(k) for k in row} | {"tunniste": "row:" + tunniste}
        records = pd.DataFrame([own, *candidates])
        pairs = pd.DataFrame(
            {"tunniste_l": own["tunniste"], "tunniste_r": [c["tunniste"] for c in candidates]}
        )
        scored = score_pairs(records, pairs, model=model)
        best = scored.sort_values("probability", ascending=False).iloc[0]
        action = {"match": "hold", "review": "review"}.get(best["decision"], "send")
        if best.get("sim_syntymaaika") == 0.0:
            # Names are nearly all a hetu-less row has, and namesakes are common: a birth date
            # that differs outright (not swapped day/month, not one part) is another person.
            action = "send"
        results.append(
            {
                "tunniste": tunniste,
                "action": action,
                "proposed_oid": best["tunniste_r"].removeprefix("onr:") if action != "send" else "",
                "probability": float(best["probability"]),
                "candidates": len(candidates),
                "explanation": best["explanation"],
            }
        )
    return pd.DataFrame(results, columns=list(COLUMNS))


def rows_to_send(rows: pd.DataFrame, checked: pd.DataFrame) -> pd.DataFrame:
    """The input rows whose check said ``send`` (held and review rows stay out)."""
    ok = set(checked.loc[checked["action"] == "send", "tunniste"])
    return rows[rows["tunniste"].astype(str).isin(ok)]
