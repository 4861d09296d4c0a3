"""Security checks, end to end.

- The scanner (onrtools.evidence.secrets_scan) finds every planted secret in every format a run
  writes.
- A pipeline run leaves no password, ticket, session cookie, token or full hetu in reports/,
  and no secret anywhere in the workspace (full hetus only in the pipeline's working frames).
- Request packages and report files neutralise spreadsheet formulas.
- One institution's service user cannot read another institution's people on any read endpoint
  of the simulator's OpenAPI document.
- Schemathesis: tests/simulator/test_schemathesis.py, the one suite (fast and broad).
- A production target refuses to start without an explicit opt-in, and refuses test hetus.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import re
import secrets as secrets_mod
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from onrtools.evidence.secrets_scan import scan_paths

from .conftest import CALLER_ID, scan_run, secret_simulator, write_register

HETU = "010190-9732"  # synthetic test hetu (individual number 973)
HETU2 = "020290-9337"
# what a spreadsheet may run: = + - @, tab or CR first, also after leading spaces (written here
# independently of onrtools.register.spreadsheet, so a weakened guard fails these tests)
FORMULA_START = re.compile(r"^ *[=+\-@\t\r]")


# --- the scanner ---------------------------------------------------------------------------------

def _plant(tmp_path: Path, password: str, ticket: str, session: str, token: str) -> dict[str, Path]:
    text = (f"user palvelu-kk1 password={password}\nST: {ticket}\n"
            f"Cookie: JSESSIONID={session}\nAuthorization: Bearer {token}\nhetu {HETU}\n")
    files: dict[str, Path] = {}
    files["log.txt"] = tmp_path / "log.txt"
    files["log.txt"].write_text(text, encoding="utf-8")
    files["utf16.csv"] = tmp_path / "utf16.csv"
    files["utf16.csv"].write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stdout", "text": [text]}]}], "metadata": {},
        "nbformat": 4, "nbformat_minor": 5}
    files["run.ipynb"] = tmp_path / "run.ipynb"
    files["run.ipynb"].write_text(json.dumps(nb), encoding="utf-8")
    import openpyxl

    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append([line])
    files["book.xlsx"] = tmp_path / "book.xlsx"
    book.save(files["book.xlsx"])
    db = tmp_path / "state.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (a TEXT, b BLOB)")
        conn.execute("INSERT INTO t VALUES (?, ?)", (text, text.encode()))
    conn.close()
    files["state.sqlite"] = db
    files["frame.pkl"] = tmp_path / "frame.pkl"
    pd.DataFrame({"line": text.splitlines()}).to_pickle(files["frame.pkl"])
    files["plain.pickle"] = tmp_path / "plain.pickle"
    files["plain.pickle"].write_bytes(pickle.dumps({"lines": text.splitlines()}))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep/report.html", f"<td>{HETU}</td><td>{ticket}</td>")
    files["nested.zip"] = tmp_path / "nested.zip"
    with zipfile.ZipFile(files["nested.zip"], "w") as z:
        z.writestr("inner.xlsx", inner.getvalue())
    return files


def test_scanner_finds_every_planted_secret_in_every_format(tmp_path: Path) -> None:
    password = "pw-" + secrets_mod.token_urlsafe(10)
    ticket = "ST-" + secrets_mod.token_urlsafe(24)
    session = secrets_mod.token_hex(16).upper()
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxLjIuMjQ2In0.c2lnbmF0dXJlc2lnbmF0dXJl"
    files = _plant(tmp_path, password, ticket, session, token)
    findings = scan_paths([tmp_path], secrets=[password])
    by_file: dict[str, set[str]] = {}
    for f in findings:
        by_file.setdefault(Path(f.path).name, set()).add(f.kind)
    everything = {"secret", "cas_ticket", "session_cookie", "bearer_token", "hetu"}
    for name in ("log.txt", "utf16.csv", "run.ipynb", "book.xlsx", "state.sqlite", "frame.pkl",
                 "plain.pickle"):
        assert everything <= by_file.get(name, set()), (name, by_file.get(name))
    assert {"hetu", "cas_ticket"} <= by_file["nested.zip"]
    for f in findings:  # a report of findings leaks nothing itself
        for value in (password, ticket, session, token, HETU):
            assert value not in str(f)
    assert set(files) == set(by_file)


def test_scanner_leaves_masked_and_invalid_values_alone(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text(
        "hetu;note\n010190-****;masked\n010190-9733;wrong check character\n"
        "320190-9732;no such day\n1010190-97321;longer digit run\n"
        "password=**********;masked\npassword: None\nSettings(password='**********')\n"
        "JSESSIONID=;empty\nST-short\n", encoding="utf-8")
    assert scan_paths([tmp_path], secrets=["not-in-the-file"]) == []


def test_scanner_command_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from onrtools.evidence import secrets_scan

    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "a.csv").write_text("hetu\n010190-****\n", encoding="utf-8")
    (tmp_path / "dirty").mkdir()
    (tmp_path / "dirty" / "a.log").write_text("login with pw-0123456789\n", encoding="utf-8")
    monkeypatch.setenv("ONR_PASSWORD", "pw-0123456789")
    assert secrets_scan.main([str(tmp_path / "clean")]) == 0
    assert secrets_scan.main([str(tmp_path / "dirty")]) == 1
    out = capsys.readouterr().out
    assert "a.log: line 1: secret" in out and "pw-0123456789" not in out


def test_scanner_rejects_a_bare_string_as_secrets() -> None:
    with pytest.raises(TypeError):
        scan_paths([], secrets="password")  # type: ignore[arg-type]


# --- a pipeline run leaves nothing behind --------------------------------------------------------

def formula_cells(paths: list[Path]) -> list[str]:
    """Cells of CSV/XLSX files a spreadsheet would run as a formula."""
    import openpyxl

    bad = []
    for path in paths:
        if path.suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            sep = ";" if text.count(";") > text.count(",") else ","
            for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1):
                bad += [f"{path.name}:{n}:{c[:20]!r}" for c in row if FORMULA_START.match(c)]
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            for ws in book.worksheets:
                for row in ws.iter_rows():
                    for c in row:
                        if c.data_type == "f" or (isinstance(c.value, str)
                                                  and FORMULA_START.match(c.value)):
                            bad.append(f"{path.name}!{ws.title}!{c.coordinate}:{str(c.value)[:20]!r}")
    return bad


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One pipeline run (the notebooks' code) against a simulator whose password is unique."""
    from . import driver

    work = tmp_path_factory.mktemp("security-run")
    password = "Sec-" + secrets_mod.token_urlsafe(12)
    sim = secret_simulator(work / "sim", password, population=40, seed=5).start()
    mp = pytest.MonkeyPatch()
    try:
        register = write_register(work / "register.csv", 120, seed=5)
        mp.setenv("ONR_BASE_URL", sim.base_url)
        mp.setenv("ONR_USERNAME", "palvelu-kk1")
        mp.setenv("ONR_PASSWORD", password)
        mp.setenv("ONR_CALLER_ID", CALLER_ID)
        driver.run("sec-1", work / "workspace", work / "reports",
                   {"register_file": str(register), "poll_interval": 0.05, "batch_size": 50},
                   steps=driver.CORE_STEPS)
        requests_log = sim.admin("GET", "/requests?limit=1000")
        yield {"work": work, "password": password, "requests": requests_log}
    finally:
        mp.undo()
        sim.stop()


def test_pipeline_run_leaves_no_secret_or_full_hetu(pipeline_run: dict[str, Any]) -> None:
    work = pipeline_run["work"]
    reports = work / "reports"
    assert any(reports.rglob("*.csv")) and any(reports.rglob("*.xlsx"))
    findings = scan_run(reports, work / "workspace", pipeline_run["password"])
    assert findings == [], "\n".join(map(str, findings[:20]))


def test_working_frames_are_the_only_place_with_full_hetus(pipeline_run: dict[str, Any]) -> None:
    """The scan's exemption is narrow: the working frames do hold hetus (else it proves nothing)."""
    work = pipeline_run["work"]
    inside = scan_paths([work / "workspace"], secrets=[])
    assert inside and all(f.kind == "hetu" for f in inside)
    assert all(Path(f.path).suffix == ".parquet" for f in inside)
    assert not any(work.rglob("*.pkl")), "frames between steps are Parquet, never pickles"


def test_simulator_request_log_holds_no_ticket(pipeline_run: dict[str, Any]) -> None:
    text = json.dumps(pipeline_run["requests"])
    assert "ticket=" not in text and "ST-" not in text and "TGT-" not in text
    assert pipeline_run["password"] not in text


def test_every_spreadsheet_of_the_run_holds_no_formula(pipeline_run: dict[str, Any]) -> None:
    """Every CSV/XLSX the run wrote (action lists, problem lists, duplicate lists, request
    packages, downloads), in the reports and the workspace alike; only the input is left out."""
    work = pipeline_run["work"]
    files = sorted(p for p in work.rglob("*") if p.suffix in (".csv", ".xlsx")
                   and p != work / "register.csv" and "sim" not in p.relative_to(work).parts)
    assert files
    names = {p.name for p in files}
    assert {"problems.csv", "problems.xlsx", "actions.xlsx"} <= names, names
    assert formula_cells(files) == []


# --- request packages ----------------------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://127.0.0.1/x","click")', "+cmd|' /C calc'!A0", "-2+3",
           "@SUM(1+1)", "\t=1+1", "\r=1+1", "  =1+1", " @SUM(1)"]
def test_request_packages_neutralise_formulas(tmp_path: Path) -> None:
    from onrtools.duplicates import request_packages

    flagged = pd.DataFrame({
        "masterOid": ["1.2.246.562.98.10000000017", "1.2.246.562.98.10000000025"],
        "henkiloOid": ["1.2.246.562.98.10000000033", "1.2.246.562.98.10000000041"],
        "reason": HOSTILE[:2], "explanation": HOSTILE[2:4], "reviewer": HOSTILE[4:6][:1] * 2,
        "decided_at": ["=NOW()", "2026-11-27"], "note": ["@x", "-1"],
    })
    persons = pd.DataFrame({
        "oid": ["1.2.246.562.98.10000000017", "1.2.246.562.98.10000000033",
                "1.2.246.562.98.10000000025", "1.2.246.562.98.10000000041"],
        "hetu": [HETU, HETU2, "", None], "etunimet": HOSTILE[:4], "sukunimi": HOSTILE[1:5],
        "syntymaaika": ["=1", "1990-01-01", "+1", "-1"],
    })
    paths = request_packages.write_unlink_requests(tmp_path, flagged, persons,
                                                   institution="=evil()")
    assert formula_cells([paths["csv"], paths["xlsx"]]) == []
    assert scan_paths([tmp_path], secrets=[]) == [], "hetus in request packages are masked"
    # the values are kept, only made inert
    text = paths["csv"].read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in text and "'+cmd|" in text


def test_request_package_csv_keeps_a_carriage_return_inside_its_cell(tmp_path: Path) -> None:
    from onrtools.duplicates import request_packages

    flagged = pd.DataFrame({"masterOid": ["1.2.246.562.98.10000000017"],
                            "henkiloOid": ["1.2.246.562.98.10000000033"],
                            "reason": ["Virtanen\r=1+1"], "note": ["x\r@SUM(1)"]})
    persons = pd.DataFrame({"oid": ["1.2.246.562.98.10000000017"], "hetu": [""],
                            "etunimet": ["Aino\r-1"], "sukunimi": ["V"], "syntymaaika": [""]})
    paths = request_packages.write_unlink_requests(tmp_path, flagged, persons)
    raw = paths["csv"].read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(rows) == 2, rows
    assert formula_cells([paths["csv"]]) == []


def test_neutralise_covers_every_formula_start() -> None:
    from onrtools.duplicates import request_packages

    for value in HOSTILE:
        assert request_packages.neutralise(value).startswith("'")
    assert request_packages.neutralise("Virtanen") == "Virtanen"
    assert request_packages.neutralise(5) == 5


# --- institutions are isolated -------------------------------------------------------------------

SERVICE = "/oppijanumerorekisteri-service"
# Writes (state-changing); any other non-GET operation must be classified here or as a read.
WRITES = {
    ("PUT", "/oppija"), ("POST", "/oppija"), ("POST", "/oppija/tuonti={id}"),
    ("POST", "/oppija/{henkiloOid}/organisaatio"),
    ("PUT", "/oppija/{henkiloOid}/organisaatio/{organisaatioOid}"),
    ("DELETE", "/oppija/{henkiloOid}/organisaatio/{organisaatioOid}"),
    ("PUT", "/yleistunniste"), ("POST", "/yleistunniste/tuonti={id}"),
    ("POST", "/henkilo"), ("DELETE", "/henkilo/{oid}"), ("POST", "/henkilo/{oid}/link"),
    ("POST", "/henkilo/{oid}/forcelink"), ("DELETE", "/henkilo/{oid}/unlink/{slaveOid}"),
    ("POST", "/henkilo/{oid}/identification"), ("POST", "/cas/prequel"),
    # find-or-create by hetu AND names, attaching the person to the caller (REST.md §5.2)
    ("POST", "/yleistunniste/hae"),
}
# Reads that ONR answers for anyone holding the role, given full identifying data (REST.md §5.3,
# §5.6): what they return is what the caller sent, or the bare OID; no names, no hetu.
IDENTITY_CHECKS = {("POST", "/henkilo/exists"), ("GET", "/yleistunniste/hae/{oid}")}
# Registry-wide by ONR's design, not by institution: the duplicate search by names is open to
# OPPIJOIDENTUONTI users and returns raw candidates (REST.md §6.1 "RP, RPR, OT"; SEMANTICS §3.1).
REGISTRY_WIDE = {("GET", "/henkilo/duplikaatit")}


def read_operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, methods in doc["paths"].items():
        rel = path.removeprefix(SERVICE)
        for method, op in methods.items():
            key = (method.upper(), rel)
            if key in WRITES:
                continue
            is_read = key[0] in ("GET", "HEAD") or rel.endswith("List") or key in IDENTITY_CHECKS
            assert is_read, f"{key}: classify this new operation as a read or a write"
            ops.append((key[0], rel, op))
    return ops


def _request(method: str, rel: str, op: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    fill = {"oid": p["oid"], "henkiloOid": p["oid"], "hetu": p["hetu"], "id": p["tuonti"],
            "tuontiId": p["tuonti"], "nimiHaku": p["sukunimi"], "etunimet": p["etunimet"],
            "kutsumanimi": p["kutsumanimi"], "sukunimi": p["sukunimi"],
            "muokattuJalkeen": "2000-01-01T00:00:00Z", "count": 100, "page": 1, "pageSize": 100,
            "syntymaaika": p["syntymaaika"]}
    path, params = rel, {}
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "path":
            assert name in fill, f"{method} {rel}: no value for path parameter {name}"
            path = path.replace("{" + name + "}", str(fill[name]))
        elif where == "query" and name in fill:
            params[name] = fill[name]
    body: Any = None
    if op.get("requestBody"):
        if rel.endswith("HetuList"):
            body = [p["hetu"]]
        elif rel.endswith("List"):
            body = [p["oid"]]
        else:
            body = {k: p[k] for k in ("hetu", "etunimet", "kutsumanimi", "sukunimi")}
    return {"method": method, "url": SERVICE + path, "params": params, "json": body}


@pytest.fixture(scope="module")
def kk1_person(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from onrtools.simulator.testing import running_simulator

    with running_simulator(tmp_path_factory.mktemp("isolation"), population=30, seed=3) as sim:
        kk1, kk2 = sim.login("palvelu-kk1"), sim.login("palvelu-kk2")
        sukunimi = "Eristys" + uuid.uuid4().hex[:6]
        import random
        from datetime import date

        from onrtools.register import hetu

        # born 1866: nobody in the seeded population has this hetu
        person = {"hetu": hetu.generate(random.Random(uuid.uuid4().int), birth_date=date(
                      1866, 8, 15)), "etunimet": "Iida Isolde", "kutsumanimi": "Iida",
                  "sukunimi": sukunimi, "syntymaaika": "1866-08-15"}
        body = {"henkilot": [{"tunniste": "iso-1", "henkilo": {
            **{k: person[k] for k in ("hetu", "etunimet", "kutsumanimi", "sukunimi")},
            "kansalaisuus": [{"koodi": "246"}]}}]}
        put = kk1.put(SERVICE + "/oppija", json=body)
        assert put.status_code == 200, put.text
        tuonti = put.json()["id"]
        sim.admin("POST", "/drain")
        result = kk1.get(f"{SERVICE}/oppija/tuonti={tuonti}").json()
        oid = result["henkilot"][0]["henkilo"]["oid"]
        token = httpx.post(sim.base_url + "/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "palvelu-kk2",
            "client_secret": "simulator"}).json()["access_token"]
        doc = httpx.get(sim.service_url + "/v3/api-docs").json()
        yield {"sim": sim, "kk1": kk1, "kk2": kk2, "kk2_token": token, "doc": doc,
               "oid": oid, "tuonti": tuonti, **person}
        kk1.close()
        kk2.close()


def _reveals(response: httpx.Response, p: dict[str, Any], sent: str,
             allowed: tuple[str, ...] = ()) -> list[str]:
    """Which of the person's identifiers the answer shows that the request did not carry."""
    text = response.text
    return [k for k in ("oid", "hetu", "sukunimi", "etunimet")
            if str(p[k]) in text and str(p[k]) not in sent and k not in allowed]


def test_other_institution_is_refused_on_every_read_endpoint(kk1_person: dict[str, Any]) -> None:
    p = kk1_person
    ops = read_operations(p["doc"])
    assert len(ops) >= 15, "the OpenAPI document lists the read endpoints"
    assert REGISTRY_WIDE | IDENTITY_CHECKS <= {(m, r) for m, r, _ in ops}
    leaks, owner_sees = [], 0
    bearer = {"Authorization": f"Bearer {p['kk2_token']}", "Caller-Id": CALLER_ID}
    for method, rel, op in ops:
        if (method, rel) in REGISTRY_WIDE:
            continue
        allowed = ("oid",) if (method, rel) in IDENTITY_CHECKS else ()
        req = _request(method, rel, op, p)
        sent = json.dumps([req["url"], req["params"], req["json"]])
        for label, call in (
            ("cas", lambda r: p["kk2"].request(**r)),
            ("bearer", lambda r: httpx.request(
                r["method"], p["sim"].base_url + r["url"], params=r["params"], json=r["json"],
                headers=bearer)),
        ):
            response = call(req)
            assert response.status_code < 500, (label, method, rel, response.status_code)
            shown = _reveals(response, p, sent, allowed)
            if shown:
                leaks.append(f"{label} {method} {rel} -> {response.status_code} shows {shown}")
        if _reveals(p["kk1"].request(**req), p, sent):
            owner_sees += 1
    assert leaks == [], "\n".join(leaks)
    assert owner_sees >= 5, "control: the owner must see the person through the same requests"


# --- production guard ----------------------------------------------------------------------------

def test_production_target_refuses_to_start_without_opt_in() -> None:
    from onrtools.errors import ConfigError
    from onrtools.onr.config import Settings

    env = {"ONR_ENV": "prod", "ONR_USERNAME": "palvelu", "ONR_PASSWORD": "x" * 12,
           "ONR_CALLER_ID": CALLER_ID}
    with pytest.raises(ConfigError, match="ONR_ALLOW_PRODUCTION") as info:
        Settings.from_env(environ=env, env_files=[])
    assert "x" * 12 not in str(info.value)
    for sneaky in ({"ONR_ENV": "local", "ONR_BASE_URL": "https://virkailija.opintopolku.fi"},
                   {"ONR_ENV": "production"},
                   {"ONR_ENV": "prod", "ONR_ALLOW_PRODUCTION": "no"}):
        with pytest.raises(ConfigError):
            Settings.from_env(environ={**env, **sneaky}, env_files=[])
    allowed = Settings.from_env(environ={**env, "ONR_ALLOW_PRODUCTION": "yes"}, env_files=[])
    assert allowed.is_production and allowed.allow_production


def test_pipeline_settings_refuse_production_without_opt_in(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from onrtools.errors import ConfigError
    from onrtools.pipeline import steps

    monkeypatch.setenv("ONR_ENV", "prod")
    monkeypatch.setenv("ONR_USERNAME", "palvelu")
    monkeypatch.setenv("ONR_PASSWORD", "p" * 12)
    monkeypatch.setenv("ONR_CALLER_ID", CALLER_ID)
    with pytest.raises(ConfigError):
        steps.settings()


def test_production_target_refuses_test_hetus(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from onrtools.register import validation
    from onrtools.register.read import read_register

    register = write_register(tmp_path / "register.csv", 20, seed=11)
    result = validation.validate_register(read_register(register), target_env="prod")
    hetu_rows = read_register(register).frame["hetu"].ne("").sum()
    refused = result.problems[result.problems["code"] == "hetu.test.in.production"]
    assert len(refused) == hetu_rows > 0
    assert set(refused["severity"]) == {"error"}
    assert all(r["henkilo"].get("hetu", "") == "" for r in result.rows_to_send())
    assert validation.main(["--target", "prod", "--lang", "en", str(register)]) == 1
    assert "hetu.test.in.production" in capsys.readouterr().out
    local = validation.validate_register(read_register(register), target_env="local")
    assert local.ok
