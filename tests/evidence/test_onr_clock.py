"""Ages and lags of ONR's timestamps are measured on ONR's clock, never on ours.

The simulator's clock runs 30 days ahead after `time-passes`; before, the audit report showed a
change-feed lag of -719.99 hours ("better") and open items 0.0002 days old ("worse").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from onrtools.evidence.kpi import compute_kpis
from onrtools.evidence.open_items import track_open_items
from onrtools.onr.client import OnrClient
from onrtools.onr.config import Settings
from onrtools.pipeline.audit_report import onr_now

DAY = 86400


def test_the_client_reads_onrs_clock_from_the_date_header(fresh_simulator: Callable) -> None:
    sim = fresh_simulator(population=5)
    settings = Settings.from_env(environ={}, env_files=(), base_url=sim.base_url,
                                 username="palvelu-kk1", password="simulator",
                                 caller_id="1.2.246.562.10.00000000101.tests")
    with OnrClient.from_settings(settings) as client:
        assert client.onr_clock_offset is None
        client.call("GET", "/oppija/muuttuneet", params={"count": 1})
        assert abs(client.onr_clock_offset) < 5  # the same clock, to the header's second
        sim.admin("POST", "/time-passes", json={"days": 30, "seed": 1})
        client.call("GET", "/oppija/muuttuneet", params={"count": 1})
        assert client.onr_clock_offset == pytest.approx(30 * DAY, abs=5)
        assert client.onr_now() - datetime.now(UTC) > timedelta(days=29.9)


def test_onr_now_takes_the_last_steps_offset() -> None:
    ahead = onr_now({"import": {"onr_clock_offset_s": 1.0},
                     "reconcile": {"onr_clock_offset_s": 30 * DAY}})
    assert ahead - datetime.now(UTC) == pytest.approx(timedelta(days=30), abs=timedelta(minutes=1))
    ours = onr_now({"validate": {"rows_read": 3}})
    assert abs(ours - datetime.now(UTC)) < timedelta(minutes=1)


def test_lag_and_ages_are_never_negative(tmp_path) -> None:  # noqa: ANN001
    onr = datetime(2027, 1, 3, 12, tzinfo=UTC)
    changes = pd.DataFrame({"muokattu": [onr - timedelta(hours=5), onr + timedelta(seconds=1)]})
    kpis = compute_kpis(changes=changes, now=onr)
    assert kpis["change_feed_lag_hours_median"] == pytest.approx(2.5)
    assert kpis["change_feed_lag_hours_max"] == pytest.approx(5)
    actions = pd.DataFrame({"category": ["manual_identification"], "tunniste": ["a"],
                            "local_hetu": [""]})
    first = track_open_items(tmp_path, actions, now=onr)
    assert first["age_days"].tolist() == [0.0]
    later = track_open_items(tmp_path, actions, now=onr + timedelta(days=30))
    assert later["age_days"].tolist() == [pytest.approx(30)]
    earlier = track_open_items(tmp_path, actions, now=onr - timedelta(days=1))
    assert earlier["age_days"].tolist() == [0.0]
