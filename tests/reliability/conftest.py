"""Shared pieces of the reliability suites: the corpus, simulators, end-state snapshots.

Pipeline runs go through the one test runner, :mod:`tests.reliability.driver` (the notebooks'
own code cells, in one process: seconds rather than a kernel start per notebook);
`pipeline_run(...)` is one such run with its evidence, `end_state(sim, run)` reduces a finished
run to what must not differ between a clean run and a run under faults or crashes.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
BAD_DIR = REPO / "tests" / "data" / "bad"
SIM_PASSWORD = "simulator"  # the simulator's documented synthetic password (its README)
CALLER_ID = "1.2.246.562.10.00000000101.reliability"


def load_corpus_module() -> Any:
    sys.path.insert(0, str(BAD_DIR))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(BAD_DIR))
    return make_corpus


@pytest.fixture(scope="session")
def corpus() -> Any:
    return load_corpus_module()


@pytest.fixture(scope="module")
def module_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from onrtools.simulator.testing import running_simulator

    with running_simulator(tmp_path_factory.mktemp("rel-sim"), seed=8, population=50) as sim:
        yield sim


def sim_settings(base_url: str, username: str = "palvelu-kk1", **overrides: Any) -> Any:
    """Settings for a simulator user, blind to the developer's ONR_* environment."""
    from onrtools.onr.config import Settings

    return Settings.from_env(environ={}, env_files=[], base_url=base_url, username=username,
                             password=SIM_PASSWORD, caller_id=CALLER_ID, **overrides)


def write_register(path: Path, rows: int, seed: int) -> Path:
    """A synthetic register of `rows` valid people (test hetus), reproducible from `seed`."""
    import random
    from datetime import date, timedelta

    from onrtools.register import hetu

    rng = random.Random(seed)
    first = ["Aino", "Eero", "Liisa", "Juhani", "Maria", "Ville", "Sanna", "Otto", "Helmi",
             "Kalle", "Iida", "Onni", "Venla", "Leo", "Emma", "Aleksi"]
    last = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
            "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Saarinen"]
    seen: set[str] = set()
    records = []
    while len(records) < rows:
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 35))
        h = hetu.generate(rng, birth_date=birth, new_signs=False)
        if h in seen:
            continue
        seen.add(h)
        names = rng.sample(first, 2)
        n = len(records)
        foreign = n % 10 == 7  # every tenth person without a hetu: a passport and a birth date
        records.append({
            "tunniste": f"rel-{seed}-{n:06d}", "hetu": "" if foreign else h,
            "passinumero": f"RP{seed % 1000:03d}{n:06d}" if foreign else "",
            "syntymaaika": birth.isoformat() if foreign else "",
            "sukupuoli": hetu.sex(h) if foreign else "",
            "etunimet": " ".join(names), "kutsumanimi": names[0],
            "sukunimi": rng.choice(last), "kansalaisuus": "752" if foreign else "246",
        })
    pd.DataFrame(records).to_csv(path, index=False)
    return path


def sim_query(sim: Any, sql: str) -> pd.DataFrame:
    """A read-only query on the simulator's database (works in-process and for a subprocess)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{sim.db_path}?mode=ro", uri=True, timeout=30)
    try:
        return pd.read_sql_query(sql, conn)
    finally:
        conn.close()


def person_rows(sim: Any) -> pd.DataFrame:
    """Every person the simulator holds, ordered by (hetu or passinumero, oid)."""
    frame = sim_query(sim, "SELECT h.oid, COALESCE(h.hetu, (SELECT MIN(p.passinumero) FROM "
                           "passinumero p WHERE p.henkilo_id = h.id), '') AS key, h.etunimet, "
                           "h.sukunimi, h.passivoitu, h.duplicate FROM henkilo h")
    return frame.sort_values(["key", "oid"], na_position="last").reset_index(drop=True)


def end_state(sim: Any, run: Any) -> dict[str, Any]:
    """What must be equal between a clean run and a faulty one (OIDs excluded: they are drawn
    in order of arrival, which faults may change)."""
    persons = person_rows(sim)
    keys = persons.loc[persons["key"] != "", "key"]
    results = run.load_frame("results")
    by_hetu = dict(zip(persons["oid"], persons["key"], strict=True))
    tuonti = sim_query(sim, "SELECT COUNT(*) AS n, COALESCE(SUM(kasiteltavia), 0) AS rows "
                            "FROM tuonti")
    actions = run.load_frame("actions")
    feed = run.load_frame("feed")
    return {
        "persons": len(persons),
        "keys_distinct": bool(keys.is_unique),
        "person_keys": sorted(keys),
        "tuontis": int(tuonti["n"][0]),
        "tuonti_rows": int(tuonti["rows"][0]),
        "results": sorted((str(t), str(by_hetu.get(o))) for t, o in
                          zip(results["tunniste"], results["oid"], strict=True)),
        "results_rows": len(results),
        "actions": sorted(zip(actions["category"].astype(str),
                              actions["tunniste"].fillna("").astype(str), strict=True)),
        "feed_hetus": sorted(str(by_hetu.get(o)) for o in feed["oid"].astype(str)),
        "feed_rows": len(feed),
    }


def admin_counts(sim: Any) -> dict[str, Any]:
    state = sim.admin("GET", "/state")
    return json.loads(json.dumps(state))


def users_file_with_password(target: Path, password: str) -> Path:
    """The simulator's packaged users, every password replaced (so a scan can look for it)."""
    import re

    from onrtools.simulator import server

    packaged = Path(server.__file__).with_name("users.toml").read_text(encoding="utf-8")
    target.write_text(re.sub(r'(?m)^password = ".*"$', f'password = "{password}"', packaged),
                      encoding="utf-8")
    return target


def secret_simulator(workdir: Path, password: str, **kwargs: Any) -> Any:
    """`running_simulator`, but every user's password is `password` (a unique test secret)."""
    from onrtools.simulator.faults import FaultConfig
    from onrtools.simulator.server import SimulatorConfig, SimulatorServer
    from onrtools.simulator.testing import SimHandle

    Path(workdir).mkdir(parents=True, exist_ok=True)
    users = users_file_with_password(Path(workdir) / "users.toml", password)

    class _Handle(SimHandle):
        def start(self) -> SimHandle:
            self._server = SimulatorServer(SimulatorConfig(
                port=self.port, db_path=self.db_path, seed=self.seed,
                population=self.population, identification=self.identification,
                strict_caller_id=self.strict_caller_id, users_file=users,
                faults=FaultConfig.from_dict(self.faults)))
            self._server.start()
            return self

    handle = _Handle(workdir, seed=kwargs.get("seed", 1), population=kwargs.get("population", 50),
                     identification="immediate", faults=kwargs.get("faults"),
                     strict_caller_id=False, subprocess=False)
    return handle


# --- runs against a fresh simulator ------------------------------------------------------------

REGISTER_ROWS = 300
REGISTER_SEED = 17
SIM_SEED = 4
SIM_POPULATION = 40
BATCH_SIZE = 150  # two batches; each is two of ONR's 100-row chunks, so an import can stall
RUN_PARAMETERS = {"poll_interval": 0.1, "batch_size": BATCH_SIZE, "read_persons": "feed"}


def start_simulator(workdir: Path, password: str, **kwargs: Any) -> Any:
    return secret_simulator(workdir, password, seed=SIM_SEED, population=SIM_POPULATION,
                            **kwargs).start()


def pipeline_env(mp: pytest.MonkeyPatch, base_url: str, password: str) -> None:
    mp.setenv("ONR_BASE_URL", base_url)
    mp.setenv("ONR_USERNAME", "palvelu-kk1")
    mp.setenv("ONR_PASSWORD", password)
    mp.setenv("ONR_CALLER_ID", CALLER_ID)


def import_journal(workspace: Path, run_id: str) -> dict[str, Any]:
    """What the import journal says about a run: batches (sends, restarts, resolved), events."""
    from onrtools.onr.journal import ImportJournal

    with ImportJournal(workspace) as journal:
        batches = [{"seq": b.seq, "rows": b.row_count, "state": b.state,
                    "tuonti_id": b.tuonti_id, "sends": b.sends, "restarts": b.restarts,
                    "resolved": b.resolved} for b in journal.batches(f"{run_id}-import")]
        events = journal.events(f"{run_id}-import")
    return {"batches": batches, "events": events}


def verify_ledger_cli(workspace: Path) -> tuple[int, str]:
    """`onr audit verify --workspace W` in-process: (exit code, printed summary)."""
    import contextlib
    import io as io_

    from onrtools import evidence

    out = io_.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = evidence.main(["verify", "--workspace", str(workspace)])
    return code, out.getvalue()


# the register's unmasked working copies (onrtools.pipeline.frames)
WORKING_FRAMES = ("*/runs/*/*.parquet", "*/state/*.parquet")


def scan_run(reports: Path, workspace: Path, password: str) -> list[Any]:
    """reports/: everything; workspace: secrets everywhere, hetus outside the working frames."""
    from onrtools.evidence.secrets_scan import scan_paths

    found = scan_paths([reports], secrets=[password])
    found += scan_paths([workspace], secrets=[password], hetus=False)
    found += scan_paths([workspace], secrets=[password], skip=WORKING_FRAMES)
    return sorted(set(found), key=str)


MAX_ATTEMPTS = 3  # a run that stops with AmbiguousSend asks to be run again; an operator would


def pipeline_run(work: Path, register: Path, *, faults: dict[str, Any] | None,
                 run_id: str = "fault-run") -> dict[str, Any]:
    """One pipeline run (rerun on a loud failure, as `onr run` resumes); its end state and
    everything the run and the simulator recorded."""
    from onrtools.evidence.store import Ledger
    from onrtools.pipeline.rundir import RunDir

    from . import driver

    password = "Flt-" + secrets.token_urlsafe(12)
    sim = start_simulator(work / "sim", password)
    mp = pytest.MonkeyPatch()
    attempts: list[str] = []
    try:
        pipeline_env(mp, sim.base_url, password)
        if faults:
            sim.admin("PUT", "/faults", json=faults)
        started = time.monotonic()
        for _ in range(MAX_ATTEMPTS):
            try:
                driver.run(run_id, work / "workspace", work / "reports",
                           {**RUN_PARAMETERS, "register_file": str(register)},
                           steps=driver.CORE_STEPS)
                attempts.append("ok")
                break
            except Exception as exc:  # noqa: BLE001 - recorded; the rerun must recover
                attempts.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        run_s = time.monotonic() - started
        injected = sim.admin("GET", "/faults")
        log = sim.admin("GET", "/requests?limit=100000")["requests"]
        injected["cas_logins"] = sum(1 for r in log if r.get("method") == "POST"
                                     and r.get("path") == "/cas/v1/tickets")
        injected["sessions_opened"] = sum(
            1 for r in log if str(r.get("path", "")).endswith("/j_spring_cas_security_check"))
        injected["answered_401"] = sum(1 for r in log if r.get("status") == 401)
        sim.admin("PUT", "/faults", json={})
        run = RunDir.open(run_id, workspace=work / "workspace", reports_dir=work / "reports")
        return {
            "attempts": attempts, "run_s": run_s, "state": end_state(sim, run),
            "injected": injected,
            "journal": import_journal(work / "workspace", run_id),
            "facts": json.loads((run.report_dir / "facts.json").read_text()),
            "feed_oids": list(run.load_frame("feed")["oid"].astype(str)),
            "ledger": verify_ledger_cli(work / "workspace"),
            "ledger_entries": sum(1 for _ in Ledger(work / "workspace").entries()),
            "findings": scan_run(work / "reports", work / "workspace", password),
            "admin_state": sim.admin("GET", "/state"),
        }
    finally:
        mp.undo()
        sim.stop()


@pytest.fixture(scope="session")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_register(tmp_path_factory.mktemp("register") / "register.csv", REGISTER_ROWS,
                          REGISTER_SEED)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory, register: Path) -> dict[str, Any]:
    result = pipeline_run(tmp_path_factory.mktemp("clean"), register, faults=None)
    assert result["attempts"] == ["ok"]
    return result


