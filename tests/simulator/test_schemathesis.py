"""Property-based requests from the served OpenAPI document never make the simulator answer 5xx.

Authenticated with a bearer token (OAuth2 client credentials) for the super user, added to each
generated request as a header. Kept small (a few examples per operation, < 60 s); the `slow`
variant runs more examples.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

SERVICE = "/oppijanumerorekisteri-service"



def openapi_document() -> dict:
    """The document the simulator serves, built without a server (same app factory)."""
    from onrtools.simulator.app import create_app
    from onrtools.simulator.auth import AuthService, load_users
    from onrtools.simulator.faults import FaultInjector
    from onrtools.simulator.gateway import SimContext

    gateway = create_app(SimContext(None, AuthService(load_users()), FaultInjector()))
    return gateway.app.openapi()


# built at import: schemathesis' lazy `from_fixture` does not run under pytest 9
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def own_simulator(tmp_path_factory):
    """Its own simulator: generated writes (links, passivations) must not touch shared state."""
    from onrtools.simulator.testing import running_simulator

    with running_simulator(tmp_path_factory.mktemp("schemathesis"), population=50) as sim:
        yield sim


@pytest.fixture(scope="module")
def onr_api(own_simulator):
    simulator = own_simulator
    token = httpx.post(simulator.base_url + "/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "rekisterinpitaja",
        "client_secret": "simulator"}).json()["access_token"]
    return {"base_url": simulator.base_url, "headers": {
        "Authorization": f"Bearer {token}", "Caller-Id": "onrtools.tests.schemathesis"}}


def check(case, onr_api) -> None:
    response = case.call(base_url=onr_api["base_url"], headers=onr_api["headers"])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, onr_api):
    check(case, onr_api)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_long(case, onr_api):
    check(case, onr_api)


def test_document_lists_onr_paths_only(simulator):
    document = httpx.get(simulator.base_url + SERVICE + "/v3/api-docs").json()
    paths = set(document["paths"])
    assert SERVICE + "/oppija/tuonti={id}" in paths
    assert SERVICE + "/oppija/muuttuneet" in paths
    assert SERVICE + "/yleistunniste/hae" in paths
    assert all(p.startswith(SERVICE) for p in paths)  # no admin, CAS or OAuth2 paths
    assert document == openapi_document()  # what the property tests were generated from
    assert httpx.get(simulator.base_url + SERVICE + "/swagger-ui").status_code == 200
