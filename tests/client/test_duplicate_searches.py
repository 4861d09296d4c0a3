"""Many duplicate searches at once (`OnrClient.duplikaatit_many`): in parallel up to the
concurrency limit, answers in the order asked, a refused search in its own place."""

from __future__ import annotations

import threading
import time

import httpx

from onrtools.errors import ApiError
from onrtools.onr.client import OnrClient
from onrtools.onr.config import Settings
from onrtools.onr.http_policy import RetryPolicy

from .fake_onr import SERVICE, FakeOnr, _json


class SlowSearchOnr(FakeOnr):
    """Answers `/henkilo/duplikaatit` slowly with one candidate named after the search; a
    surname "Refused" gets ONR's 400. Counts how many searches were in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def api(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != SERVICE + "/henkilo/duplikaatit":
            return super().api(request)
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.05)  # long enough for the others to start: concurrency is counted
            surname = request.url.params["sukunimi"]
            if surname == "Refused":
                return _json({"status": 400, "error": "Bad Request", "message": "x"}, 400)
            return _json([{"oidHenkilo": f"1.2.246.562.24.{surname}", "etunimet": "Aino",
                           "kutsumanimi": "Aino", "sukunimi": surname}])
        finally:
            with self.lock:
                self.in_flight -= 1


def test_searches_run_in_parallel_and_answer_in_order(settings: Settings) -> None:
    fake = SlowSearchOnr()
    surnames = [f"{n:011d}" for n in range(12)]
    surnames[5] = "Refused"
    searches = [{"etunimet": "Aino", "kutsumanimi": "Aino", "sukunimi": s,
                 "syntymaaika": None} for s in surnames]
    retry = RetryPolicy(max_retries=0, sleep=lambda s: None)
    with OnrClient.from_settings(settings, retry=retry, transport=fake.transport()) as client:
        answers = client.duplikaatit_many(searches)
        assert client.duplikaatit_many([]) == []
    assert len(answers) == len(searches)
    for surname, answer in zip(surnames, answers, strict=True):
        if surname == "Refused":
            assert isinstance(answer, ApiError) and answer.status == 400
        else:
            assert not isinstance(answer, ApiError)
            assert [c.oidHenkilo for c in answer] == [f"1.2.246.562.24.{surname}"]
    assert 1 < fake.most_in_flight <= client.concurrency
