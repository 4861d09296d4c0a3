"""Sort the local register against what ONR says into action lists.

Pure functions over DataFrames: nothing here talks to ONR or touches files.

Inputs (every one optional except the register; missing columns are treated as empty):

* ``register``: the local register, one row per ``tunniste`` (``hetu``, ``etunimet``,
  ``kutsumanimi``, ``sukunimi``, ``syntymaaika``, ``oid``; optionally ``oppijanumero`` and
  ``yksiloity`` as stored locally, and ``organisaatio``).
* ``results``: import results per ``tunniste`` (``oid``, ``oppijanumero``, ``conflict``,
  ``linked``, ``passivoitu``), as :mod:`onrtools.onr.batch_import` returns them.
* ``persons``: what ONR says about each imported OID *now*, one row per ``oid`` in the
  :data:`PERSON_COLUMNS` shape; build it with :func:`persons_from_masters` (master reads by OID)
  or :func:`persons_from_changes` (change-feed entries). Later frames win over earlier ones.
* ``problems``: validation problems (``tunniste``, ``code``, ``severity``).

The output is one long frame (:attr:`Reconciliation.actions`): one row per (local row or ONR
person, category), with the local row (``local_*``), ONR's data (``onr_*``), the action to take
and, where a person must be handled by hand in ONR, the link to the person's page in the
virkailija UI (:func:`person_url`). A row may land in several lists (a merged person whose
master carries a new hetu is both "replace the OID" and "hetu changed").
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rapidfuzz.distance import JaroWinkler

from onrtools.i18n import resolve_language, translate
from onrtools.register.hetu import mask_columns


@dataclass(frozen=True)
class Category:
    """One action list: its code, and for people a title and what to do about each row (from
    the message catalogues, ``reconcile.<code>.title`` and ``.action``: :mod:`onrtools.i18n`)."""

    code: str

    def title(self, language: str | None = None) -> str:
        return translate(f"reconcile.{self.code}.title", language)

    def action(self, language: str | None = None) -> str:
        return translate(f"reconcile.{self.code}.action", language)


CATEGORIES: tuple[Category, ...] = tuple(Category(code) for code in (
    "store_oppijanumero",
    "replace_merged_oid",
    "passivated",
    "hetu_changed",
    "name_differs",
    "row_conflict",
    "identified_onr_only",
    "identified_local_only",
    "manual_identification",
    "local_duplicate",
    "missing_locally",
    "held_back",
    "never_sent",
    "sent_with_warnings",
))
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}

# Where each environment's virkailija UI lives (REST.md §1). The simulator has no UI; its
# links point at the person read of the simulator itself so they are at least followable.
VIRKAILIJA_URLS: dict[str, str] = {
    "prod": "https://virkailija.opintopolku.fi",
    "testi": "https://virkailija.testiopintopolku.fi",
    "qa": "https://virkailija.testiopintopolku.fi",
    "untuva": "https://virkailija.untuvaopintopolku.fi",
    "dev": "https://virkailija.untuvaopintopolku.fi",
    "hahtuva": "https://virkailija.hahtuvaopintopolku.fi",
}
# henkilo-ui's page of one learner ("oppija"); the same pattern in every environment.
PERSON_PATH = "/henkilo-ui/oppija/{oid}"

PERSON_COLUMNS: tuple[str, ...] = (
    "oid", "master_oid", "oppijanumero", "hetu", "etunimet", "kutsumanimi", "sukunimi",
    "syntymaaika", "passivoitu", "duplicate", "yksilointiTila", "muokattu",
)
LOCAL_COLUMNS: tuple[str, ...] = (
    "tunniste", "hetu", "etunimet", "kutsumanimi", "sukunimi", "syntymaaika", "oid",
    "oppijanumero", "organisaatio",
)
ONR_COLUMNS: tuple[str, ...] = (
    "oid", "master_oid", "oppijanumero", "hetu", "etunimet", "kutsumanimi", "sukunimi",
    "syntymaaika", "passivoitu", "yksilointiTila", "conflict",
)
ACTION_COLUMNS: tuple[str, ...] = (
    "category", "tunniste", "oid", "action", "detail", "link",
    *(f"local_{c}" for c in LOCAL_COLUMNS if c != "tunniste"),
    *(f"onr_{c}" for c in ONR_COLUMNS if c != "oid"),
)
NAME_FIELDS: tuple[str, ...] = ("etunimet", "kutsumanimi", "sukunimi")


def person_url(oid: str, environment: str = "simulator", *, base_url: str | None = None) -> str:
    """The person's page in the chosen environment's virkailija UI.

    ``<virkailija>/henkilo-ui/oppija/<oid>`` for ONR's environments (by name, or a custom
    ``base_url`` that is not loopback); for the simulator, which has no UI, the person read
    ``<base_url>/oppijanumerorekisteri-service/henkilo/<oid>``.
    """
    if environment in VIRKAILIJA_URLS:
        return VIRKAILIJA_URLS[environment] + PERSON_PATH.format(oid=oid)
    base = (base_url or "http://127.0.0.1:8765").rstrip("/")
    if not base.startswith(("http://127.0.0.1", "http://localhost")):
        return base + PERSON_PATH.format(oid=oid)
    return f"{base}/oppijanumerorekisteri-service/henkilo/{oid}"


# --- normalising inputs ----------------------------------------------------------------------


def _text(s: pd.Series) -> pd.Series:
    """Strings with missing values as ""."""
    return s.astype("object").where(s.notna(), "").astype(str).str.strip()


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return _text(df[name])
    return pd.Series("", index=df.index, dtype=object)


def _flag(df: pd.DataFrame, name: str) -> pd.Series:
    """A boolean column from bools, 0/1 or "true"/"kyllä" text; missing → False."""
    if name not in df.columns:
        return pd.Series(False, index=df.index)
    values = df[name]
    if values.dtype == bool:
        return values
    text = _text(values).str.lower()
    return text.isin({"true", "1", "yes", "kyllä", "k", "x"})


def _frame(rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> pd.DataFrame:
    cols = list(columns)
    df = pd.DataFrame(list(rows))
    for c in cols:
        if c not in df.columns:
            df[c] = None
    return df[cols] if len(df) else pd.DataFrame(columns=cols)


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    dump = getattr(item, "model_dump", None)
    if dump is not None:
        return dict(dump(by_alias=True))
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    raise TypeError(f"expected a mapping or a pydantic model, got {type(item).__name__}")


def _identification_state(person: Mapping[str, Any]) -> str | None:
    """ONR's yksilointiTila (REST.md §6.3) from a HenkiloDto-like mapping, if it has the flags."""
    if person.get("yksilointiTila"):
        return str(person["yksilointiTila"])
    flags = ("yksiloity", "yksiloityVTJ", "yksiloityEidas")
    if not any(k in person for k in (*flags, "yksilointiYritetty")):
        return None
    if person.get("duplicate") or person.get("passivoitu") or any(person.get(k) for k in flags):
        return "OK"
    if not person.get("hetu"):
        return "HETU_PUUTTUU"
    return "VIRHE" if person.get("yksilointiYritetty") else "KESKEN"


def _koodi(value: Any) -> Any:
    return value.get("koodi") if isinstance(value, Mapping) else value


def persons_from_masters(
    masters: Mapping[str, Any], slaves: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Person rows from ``{requested oid: master HenkiloDto}`` (masterHenkilosByOidList).

    ``slaves`` optionally maps the requested OIDs to their own HenkiloDto so that the
    person's own ``passivoitu`` is known; without it a requested OID whose master differs is
    taken as passivated (ONR passivates every slave).
    """
    rows = []
    for oid, master in masters.items():
        m = _as_dict(master)
        own = _as_dict(slaves[oid]) if slaves and oid in slaves else None
        master_oid = m.get("oidHenkilo") or m.get("oid") or oid
        passivoitu = own.get("passivoitu") if own is not None else (
            True if master_oid != oid else m.get("passivoitu"))
        rows.append({
            "oid": oid, "master_oid": master_oid, "oppijanumero": m.get("oppijanumero"),
            "hetu": m.get("hetu"), "etunimet": m.get("etunimet"),
            "kutsumanimi": m.get("kutsumanimi"), "sukunimi": m.get("sukunimi"),
            "syntymaaika": m.get("syntymaaika"), "passivoitu": bool(passivoitu),
            "duplicate": master_oid != oid, "yksilointiTila": _identification_state(m),
            "muokattu": m.get("modified") or m.get("muokattu"),
        })
    return _frame(rows, PERSON_COLUMNS)


def persons_from_changes(
    entries: Iterable[Any], problem_oids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Person rows from change-feed entries ``{oid, master: OppijaReadDto}`` (REST.md §4.10).

    The feed's master carries no identification flags, so ``yksilointiTila`` is derived:
    identified (``oppijanumero``) → OK, no hetu → HETU_PUUTTUU; a hetu and not identified →
    VIRHE if the OID is among ``problem_oids`` (the feed read with ``vainVirheet=true``: ONR
    tried and failed), KESKEN if ``problem_oids`` was read and it is not there, else unknown.
    """
    problems = set(problem_oids) if problem_oids is not None else None
    rows = []
    for entry in entries:
        e = _as_dict(entry)
        m = _as_dict(e.get("master") or {})
        oid = e.get("oid") or m.get("oid")
        master_oid = m.get("oid") or oid
        state = _identification_state(m)
        if state is None:
            if m.get("oppijanumero"):
                state = "OK"
            elif not m.get("hetu"):
                state = "HETU_PUUTTUU"
            elif problems is not None:
                state = "VIRHE" if oid in problems or master_oid in problems else "KESKEN"
        rows.append({
            "oid": oid, "master_oid": master_oid, "oppijanumero": m.get("oppijanumero"),
            "hetu": m.get("hetu"), "etunimet": m.get("etunimet"),
            "kutsumanimi": m.get("kutsumanimi"), "sukunimi": m.get("sukunimi"),
            "syntymaaika": m.get("syntymaaika"),
            "passivoitu": bool(m.get("passivoitu")) or master_oid != oid,
            "duplicate": master_oid != oid, "yksilointiTila": state,
            "muokattu": m.get("muokattu"),
        })
    df = _frame(rows, PERSON_COLUMNS)
    # the feed may repeat a person (overlap of the inclusive watermark): the last one wins
    return df.drop_duplicates("oid", keep="last").reset_index(drop=True)


def apply_problems(persons: pd.DataFrame, problem_oids: Iterable[str]) -> pd.DataFrame:
    """Set VIRHE/KESKEN for persons with a hetu and no oppijanumero from ONR's problem list.

    ``problem_oids``: the change feed read with ``vainVirheet=true`` (REST.md §4.10): ONR tried
    to identify them and failed. The others with a hetu are still waiting (KESKEN).
    """
    out = persons.copy()
    if not len(out):
        return out
    problems = set(problem_oids)
    hetu = out["hetu"].astype("object").where(out["hetu"].notna(), "").astype(str) != ""
    number = out["oppijanumero"].astype("object").where(out["oppijanumero"].notna(), "")
    waiting = hetu & (number.astype(str) == "") & ~out["passivoitu"].fillna(False).astype(bool)
    failed = out["oid"].isin(problems) | out["master_oid"].isin(problems)
    out.loc[waiting & failed, "yksilointiTila"] = "VIRHE"
    out.loc[waiting & ~failed, "yksilointiTila"] = "KESKEN"
    return out


def combine_persons(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """One row per OID; a later frame's row replaces an earlier one's."""
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return _frame([], PERSON_COLUMNS)
    df = pd.concat([_objects(f.reindex(columns=list(PERSON_COLUMNS))) for f in parts],
                   ignore_index=True)
    return df.drop_duplicates("oid", keep="last").reset_index(drop=True)


def _objects(df: pd.DataFrame) -> pd.DataFrame:
    """Plain Python objects in every column (None for missing): row loops over arrow-backed
    strings box each value slowly; one vectorised conversion first is much cheaper."""
    return df.astype(object).where(df.notna(), None)


# --- names -----------------------------------------------------------------------------------


def _norm_name(value: str) -> str:
    """Case, spacing and accents aside: what a person would call the same spelling."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"\s+", " ", text).strip()


def name_difference(local: Mapping[str, str], onr: Mapping[str, str],
                    language: str = "en") -> tuple[str, float]:
    """``("sukunimi: Virtanen → Korhonen (JW 0.52)", lowest similarity)``; ``("", 1.0)`` if equal.

    Similarity is rapidfuzz's Jaro-Winkler over case-folded names (0–1), written as
    ``language`` writes a number (``JW 0,52`` in fi and sv: the detail goes into action lists).
    """
    from onrtools.i18n import format_number

    parts = []
    lowest = 1.0
    for name in NAME_FIELDS:
        a, b = str(local.get(name) or ""), str(onr.get(name) or "")
        if not b or _norm_name(a) == _norm_name(b):
            continue
        similarity = JaroWinkler.similarity(_norm_name(a), _norm_name(b))
        lowest = min(lowest, similarity)
        score = format_number(similarity, language, decimals=2)
        parts.append(f"{name}: {a or '∅'} → {b} (JW {score})")
    return "; ".join(parts), lowest


# --- the reconciliation ----------------------------------------------------------------------


@dataclass
class Reconciliation:
    """Action lists in one long frame; ``lists()`` splits it by category."""

    actions: pd.DataFrame
    environment: str = "simulator"
    notes: list[str] = field(default_factory=list)
    language: str = "fi"  # of the titles, actions and details (fi, sv or en)

    def lists(self) -> dict[str, pd.DataFrame]:
        """``{category code: its rows}`` for every category, empty ones included, in order."""
        return {
            c.code: self.actions[self.actions["category"] == c.code].reset_index(drop=True)
            for c in CATEGORIES
        }

    def counts(self) -> pd.DataFrame:
        """Rows per category (every category, zeros included) with titles in the language."""
        counts = self.actions["category"].value_counts()
        return pd.DataFrame(
            [{"category": c.code, "title": c.title(self.language),
              "rows": int(counts.get(c.code, 0))}
             for c in CATEGORIES]
        )

    def masked(self) -> pd.DataFrame:
        """The actions with every hetu column masked (``131052-****``)."""
        return mask_hetu_columns(self.actions)


def mask_hetu_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every hetu column masked (:func:`onrtools.register.hetu.mask_columns`)."""
    return mask_columns(df)


def _local_view(register: pd.DataFrame) -> pd.DataFrame:
    local = pd.DataFrame({c: _column(register, c) for c in LOCAL_COLUMNS})
    local["yksiloity"] = _flag(register, "yksiloity")
    local["has_yksiloity"] = "yksiloity" in register.columns
    return local.drop_duplicates("tunniste", keep="first").reset_index(drop=True)


def _results_view(results: pd.DataFrame | None) -> pd.DataFrame:
    if results is None or not len(results):
        return pd.DataFrame(columns=["tunniste", "r_oid", "r_oppijanumero", "r_conflict",
                                     "r_passivoitu", "r_linked"])
    df = results.reset_index() if "tunniste" not in results.columns else results
    view = pd.DataFrame({
        "tunniste": _column(df, "tunniste"),
        "r_oid": _column(df, "oid"),
        "r_oppijanumero": _column(df, "oppijanumero"),
        "r_conflict": _flag(df, "conflict"),
        "r_passivoitu": _flag(df, "passivoitu"),
    })
    view["r_linked"] = df["linked"].values if "linked" in df.columns else None
    return view[view["r_oid"] != ""].drop_duplicates("tunniste", keep="last")


def _problem_details(problems: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    """``({tunniste: "code, code"} for errors, {...} for warnings)``."""
    if problems is None or not len(problems):
        return {}, {}
    df = pd.DataFrame({
        "tunniste": _column(problems, "tunniste"),
        "code": _column(problems, "code"),
        "severity": _column(problems, "severity").str.lower(),
    })
    df = df[df["tunniste"] != ""]
    out: list[dict[str, str]] = []
    for severity in ("error", "warning"):
        part = df[df["severity"] == severity]
        grouped = part.groupby("tunniste", sort=False)["code"].agg(
            lambda codes: ", ".join(dict.fromkeys(codes)))
        out.append(grouped.to_dict())
    return out[0], out[1]


def reconcile(
    register: pd.DataFrame,
    *,
    results: pd.DataFrame | None = None,
    persons: pd.DataFrame | None = None,
    problems: pd.DataFrame | None = None,
    feed: pd.DataFrame | None = None,
    ours: pd.DataFrame | None = None,
    environment: str = "simulator",
    base_url: str | None = None,
    only_oids: Iterable[str] | None = None,
    held: pd.DataFrame | None = None,
    language: str | None = None,
) -> Reconciliation:
    """Sort every local row (and every ONR person of ours missing locally) into action lists.

    ``feed``: persons from the change feed (:func:`persons_from_changes`); they update
    ``persons``. ``ours``: every person of our organisation ONR knows (the whole feed). A
    person of ``feed`` or ``ours`` whose OID (or master's) is unknown locally lands in
    ``missing_locally``. ``only_oids`` restricts the per-row lists to rows resolved to these
    OIDs (what the change feed touched) and skips ``never_sent``. ``held``: rows the
    pre-import check kept back (``tunniste``, ``action``, ``proposed_oid``, ``explanation``);
    they land in ``held_back`` with the proposed person, not in ``never_sent``. ``language``
    (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi) is that of the ``action`` and ``detail``
    texts; the codes and data columns are the same in every language.
    """
    language = resolve_language(language)
    local = _local_view(register)
    res = _results_view(results)
    onr = combine_persons(persons, feed).add_prefix("p_")
    errors, warnings = _problem_details(problems)
    if held is not None and len(held):
        held_map = {str(h["tunniste"]): h for h in held.to_dict("records")}
    else:
        held_map = {}

    df = local.merge(res, on="tunniste", how="left")
    for c in res.columns:
        if c.startswith("r_") and c not in ("r_conflict", "r_passivoitu", "r_linked"):
            df[c] = df[c].fillna("")
    df["r_conflict"] = df["r_conflict"].fillna(False).astype(bool)
    df["r_passivoitu"] = df["r_passivoitu"].fillna(False).astype(bool)
    df = df.merge(onr, left_on="r_oid", right_on="p_oid", how="left")

    rows: list[dict[str, Any]] = []
    restrict = set(only_oids) if only_oids is not None else None
    for rec in _objects(df).to_dict("records"):
        if restrict is not None and rec["r_oid"] not in restrict:
            continue
        rows.extend(_row_actions(rec, errors, warnings, environment, base_url,
                                 skip_unsent=restrict is not None, held=held_map,
                                 language=language))
    rows.extend(_duplicate_actions(df, restrict, language))
    rows.extend(_missing_actions(local, res, combine_persons(ours, feed), environment,
                                 base_url, language))
    actions = _frame(rows, ACTION_COLUMNS)
    order = {c.code: i for i, c in enumerate(CATEGORIES)}
    actions = actions.sort_values(
        ["category", "tunniste", "oid"], key=lambda s: s.map(order) if s.name == "category"
        else s.fillna("").astype(str), kind="stable",
    ).reset_index(drop=True)
    return Reconciliation(actions=actions, environment=environment, language=language)


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _row_actions(
    rec: dict[str, Any], errors: Mapping[str, str], warnings: Mapping[str, str],
    environment: str, base_url: str | None, *, skip_unsent: bool,
    held: Mapping[str, Mapping[str, Any]] | None = None, language: str = "fi",
) -> list[dict[str, Any]]:
    tunniste = rec["tunniste"]
    out: list[dict[str, Any]] = []

    def words(key: str, **fields: Any) -> str:
        return translate(f"reconcile.detail.{key}", language, **fields)

    def add(code: str, detail: str = "", link: str = "", oid: str = "") -> None:
        row: dict[str, Any] = {
            "category": code, "tunniste": tunniste, "oid": oid or rec["r_oid"],
            "action": CATEGORY_BY_CODE[code].action(language), "detail": detail, "link": link,
        }
        for c in LOCAL_COLUMNS:
            if c != "tunniste":
                row[f"local_{c}"] = rec[c]
        row.update(_onr_fields(rec))
        out.append(row)

    if tunniste in warnings and rec["r_oid"] and not skip_unsent:
        add("sent_with_warnings", warnings[tunniste])
    if not rec["r_oid"]:
        if skip_unsent:
            return out
        hold = (held or {}).get(tunniste)
        if hold is not None:
            oid = _str(hold.get("proposed_oid"))
            add("held_back", f"{_str(hold.get('action'))}: {_str(hold.get('explanation'))}",
                link=person_url(oid, environment, base_url=base_url) if oid else "", oid=oid)
        else:
            add("never_sent", errors.get(tunniste, "") or words("no_result"))
        return out

    oid = rec["r_oid"]
    has_person = _str(rec.get("p_oid")) != ""
    master = _str(rec.get("p_master_oid")) if has_person else ""
    if not master and rec["r_passivoitu"] and rec["r_oppijanumero"] not in ("", oid):
        master = rec["r_oppijanumero"]  # the import read fills a slave's master (§1.12)
    merged = bool(master) and master != oid
    passivoitu = bool(rec.get("p_passivoitu")) if has_person else rec["r_passivoitu"]
    oppijanumero = _str(rec.get("p_oppijanumero")) if has_person else rec["r_oppijanumero"]
    if not has_person and rec["r_oppijanumero"] == oid:
        oppijanumero = oid
    state = _str(rec.get("p_yksilointiTila"))
    onr_hetu = _str(rec.get("p_hetu"))
    local_identified = rec["yksiloity"] or bool(rec["oppijanumero"])

    if merged:
        add("replace_merged_oid", f"{oid} → {master}", oid=oid)
    elif passivoitu:
        add("passivated", words("passivated"))
    if oppijanumero and not merged and rec["oppijanumero"] != oppijanumero:
        add("store_oppijanumero", oppijanumero)
    if rec["has_yksiloity"] and oppijanumero and not rec["yksiloity"]:
        add("identified_onr_only", oppijanumero)
    if local_identified and not oppijanumero and not merged and not passivoitu:
        add("identified_local_only", rec["oppijanumero"] or words("identified_locally"))
    if not oppijanumero and not merged and not passivoitu:
        no_hetu = state == "HETU_PUUTTUU" or (not state and has_person and not onr_hetu)
        if no_hetu or state == "VIRHE":
            reason = words("no_hetu") if no_hetu else words("identification_failed")
            add("manual_identification", reason, link=person_url(oid, environment,
                                                                  base_url=base_url))
    if rec["hetu"] and onr_hetu and rec["hetu"].upper() != onr_hetu.upper():
        add("hetu_changed", words("hetu_differs"))
    if rec["r_conflict"]:
        add("row_conflict", name_difference(rec, _onr_names(rec), language)[0]
            or words("names_differ"))
    elif has_person:
        difference, _ = name_difference(rec, _onr_names(rec), language)
        if difference:
            add("name_differs", difference)
    return out


def _onr_names(rec: Mapping[str, Any]) -> dict[str, str]:
    return {n: _str(rec.get(f"p_{n}")) for n in NAME_FIELDS}


def _onr_fields(rec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in ONR_COLUMNS:
        if c == "oid":
            continue
        if c == "conflict":
            out["onr_conflict"] = bool(rec.get("r_conflict"))
        elif c == "oppijanumero" and not _str(rec.get("p_oid")):
            out["onr_oppijanumero"] = rec.get("r_oppijanumero", "")
        elif c == "passivoitu" and not _str(rec.get("p_oid")):
            out["onr_passivoitu"] = bool(rec.get("r_passivoitu"))
        else:
            value = rec.get(f"p_{c}")
            out[f"onr_{c}"] = value if not (isinstance(value, float) and pd.isna(value)) else ""
    return out


def _duplicate_actions(
    df: pd.DataFrame, restrict: set[str] | None, language: str = "fi",
) -> list[dict[str, Any]]:
    """Local rows that ONR resolved to one person (its own OID or, if merged, its master)."""
    sent = df[df["r_oid"] != ""].copy()
    if not len(sent):
        return []
    master = sent["p_master_oid"].astype("object").where(sent["p_master_oid"].notna(), "")
    sent["person"] = master.where(master != "", sent["r_oid"]).astype(str)
    groups = sent.groupby("person")["tunniste"].transform("size")
    shared = sent[groups > 1]
    members = shared.groupby("person")["tunniste"].agg(list).to_dict()
    out = []
    for rec in _objects(shared).to_dict("records"):
        if restrict is not None and rec["r_oid"] not in restrict:
            continue
        others = [t for t in members[rec["person"]] if t != rec["tunniste"]]
        row: dict[str, Any] = {
            "category": "local_duplicate", "tunniste": rec["tunniste"], "oid": rec["person"],
            "action": CATEGORY_BY_CODE["local_duplicate"].action(language),
            "detail": translate("reconcile.detail.same_person", language,
                                others=", ".join(sorted(others))), "link": "",
        }
        for c in LOCAL_COLUMNS:
            if c != "tunniste":
                row[f"local_{c}"] = rec[c]
        row.update(_onr_fields(rec))
        out.append(row)
    return out


def _missing_actions(
    local: pd.DataFrame, res: pd.DataFrame, feed: pd.DataFrame, environment: str,
    base_url: str | None, language: str = "fi",
) -> list[dict[str, Any]]:
    """Feed persons (ours by ONR's scoping) whose OID and master are both unknown locally."""
    if not len(feed):
        return []
    known = set(local["oid"]) | set(local["oppijanumero"]) | set(res["r_oid"])
    known |= set(res["r_oppijanumero"])
    known.discard("")
    out = []
    for rec in _objects(feed).to_dict("records"):
        oid, master = _str(rec["oid"]), _str(rec["master_oid"])
        if oid in known or master in known:
            continue
        row: dict[str, Any] = {
            "category": "missing_locally", "tunniste": "", "oid": oid,
            "action": CATEGORY_BY_CODE["missing_locally"].action(language),
            "detail": translate("reconcile.detail.in_feed", language),
            "link": person_url(master or oid, environment, base_url=base_url),
        }
        for c in ONR_COLUMNS:
            if c not in ("oid", "conflict"):
                value = rec.get(c)
                row[f"onr_{c}"] = "" if value is None or (
                    isinstance(value, float) and pd.isna(value)) else value
        row["onr_conflict"] = False
        out.append(row)
    return out
