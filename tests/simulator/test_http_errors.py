"""ONR's error bodies (REST §3.3), paging limits (§3.4) and date-time parameters (§3.2)."""

from __future__ import annotations

import pytest

SERVICE = "/oppijanumerorekisteri-service"
STANDARD = {"timestamp", "status", "error", "exception", "message", "path"}
SERVLET = {"timestamp", "status", "error", "path"}


@pytest.fixture(scope="module")
def kk1(simulator):
    client = simulator.login("palvelu-kk1")
    yield client
    client.close()


@pytest.fixture(scope="module")
def registrar(simulator):
    client = simulator.login("rekisterinpitaja")
    yield client
    client.close()


def test_count_over_10000_is_400(kk1):
    response = kk1.get(SERVICE + "/oppija/muuttuneet", params={"count": 10001})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == STANDARD
    assert body["exception"] == "jakarta.validation.ConstraintViolationException"
    assert "10000" in body["message"]
    assert body["path"] == SERVICE + "/oppija/muuttuneet"
    assert kk1.get(SERVICE + "/oppija/muuttuneet", params={"count": 10000}).status_code == 200
    assert kk1.get(SERVICE + "/oppija/muuttuneet", params={"page": 0}).status_code == 400


@pytest.mark.parametrize("value", ["2017-09-05T10:04:59Z", "2024-01-01T00:00:00+02:00",
                                   "2024-01-01", "1704067200000"])
def test_date_time_forms_accepted(kk1, value):
    response = kk1.get(SERVICE + "/oppija/muuttuneet", params={"muokattuJalkeen": value})
    assert response.status_code == 200


def test_date_time_forms_agree(kk1, registrar):
    """A date is the start of that day in Helsinki; epoch ms and ISO name the same instant."""
    def total(value: str) -> int:
        page = registrar.get(SERVICE + "/oppija/muuttuneet",
                             params={"muokattuJalkeen": value, "count": 1})
        return int(page.json()["totalElements"])

    assert total("2024-01-01") == total("2023-12-31T22:00:00Z") == total("1704060000000")


def test_bad_date_time_is_400(kk1):
    response = kk1.get(SERVICE + "/oppija/muuttuneet", params={"muokattuJalkeen": "eilen"})
    assert response.status_code == 400
    assert set(response.json()) == STANDARD


def test_not_found_uses_the_servlet_body(registrar):
    response = registrar.get(SERVICE + "/henkilo/1.2.246.562.98.00000000000")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == SERVLET
    assert body == {**body, "status": 404, "error": "Not Found",
                    "path": SERVICE + "/henkilo/1.2.246.562.98.00000000000"}
    unknown_path = registrar.get(SERVICE + "/no-such-endpoint")
    assert unknown_path.status_code == 404 and set(unknown_path.json()) == SERVLET


def test_missing_role_is_401_not_403(kk1):
    response = kk1.delete(SERVICE + "/henkilo/1.2.246.562.98.1/unlink/1.2.246.562.98.2")
    assert response.status_code == 401
    assert set(response.json()) == SERVLET


def test_bean_validation_400_has_onrs_real_shape_with_values_in_the_message(kk1):
    """ONR's GlobalExceptionHandler answers a failed @Valid with the standard body only: no
    fieldErrors; the message is Spring's, starting with the handler signature and echoing the
    rejected values (hetus included)."""
    body = {"henkilot": [{"tunniste": "x", "henkilo": {
        "hetu": "010101-900S", "etunimet": "", "kutsumanimi": "A", "sukunimi": "B",
        "kansalaisuus": [{"koodi": "246"}]}}]}
    response = kk1.put(SERVICE + "/oppija", json=body)
    assert response.status_code == 400
    answer = response.json()
    assert set(answer) == STANDARD
    assert answer["exception"] == "org.springframework.web.bind.MethodArgumentNotValidException"
    message = answer["message"]
    assert message.startswith(
        "Validation failed for argument [0] in public fi.vm.sade.oppijanumerorekisteri.dto."
        "OppijaTuontiPerustiedotReadDto fi.vm.sade.oppijanumerorekisteri.controllers."
        "OppijaController.create(fi.vm.sade.oppijanumerorekisteri.dto.OppijaTuontiCreateDto) "
        "with 2 errors: [Field error in object 'oppijaTuontiCreateDto' on field '")
    assert "on field 'henkilot[0].henkilo.etunimet': rejected value []" in message
    assert "on field 'henkilot[0].henkilo.hetu': rejected value [010101-900S]" in message


def test_service_validation_400_keeps_field_errors(kk1):
    """UnprocessableEntityException (code sets, hetu for Finns) still carries the lists."""
    body = {"henkilot": [{"tunniste": "x", "henkilo": {
        "etunimet": "A", "kutsumanimi": "A", "sukunimi": "B", "passinumero": "P1",
        "kansalaisuus": [{"koodi": "246"}]}}]}
    response = kk1.put(SERVICE + "/oppija", json=body)
    assert response.status_code == 400
    answer = response.json()
    assert STANDARD <= set(answer)
    assert [e["code"] for e in answer["fieldErrors"]] == ["hetu.required.for.finnish"]
    assert isinstance(answer["globalErrors"], list)


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'{"henkilot": {"a": 1}}', b""])
def test_unreadable_bodies_are_400(kk1, payload):
    response = kk1.put(SERVICE + "/oppija", content=payload,
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["exception"].endswith("HttpMessageNotReadableException")


def test_wrong_path_parameter_types_are_400(kk1):
    for path in ("/oppija/tuonti=abc", "/oppija/tuonti=99999999999999999999",
                 "/oppija/tuontidata/x"):
        response = kk1.get(SERVICE + path)
        assert response.status_code == 400, path
        assert set(response.json()) == STANDARD


def test_trailing_slash_is_stripped(kk1):
    assert kk1.get(SERVICE + "/oppija/yhteenveto/").status_code == 200
    assert kk1.get(SERVICE + "/cas/prequel/").text == "ok"


def test_post_oppija_answers_bare_oid(kk1):
    response = kk1.post(SERVICE + "/oppija", json={
        "etunimet": "Olli Oskari", "kutsumanimi": "Olli", "sukunimi": "Oidinen",
        "syntymaaika": "2001-02-03", "sukupuoli": "1", "kansalaisuus": [
            {"kansalaisuusKoodi": "752"}]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("1.2.246.562.98.") and '"' not in response.text
