"""One builder of ONR's import row: what validation previews is what the import sends.

Arbitrary valid register rows go through the real path (CSV file → read_register →
validate_register → the flat rows validation keeps → import_register against a fake ONR) and
the rows in the PUT bodies equal onrtools.register.tuonti_row's output for the same rows, and
validation's preview. Before, two builders disagreed (aidinkieli upper-cased in one only,
kansalaisuus [] in one) and the rows changed shape four times on the way.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onrtools.onr.batch_import import import_register
from onrtools.onr.client import OnrClient
from onrtools.onr.config import Settings
from onrtools.onr.http_policy import RetryPolicy
from onrtools.pipeline.steps import SEND_COLUMNS, row_fingerprint
from onrtools.register import hetu
from onrtools.register.read import COLUMNS, read_register
from onrtools.register.tuonti_row import flat, tuonti_row, tuonti_rows
from onrtools.register.validation import validate_register

from .fake_onr import BASE, PASSWORD, FakeOnr

CALLER = "1.2.246.562.10.00000000101.tests"
NAMES = st.sampled_from(["Aino", "Eero", "Anna-Liisa", "Åsa", "Linnéa", "Matti Juhani"])


@st.composite
def register_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    n = draw(st.integers(1, 6))
    rng = random.Random(draw(st.integers(0, 10_000)))
    rows = []
    for i in range(n):
        first = draw(NAMES)
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        with_hetu = draw(st.booleans())
        rows.append({
            "tunniste": f"R{i}",
            "hetu": hetu.generate(rng, birth_date=birth) if with_hetu else "",
            "passinumero": "" if with_hetu else f"P{rng.randrange(10**6):06d}",
            "sahkoposti": draw(st.sampled_from(["", f"r{i}@example.fi"])),
            "etunimet": first,
            "kutsumanimi": first.split()[0].split("-")[0],
            "sukunimi": draw(st.sampled_from(["Virtanen", "Mäkelä", "Grönroos"])),
            "syntymaaika": "" if with_hetu else birth.isoformat(),
            # a person without a hetu is not Finnish and has a sex (the validator's rules)
            "sukupuoli": draw(st.sampled_from(["", "1", "2"] if with_hetu else ["1", "2"])),
            "aidinkieli": draw(st.sampled_from(["", "fi", "SV", "en"])),
            "kansalaisuus": draw(st.sampled_from(["246", "246;752", "752"] if with_hetu
                                                 else ["752", "752;840"])),
        })
    return rows


def sent_rows(fake: FakeOnr) -> list[dict]:
    bodies = [json.loads(r.content) for r in fake.requests
              if r.method == "PUT" and r.url.path.endswith("/oppija")]
    return sorted((row for body in bodies for row in body["henkilot"]),
                  key=lambda r: r["tunniste"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=register_rows())
def test_the_body_sent_is_the_builders(tmp_path_factory, rows: list[dict[str, str]]) -> None:  # noqa: ANN001
    tmp = tmp_path_factory.mktemp("builder")
    path = tmp / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    result = validate_register(read_register(path), target_env="local")
    assert len(result.valid_rows) == len(rows), result.problems.to_dict("records")
    kept = result.valid_rows[list(SEND_COLUMNS)]  # what steps.validate keeps: flat
    expected = sorted(tuonti_rows(kept), key=lambda r: r["tunniste"])
    assert sorted(result.rows_to_send(), key=lambda r: r["tunniste"]) == expected

    fake = FakeOnr()
    config = Settings.from_env(env_files=(), environ={}, base_url=BASE, username="palvelu-test",
                               password=PASSWORD, caller_id=CALLER)
    retry = RetryPolicy(max_retries=0, sleep=lambda s: None)
    with OnrClient.from_settings(config, retry=retry, transport=fake.transport()) as client:
        import_register(client, kept, workspace=tmp, batch_size=4, progress=False, interval=0,
                        sleep=lambda s: None)
    assert sent_rows(fake) == expected
    for row in expected:  # the builder's rules, as ONR's DTO wants them
        person = row["henkilo"]
        assert all(v not in ("", [], None) for v in person.values())
        if "aidinkieli" in person:
            assert person["aidinkieli"]["koodi"].isupper()
        assert person["kansalaisuus"] and all(set(c) == {"koodi"} for c in
                                              person["kansalaisuus"])
        assert tuonti_row(flat(row)) == row  # flat and built agree both ways


def test_a_changed_row_gets_a_new_fingerprint() -> None:
    """The fingerprint that decides what a later run re-sends covers every field (with the
    nested rows it covered the tunniste only: a corrected name was never sent again)."""
    base = {c: "" for c in COLUMNS} | {"tunniste": "a", "etunimet": "Aino", "sukunimi": "V",
                                       "kansalaisuus": "246"}
    rows = pd.DataFrame([base, base | {"tunniste": "b"}, base | {"etunimet": "Aina"}])
    prints = row_fingerprint(rows[list(SEND_COLUMNS)]).tolist()
    assert len(set(prints)) == 3
