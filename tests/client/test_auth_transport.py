"""CAS/OAuth2 flows, conventional headers, retries and error mapping, over MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from onrtools.errors import (
    AmbiguousSend,
    ApiError,
    AuthError,
    NotFound,
    RegistryUnavailable,
)
from onrtools.onr.auth import OAuth2Auth
from onrtools.onr.client import OnrClient
from onrtools.onr.config import Settings
from onrtools.onr.http_policy import RetryPolicy, redact
from tests.client.conftest import CALLER_ID
from tests.client.fake_onr import BASE, PASSWORD, SERVICE, FakeOnr, raise_, status


def _oauth2_client(handler: Callable[[httpx.Request], httpx.Response]) -> OnrClient:
    """An OnrClient with OAuth2 (client ``kk``, Caller-Id ``cid``) against ``handler``."""
    auth = OAuth2Auth(token_url=BASE + "/oauth2/token", client_id="kk", client_secret="sec",
                      caller_id="cid")
    http = httpx.Client(base_url=BASE + SERVICE, auth=auth,
                        transport=httpx.MockTransport(handler))
    return OnrClient(http, retry=RetryPolicy(sleep=lambda s: None))

def test_cas_login_and_conventional_headers_on_every_request(
    fake: FakeOnr, client: OnrClient
) -> None:
    client.tuontikooste()
    client.tuontikooste()
    assert fake.tgt_requests == 1 and fake.st_requests == 1
    paths = [r.url.path for r in fake.requests]
    assert paths[:3] == ["/cas/v1/tickets", "/cas/v1/tickets/" + next(iter(fake.tgts)),
                         SERVICE + "/j_spring_cas_security_check"]
    for r in fake.requests:
        assert r.headers["Caller-Id"] == CALLER_ID
        assert r.headers["CSRF"] == "CSRF"
        assert "CSRF=CSRF" in r.headers["Cookie"]
    api = [r for r in fake.requests if r.url.path.endswith("tuontikooste")]
    assert all("JSESSIONID=SESS" in r.headers["Cookie"] for r in api)


def test_session_expiry_relogs_in_once_reusing_the_tgt(fake: FakeOnr, client: OnrClient) -> None:
    client.tuontikooste()
    auth = client.http.auth
    assert auth.logins == 1  # type: ignore[union-attr]
    fake.expire_sessions()
    client.tuontikooste()
    assert auth.logins == 2  # type: ignore[union-attr]
    assert fake.tgt_requests == 1  # the TGT was reused for the new service ticket
    assert fake.st_requests == 2


def test_stale_tgt_is_replaced(fake: FakeOnr, client: OnrClient) -> None:
    client.tuontikooste()
    fake.expire_sessions()
    fake.tgts.clear()
    client.tuontikooste()
    assert fake.tgt_requests == 2


def test_persistent_401_on_an_older_session_relogs_in_once_then_names_the_right(
    fake: FakeOnr, client: OnrClient
) -> None:
    client.tuontikooste()  # the session works
    fake.faults = [status(401), status(401)]
    with pytest.raises(AuthError, match="OPPIJOIDENTUONTI") as err:
        client.tuontikooste()
    assert client.http.auth.logins == 2  # type: ignore[union-attr]  # exactly one re-login
    assert PASSWORD not in str(err.value)


def test_401_right_after_a_fresh_login_names_the_missing_right_without_another_login(
    fake: FakeOnr, client: OnrClient
) -> None:
    """ONR answers a missing right with 401 (never 403): a session opened for this very call
    that is refused is not expired, and logging in again would only repeat the refusal."""
    fake.deny_tuontidata = True
    with pytest.raises(AuthError, match="APP_OPPIJANUMEROREKISTERI_TUONTIDATA_READ") as err:
        client.tuontidata(7)
    auth = client.http.auth
    assert auth.logins == 1 and fake.st_requests == 1  # type: ignore[union-attr]
    assert "GET /oppija/tuontidata/{id}" in str(err.value) and PASSWORD not in str(err.value)
    client.tuontikooste()  # the session itself is fine
    with pytest.raises(AuthError, match="TUONTIDATA_READ"):
        client.tuontidata(8)  # refused before on this session: no new login either
    assert auth.logins == 1 and fake.st_requests == 1  # type: ignore[union-attr]
    fake.expire_sessions()
    client.tuontikooste()  # a real expiry still logs in again
    assert auth.logins == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "template", "right"), [
    ("PUT", "/oppija", "OPPIJOIDENTUONTI"),
    ("GET", "/oppija/tuonti={id}/perustiedot", "OPPIJOIDENTUONTI"),
    ("PUT", "/yleistunniste", "YLEISTUNNISTE_LUONTI"),
    ("POST", "/yleistunniste/hae", "YLEISTUNNISTE_LUONTI"),
    ("GET", "/oppija/tuontidata/{id}", "TUONTIDATA_READ"),
    ("POST", "/henkilo/{oid}/forcelink", "YKSILOINNIN_PURKU"),
    ("DELETE", "/henkilo/{oid}/unlink/{oid}", "_REKISTERINPITAJA"),
    ("POST", "/henkilo/henkiloPerustietosByHenkiloOidList", "HENKILON_RU"),
])
def test_likely_right_per_call(method: str, template: str, right: str) -> None:
    from onrtools.onr.auth import likely_right

    assert right in likely_right(method, template)


def test_bad_credentials(fake: FakeOnr, settings: Settings) -> None:
    bad = settings.model_copy(update={"password": SecretStr("wrong-password-123")})
    with OnrClient.from_settings(bad, transport=fake.transport()) as c:
        with pytest.raises(AuthError) as err:
            c.tuontikooste()
    assert "wrong-password-123" not in str(err.value)
    assert "palvelu-test" in str(err.value)


def test_503_on_a_read_is_retried_then_api_error(
    fake: FakeOnr, client: OnrClient, sleeps: list[float]
) -> None:
    fake.faults = [status(503)] * 4
    with pytest.raises(ApiError) as err:
        client.tuontikooste()
    assert err.value.status == 503
    assert len(sleeps) == 3  # max_retries=3: four attempts, three backoffs
    assert all(0 < s <= 8.0 for s in sleeps)
    assert sleeps[0] < sleeps[2] or sleeps[2] <= 8.0  # grows, capped


def test_500_on_a_read_is_retried_and_succeeds(fake: FakeOnr, client: OnrClient) -> None:
    fake.faults = [status(500), status(502), raise_(httpx.ReadError)]
    page = client.tuontikooste()
    assert page.totalElements == 0
    retried = [g for g in client.recorder.summary() if g["retries"]]
    assert retried, "retries are visible in the call evidence"


def test_timeout_is_registry_unavailable(fake: FakeOnr, client: OnrClient) -> None:
    fake.faults = [raise_(httpx.ReadTimeout)] * 4
    with pytest.raises(RegistryUnavailable, match="timed out"):
        client.tuontikooste()


def test_put_is_not_retried_on_5xx_or_timeout(fake: FakeOnr, client: OnrClient) -> None:
    body = {"henkilot": [{"tunniste": "a", "henkilo": {"hetu": "010190-9981"}}]}
    fake.faults = [status(503)]
    with pytest.raises(AmbiguousSend):
        client.put_oppija(body)
    fake.faults = [raise_(httpx.ReadTimeout)]
    with pytest.raises(AmbiguousSend):
        client.put_oppija(body)
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert len(puts) == 2  # one per call: nothing resent blindly


def test_put_is_retried_when_it_never_left(fake: FakeOnr, client: OnrClient) -> None:
    client.tuontikooste()  # logged in
    fake.faults = [raise_(httpx.ConnectError), status(429)]
    result = client.put_oppija({"henkilot": [{"tunniste": "a", "henkilo": {"oid": "x"}}]})
    assert result.kasiteltavia == 1 and len(fake.tuontis) == 1


def test_not_found_and_messages_hold_no_secrets(fake: FakeOnr, client: OnrClient) -> None:
    hetu = "131052-9086"
    fake.faults = [status(404, {"status": 404, "message": f"hetu {hetu} ei löydy, ticket=ST-77-x",
                                "path": f"/henkilo/hetu={hetu}"})]
    with pytest.raises(NotFound) as err:
        client.get_henkilo("1.2.246.562.98.12345678901")
    text = str(err.value) + repr(err.value.detail)
    assert hetu not in text and "131052-****" in text
    assert "ST-77" not in text and "12345678901" not in err.value.path


def test_redact() -> None:
    text = ("TGT-12-abc ST-3-xyz JSESSIONID=abc123; password=hunter2 Bearer eyJ.x.y "
            "hetut 131052-9086 ja 010594Y9032")
    clean = redact(text)
    for secret in ("TGT-12-abc", "ST-3-xyz", "abc123", "hunter2", "eyJ.x.y", "9086", "9032"):
        assert secret not in clean
    assert "131052-****" in clean


def test_link_is_a_dry_run_unless_executed(fake: FakeOnr, client: OnrClient) -> None:
    plan = client.link("1.2.246.562.98.1", ["1.2.246.562.98.2"])
    assert not plan.executed and plan.body == ["1.2.246.562.98.2"]
    assert "DRY RUN" in plan.describe()
    plan = client.unlink("1.2.246.562.98.1", "1.2.246.562.98.2")
    assert plan.method == "DELETE" and not plan.executed
    assert fake.requests == []  # nothing went out, not even a login


def test_oauth2_token_cached_and_refreshed_once() -> None:
    tokens: list[str] = []
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            assert b"grant_type=client_credentials" in request.content
            tokens.append(f"tok{len(tokens)}")
            return httpx.Response(200, json={"access_token": tokens[-1], "expires_in": 600,
                                             "token_type": "bearer"})
        seen.append(request.headers["Authorization"])
        assert request.headers["Caller-Id"] == "cid"
        if request.headers["Authorization"] == "Bearer tok0" and len(seen) > 1:
            return httpx.Response(401)
        return httpx.Response(200, json={"content": []})

    c = _oauth2_client(handler)
    c.tuontikooste()
    c.tuontikooste()  # tok0 now refused → one refresh → tok1
    assert tokens == ["tok0", "tok1"]
    assert seen == ["Bearer tok0", "Bearer tok0", "Bearer tok1"]
    assert "sec" not in repr(c.http.auth)


def test_transient_answer_to_the_ticket_check_is_retried_with_a_fresh_ticket(monkeypatch) -> None:
    """A gateway's 503 on j_spring_cas_security_check must not fail a nightly run."""
    import httpx as _httpx

    from onrtools.onr import auth as auth_module
    from onrtools.onr.auth import CasAuth

    monkeypatch.setattr(auth_module.time, "sleep", lambda _s: None)
    tickets: list[str] = []
    checks = {"n": 0}

    def handler(request: _httpx.Request) -> _httpx.Response:
        path = request.url.path
        if path == "/cas/v1/tickets":
            return _httpx.Response(201, headers={"location": "http://x/cas/v1/tickets/TGT-1"})
        if path.startswith("/cas/v1/tickets/"):
            tickets.append(f"ST-{len(tickets) + 1}")
            return _httpx.Response(200, text=tickets[-1])
        if path.endswith("/j_spring_cas_security_check"):
            checks["n"] += 1
            if checks["n"] <= 2:
                return _httpx.Response(503)
            return _httpx.Response(302, headers={"set-cookie": "JSESSIONID=s1; Path=/",
                                                 "location": "/"})
        assert "JSESSIONID=s1" in request.headers["cookie"]
        return _httpx.Response(200, json={"ok": True})

    cas = CasAuth(cas_url="http://x/cas", service_url="http://x/oppijanumerorekisteri-service",
                  username="u", password="pw-secret", caller_id="c")
    with _httpx.Client(transport=_httpx.MockTransport(handler), auth=cas) as client:
        assert client.get("http://x/oppijanumerorekisteri-service/henkilo/1").json() == {"ok": True}
    assert checks["n"] == 3 and tickets == ["ST-1", "ST-2", "ST-3"]  # a new ticket each time
    assert cas.logins == 1


def test_ticket_check_refused_for_good_is_an_auth_error_without_retries() -> None:
    import httpx as _httpx

    from onrtools.errors import AuthError
    from onrtools.onr.auth import CasAuth

    calls = {"n": 0}

    def handler(request: _httpx.Request) -> _httpx.Response:
        if request.url.path == "/cas/v1/tickets":
            return _httpx.Response(201, headers={"location": "http://x/cas/v1/tickets/TGT-1"})
        if request.url.path.startswith("/cas/v1/tickets/"):
            return _httpx.Response(200, text="ST-1")
        calls["n"] += 1
        return _httpx.Response(400)

    cas = CasAuth(cas_url="http://x/cas", service_url="http://x/oppijanumerorekisteri-service",
                  username="u", password="pw-secret", caller_id="c")
    with _httpx.Client(transport=_httpx.MockTransport(handler), auth=cas) as client:
        with pytest.raises(AuthError) as err:
            client.get("http://x/oppijanumerorekisteri-service/henkilo/1")
    assert calls["n"] == 1 and "pw-secret" not in str(err.value) and "ST-1" not in str(err.value)


@pytest.mark.parametrize("message", [
    # Jackson echoes the unreadable value; a lower-case hetu is still a hetu
    'JSON parse error: Cannot deserialize value of type `java.time.LocalDate` from String '
    '"Zyxwvu 010190-901r": Failed to deserialize',
    # the database echoes the duplicate key
    "could not execute statement; Key (passinumero)=(ZYXWVU-123) already exists",
    # a hetu straddling the old 300-character cut
    "x" * 295 + " rejected value [010190-901R]; codes [ValidateHetu]",
    # Spring's bean-validation text: signature, then every rejected value
    "Validation failed for argument [0] in public java.lang.String fi.X.create(fi.Y) with 2 "
    "errors: [Field error in object 'y' on field 'henkilot[0].henkilo.etunimet': rejected value "
    "[Zyxwvu]; codes [Pattern.y.henkilot[0].henkilo.etunimet,Pattern]; arguments [org.spring"
    "framework.context.support.DefaultMessageSourceResolvable: codes [y.henkilot[0].henkilo."
    "etunimet]; arguments []; default message [henkilot[0].henkilo.etunimet]]; default message "
    "[Invalid pattern]] [Field error in object 'y' on field 'henkilot[1].henkilo.hetu': rejected "
    "value [010190-901R]; codes [ValidateHetu]; arguments []; default message [invalid.hetu]] ",
])
def test_onr_error_text_is_masked_before_it_is_kept(message: str) -> None:
    from onrtools.onr.http_policy import error_detail

    response = httpx.Response(400, json={"timestamp": 1, "status": 400, "error": "Bad Request",
                                         "exception": "x", "message": message, "path": "/p"})
    detail = error_detail(response)
    assert detail
    for secret in ("010190-901", "010190-90", "Zyxwvu", "ZYXWVU"):
        assert secret.lower() not in detail.lower(), (secret, detail)
    err = ApiError(400, "PUT", "/oppija", message)  # built by hand: masked all the same
    assert "010190-901" not in str(err) and "Zyxwvu" not in str(err)


def test_bean_validation_text_keeps_field_and_rule() -> None:
    from onrtools.errors import mask_registry_text

    text = ("Validation failed for argument [0] in public X fi.C.create(fi.D): [Field error in "
            "object 'd' on field 'henkilot[0].henkilo.hetu': rejected value [010190-901R]; codes "
            "[ValidateHetu.d.henkilot[0].henkilo.hetu,ValidateHetu]; arguments [r: codes [d.h]; "
            "arguments []; default message [henkilot[0].henkilo.hetu]]; default message "
            "[invalid.hetu]] ")
    assert mask_registry_text(text) == (
        "bean validation failed (1 errors): henkilot[0].henkilo.hetu: ValidateHetu (invalid.hetu)")


def test_http_logs_keep_working_and_hold_no_ticket(caplog: pytest.LogCaptureFixture) -> None:
    """The redaction filter once turned httpx's ``%d`` argument into text: every log line
    failed to format. Child loggers (httpcore.http11) log headers with the TGT at DEBUG."""
    import logging

    from onrtools.onr.http_policy import install_log_redaction

    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "GET",
                                    "http://h/x?ticket=ST-123-abc", "HTTP/1.1", 200, "OK")
    logging.getLogger("httpcore.http11").debug(
        "receive_response_headers.complete return_value=%r",
        (b"HTTP/1.1", 201, [(b"location", b"http://h/cas/v1/tickets/TGT-99-secret")]))
    assert 'GET http://h/x?ticket=*** "HTTP/1.1 200 OK"' in caplog.text
    assert "TGT-99" not in caplog.text and "ST-123" not in caplog.text


def test_long_reads_get_their_own_settable_timeout(fake: FakeOnr, settings: Settings) -> None:
    """A 10,000-entry feed page, a 5,000-row result or a duplicate search outlasts the 30 s
    meant for ordinary calls; they are sent with ``long_timeout``, the rest with ``timeout``."""
    slow = settings.model_copy(update={"timeout": 7.0, "long_timeout": 240.0})
    seen: dict[str, float] = {}
    handle = fake.handle

    def record(request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path.removeprefix(SERVICE)}"
        seen[key] = request.extensions.get("timeout", {}).get("read")
        return handle(request)

    with OnrClient.from_settings(slow, transport=httpx.MockTransport(record)) as c:
        tuonti = c.put_oppija({"henkilot": [{"tunniste": "a", "henkilo": {"oid": "x"}}]})
        c.get_perustiedot(tuonti.id)
        c.get_tuonti_results(tuonti.id)
        c.muuttuneet_lean(count=10_000)
        c.tuontikooste()
        assert c.long_timeout == 240.0
        c.long_timeout = 600.0  # settable per client
        c.tuontidata(tuonti.id)
    reads = seen
    assert reads["PUT /oppija"] == 7.0 and reads["GET /oppija/tuontikooste"] == 7.0
    assert reads[f"GET /oppija/tuonti={tuonti.id}/perustiedot"] == 7.0
    assert reads[f"GET /oppija/tuonti={tuonti.id}"] == 240.0
    assert reads["GET /oppija/muuttuneet"] == 240.0
    assert reads[f"GET /oppija/tuontidata/{tuonti.id}"] == 600.0


def test_long_timeout_from_the_environment() -> None:
    s = Settings.from_env(environ={"ONR_LONG_TIMEOUT": "300", "ONR_CALLER_ID": "c"},
                          env_files=())
    assert s.long_timeout == 300.0 and s.timeout == 30.0


def test_oauth2_401_with_a_fresh_token_names_the_right_without_another_token() -> None:
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            tokens.append(f"tok{len(tokens)}")
            return httpx.Response(200, json={"access_token": tokens[-1], "expires_in": 600})
        if request.url.path.endswith("/yleistunniste/hae"):
            return httpx.Response(401)  # the token is fine; the right is missing
        if request.url.path.endswith("/oppija/tuontikooste"):
            return httpx.Response(401, headers={"WWW-Authenticate":
                                                'Bearer error="invalid_token"'})
        return httpx.Response(200, json={"content": []})

    c = _oauth2_client(handler)
    with pytest.raises(AuthError, match="APP_OPPIJANUMEROREKISTERI_YLEISTUNNISTE_LUONTI"):
        c.yleistunniste_hae(hetu="010190-901R", etunimet="A", kutsumanimi="A", sukunimi="B")
    assert tokens == ["tok0"]
    with pytest.raises(AuthError, match="YLEISTUNNISTE_LUONTI"):  # refused before: no refetch
        c.yleistunniste_hae(hetu="010190-901R", etunimet="A", kutsumanimi="A", sukunimi="B")
    assert tokens == ["tok0"]
    with pytest.raises(AuthError, match="invalid_token"):  # an old token: one refetch first
        c.tuontikooste()
    assert tokens == ["tok0", "tok1"]
