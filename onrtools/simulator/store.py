"""SQLite schema and low-level IO of the simulator (one connection, guarded by one lock)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS henkilo (
    id INTEGER PRIMARY KEY,
    oid TEXT NOT NULL UNIQUE,
    hetu TEXT UNIQUE,
    etunimet TEXT NOT NULL,
    kutsumanimi TEXT NOT NULL,
    sukunimi TEXT NOT NULL,
    syntymaaika TEXT,
    kuolinpaiva TEXT,
    sukupuoli TEXT,
    aidinkieli TEXT,
    asiointikieli TEXT,
    kansalaisuus TEXT NOT NULL DEFAULT '',
    kotikunta TEXT,
    turvakielto INTEGER NOT NULL DEFAULT 0,
    ei_suomalaista_hetua INTEGER NOT NULL DEFAULT 0,
    passivoitu INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    yksiloity INTEGER NOT NULL DEFAULT 0,
    yksiloity_vtj INTEGER NOT NULL DEFAULT 0,
    yksiloity_eidas INTEGER NOT NULL DEFAULT 0,
    yksilointi_yritetty INTEGER NOT NULL DEFAULT 0,
    kasittelija TEXT,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    vtjsynced INTEGER,
    imported INTEGER NOT NULL DEFAULT 0,
    first_importer TEXT,
    search_str TEXT NOT NULL DEFAULT '',
    sukunimi_key TEXT NOT NULL DEFAULT '',
    etunimi_key TEXT NOT NULL DEFAULT '',
    yhteystiedot TEXT
);
CREATE INDEX IF NOT EXISTS ix_henkilo_feed ON henkilo(modified, id) WHERE imported = 1;
CREATE INDEX IF NOT EXISTS ix_henkilo_modified ON henkilo(modified, id);
CREATE INDEX IF NOT EXISTS ix_henkilo_syntymaaika ON henkilo(syntymaaika);
CREATE INDEX IF NOT EXISTS ix_henkilo_name_keys ON henkilo(sukunimi_key, etunimi_key);
CREATE TABLE IF NOT EXISTS henkilo_hetu (
    hetu TEXT PRIMARY KEY, henkilo_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_henkilo_hetu_h ON henkilo_hetu(henkilo_id);
CREATE TABLE IF NOT EXISTS passinumero (
    passinumero TEXT PRIMARY KEY, henkilo_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_passinumero_h ON passinumero(henkilo_id);
CREATE TABLE IF NOT EXISTS identification (
    id INTEGER PRIMARY KEY, henkilo_id INTEGER NOT NULL, idp TEXT NOT NULL,
    identifier TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_identification_v ON identification(idp, identifier);
CREATE INDEX IF NOT EXISTS ix_identification_h ON identification(henkilo_id);
CREATE TABLE IF NOT EXISTS henkilo_organisaatio (
    henkilo_id INTEGER NOT NULL, org TEXT NOT NULL, PRIMARY KEY (henkilo_id, org)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_henkilo_org_o ON henkilo_organisaatio(org, henkilo_id);
-- the change feed per organisation: one row per (imported person, organisation), kept in step
-- with henkilo.modified by World.touch / World.sync_feed; the feed is an index range scan
CREATE TABLE IF NOT EXISTS feed_org (
    henkilo_id INTEGER NOT NULL, org TEXT NOT NULL, modified INTEGER NOT NULL,
    PRIMARY KEY (henkilo_id, org)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_feed_org ON feed_org(org, modified, henkilo_id);
CREATE TABLE IF NOT EXISTS henkiloviite (
    slave_id INTEGER PRIMARY KEY, master_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ix_viite_master ON henkiloviite(master_id);
CREATE TABLE IF NOT EXISTS yksilointivirhe (
    henkilo_id INTEGER PRIMARY KEY, tila TEXT NOT NULL, aikaleima INTEGER NOT NULL,
    exception TEXT, message TEXT, retry_count INTEGER, retry_time INTEGER);
CREATE TABLE IF NOT EXISTS yksilointitieto (henkilo_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tuonti (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kasittelija_oid TEXT,
    sahkoposti TEXT,
    kasiteltavia INTEGER NOT NULL,
    kasiteltyja INTEGER NOT NULL DEFAULT 0,
    api TEXT,
    aikaleima INTEGER NOT NULL,
    ilmoitustarve_kasitelty INTEGER NOT NULL DEFAULT 0,
    runnable INTEGER NOT NULL DEFAULT 1,
    data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tuonti_organisaatio (
    tuonti_id INTEGER NOT NULL, org TEXT NOT NULL, PRIMARY KEY (tuonti_id, org)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_tuonti_org_o ON tuonti_organisaatio(org);
CREATE TABLE IF NOT EXISTS tuonti_rivi (
    id INTEGER PRIMARY KEY, tuonti_id INTEGER NOT NULL, henkilo_id INTEGER NOT NULL,
    tunniste TEXT, conflict INTEGER);
CREATE INDEX IF NOT EXISTS ix_rivi_tuonti ON tuonti_rivi(tuonti_id, henkilo_id);
CREATE INDEX IF NOT EXISTS ix_rivi_henkilo ON tuonti_rivi(henkilo_id);
CREATE TABLE IF NOT EXISTS vtj (hetu TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ilmoitus (
    id INTEGER PRIMARY KEY, aikaleima INTEGER NOT NULL, recipients TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY, aikaleima INTEGER NOT NULL, kind TEXT NOT NULL, oid TEXT NOT NULL);
"""

# Columns read for a person; `henkilo` rows come back as sqlite3.Row.
PERSON_COLUMNS = "h.*"


def connect(db_path: Path | str) -> sqlite3.Connection:
    """Open (and create) the store; WAL so HTTP reads and the worker do not block each other."""
    path = str(db_path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")
    conn.executescript(SCHEMA)
    conn.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )
    return conn


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def chunked(values: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    """SQLite limits bound parameters; split IN lists."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any], *, extra: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    """Run `sql` (containing `{in}`) for every slice of values and concatenate the rows."""
    out: list[sqlite3.Row] = []
    values = list(values)
    for part in chunked(values):
        out.extend(conn.execute(sql.format(**{"in": placeholders(len(part))}), (*part, *extra)))
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
