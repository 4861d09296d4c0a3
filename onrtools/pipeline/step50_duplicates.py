"""Step 50 (notebook ``50-duplicates``): ONR's duplicate candidates for our unidentified
people, suspected duplicates inside the register, links ONR holds that look wrong, their review,
and the merge and unlink request packages for OPH.

:func:`review` and :func:`review_links` return the review widget (ipywidgets) when interactive,
else the decisions per kind as a DataFrame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from onrtools.i18n import Messages, resolve_language, translate, translate_or
from onrtools.pipeline import display
from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.step_common import ISO_DATE, client_for

if TYPE_CHECKING:
    from onrtools.onr.config import Settings

def onr_duplicate_candidates(
    run: RunDir, settings_: Settings, *, max_people: int = 200,
    categories: tuple[str, ...] = ("manual_identification",),
) -> pd.DataFrame:
    """ONR's own duplicate candidates (``/henkilo/duplikaatit``) for our people that need them.

    Asked for the people in ``categories`` of this run's action lists (at most ``max_people``,
    one request each, several at a time); one row per (our row, candidate) with the candidate's
    OID and names.
    """
    actions = run.load_frame("actions", default=pd.DataFrame(columns=["category"]))
    people = actions[actions["category"].isin(categories)].drop_duplicates("tunniste")
    people = people.head(max_people)
    from onrtools.errors import ApiError

    asked: list[tuple[dict[str, Any], dict[str, str], str]] = []
    for rec in people.to_dict("records"):
        names = {n: str(rec.get(f"local_{n}") or "") for n in
                 ("etunimet", "kutsumanimi", "sukunimi")}
        if all(names.values()):
            birth = str(rec.get("local_syntymaaika") or "")
            asked.append((rec, names, birth))
    with client_for(run, "duplicates", settings_) as client:
        answers = client.duplikaatit_many([
            {**names, "syntymaaika": birth if ISO_DATE.fullmatch(birth) else None}  # yyyy-MM-dd
            for _, names, birth in asked])
    rows: list[dict[str, Any]] = []
    refused = 0
    for (rec, names, birth), found in zip(asked, answers, strict=True):
        if isinstance(found, ApiError):  # one person's search refused: the others still count
            refused += 1
            continue
        for cand in found:
            c = cand.model_dump() if hasattr(cand, "model_dump") else dict(cand)
            if c.get("oidHenkilo") == rec.get("oid"):
                continue
            rows.append({
                "tunniste": rec["tunniste"], "oid": rec.get("oid"),
                "candidate_oid": c.get("oidHenkilo"),
                "candidate_hetu": c.get("hetu"), "candidate_etunimet": c.get("etunimet"),
                "candidate_sukunimi": c.get("sukunimi"),
                "candidate_syntymaaika": c.get("syntymaaika"),
                "candidate_yksiloity": bool(c.get("yksiloity")),
                "local_etunimet": names["etunimet"], "local_sukunimi": names["sukunimi"],
                "local_syntymaaika": birth,
            })
    cols = ["tunniste", "oid", "candidate_oid", "candidate_hetu", "candidate_etunimet",
            "candidate_sukunimi", "candidate_syntymaaika", "candidate_yksiloity",
            "local_etunimet", "local_sukunimi", "local_syntymaaika"]
    frame = pd.DataFrame(rows, columns=cols)
    run.save_frame("onr_duplicates", frame)
    display.write_csv(frame, run.report_dir / "duplicates" / "onr_candidates.csv")
    run.write_facts("duplicates", {"people_checked": len(people),
                                   "onr_candidates": len(frame), "searches_refused": refused})
    return frame


def find_register_duplicates(run: RunDir, *, language: str | None = None,
                             **options: Any) -> pd.DataFrame:
    """Suspected duplicates inside the local register (duplicates.matching), saved for review;
    their explanations in ``language``."""
    from onrtools.duplicates.matching import find_duplicates

    register = run.load_frame("register")
    # the matcher keys records by tunniste: rows without one, or repeating one, are already
    # validation errors (tunniste.required / tunniste.duplicate) and stay out
    tunniste = register["tunniste"].astype("object").where(register["tunniste"].notna(), "")
    register = register[tunniste.astype(str).str.strip() != ""].drop_duplicates("tunniste")
    pairs = find_duplicates(register.reset_index(drop=True), language=language, **options)
    run.save_frame("register_duplicates", pairs)
    display.write_csv(pairs, run.report_dir / "duplicates" / "register_pairs.csv")
    decisions = pairs["decision"].value_counts().to_dict() if "decision" in pairs else {}
    run.write_facts("duplicates", {"register_pairs": len(pairs),
                                   "by_decision": {str(k): int(v) for k, v in decisions.items()}})
    return pairs


def register_duplicates(run: RunDir, *, enabled: bool = True,
                        language: str | None = None) -> pd.DataFrame:
    """Suspected duplicate pairs inside the register (empty frame when ``enabled`` is False),
    explained in ``language``."""
    if not enabled:
        run.write_facts("duplicates", {"register_pairs": None})
        return pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability", "decision"])
    return find_register_duplicates(run, language=language)


def review(run: RunDir, pairs: pd.DataFrame, *, interactive: bool = True,
           reviewer: str = "", language: str | None = None) -> object:
    """Pair-by-pair review (decisions saved at once in the workspace) when interactive;
    otherwise the decisions taken so far, per decision. Either way the decisions are kept
    for the KPIs (open and decided duplicates)."""
    import getpass

    from onrtools.duplicates.review import ReviewSession

    name = reviewer or getpass.getuser()
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    session = ReviewSession(run.workspace, pairs, run.load_frame("register"), reviewer=name,
                            language=language)
    decisions = session.decisions()
    run.save_frame("reviews", decisions.rename(columns={"review_decision": "decision"}))
    counts = decisions["review_decision"].replace("", "open").value_counts()
    run.write_facts("duplicates", {"review": {str(k): int(v) for k, v in counts.items()}})
    if interactive and len(pairs):
        return session.widget()
    counts.index = [decision_word(c, language) for c in counts.index]  # facts keep the codes
    return counts.rename_axis(translate("steps.column.decision", language)).rename(
        translate("steps.column.pairs", language)).to_frame()


LINK_PERSON_FIELDS = ("oid", "hetu", "etunimet", "kutsumanimi", "sukunimi", "syntymaaika",
                      "sukupuoli")


def link_candidates(run: RunDir, *, threshold: float = 0.5,
                    language: str | None = None) -> pd.DataFrame:
    """Links ONR holds for our people whose evidence says "two people".

    For every person of ours that ONR has linked under a master (step 30's reads), our
    register row (what we know of the person) is compared with the master as ONR has it, by
    the matcher (:func:`onrtools.duplicates.matching.unlink_candidates`): different birth dates,
    sexes, names far apart, or a low probability flag the link. No extra ONR call is needed, so an
    import user's rights suffice. Returns ``masterOid``, ``henkiloOid``, ``probability``,
    ``reason`` and ``explanation``; both sides' rows are kept for the review and the package.
    """
    from onrtools.duplicates.matching import unlink_candidates

    persons = run.load_frame("persons", default=pd.DataFrame(columns=["oid", "master_oid"]))
    linked = persons[persons["master_oid"].notna()
                     & (persons["master_oid"].astype(str) != persons["oid"].astype(str))]
    ours = _register_with_oids(run)
    ours = ours[ours["oid"].notna()].drop_duplicates("oid", keep="last")
    linked = linked[linked["oid"].astype(str).isin(set(ours["oid"].astype(str)))]
    links = pd.DataFrame({"masterOid": linked["master_oid"].astype(str),
                          "henkiloOid": linked["oid"].astype(str)}).drop_duplicates()
    fields = [f for f in LINK_PERSON_FIELDS if f != "oid"]
    masters = pd.DataFrame({"oid": linked["master_oid"].astype(str),
                            **{f: linked[f] for f in fields if f in linked}})
    slaves = ours.assign(oid=ours["oid"].astype(str))[
        ["oid", *[f for f in fields if f in ours]]]
    slaves = slaves[slaves["oid"].isin(set(links["henkiloOid"]))]
    people = pd.concat([masters, slaves], ignore_index=True).drop_duplicates("oid")
    if len(links):
        flagged = unlink_candidates(links, people, threshold=threshold, language=language)
    else:
        flagged = pd.DataFrame(columns=["masterOid", "henkiloOid", "probability", "reason"])
    if "explanation" not in flagged:
        flagged["explanation"] = ""
    run.save_frame("link_persons", people)
    run.save_frame("link_candidates", flagged)
    shown = ["masterOid", "henkiloOid", "probability", "reason", "explanation"]
    display.write_csv(flagged[shown], run.report_dir / "duplicates" / "unlink_candidates.csv")
    run.write_facts("links", {"links_checked": len(links), "flagged": len(flagged)})
    return flagged[shown]


def _register_with_oids(run: RunDir) -> pd.DataFrame:
    """The register's rows (one per tunniste) with the OID each row's import got (step 20),
    else the register's own ``oid``."""
    register = run.load_frame("register", default=pd.DataFrame(columns=["tunniste"]))
    results = run.load_frame("results", default=pd.DataFrame(columns=["tunniste", "oid"]))
    records = register.drop_duplicates("tunniste").copy()
    imported = results.dropna(subset=["oid"]).drop_duplicates("tunniste", keep="last")
    got = records["tunniste"].map(imported.set_index("tunniste")["oid"])
    own = records["oid"] if "oid" in records else pd.Series(None, index=records.index)
    records["oid"] = got.where(got.notna(), own)
    return records


def review_links(run: RunDir, flagged: pd.DataFrame, *, interactive: bool = True,
                 reviewer: str = "", language: str | None = None) -> object:
    """The same pair-by-pair review for flagged links: "different" means the link is wrong
    (an unlink request), "same" that it stands. Decisions are saved at once, like pairs'."""
    import getpass

    from onrtools.duplicates.review import ReviewSession

    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    pairs = flagged.rename(columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    session = ReviewSession(run.workspace, pairs, people.assign(tunniste=people["oid"]),
                            reviewer=reviewer or getpass.getuser(), language=language)
    decisions = session.decisions()
    counts = decisions["review_decision"].replace("", "open").value_counts()
    run.write_facts("links", {"review": {str(k): int(v) for k, v in counts.items()}})
    if interactive and len(pairs):
        return session.widget()
    counts.index = [decision_word(c, language) for c in counts.index]
    return counts.rename_axis(translate("steps.column.decision", language)).rename(
        translate("steps.column.links", language)).to_frame()


def pairs_side_by_side(run: RunDir, pairs: pd.DataFrame, *,
                       show_hetu: bool = False, language: str | None = None) -> pd.DataFrame:
    """The register's suspected pairs for the report: both register rows side by side,
    differing fields highlighted, hetu masked unless ``show_hetu``, each pair with the
    matcher's verdict and the reviewer's latest decision ("open" when undecided)."""
    from onrtools.duplicates.review import ReviewStore, side_by_side, with_decisions

    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    decided = with_decisions(ReviewStore.for_workspace(run.workspace), pairs)
    register = run.load_frame("register", default=pd.DataFrame(columns=["tunniste"]))
    # a page shows at most display.DATATABLE_MAX_ROWS pairs; the files hold every one
    return for_page(side_by_side(decided.head(display.DATATABLE_MAX_ROWS), register,
                                 show_hetu=show_hetu, language=language), language)


def links_side_by_side(run: RunDir, flagged: pd.DataFrame, *,
                       show_hetu: bool = False, language: str | None = None) -> pd.DataFrame:
    """Flagged links for the report: the master as ONR has it beside our person, differing
    fields highlighted, hetu masked unless ``show_hetu``, with the latest review decision."""
    from onrtools.duplicates.review import ReviewStore, side_by_side, with_decisions

    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    pairs = flagged.rename(columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})
    if not len(pairs):
        pairs = pd.DataFrame(columns=["tunniste_l", "tunniste_r", "probability"])
    decided = with_decisions(ReviewStore.for_workspace(run.workspace), pairs)
    return for_page(side_by_side(decided.head(display.DATATABLE_MAX_ROWS),
                                 people.assign(tunniste=people["oid"]),
                                 fields=[f for f in LINK_PERSON_FIELDS if f != "oid"],
                                 labels=(translate("review.label.master", language),
                                         translate("review.label.ours", language)),
                                 show_hetu=show_hetu, language=language), language)


# the side-by-side frame's columns (duplicates.review.side_by_side names them in English)
PAGE_COLUMNS = ("pair", "probability", "matcher", "review", "differs", "records",
                "explanation")


def decision_word(code: object, language: str | None = None) -> str:
    """A matcher's verdict (match, review, non-match) or a reviewer's decision (same,
    different, unsure, open) as a person reads it in ``language``; an unknown code as it is."""
    text = str(code)
    return translate_or(f"review.value.{text.replace(' ', '_').replace('-', '_')}", text,
                        language)


def records_column(language: str | None = None) -> str:
    """The side-by-side records' column as :func:`for_page` names it (its cells are HTML)."""
    return translate("review.column.records", language)


def for_page(frame: pd.DataFrame, language: str | None = None) -> pd.DataFrame:
    """A side-by-side frame as the page shows it: headers, verdicts and decisions in
    ``language``, the probability as the language writes a number (0,998)."""
    from onrtools.i18n import format_number

    lang = resolve_language(language)
    out = frame.copy()
    for column in ("matcher", "review"):
        if column in out:
            out[column] = out[column].map(lambda v: decision_word(v, lang))
    if "probability" in out:
        out["probability"] = out["probability"].map(
            lambda v: "" if v is None or pd.isna(v) else format_number(v, lang, decimals=3))
    return out.rename(columns={c: translate(f"review.column.{c}", lang) for c in PAGE_COLUMNS})


def request_packages(run: RunDir, *, institution: str = "",
                     language: str | None = None) -> pd.DataFrame:
    """Merge requests (register pairs reviewed "same") and unlink requests (links reviewed
    "different") for OPH, as XLSX, CSV and a summary in ``<report>/requests/``.

    The merge package names OIDs: a register row's OID is the one its import got (step 20),
    else the register's own (:func:`_register_with_oids`). Returns one row per package with
    its request count and files (the headers, and the summaries, in ``language``: fi, sv
    or en).
    """
    from onrtools.duplicates.request_packages import (
        merge_request_rows,
        unlink_request_rows,
        write_requests,
    )
    from onrtools.duplicates.review import ReviewStore, with_decisions

    store = ReviewStore.for_workspace(run.workspace)
    # decisions are read now, from the store: a reviewer may have decided after the review cell
    reviews = with_decisions(store, run.load_frame("register_duplicates", default=(
        pd.DataFrame(columns=["tunniste_l", "tunniste_r", "explanation"]))))
    flagged = run.load_frame("link_candidates", default=pd.DataFrame(
        columns=["masterOid", "henkiloOid", "reason", "explanation"]))
    links = with_decisions(store, flagged.rename(
        columns={"masterOid": "tunniste_l", "henkiloOid": "tunniste_r"})).rename(
        columns={"tunniste_l": "masterOid", "tunniste_r": "henkiloOid"})
    people = run.load_frame("link_persons", default=pd.DataFrame(columns=["oid"]))
    out = run.report_dir / "requests"
    rows = []
    for kind, requests in (("merge", merge_request_rows(reviews, _register_with_oids(run))),
                           ("unlink", unlink_request_rows(links, people))):
        paths = write_requests(kind, requests, out, institution=institution, language=language)
        rows.append({"package": kind, "requests": len(requests),
                     **{k: p.relative_to(run.report_dir).as_posix() for k, p in paths.items()}})
    frame = pd.DataFrame(rows)
    run.write_facts("requests", {
        "merge_requests": int(frame.loc[0, "requests"]),
        "unlink_requests": int(frame.loc[1, "requests"]),
        "files": [f for r in rows for f in (r["xlsx"], r["csv"], r["summary"])],
    })
    t = Messages(language)
    frame["package"] = [t(f"steps.package.{kind}") for kind in frame["package"]]  # facts: codes
    return frame.rename(columns={c: t(f"steps.column.{c}")
                                 for c in ("package", "requests", "summary")})
