"""Exactly-once imports against the FakeOnr: expiry, drops, crashes, stalls, resumes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from onrtools.errors import AmbiguousSend, TuontiTimeout, ValidationFailed
from onrtools.onr.batch_import import import_register, prepare_rows, wait_for_tuonti
from onrtools.onr.client import OnrClient
from onrtools.onr.journal import ImportJournal
from tests.client.fake_onr import FakeOnr, passthrough, process_then, status


def rows(n: int, prefix: str = "r") -> list[dict[str, Any]]:
    # synthetic hetus with individual numbers 900-999
    return [{"tunniste": f"{prefix}{i}", "hetu": f"0101{90 + i % 10:02d}-9{i % 100:02d}X",
             "etunimet": "Testi Henkilö", "kutsumanimi": "Testi", "sukunimi": f"Testinen{i}",
             "kansalaisuus": "246"} for i in range(n)]


def run(client: OnrClient, data: list[dict[str, Any]], ws: Path, **kw: Any) -> Any:
    kw.setdefault("batch_size", 100)
    return import_register(client, data, workspace=ws, progress=False, interval=0,
                           sleep=lambda s: None, resolve_grace=0, **kw)


def test_happy_path_results_per_tunniste(fake: FakeOnr, client: OnrClient, tmp_path: Path
                                         ) -> None:
    data = rows(250)
    out = run(client, data, tmp_path)
    assert len(fake.tuontis) == 3
    assert [len(t["rows"]) for t in fake.tuontis.values()] == [100, 100, 50]
    assert len(out.results) == 250
    assert set(out.results["tunniste"]) == {r["tunniste"] for r in data}
    assert (out.results["oid"] == out.results["tunniste"].map(fake.oid_for)).all()
    assert out.summary()["sends"] == 3 and out.summary()["resolved_ambiguous"] == 0
    sent = fake.tuontis[1001]["rows"][0]
    assert sent["henkilo"]["kansalaisuus"] == [{"koodi": "246"}]
    assert sent["tunniste"] == "r0"
    # a finished run sends nothing again
    before = len(fake.requests)
    again = run(client, data, tmp_path)
    assert len(fake.requests) == before and len(again.results) == 250


def test_session_expiry_mid_import_relogs_in_exactly_once(
    fake: FakeOnr, client: OnrClient, tmp_path: Path
) -> None:
    calls = {"n": 0}
    original = fake.api

    def api(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.method == "PUT":
            calls["n"] += 1
            if calls["n"] == 1:
                fake.expire_sessions()
        return response

    fake.api = api  # type: ignore[method-assign]
    out = run(client, rows(300), tmp_path)
    assert client.http.auth.logins == 2  # type: ignore[union-attr]
    assert len(fake.tuontis) == 3 and len(out.results) == 300


@pytest.mark.parametrize("drop", [httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_dropped_connection_after_put_was_processed_sends_no_second_import(
    fake: FakeOnr, client: OnrClient, tmp_path: Path, drop: type[httpx.TransportError]
) -> None:
    client.tuontikooste()  # log in so the scripted faults hit API calls
    fake.faults = [passthrough(), process_then(fake, drop)]  # second batch's PUT
    out = run(client, rows(300), tmp_path)
    assert len(fake.tuontis) == 3
    assert len([r for r in fake.requests if r.method == "PUT"]) == 3
    assert len(out.results) == 300
    assert out.summary()["resolved_ambiguous"] == 1
    assert out.batches[1]["resolved"].startswith("found tuonti")


def test_503_on_put_not_processed_is_resolved_absent_and_resent_once(
    fake: FakeOnr, client: OnrClient, tmp_path: Path
) -> None:
    client.tuontikooste()
    fake.faults = [status(503)]
    out = run(client, rows(150), tmp_path)
    assert len(fake.tuontis) == 2
    assert out.batches[0]["sends"] == 2 and out.batches[1]["sends"] == 1
    assert len(out.results) == 150


def test_crash_after_put_before_journal_is_resolved_on_resume(
    fake: FakeOnr, client: OnrClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = rows(300)
    real = ImportJournal.mark_sent

    def crash(self: ImportJournal, run_id: str, seq: int, tuonti_id: int, **kw: Any) -> None:
        if seq == 1:
            raise KeyboardInterrupt("killed")
        real(self, run_id, seq, tuonti_id, **kw)

    monkeypatch.setattr(ImportJournal, "mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        run(client, data, tmp_path)
    monkeypatch.setattr(ImportJournal, "mark_sent", real)
    assert len(fake.tuontis) == 2
    out = run(client, data, tmp_path)
    assert len(fake.tuontis) == 3  # batch 1 found, only batch 2 was new
    assert len(out.results) == 300
    assert out.batches[1]["resolved"] and out.batches[1]["sends"] == 1


def test_crash_before_put_left_is_resent(
    fake: FakeOnr, client: OnrClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = rows(200)
    from onrtools.onr import batch_import

    real = batch_import.submit_tuonti
    state = {"n": 0}

    def crash(*a: Any, **kw: Any) -> Any:
        state["n"] += 1
        if state["n"] == 2:
            raise KeyboardInterrupt("killed before the PUT left")
        return real(*a, **kw)

    monkeypatch.setattr(batch_import, "submit_tuonti", crash)
    with pytest.raises(KeyboardInterrupt):
        run(client, data, tmp_path)
    monkeypatch.setattr(batch_import, "submit_tuonti", real)
    out = run(client, data, tmp_path)
    assert len(fake.tuontis) == 2 and len(out.results) == 200
    assert out.batches[1]["sends"] == 2  # absent proven, then sent


def test_resolution_without_tuontidata_right_uses_processed_rows(
    fake: FakeOnr, client: OnrClient, tmp_path: Path
) -> None:
    fake.deny_tuontidata = True
    client.tuontikooste()
    fake.faults = [process_then(fake, httpx.ReadTimeout)]
    out = run(client, rows(100), tmp_path)
    assert len(fake.tuontis) == 1 and len(out.results) == 100


def test_stalled_candidate_is_restarted_then_adopted(fake: FakeOnr, client: OnrClient,
                                                     tmp_path: Path) -> None:
    fake.deny_tuontidata = True
    fake.stall = True  # the import stalls before its first chunk: its rows are unreadable
    client.tuontikooste()
    fake.faults = [process_then(fake, httpx.ReadTimeout)]
    out = run(client, rows(100), tmp_path)
    assert len(fake.tuontis) == 1 and fake.restarts >= 1  # restarted, never resent
    assert len(out.results) == 100


def test_unprovable_candidate_is_not_resent(fake: FakeOnr, client: OnrClient, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake.deny_tuontidata = True
    fake.stall = True  # the import never gets processed, so its rows stay unreadable
    monkeypatch.setattr(client, "restart_tuonti", lambda *a, **k: None)  # restarts do not help
    client.tuontikooste()
    fake.faults = [process_then(fake, httpx.ReadTimeout)]
    with pytest.raises(AmbiguousSend, match="nothing was resent"):
        run(client, rows(100), tmp_path)
    assert len(fake.tuontis) == 1


def test_stalled_job_is_restarted(fake: FakeOnr, client: OnrClient, tmp_path: Path) -> None:
    fake.stall = True
    out = run(client, rows(100), tmp_path, stall_polls=3)
    assert fake.restarts == 1
    assert out.batches[0]["restarts"] == 1 and len(out.results) == 100


def test_wait_for_tuonti_times_out(fake: FakeOnr, client: OnrClient) -> None:
    fake.stall = True
    status_ = client.put_oppija({"henkilot": [{"tunniste": "a", "henkilo": {"oid": "x"}}]})
    ticks = iter(range(1000))
    with pytest.raises(TuontiTimeout) as err:
        wait_for_tuonti(client, status_.id, interval=1, timeout=5, sleep=lambda s: None,
                        stall_polls=100, clock=lambda: float(next(ticks)))
    assert err.value.tuonti_id == status_.id


def test_rows_need_unique_tunniste_and_resume_needs_same_rows(
    client: OnrClient, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed) as err:
        prepare_rows([{"tunniste": "a", "oid": "x", "etunimet": "A"},
                      {"tunniste": "a", "oid": "y"}, {"oid": "z"},
                      {"tunniste": "010594Y9032", "oid": "w"}])
    assert [p["problem"] for p in err.value.problems] == ["repeats row 0", "missing",
                                                          "looks like a hetu"]
    assert "9032" not in str(err.value)
    data = rows(10)
    run(client, data, tmp_path, run_id="fixed")
    changed = rows(10)
    changed[3]["sukunimi"] = "Toinen"
    with pytest.raises(ValidationFailed, match="other rows"):
        run(client, changed, tmp_path, run_id="fixed")


def test_workspace_holds_no_hetu_or_names(fake: FakeOnr, client: OnrClient, tmp_path: Path
                                          ) -> None:
    data = rows(120)
    run(client, data, tmp_path)
    blob = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert not re.search(rb"\d{6}[-+A-FU-Y]9\d\d[0-9A-Y]", blob)
    assert b"Testinen" not in blob and "Henkilö".encode() not in blob


def test_flat_rows_become_onr_rows() -> None:
    flat = {"tunniste": 7, "hetu": " 010594Y9032 ", "etunimet": "Aino Maria", "kutsumanimi": "",
            "sukunimi": "Testinen", "sukupuoli": "2", "aidinkieli": "sv",
            "kansalaisuus": "246; 752", "passinumero": float("nan"), "extra": "ignored"}
    row = prepare_rows([flat])[0]
    assert row == {"tunniste": "7", "henkilo": {
        "hetu": "010594Y9032", "etunimet": "Aino Maria", "sukunimi": "Testinen",
        "sukupuoli": {"koodi": "2"}, "aidinkieli": {"koodi": "SV"},
        "kansalaisuus": [{"koodi": "246"}, {"koodi": "752"}]}}
    yt = prepare_rows([flat], api="yleistunniste")[0]
    assert yt["henkilo"] == {"hetu": "010594Y9032", "etunimet": "Aino Maria",
                             "sukunimi": "Testinen"}
    shaped = {"tunniste": "x", "henkilo": {"oid": "1.2.3", "hetu": None, "etunimet": "A"}}
    assert prepare_rows([shaped])[0]["henkilo"] == {"oid": "1.2.3", "etunimet": "A"}


def test_existence_rules_of_yleistunniste_rows() -> None:
    from onrtools.register.validation import existence_check_problems

    ok = {"hetu": "010190-901R", "etunimet": "Anna-Liisa Milla", "kutsumanimi": "liisa",
          "sukunimi": "Testinen"}
    assert existence_check_problems({**ok, "hetu": "010190-901X"}) == [("hetu", "invalid.hetu")]
    assert existence_check_problems(ok) == []
    assert existence_check_problems({**ok, "kutsumanimi": "ANNA-LIISA"}) == []
    assert existence_check_problems({**ok, "kutsumanimi": "Anna Liisa"}) == [
        ("kutsumanimi", "kutsumanimi.single.word")]
    assert existence_check_problems({**ok, "kutsumanimi": "Mil"}) == [
        ("kutsumanimi", "kutsumanimi.not.a.first.name")]
    assert existence_check_problems({**ok, "etunimet": " Anna"}) == [
        ("etunimet", "invalid.name.format"), ("kutsumanimi", "kutsumanimi.not.a.first.name")]
    assert existence_check_problems({k: v for k, v in ok.items() if k != "hetu"}) == [
        ("hetu", "hetu.required")]


def test_import_queued_behind_a_moving_one_is_not_restarted(fake: FakeOnr,
                                                            client: OnrClient) -> None:
    """ONR runs all imports of an instance on one thread: ours waits while the one ahead of
    it (another institution's) is processed; restarting ours would only queue another job."""
    ahead = client.put_oppija({"henkilot": [{"tunniste": f"o{i}", "henkilo": {"oid": "x"}}
                                            for i in range(1000)]})
    fake.stall = True  # ours shows no progress ...
    ours = client.put_oppija({"henkilot": [{"tunniste": "a", "henkilo": {"oid": "x"}}]})
    fake.stall = False
    progress = fake.progress

    def queue(tid: int) -> dict[str, Any]:  # ... until the one ahead is done
        if fake.tuontis[ahead.id]["done"] >= 1000:
            fake.tuontis[ours.id]["stalled"] = False
        return progress(tid)

    fake.progress = queue  # type: ignore[method-assign]
    looks: list[dict[int, int]] = []
    ticks = iter(range(10_000))  # one "second" per clock read: the wait outlasts the timeout
    status_ = wait_for_tuonti(client, ours.id, interval=0, sleep=lambda s: None, stall_polls=2,
                              on_queued=looks.append, timeout=8,
                              clock=lambda: float(next(ticks)))
    assert status_.kasitelty and fake.restarts == 0
    assert len(looks) >= 5 and all(set(a) == {ahead.id} for a in looks[:-1])
    assert looks[-1] == {}  # the one ahead finished: ours got its turn, still no restart


class _Scripted:
    """An import that never moves, with a scripted queue ahead: what wait_for_tuonti asks."""

    def __init__(self, ahead: list[dict[int, int]]) -> None:
        self.ahead = ahead  # the queue ahead, the same at every look
        self.polls = 0
        self.restart_polls: list[int] = []

    def get_perustiedot(self, tuonti_id: int, api: str = "oppija") -> Any:
        from onrtools.onr.models import TuontiPerustiedot

        self.polls += 1
        return TuontiPerustiedot(id=tuonti_id, kasiteltavia=100, kasiteltyja=0, kasitelty=False)

    def find_perustiedot(self, tuonti_id: int, api: str = "oppija") -> Any:
        from onrtools.onr.models import TuontiPerustiedot

        queue = self.ahead[0]
        if tuonti_id not in queue:
            return None
        return TuontiPerustiedot(id=tuonti_id, kasiteltavia=1000, kasiteltyja=queue[tuonti_id],
                                 kasitelty=False)

    def restart_tuonti(self, tuonti_id: int, api: str = "oppija") -> Any:
        self.restart_polls.append(self.polls)


def test_stalled_import_with_nothing_moving_ahead_is_restarted_with_backoff_and_a_cap() -> None:
    client = _Scripted([{}])  # nothing ahead
    with pytest.raises(TuontiTimeout, match="no progress after 3 restarts") as err:
        wait_for_tuonti(client, 51, interval=0, sleep=lambda s: None, stall_polls=2,  # type: ignore[arg-type]
                        queue_window=3)
    # restarts after 2, then 4, then 8 more polls without progress; the fourth stall gives up
    assert client.restart_polls == [3, 7, 15]
    assert err.value.tuonti_id == 51


def test_stalled_imports_ahead_do_not_hold_a_restart_back() -> None:
    """An import ahead that does not move either (a dead job) is no queue: one more look to
    be sure, then the restart."""
    client = _Scripted([{50: 300}])
    with pytest.raises(TuontiTimeout):
        wait_for_tuonti(client, 51, interval=0, sleep=lambda s: None, stall_polls=2,  # type: ignore[arg-type]
                        queue_window=3, max_restarts=1)
    assert client.restart_polls == [5]  # the first look sees 50 waiting, the second unmoved


def test_unreadable_candidate_queued_behind_another_import_is_not_restarted(
    fake: FakeOnr, client: OnrClient, tmp_path: Path,
) -> None:
    """Resolving an open PUT: the candidate's rows stay unreadable while it waits behind an
    earlier import; it is waited for, not restarted (which would queue another job)."""
    ahead = client.put_oppija({"henkilot": [{"tunniste": f"o{i}", "henkilo": {"oid": "x"}}
                                            for i in range(300)]})
    fake.deny_tuontidata = True
    fake.stall = True
    progress = fake.progress

    def queue(tid: int) -> dict[str, Any]:
        if fake.tuontis[ahead.id]["done"] >= 300:
            for other in fake.tuontis.values():
                other["stalled"] = False
        return progress(tid)

    fake.progress = queue  # type: ignore[method-assign]
    fake.faults = [process_then(fake, httpx.ReadTimeout)]
    out = run(client, rows(100), tmp_path)
    assert fake.restarts == 0 and len(fake.tuontis) == 2  # neither restarted nor resent
    assert len(out.results) == 100 and out.batches[0]["resolved"]
