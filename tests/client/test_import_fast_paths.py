"""The import's fast paths give the same answers as the plain ones they replaced.

bench/bench_client.py shows the speed; these tests hold the meaning: run ids planned before
orjson still resume, the lean result decoder reads what ONR sends and fails without echoing
values, the per-row fast path cleans cells as before, the results frame equals the journal's
rows, and the garbage-collector freeze is always undone.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onrtools.errors import ApiError
from onrtools.onr.batch_import import content_hash, import_register, to_tuonti_row
from onrtools.onr.client import OnrClient
from onrtools.onr.journal import RESULT_COLUMNS, ImportJournal
from onrtools.onr.models import decode_tuonti_results
from tests.client.fake_onr import FakeOnr


def reference_hash(obj: Any) -> str:
    """content_hash as it was before orjson: the bytes run ids were planned with."""
    import hashlib

    data = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


# every character class a register cell can hold: controls, quotes, backslash, BMP, astral
cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), cell)
values = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(cell, inner, max_size=4)), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(values)
def test_content_hash_bytes_equal_the_stdlib_encoding(obj: Any) -> None:
    assert content_hash(obj) == reference_hash(obj)


def test_content_hash_falls_back_for_what_orjson_refuses() -> None:
    for obj in ({1: "int key", 2: "x"}, {"big": 2**70}):  # orjson refuses, json encodes
        assert content_hash(obj) == reference_hash(obj)


def test_client_sends_the_same_body_bytes_as_json_dumps(fake: FakeOnr, client: OnrClient
                                                        ) -> None:
    body = {"henkilot": [{"tunniste": "t\u00e4\n\"1\"", "henkilo": {"etunimet": "Åsa \U0001F600",
                                                                    "sukunimi": "O'Neil\\"}}]}
    client.put_oppija(body)
    sent = next(r for r in fake.requests if r.method == "PUT")
    assert sent.content == json.dumps(body, ensure_ascii=False,
                                      separators=(",", ":")).encode()
    assert sent.headers["content-type"] == "application/json"


# ---------------------------------------------------------------- lean results
def onr_row(i: int, **extra: Any) -> dict[str, Any]:
    """A result row as ONR writes it: the whole OppijaReadDto, nested code objects and all."""
    return {"tunniste": f"t{i}", "henkilo": {
        "oid": f"1.2.246.562.24.{i:011d}", "oppijanumero": f"1.2.246.562.24.{i:011d}",
        "luotu": 1795792609470, "muokattu": 1795792609470, "hetu": "110390-983E",
        "etunimet": "Testi", "kutsumanimi": "Testi", "sukunimi": "Testinen",
        "sukupuoli": {"koodi": "1", "nimi": {"FI": "mies"}}, "kotikunta": None,
        "kansalaisuus": [{"koodi": "246", "nimi": {"FI": "Suomi"}}], "yhteystiedotRyhma": [],
        "passivoitu": False, "linked": [], **extra.pop("henkilo", {})}, **extra}


def test_decoder_reads_onr_rows_and_ignores_the_rest() -> None:
    body = json.dumps({
        "id": 7, "kasiteltavia": 3, "kasiteltyja": 3, "kasitelty": True, "aikaleima": "x",
        "henkilot": [onr_row(1, conflict=True),
                     onr_row(2, henkilo={"linked": ["1.2.246.562.24.00000000009"],
                                         "passivoitu": True}),
                     {"tunniste": "t3", "henkilo": {"oid": "1.2.246.562.98.00000000003"}}],
    }).encode()
    got = decode_tuonti_results(body)
    assert (got.id, got.kasitelty, len(got.henkilot)) == (7, True, 3)
    first, second, third = got.henkilot
    assert first.conflict is True and first.henkilo.oppijanumero == "1.2.246.562.24.00000000001"
    assert second.henkilo.linked == ["1.2.246.562.24.00000000009"]
    assert second.henkilo.passivoitu is True and second.conflict is None  # missing = false
    assert third.henkilo.oppijanumero is None and third.henkilo.linked is None


def test_decoder_accepts_an_import_without_rows_yet() -> None:
    got = decode_tuonti_results(b'{"id":1,"kasiteltavia":5,"kasiteltyja":0,"kasitelty":false}')
    assert got.henkilot == []


@pytest.mark.parametrize("body", [
    b'{"id":1,"kasiteltavia":1,"kasiteltyja":1,"kasitelty":true,'
    b'"henkilot":[{"tunniste":"t","henkilo":{"oid":131052}}]}',
    b'{"id":1,"kasiteltavia":1,"kasiteltyja":1,"kasitelty":true,'
    b'"henkilot":[{"tunniste":"131052-965L","henkilo":{}}]}',
    b'{"id":1,"henkilot":[',
])
def test_bad_answer_is_an_api_error_that_echoes_no_value(fake: FakeOnr, client: OnrClient,
                                                        body: bytes) -> None:
    fake.faults.append(lambda request: httpx.Response(200, content=body))
    with pytest.raises(ApiError) as caught:
        client.get_tuonti_results(1)
    message = str(caught.value)
    assert "/oppija/tuonti={id}" in message and "unexpected import answer" in message
    assert "131052" not in message


# ---------------------------------------------------------------- rows
@pytest.mark.parametrize(("cell_value", "kept"), [
    ("  Testi  ", "Testi"), ("   ", None), ("", None), (None, None), (float("nan"), None),
    (12, "12"), ("\tA\n", "A"),  # every field ONR takes here is text
])
def test_flat_cells_are_cleaned_as_before(cell_value: Any, kept: Any) -> None:
    row = to_tuonti_row({"tunniste": " t1 ", "etunimet": cell_value, "sukunimi": "S"})
    assert row["tunniste"] == "t1"
    assert row["henkilo"].get("etunimet") == kept
    assert ("etunimet" in row["henkilo"]) == (kept is not None)


# ---------------------------------------------------------------- results frame
def test_results_frame_equals_the_journal_rows(tmp_path: Path) -> None:
    with ImportJournal(tmp_path) as journal:
        journal.plan("r", "oppija", 2, "h", [("a", ["t1", "t2"]), ("b", ["t3"])])
        for seq, tid in ((0, 11), (1, 12)):
            journal.mark_sending("r", seq)
            journal.mark_sent("r", seq, tid)
        journal.store_results("r", 1, [{"tunniste": "t3", "oid": "o3", "linked": ["o9"],
                                        "passivoitu": True}])
        journal.store_results("r", 0, [
            {"tunniste": "t1", "oid": "o1", "oppijanumero": "o1", "conflict": True},
            {"tunniste": "t2", "oid": "o2", "linked": []}])
        frame = journal.results_frame("r")
        assert list(frame.columns) == RESULT_COLUMNS
        assert frame.to_dict("records") == journal.results("r")
        assert [str(frame[c].dtype) for c in ("conflict", "passivoitu", "tuonti_id", "batch")
                ] == ["bool", "bool", "int64", "int64"]
        assert list(frame["tunniste"]) == ["t1", "t2", "t3"]  # by batch, then as stored
        assert journal.results_frame("unknown").empty


# ---------------------------------------------------------------- garbage collector
def small_rows(n: int) -> list[dict[str, Any]]:
    return [{"tunniste": f"g{i}", "hetu": f"0101{90 + i % 10:02d}-9{i % 100:02d}X",
             "etunimet": "Testi", "kutsumanimi": "Testi", "sukunimi": f"T{i}"} for i in range(n)]


def test_import_leaves_the_heap_unfrozen(client: OnrClient, tmp_path: Path) -> None:
    assert gc.get_freeze_count() == 0
    out = import_register(client, small_rows(30), workspace=tmp_path, batch_size=10,
                          progress=False, interval=0, sleep=lambda s: None)
    assert len(out.results) == 30
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_import_unfreezes_after_an_error(client: OnrClient, tmp_path: Path) -> None:
    bad = small_rows(3) + [{"tunniste": "g0"}]  # a repeated tunniste
    with pytest.raises(Exception, match="tunniste"):
        import_register(client, bad, workspace=tmp_path, progress=False)
    assert gc.get_freeze_count() == 0


def test_someone_elses_freeze_is_left_alone(
    client: OnrClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Neither freezes more nor unfreezes. (Counting frozen objects before and after is not
    a proof: a frozen object that another thread frees leaves the count, e.g. under xdist.)"""
    keep = [object() for _ in range(10)]  # noqa: F841  (something for the freeze to hold)
    gc.freeze()
    try:
        calls: list[str] = []
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
        import_register(client, small_rows(5), workspace=tmp_path, progress=False, interval=0,
                        sleep=lambda s: None)
        monkeypatch.undo()
        assert calls == []
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
