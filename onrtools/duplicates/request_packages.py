"""Merge and unlink request packages for OPH: XLSX + CSV + a one-page summary.

The columns follow ``data_templates/requests/`` (one row per group or per link). Every text
cell that a spreadsheet could read as a formula (:mod:`onrtools.register.spreadsheet`:
``= + - @``, a tab or a carriage return, also after leading spaces) is prefixed with an
apostrophe, in the CSV as well as the XLSX. Hetus are masked (``131052-****``). Nothing here
calls ONR: linking through the API is a separate, explicit step.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from onrtools.duplicates.matching.cluster import cluster
from onrtools.i18n import Messages
from onrtools.register import hetu as hetu_mod
from onrtools.register.spreadsheet import neutralise, neutralise_frame, write_csv

MERGE_COLUMNS = (
    "group",
    "suggested_master_oid",
    "other_oids",
    "hetu_masked",
    "etunimet",
    "sukunimi",
    "syntymaaika",
    "tunnisteet",
    "evidence",
    "master_note",
    "reviewer",
    "decided_at",
    "note",
)
UNLINK_COLUMNS = (
    "masterOid",
    "slaveOid",
    "hetu_masked",
    "etunimet",
    "sukunimi",
    "syntymaaika",
    "evidence",
    "reviewer",
    "decided_at",
    "note",
)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _joined(values: list[Any]) -> str:
    return " | ".join(_text(v) for v in values)


def _evidence(*texts: str) -> str:
    """The flag's reasons, then the matcher's explanation, each part once: both may say
    "different birth dates", and OPH should read it once."""
    parts = [part.strip() for text in texts for part in text.split(";")]
    return "; ".join(dict.fromkeys(part for part in parts if part))


def merge_request_rows(reviewed: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """One row per group of records a reviewer called the same person.

    ``reviewed``: pairs with ``review_decision`` (from :meth:`ReviewSession.decisions`),
    ``explanation``, ``reviewer``, ``decided_at`` and ``note``.

    Only groups that are two or more persons in ONR (two or more distinct OIDs) become
    requests: rows that already share one OID are a local duplicate (the register's to fix),
    and rows without an OID are not in ONR yet, so OPH has nothing to merge.
    """
    same = reviewed[reviewed["review_decision"] == "same"].assign(decision="match")
    groups = cluster(same, records)
    recs = records.set_index(records["tunniste"].astype(str), drop=False)
    rows = []
    for group, members in groups.groupby("group", sort=True):
        ids = list(members["tunniste"])
        inside = same[
            same["tunniste_l"].astype(str).isin(ids) & same["tunniste_r"].astype(str).isin(ids)
        ]
        master_oid = _text(members["suggested_master_oid"].iloc[0])
        oids = [_text(o) for o in members["oid"]]
        if len({o for o in oids if o}) < 2:
            continue
        people = recs.loc[ids]
        hetus = [
            hetu_mod.mask(h) if _text(h) else "" for h in people.get("hetu", [None] * len(ids))
        ]
        rows.append(
            {
                "group": int(group),
                "suggested_master_oid": master_oid,
                "other_oids": _joined([o for o in oids if o and o != master_oid]),
                "hetu_masked": _joined(hetus),
                "etunimet": _joined(list(people.get("etunimet", [""] * len(ids)))),
                "sukunimi": _joined(list(people.get("sukunimi", [""] * len(ids)))),
                "syntymaaika": _joined(list(people.get("syntymaaika", [""] * len(ids)))),
                "tunnisteet": _joined(ids),
                "evidence": _joined(sorted(set(inside.get("explanation", pd.Series(dtype=str))))),
                "master_note": _text(members["note"].iloc[0]),
                "reviewer": _joined(sorted(set(inside["reviewer"].map(_text)))),
                "decided_at": _text(inside["decided_at"].max()),
                "note": _joined([n for n in inside["note"].map(_text) if n]),
            }
        )
    for number, row in enumerate(rows, start=1):  # groups 1..n as sent (skipped ones leave
        row["group"] = number                     # no gaps a reader would ask about)
    return pd.DataFrame(rows, columns=list(MERGE_COLUMNS))


def unlink_request_rows(flagged: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """One row per existing link to undo.

    ``flagged``: from :func:`onrtools.duplicates.matching.unlink_candidates` (``masterOid``,
    ``henkiloOid``, ``reason``, ``explanation``), optionally with ``review_decision`` (only
    "different" rows are kept then), ``reviewer``, ``decided_at``, ``note``.
    """
    if "review_decision" in flagged:
        flagged = flagged[flagged["review_decision"] == "different"]
    people = persons.set_index(persons["oid"].astype(str), drop=False)
    rows = []
    for row in flagged.to_dict("records"):
        pair = [str(row["masterOid"]), str(row["henkiloOid"])]
        found = [people.loc[o].to_dict() if o in people.index else {} for o in pair]
        rows.append(
            {
                "masterOid": pair[0],
                "slaveOid": pair[1],
                "hetu_masked": _joined(
                    [hetu_mod.mask(f.get("hetu")) if _text(f.get("hetu")) else "" for f in found]
                ),
                "etunimet": _joined([f.get("etunimet") for f in found]),
                "sukunimi": _joined([f.get("sukunimi") for f in found]),
                "syntymaaika": _joined([f.get("syntymaaika") for f in found]),
                "evidence": _evidence(_text(row.get("reason")), _text(row.get("explanation"))),
                "reviewer": _text(row.get("reviewer")),
                "decided_at": _text(row.get("decided_at")),
                "note": _text(row.get("note")),
            }
        )
    return pd.DataFrame(rows, columns=list(UNLINK_COLUMNS))


def _summary(
    kind: str, rows: pd.DataFrame, institution: str, created: str, language: str | None = None,
) -> list[str]:
    """The one-page summary a person at OPH reads, in ``language`` (:mod:`onrtools.i18n`);
    the request rows themselves keep ONR's and OPH's column names in every language."""
    t = Messages(language)
    lines = [
        f"# {t(f'requests.kind.{kind.lower()}')}",
        "",
        "- " + t("requests.summary.institution",
                 institution=institution or t("requests.summary.not_given")),
        "- " + t("requests.summary.created", created=created),
        "- " + t("requests.summary.rows", rows=len(rows)),
    ]
    if kind == "Merge" and len(rows):
        oph = int(rows["master_note"].str.startswith("OPH must decide").sum())
        n_records = int(rows["tunnisteet"].str.count(" [|] ").sum() + len(rows))
        lines += [
            "- " + t("requests.summary.oph_decides", groups=oph),
            "- " + t("requests.summary.records", records=n_records),
        ]
    reviewers = sorted({r for v in rows.get("reviewer", []) for r in str(v).split(" | ") if r})
    lines += [
        "- " + t("requests.summary.reviewers",
                 reviewers=", ".join(reviewers) or t("requests.summary.none")),
        "",
        *textwrap.wrap(t("requests.summary.notes"), width=90),
    ]
    return lines


def _master_notes_in_words(rows: pd.DataFrame, language: str | None) -> pd.DataFrame:
    """The merge rows' ``master_note`` (why that master: the clustering's English note) in
    ``language``; any other note as it is."""
    if "master_note" not in rows or not len(rows):
        return rows
    from onrtools.duplicates.matching.cluster import (
        NO_IDENTIFIED,
        ONE_IDENTIFIED,
        OPH_MUST_DECIDE,
    )

    t = Messages(language)
    words = {ONE_IDENTIFIED: t("requests.master_note.one_identified"),
             OPH_MUST_DECIDE: t("requests.master_note.oph_must_decide"),
             NO_IDENTIFIED: t("requests.master_note.no_identified")}
    return rows.assign(master_note=rows["master_note"].map(lambda n: words.get(n, n)))


def _write(
    kind: str, rows: pd.DataFrame, out_dir: Path, stem: str, institution: str, created: str | None,
    language: str | None = None,
) -> dict[str, Path]:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(UTC).isoformat(timespec="seconds")
    safe = neutralise_frame(_master_notes_in_words(rows, language).astype(object)
                            .where(rows.notna(), ""))
    csv_path = write_csv(safe, out_dir / f"{stem}.csv")
    summary = _summary(kind, rows, institution, created, language)
    summary_path = out_dir / f"{stem}_summary.md"
    summary_path.write_text("\n".join(summary) + "\n", encoding="utf-8")

    book = Workbook()
    sheet = book.active
    sheet.title = "requests"
    sheet.append(list(safe.columns))
    for values in safe.itertuples(index=False):
        sheet.append([v if isinstance(v, (int, float)) else str(v) for v in values])
    for cell in sheet[1]:
        cell.font = cell.font.copy(bold=True)
    for i, col in enumerate(safe.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in safe[col]]) + 2
        sheet.column_dimensions[get_column_letter(i)].width = min(width, 60)
    sheet.freeze_panes = "A2"
    # printed as OPH's staff would want it: landscape, every column on the page's width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"
    info = book.create_sheet("summary")
    for line in summary:  # without the Markdown bullet, which would need an apostrophe
        info.append([neutralise(line.removeprefix("- "))])
    xlsx_path = out_dir / f"{stem}.xlsx"
    book.save(xlsx_path)
    return {"xlsx": xlsx_path, "csv": csv_path, "summary": summary_path}


def write_requests(
    kind: str, rows: pd.DataFrame, out_dir: Path, *, institution: str = "",
    created: str | None = None, language: str | None = None,
) -> dict[str, Path]:
    """Write request rows (``kind`` "merge" or "unlink", from :func:`merge_request_rows` or
    :func:`unlink_request_rows`) as ``<kind>_request.xlsx``/``.csv`` and
    ``<kind>_request_summary.md``; return the paths. The summary (the ``.md`` and the XLSX's
    ``summary`` sheet) is in ``language`` (fi, sv or en; empty: ``ONR_LANGUAGE``, else fi)."""
    if kind not in ("merge", "unlink"):
        raise ValueError(f"kind must be 'merge' or 'unlink', not {kind!r}")
    return _write(kind.capitalize(), rows, out_dir, f"{kind}_request", institution, created,
                  language)


def write_merge_requests(
    out_dir: Path,
    reviewed: pd.DataFrame,
    records: pd.DataFrame,
    *,
    institution: str = "",
    created: str | None = None,
    language: str | None = None,
) -> dict[str, Path]:
    """Write ``merge_request.xlsx``/``.csv`` and ``merge_request_summary.md``; return the paths."""
    return write_requests("merge", merge_request_rows(reviewed, records), out_dir,
                          institution=institution, created=created, language=language)


def write_unlink_requests(
    out_dir: Path,
    flagged: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    institution: str = "",
    created: str | None = None,
    language: str | None = None,
) -> dict[str, Path]:
    """Write ``unlink_request.xlsx``/``.csv`` and ``unlink_request_summary.md``."""
    return write_requests("unlink", unlink_request_rows(flagged, persons), out_dir,
                          institution=institution, created=created, language=language)


def write_templates(out_dir: Path) -> None:
    """(Re)create the empty templates in ``data_templates/requests/``."""
    for kind, columns in (("merge", MERGE_COLUMNS), ("unlink", UNLINK_COLUMNS)):
        write_requests(kind, pd.DataFrame(columns=list(columns)), out_dir, created="template")
        (Path(out_dir) / f"{kind}_request_summary.md").unlink()


def apply_merge_requests(client: Any, rows: pd.DataFrame, *, execute: bool = False) -> list[Any]:
    """Link each group through the API (``client.link``): a dry run unless ``execute=True``.

    Only for users with ONR's linking right (``DUPLIKAATTINAKYMA``); everyone else sends the
    package to OPH. Groups without a suggested master (OPH must decide) are skipped. Returns
    the client's ``WriteRequest`` per group (what would be, or was, sent).
    """
    done = []
    for row in rows.to_dict("records"):
        master = _text(row.get("suggested_master_oid")).lstrip("'")
        others = [o for o in _text(row.get("other_oids")).split(" | ") if o]
        if master and others:
            done.append(client.link(master, others, execute=execute))
    return done
