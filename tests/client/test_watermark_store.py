"""One watermark store (issue 15, point 5): the reconcile view's cursor is a changes.Watermark
in ``<workspace>/changes/``, beside the feed's. Before, refresh_onr_view kept its own cursor
file (``state/onr_view.json``) with the time only, not the OIDs at the boundary."""

from __future__ import annotations

import re
from pathlib import Path

from onrtools.onr import changes
from onrtools.onr.changes import Watermark, watermark_path
from onrtools.onr.client import OnrClient
from onrtools.pipeline.rundir import RunDir
from onrtools.pipeline.steps import VIEW_STATE, refresh_onr_view
from tests.client.fake_onr import FakeOnr

T0 = 1_700_000_000_000


def _run(tmp_path: Path, run_id: str) -> RunDir:
    return RunDir.open(run_id, workspace=tmp_path / "ws", reports_dir=tmp_path / "rep")


def test_the_view_keeps_its_cursor_in_the_one_watermark_store(
        fake: FakeOnr, client: OnrClient, tmp_path: Path) -> None:
    for i in range(6):
        fake.touch(f"p{i}", T0 + i // 2)  # two persons per instant: a boundary to remember
    first = _run(tmp_path, "r1")
    view = refresh_onr_view(first, client)
    store = watermark_path(first.workspace, VIEW_STATE)
    assert store == first.workspace / "changes" / "onr_view.json"
    mark = Watermark.load(store)
    assert mark.muokattu == view.cursor == T0 + 2
    assert mark.boundary == {"p4", "p5"}  # what the feed's own watermark keeps as well
    assert not (first.state_dir / f"{VIEW_STATE}.json").exists()  # no second cursor file
    assert Watermark.load(first.data_dir / f"{VIEW_STATE}-start.json").muokattu is None

    fake.touch("p1", T0 + 10)
    second = _run(tmp_path, "r2")
    changed = set(refresh_onr_view(second, client).changes["oid"])
    assert changed == {"p1", "p4", "p5"}  # from the stored cursor (inclusive)
    assert Watermark.load(store).muokattu == T0 + 10
    assert Watermark.load(second.data_dir / f"{VIEW_STATE}-start.json").muokattu == T0 + 2
    # a rerun of the same run id starts where its first attempt started
    assert set(refresh_onr_view(second, client).changes["oid"]) == changed


def test_no_other_module_writes_a_feed_cursor() -> None:
    """Grep guard: cursors are saved by changes.Watermark only."""
    package = Path(changes.__file__).parents[1]  # onrtools/
    found = [f"{p.relative_to(package)}:{n}" for p in sorted(package.rglob("*.py"))
             if p.name != "changes.py" and "simulator" not in p.parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"""dumps\(\{\s*["']muokattu["']""", line)]
    assert found == []
