"""Ticket and session lifetimes of the simulator's CAS, with a hand-moved clock (no HTTP)."""

from __future__ import annotations

import pytest

from onrtools.simulator import auth
from onrtools.simulator.auth import AuthError, AuthService, AuthSettings, load_users

CHECK = "http://127.0.0.1:1/oppijanumerorekisteri-service/j_spring_cas_security_check"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cas():
    clock = Clock()
    service = AuthService(load_users(), AuthSettings(tgt_ttl=100, st_ttl=10, session_ttl=50),
                          clock=clock)
    return service, clock


def test_service_ticket_expires(cas):
    service, clock = cas
    st = service.grant_st(service.grant_tgt("palvelu-kk1", "simulator"), CHECK)
    clock.now += 11
    with pytest.raises(AuthError) as refused:
        service.validate_st(st)
    assert refused.value.status == 401


def test_tgt_idle_timeout_is_renewed_by_use(cas):
    service, clock = cas
    tgt = service.grant_tgt("palvelu-kk2", "simulator")
    clock.now += 90
    service.grant_st(tgt, CHECK)  # use renews the idle timeout
    clock.now += 90
    service.grant_st(tgt, CHECK)
    clock.now += 101
    with pytest.raises(AuthError) as refused:
        service.grant_st(tgt, CHECK)
    assert refused.value.status == 404


def test_session_idle_expiry_then_401(cas):
    service, clock = cas
    st = service.grant_st(service.grant_tgt("rekisterinpitaja", "simulator"), CHECK)
    session = service.open_session(service.validate_st(st), st)
    clock.now += 49
    assert service.touch(session).username == "rekisterinpitaja"
    clock.now += 51
    with pytest.raises(AuthError):
        service.touch(session)
    assert service.session(session.id) is session  # still known: 401, not 302


def test_dead_sessions_are_forgotten(cas, monkeypatch):
    service, clock = cas
    monkeypatch.setattr(auth, "PRUNE_ABOVE", 3)
    user = service.users["palvelu-kk1"]
    old = [service.open_session(user, f"ST-{i}") for i in range(3)]
    clock.now += 101  # beyond twice the idle timeout
    fresh = service.open_session(user, "ST-new")
    assert all(service.session(s.id) is None for s in old)
    assert service.session(fresh.id) is fresh


def test_roles_as_cas_authorities_and_jwt_claim():
    user = load_users()["palvelu-kk1"]
    org = "1.2.246.562.10.00000000101"
    assert f"APP_OPPIJANUMEROREKISTERI_OPPIJOIDENTUONTI_{org}" in user.authorities()
    assert "APP_OPPIJANUMEROREKISTERI_OPPIJOIDENTUONTI" in user.authorities()
    caller = auth.caller_from_jwt_roles(user.oid, user.username, user.jwt_roles())
    assert caller == user.caller()
    # other services' roles and malformed claims give no rights
    other = auth.caller_from_jwt_roles("x", "y", {org: ["KOSKI_READ"], "bad": "OPPIJA"})
    assert dict(other.roles) == {}
