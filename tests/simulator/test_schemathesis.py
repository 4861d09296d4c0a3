"""The one schemathesis suite: requests generated from the served OpenAPI document.

Authenticated with a bearer token (OAuth2 client credentials) for the super user, added to each
generated request as a header. The fast variant (a few examples per operation, < 60 s) asks for
no 5xx; the broad `slow` variant runs many examples per operation and also checks every
response body and content type against the document. (Undocumented 400s are ONR's way: its
Bean Validation rules are not in its OpenAPI document either, so status-code checks are off.)
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

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
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_broad_no_server_error_and_no_schema_violation(case, onr_api):
    response = case.call(base_url=onr_api["base_url"], headers=onr_api["headers"])
    case.validate_response(response, checks=[
        checks.not_a_server_error, checks.response_schema_conformance,
        checks.content_type_conformance])


def test_document_lists_onr_paths_only(simulator):
    document = httpx.get(simulator.base_url + SERVICE + "/v3/api-docs").json()
    paths = set(document["paths"])
    assert SERVICE + "/oppija/tuonti={id}" in paths
    assert SERVICE + "/oppija/muuttuneet" in paths
    assert SERVICE + "/yleistunniste/hae" in paths
    assert all(p.startswith(SERVICE) for p in paths)  # no admin, CAS or OAuth2 paths
    assert len([r.ok() for r in schema.get_all_operations()]) >= 30  # what the suite covers
    assert document == openapi_document()  # what the property tests were generated from
    assert httpx.get(simulator.base_url + SERVICE + "/swagger-ui").status_code == 200
