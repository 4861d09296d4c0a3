"""The hash-chained ledger: tampering of every kind is detected and the first bad entry named."""

from __future__ import annotations

import json
import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from onrtools.errors import LedgerError
from onrtools.evidence.store import GENESIS, Ledger, entry_hash, utc_now
from onrtools.evidence.verify import verify_ledger
from tests import crash


def fill(workspace: Path, n: int = 6) -> Ledger:
    ledger = Ledger(workspace)
    for i in range(n):
        ledger.append(
            {"kind": "event", "event": "step", "run_id": f"run-{i // 2}", "i": i},
            detail={"oids": [f"1.2.246.562.24.{10000000000 + i}"]} if i % 2 else None,
        )
    return ledger


def lines_of(ledger: Ledger) -> list[bytes]:
    return ledger.path.read_bytes().splitlines(keepends=True)


def test_fresh_chain_verifies(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    result = verify_ledger(tmp_path)
    assert result.ok, result.summary()
    assert result.entries == 6
    assert result.first_bad is None and result.reason is None
    assert result.head_seq == 6
    objs = [json.loads(x) for x in lines_of(ledger)]
    assert [o["seq"] for o in objs] == [1, 2, 3, 4, 5, 6]
    assert objs[0]["prev_hash"] == GENESIS
    for before, after in zip(objs, objs[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    for o in objs:
        assert o["hash"] == entry_hash(o["seq"], o["prev_hash"], o["record"])
    assert result.details_checked == 3
    assert str(result) == "OK: 6 entries, head seq 6"
    result.raise_if_broken()  # nothing to raise


def test_empty_or_missing_ledger_is_ok_but_empty(tmp_path: Path) -> None:
    result = verify_ledger(tmp_path)
    assert result.ok and result.entries == 0
    assert "empty" in result.summary()


@pytest.mark.parametrize("target", [1, 3, 6])
def test_changing_one_byte_anywhere_in_an_entry_is_detected_at_that_line(
    tmp_path: Path, target: int
) -> None:
    ledger = fill(tmp_path)
    original = ledger.path.read_bytes()
    lines = original.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: target - 1])
    for offset in range(0, len(lines[target - 1]), 5):
        data = bytearray(original)
        data[start + offset] ^= 0x01
        ledger.path.write_bytes(bytes(data))
        result = verify_ledger(tmp_path)
        assert not result.ok, f"byte {offset} of line {target} changed but the chain verified"
        assert result.first_bad is not None and result.first_bad.line == target, (
            offset,
            result.first_bad,
        )
    ledger.path.write_bytes(original)
    assert verify_ledger(tmp_path).ok


def test_an_edited_value_is_a_hash_mismatch_named_by_seq(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    lines = lines_of(ledger)
    lines[2] = lines[2].replace(b'"i":2', b'"i":9')
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert not result.ok
    assert result.first_bad.kind == "hash_mismatch"
    assert (result.first_bad.line, result.first_bad.seq) == (3, 3)
    assert "line 3, seq 3" in result.reason and "altered" in result.reason
    assert str(result).startswith("BROKEN (1 problems), first: line 3, seq 3")
    with pytest.raises(LedgerError) as caught:
        result.raise_if_broken()
    assert caught.value.entry == 3


def test_deleting_an_entry_is_detected_and_the_gap_named(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    lines = lines_of(ledger)
    del lines[3]  # seq 4
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert not result.ok
    assert result.first_bad.kind == "missing"
    assert result.first_bad.seq == 5 and result.first_bad.line == 4
    assert "seq 4 missing" in result.reason
    assert len(result.problems) == 1  # the rest of the chain links on from seq 5


def test_deleting_the_last_entries_is_caught_by_an_anchor(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    head = verify_ledger(tmp_path)
    anchor = (head.head_seq, head.head_hash)
    ledger.path.write_bytes(b"".join(lines_of(ledger)[:-2]))
    assert verify_ledger(tmp_path).ok  # a shorter chain is still a chain...
    result = verify_ledger(tmp_path, anchors=[anchor])
    assert not result.ok and result.first_bad.kind == "anchor"  # ...but not the one we saw


def test_reordering_two_entries_is_detected(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    lines = lines_of(ledger)
    lines[2], lines[3] = lines[3], lines[2]
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert not result.ok
    assert result.first_bad.kind == "out_of_order"
    assert result.first_bad.line == 3 and result.first_bad.seq == 4
    assert "reordered" in result.reason
    assert {p.line for p in result.problems} == {3, 4}


def test_a_duplicated_entry_is_detected(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    lines = lines_of(ledger)
    lines.insert(4, lines[3])
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert result.first_bad.kind == "duplicate_seq" and result.first_bad.line == 5


def test_a_rewritten_chain_with_recomputed_hashes_needs_an_anchor(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    before = verify_ledger(tmp_path)
    objs = [json.loads(x) for x in lines_of(ledger)]
    objs[1]["record"]["i"] = 99
    prev = GENESIS
    out = []
    for o in objs:  # a forger who recomputes everything
        o["prev_hash"] = prev
        o["hash"] = entry_hash(o["seq"], prev, o["record"])
        prev = o["hash"]
        out.append(json.dumps(o, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    ledger.path.write_bytes(b"".join(out))
    assert verify_ledger(tmp_path).ok
    result = verify_ledger(tmp_path, anchors=[(before.head_seq, before.head_hash)])
    assert not result.ok and result.first_bad.kind == "anchor"


@pytest.mark.parametrize("keep", [1, 10, 50, -2, -1])
def test_a_truncated_last_record_is_never_valid(tmp_path: Path, keep: int) -> None:
    ledger = fill(tmp_path)
    lines = lines_of(ledger)
    last = lines[-1]
    lines[-1] = last[:keep] if keep > 0 else last[: len(last) + keep]
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert not result.ok
    assert result.first_bad.kind == "truncated" and result.first_bad.line == 6
    assert "killed" in result.reason
    assert result.entries == 5  # the torn record is not counted as an entry


def test_the_next_append_moves_a_torn_tail_aside_and_records_it(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    data = ledger.path.read_bytes()
    torn = b'{"hash":"ab12","prev_ha'
    ledger.path.write_bytes(data + torn)
    assert verify_ledger(tmp_path).first_bad.kind == "truncated"
    entry = ledger.append({"kind": "event", "event": "after_crash"})
    result = verify_ledger(tmp_path)
    assert result.ok, result.summary()
    records = [e.record for e in ledger.entries()]
    repaired = records[-2]
    assert repaired["kind"] == "ledger_repaired" and repaired["torn_bytes"] == len(torn)
    assert repaired["after_seq"] == 6 and entry.seq == 8
    (saved,) = ledger.quarantine_dir.iterdir()
    assert saved.read_bytes() == torn


def test_an_unreadable_last_entry_stops_appends(tmp_path: Path) -> None:
    ledger = fill(tmp_path, 2)
    ledger.path.write_bytes(ledger.path.read_bytes()[:-3] + b"?}\n")
    with pytest.raises(LedgerError):
        ledger.append({"kind": "event"})


def test_records_need_a_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Ledger(tmp_path).append({"event": "x"})


def kill_writers(workspace: Path, points: list[str]) -> list[bool]:
    """A writer appending in a loop, SIGKILLed at each point in turn (tests.crash), the ledger
    checked after each kill and appended to again; whether it verified right after each kill."""
    ledger = Ledger(workspace)
    outcomes = []
    for round_, at in enumerate(points):
        killed = crash.run_killed(["tests.evidence._workers", str(workspace)], at,
                                  env=crash.child_env(), timeout=120)
        assert killed.killed, f"{at}: the writer was not killed there"
        result = verify_ledger(workspace)
        kinds = {p.kind for p in result.problems}
        assert kinds <= {"truncated"}, result.summary()  # only ever a torn *last* record
        if at.startswith("ledger.torn"):
            assert not result.ok and result.first_bad.line == result.entries + 1
        else:
            assert result.ok, result.summary()
        outcomes.append(result.ok)
        ledger.append({"kind": "event", "event": "restart", "round": round_})
        assert verify_ledger(workspace).ok
    return outcomes


def test_sigkill_while_appending_leaves_a_verifiable_or_torn_ledger(tmp_path: Path) -> None:
    points = ["ledger.append:3", "ledger.torn:2", "ledger.torn:1"]
    assert kill_writers(tmp_path, points) == [True, False, False]


@pytest.mark.slow
def test_sigkill_many_times(tmp_path: Path) -> None:
    points = [f"ledger.{'torn' if n % 2 else 'append'}:{1 + n % 7}" for n in range(25)]
    assert kill_writers(tmp_path, points) == [n % 2 == 0 for n in range(25)]


def test_two_processes_appending_at_once_keep_one_valid_chain(tmp_path: Path) -> None:
    from tests.evidence._workers import append_many

    count = 150
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        done = pool.starmap(append_many, [(str(tmp_path), 1, count), (str(tmp_path), 2, count)])
    assert done == [count, count]
    result = verify_ledger(tmp_path)
    assert result.ok, result.summary()
    assert result.entries == 2 * count
    entries = list(Ledger(tmp_path).entries())
    assert [e.seq for e in entries] == list(range(1, 2 * count + 1))
    got = {(e.record["worker"], e.record["i"]) for e in entries}
    assert got == {(w, i) for w in (1, 2) for i in range(count)}
    workers = [e.record["worker"] for e in entries]
    assert any(a != b for a, b in zip(workers, workers[1:], strict=False))  # interleaved


def test_detail_changed_or_deleted_is_detected(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    details = sorted(ledger.details_dir.iterdir())
    assert len(details) == 3
    details[0].write_bytes(details[0].read_bytes().replace(b"1.2", b"9.2"))
    details[1].unlink()
    result = verify_ledger(tmp_path)
    assert {p.kind for p in result.problems} == {"detail_changed", "detail_missing"}


def test_prune_keeps_the_chain_verifiable_and_tampering_detectable(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    old = utc_now() - timedelta(days=400)
    for i in range(4):
        ledger.append(
            {
                "kind": "event",
                "event": "old",
                "i": i,
                "time": (old + timedelta(days=i)).isoformat(),
            },
            detail={"oids": [f"1.2.246.562.24.1000000000{i}"]},
        )
    ledger.append({"kind": "event", "event": "new"}, detail={"oids": ["1.2.246.562.24.2"]})
    record = ledger.prune(365)
    assert record["pruned_seqs"] == [[1, 4]] and record["details_removed"] == 4
    assert len(list(ledger.details_dir.iterdir())) == 1
    result = verify_ledger(tmp_path)
    assert result.ok, result.summary()
    assert result.pruned == 4 and result.entries == 6
    assert ledger.detail(next(ledger.entries()).record) is None
    # pruning again changes nothing and still verifies
    assert ledger.prune(365)["pruned_seqs"] == []
    assert verify_ledger(tmp_path).ok
    # a recent detail deleted by hand is not a prune
    next(ledger.details_dir.iterdir()).unlink()
    assert verify_ledger(tmp_path).first_bad.kind == "detail_missing"
    # and an edited old entry is still an edited entry
    lines = lines_of(ledger)
    lines[1] = lines[1].replace(b'"i":1', b'"i":7')
    ledger.path.write_bytes(b"".join(lines))
    result = verify_ledger(tmp_path)
    assert result.first_bad.kind == "hash_mismatch" and result.first_bad.seq == 2


def test_a_forged_prune_entry_does_not_excuse_deleted_details(tmp_path: Path) -> None:
    ledger = fill(tmp_path)
    last = json.loads(lines_of(ledger)[-1])
    record = {
        "kind": "prune",
        "time": "2026-01-01T00:00:00.000Z",
        "retention_days": 30,
        "cutoff": "2025-12-02T00:00:00.000Z",
        "pruned_seqs": [[1, 6]],
        "outputs_released_seqs": [],
        "details_removed": 3,
    }
    forged = {
        "seq": 7,
        "prev_hash": last["hash"],
        "record": record,
        "hash": entry_hash(7, last["hash"], record),
    }  # a well-formed, chained entry
    with ledger.path.open("ab") as fh:
        fh.write(json.dumps(forged, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    for path in ledger.details_dir.iterdir():
        path.unlink()
    result = verify_ledger(tmp_path)
    assert not result.ok
    assert result.first_bad.kind == "bad_prune" and result.first_bad.seq == 7
    assert "prune: seq 7" in result.summary()


def test_a_ledger_locked_too_long_is_a_ledger_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    import onrtools.evidence.store as ledger_module

    ledger = fill(tmp_path, 1)
    monkeypatch.setattr(ledger_module, "LOCK_TIMEOUT", 0.2)
    impatient = Ledger(tmp_path)
    with FileLock(str(ledger.dir / "ledger.lock")):
        with pytest.raises(LedgerError, match="locked"):
            impatient.append({"kind": "event"})
    assert impatient.append({"kind": "event"}).seq == 2


def test_a_detail_reference_is_never_a_path(tmp_path: Path) -> None:
    ledger = fill(tmp_path, 1)
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    last = json.loads(lines_of(ledger)[-1])
    record = {"kind": "event", "time": "2000-01-01T00:00:00Z", "detail_sha256": "../../victim"}
    forged = {
        "seq": 2,
        "prev_hash": last["hash"],
        "record": record,
        "hash": entry_hash(2, last["hash"], record),
    }
    with ledger.path.open("ab") as fh:
        fh.write(json.dumps(forged, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    result = verify_ledger(tmp_path)
    assert result.first_bad.seq == 2 and "detail reference invalid" in result.reason
    ledger.prune(1)
    assert victim.exists()
    assert ledger.detail(record) is None
