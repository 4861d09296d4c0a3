"""CAS and OAuth2 as ONR's clients see them (REST.md §2), over real HTTP to the simulator."""

from __future__ import annotations

import httpx
import jwt
import pytest

SERVICE = "/oppijanumerorekisteri-service"
CHECK = SERVICE + "/j_spring_cas_security_check"
KK1_ORG = "1.2.246.562.10.00000000101"


def tgt(
    client: httpx.Client, username: str = "palvelu-kk1", password: str = "simulator",
) -> httpx.Response:
    return client.post("/cas/v1/tickets", data={"username": username, "password": password})


def service_ticket(client: httpx.Client, sim, username: str = "palvelu-kk1") -> str:
    granted = tgt(client, username)
    assert granted.status_code == 201
    st = client.post(granted.headers["location"], data={"service": sim.base_url + CHECK})
    assert st.status_code == 200
    return st.text


@pytest.fixture
def client(simulator):
    with httpx.Client(base_url=simulator.base_url, timeout=30) as c:
        yield c


def test_tgt_location_and_bad_credentials(client, simulator):
    granted = tgt(client)
    assert granted.status_code == 201
    location = granted.headers["location"]
    assert location.startswith(simulator.base_url + "/cas/v1/tickets/TGT-")
    assert tgt(client, password="wrong").status_code == 401
    assert tgt(client, username="nobody").status_code == 401
    assert client.post("/cas/v1/tickets/TGT-unknown", data={"service": "x"}).status_code == 404


def test_service_ticket_opens_session_once(client, simulator):
    st = service_ticket(client, simulator)
    assert st.startswith("ST-")
    opened = client.get(CHECK, params={"ticket": st})
    assert opened.status_code == 302
    assert opened.headers["location"] == simulator.base_url + SERVICE + "/"
    assert "JSESSIONID" in client.cookies
    assert client.get(SERVICE + "/cas/prequel").text == "ok"
    assert client.post(SERVICE + "/cas/prequel").status_code == 200
    # the ticket is single use, even from another client
    with httpx.Client(base_url=simulator.base_url) as other:
        assert other.get(CHECK, params={"ticket": st}).status_code == 401
        assert "JSESSIONID" not in other.cookies


def test_ticket_for_another_service_is_refused(client, simulator):
    granted = tgt(client)
    st = client.post(granted.headers["location"], data={"service": "https://elsewhere/x"}).text
    assert client.get(CHECK, params={"ticket": st}).status_code == 401


def test_no_session_redirects_to_cas_login(client, simulator):
    response = client.get(SERVICE + "/oppija/muuttuneet")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(simulator.base_url + "/cas/login?service=")
    assert "j_spring_cas_security_check" in location
    # an unknown session cookie is no session
    client.cookies.set("JSESSIONID", "FFFF", domain="127.0.0.1")
    assert client.get(SERVICE + "/cas/prequel").status_code == 302


def test_cas_security_ticket_header_and_get_query(client, simulator):
    st = service_ticket(client, simulator)
    answered = client.post(SERVICE + "/cas/prequel", headers={"CasSecurityTicket": st})
    assert answered.status_code == 200
    assert "JSESSIONID" in answered.headers["set-cookie"]
    # ?ticket= works on GET only; on POST it is ignored (302 to login)
    with httpx.Client(base_url=simulator.base_url) as fresh:
        st2 = service_ticket(fresh, simulator)
        assert fresh.post(SERVICE + "/cas/prequel", params={"ticket": st2}).status_code == 302
        assert fresh.get(SERVICE + "/cas/prequel", params={"ticket": st2}).status_code == 200
        assert fresh.get(SERVICE + "/cas/prequel").status_code == 200  # session kept


def test_session_expires_after_n_requests(fresh_simulator):
    sim = fresh_simulator(population=0, faults={"session_expiry_after": 2})
    with httpx.Client(base_url=sim.base_url) as c:
        c.get(CHECK, params={"ticket": service_ticket(c, sim)})
        assert [c.get(SERVICE + "/cas/prequel").status_code for _ in range(3)] == [200, 200, 401]
        body = c.get(SERVICE + "/cas/prequel").json()
        assert set(body) == {"timestamp", "status", "error", "path"}
        assert body["status"] == 401
        # the reference clients' answer to 401: log in again, then it works
        c.get(CHECK, params={"ticket": service_ticket(c, sim)})
        assert c.get(SERVICE + "/cas/prequel").status_code == 200


def test_admin_expires_every_session(fresh_simulator):
    sim = fresh_simulator(population=0)
    with httpx.Client(base_url=sim.base_url) as c:
        c.get(CHECK, params={"ticket": service_ticket(c, sim)})
        assert c.get(SERVICE + "/cas/prequel").status_code == 200
        assert sim.admin("POST", "/expire-sessions")["expired"] >= 1
        assert c.get(SERVICE + "/cas/prequel").status_code == 401


def test_oauth2_client_credentials(client, simulator):
    token = client.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "palvelu-kk1",
        "client_secret": "simulator"})
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["roles"] == {KK1_ORG: [
        "OPPIJANUMEROREKISTERI_OPPIJOIDENTUONTI", "OPPIJANUMEROREKISTERI_TUONTIDATA_READ",
        "OPPIJANUMEROREKISTERI_YLEISTUNNISTE_LUONTI"]}
    assert claims["iss"].endswith("/kayttooikeus-service")
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    with httpx.Client(base_url=simulator.base_url) as stateless:
        assert stateless.get(SERVICE + "/cas/prequel", headers=bearer).status_code == 200
        assert "JSESSIONID" not in stateless.cookies
    # same endpoint under the issuer's path
    alias = client.post("/kayttooikeus-service/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "rekisterinpitaja",
        "client_secret": "simulator"})
    assert alias.status_code == 200


def test_oauth2_refusals(client, simulator):
    wrong = client.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "palvelu-kk1", "client_secret": "x"})
    assert wrong.status_code == 401
    grant = client.post("/oauth2/token", data={"grant_type": "password"})
    assert grant.status_code == 400
    forged = jwt.encode({"sub": "1.2.246.562.24.1", "exp": 9999999999, "roles": {}},
                        "not-the-simulator-secret-but-32-bytes", algorithm="HS256")
    refused = client.get(SERVICE + "/cas/prequel", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["www-authenticate"]


def test_strict_caller_id(fresh_simulator):
    sim = fresh_simulator(population=0, strict_caller_id=True)
    with httpx.Client(base_url=sim.base_url) as c:
        c.get(CHECK, params={"ticket": service_ticket(c, sim)},
              headers={"Caller-Id": "1.2.246.562.10.00000000101.test"})
        missing = c.get(SERVICE + "/cas/prequel")
        assert missing.status_code == 400
        assert "Caller-Id" in missing.json()["message"]
        ok = c.get(SERVICE + "/cas/prequel",
                   headers={"Caller-Id": "1.2.246.562.10.00000000101.test"})
        assert ok.status_code == 200
        # the OpenAPI document stays public
        assert c.get(SERVICE + "/v3/api-docs").status_code == 200
    log = sim.admin("GET", "/requests?limit=10")["requests"]
    prequels = [e for e in log if e["path"] == SERVICE + "/cas/prequel"]
    assert [(e["status"], e["callerId"]) for e in prequels] == [
        (400, None), (200, "1.2.246.562.10.00000000101.test")]
    assert prequels[-1]["user"] == "palvelu-kk1"
    everything = sim.admin("GET", "/requests?limit=1000")["requests"]
    assert "/cas/v1/tickets/{TGT}" in {e["path"] for e in everything}
    for entry in everything:  # no query strings, tickets or TGTs kept
        assert "?" not in entry["path"] and "TGT-" not in entry["path"]
        assert "ST-" not in entry["path"]


def test_ticket_for_the_same_path_on_another_host_is_refused(client, simulator):
    """CAS compares the whole service URL: a client configured with the wrong environment's
    host gets tickets that ONR refuses; comparing the path alone let it pass locally."""
    granted = tgt(client)
    port = simulator.base_url.rsplit(":", 1)[1]
    for wrong in (f"http://localhost:{port}{CHECK}",  # same server, other host name
                  f"https://127.0.0.1:{port}{CHECK}",  # other scheme
                  f"http://virkailija.testiopintopolku.fi{CHECK}"):
        st = client.post(granted.headers["location"], data={"service": wrong}).text
        assert client.get(CHECK, params={"ticket": st}).status_code == 401, wrong
    right = client.post(granted.headers["location"],
                        data={"service": simulator.base_url.upper().replace("HTTP://", "http://")
                              + CHECK}).text
    assert client.get(CHECK, params={"ticket": right}).status_code == 302  # host case ignored
