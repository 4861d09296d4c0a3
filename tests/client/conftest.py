"""Fixtures for the client tests: a FakeOnr behind httpx.MockTransport, and a client on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onrtools.onr.client import OnrClient
from onrtools.onr.config import Settings
from onrtools.onr.http_policy import RetryPolicy
from tests.client.fake_onr import BASE, PASSWORD, FakeOnr

CALLER_ID = "1.2.246.562.10.00000000101.onrtools-tests"


@pytest.fixture
def fake() -> FakeOnr:
    return FakeOnr()


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(env_files=(), base_url=BASE, username="palvelu-test",
                             password=PASSWORD, caller_id=CALLER_ID, max_retries=3)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeOnr, settings: Settings, sleeps: list[float]) -> Iterator[OnrClient]:
    retry = RetryPolicy(max_retries=3, sleep=sleeps.append)
    with OnrClient.from_settings(settings, retry=retry, transport=fake.transport()) as c:
        yield c
