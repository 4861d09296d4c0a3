"""The change feed over a set that moves while it is read (FakeOnr), and its watermark."""

from __future__ import annotations

import random
from pathlib import Path

from onrtools.onr.changes import Watermark, iter_changes
from onrtools.onr.client import OnrClient
from tests.client.fake_onr import FakeOnr

T0 = 1_700_000_000_000


def test_moving_feed_every_change_once(fake: FakeOnr, client: OnrClient, tmp_path: Path) -> None:
    rng = random.Random(4)
    for i in range(500):  # several persons share a timestamp: boundaries repeat
        fake.touch(f"p{i}", T0 + i // 3)
    clock = [T0 + 1000]
    truth: set[tuple[str, int]] = {(e["oid"], e["master"]["muokattu"]) for e in fake.feed}

    def churn(n: int) -> None:  # between requests people change (move to the end)
        if n > 8:
            return
        for _ in range(15):
            oid = f"p{rng.randrange(500)}"
            clock[0] += 1
            fake.touch(oid, clock[0], master_oid="m1" if rng.random() < 0.2 else None)
            truth.add((oid, clock[0]))

    fake.on_feed_request = churn
    feed = iter_changes(client, count=37, workspace=tmp_path)
    got = [(c.oid, c.muokattu) for c in feed]
    assert len(got) == len(set(got)), "a change was delivered twice"
    latest = {(e["oid"], e["master"]["muokattu"]) for e in fake.feed}
    assert latest <= set(got), "the latest state of someone was never seen"
    assert set(got) <= truth
    assert feed.stats["walks"] >= 2
    assert feed.watermark.muokattu == max(m for _, m in latest)
    # resume: nothing new → nothing delivered, only the boundary re-read
    again = list(iter_changes(client, count=37, workspace=tmp_path))
    assert again == []
    fake.on_feed_request = None
    fake.touch("p7", clock[0] + 5, master_oid="p9")
    fresh = list(iter_changes(client, count=37, workspace=tmp_path))
    assert [(c.oid, c.master_oid, c.merged) for c in fresh] == [("p7", "p9", True)]


def test_whole_page_at_one_timestamp_steps_by_page(fake: FakeOnr, client: OnrClient) -> None:
    for i in range(25):
        fake.touch(f"q{i}", T0)  # more persons at one instant than a page holds
    fake.touch("late", T0 + 1)
    got = [c.oid for c in iter_changes(client, count=10, prefetch=False)]
    assert sorted(got) == sorted([f"q{i}" for i in range(25)] + ["late"])


def test_a_person_modified_while_a_run_is_paged_hides_no_one(
    fake: FakeOnr, client: OnrClient, tmp_path: Path
) -> None:
    """Offset paging through people sharing one timestamp: when one of them changes between
    pages it moves to the end and the offsets shift, so the page after skips a person that did
    not change. The feed reads such a run again before its watermark passes it."""
    for i in range(25):
        fake.touch(f"r{i}", T0)  # a run of equal timestamps longer than a page
    fake.touch("after", T0 + 10)

    def modify_r0(n: int) -> None:
        if n == 3:  # page 1 of the run has been read (r0..r9); r0 changes before page 2
            fake.touch("r0", T0 + 20)

    fake.on_feed_request = modify_r0
    feed = iter_changes(client, count=10, prefetch=False, workspace=tmp_path)
    got = {(c.oid, c.muokattu) for c in feed}
    latest = {(e["oid"], e["master"]["muokattu"]) for e in fake.feed}
    assert ("r10", T0) in got, "r10 slid onto the page already read and was never delivered"
    assert latest <= got
    assert feed.stats["rereads"] >= 1


def test_since_and_watermark_file(fake: FakeOnr, client: OnrClient, tmp_path: Path) -> None:
    for i in range(10):
        fake.touch(f"s{i}", T0 + i)
    got = [c.oid for c in iter_changes(client, since=T0 + 5, workspace=tmp_path, name="x")]
    assert got == ["s5", "s6", "s7", "s8", "s9"]
    mark = Watermark.load(tmp_path / "changes" / "x.json")
    assert mark.muokattu == T0 + 9 and mark.boundary == frozenset({"s9"})
    iso = iter_changes(client, since="2023-11-14T22:13:20.003+00:00")
    assert [c.oid for c in iso][:1] == ["s3"]


def test_full_mode_reads_complete_dtos(fake: FakeOnr, client: OnrClient) -> None:
    from onrtools.onr.models import FeedMaster, OppijaRead

    fake.touch("f1", T0)
    fake.feed[0]["master"]["sukupuoli"] = {"koodi": "2", "nimi": {"FI": "nainen"}}
    lean = list(iter_changes(client))
    full = list(iter_changes(client, full=True))
    assert isinstance(lean[0].master, FeedMaster) and lean[0].master.hetu == "010190-9981"
    assert isinstance(full[0].master, OppijaRead)
    assert full[0].master.sukupuoli is not None and full[0].master.sukupuoli.koodi == "2"
