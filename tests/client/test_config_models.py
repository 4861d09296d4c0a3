"""Settings (env, .secrets, presets, masking, production guard) and the models vs fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onrtools.errors import ConfigError
from onrtools.onr.calls import CallRecorder, path_template
from onrtools.onr.config import Settings
from onrtools.onr.models import (
    Henkilo,
    HenkiloDuplicate,
    Identification,
    Yksilointitieto,
)
from tests.paths import FIXTURES

CALLER = "1.2.246.562.10.00000000101.tests"


def test_caller_id_is_required() -> None:
    with pytest.raises(ConfigError, match="ONR_CALLER_ID"):
        Settings.from_env(environ={}, env_files=())


def test_local_defaults_to_the_simulator_and_its_default_user() -> None:
    s = Settings.from_env(environ={"ONR_CALLER_ID": CALLER}, env_files=())
    assert s.env == "local"
    assert s.service_url == "http://127.0.0.1:8765/oppijanumerorekisteri-service"
    assert s.cas_url == "http://127.0.0.1:8765/cas"
    assert s.username == "palvelu-kk1"


@pytest.mark.parametrize("env,host", [
    ("untuva", "https://virkailija.untuvaopintopolku.fi"),
    ("hahtuva", "https://virkailija.hahtuvaopintopolku.fi"),
    ("testi", "https://virkailija.testiopintopolku.fi"),
    ("qa", "https://virkailija.testiopintopolku.fi"),
])
def test_presets(env: str, host: str) -> None:
    s = Settings.from_env(environ={"ONR_ENV": env, "ONR_CALLER_ID": CALLER,
                                   "ONR_USERNAME": "u", "ONR_PASSWORD": "p"}, env_files=())
    assert s.base_url == host
    assert s.cas_url == host + "/cas"
    assert s.service_url == host + "/oppijanumerorekisteri-service"


def test_real_environment_needs_credentials() -> None:
    with pytest.raises(ConfigError, match="ONR_USERNAME"):
        Settings.from_env(environ={"ONR_ENV": "testi", "ONR_CALLER_ID": CALLER}, env_files=())


def test_production_needs_explicit_opt_in() -> None:
    env = {"ONR_ENV": "prod", "ONR_CALLER_ID": CALLER, "ONR_USERNAME": "u",
           "ONR_PASSWORD": "hunter2"}
    with pytest.raises(ConfigError, match="ONR_ALLOW_PRODUCTION") as err:
        Settings.from_env(environ=env, env_files=())
    assert "hunter2" not in str(err.value)
    s = Settings.from_env(environ={**env, "ONR_ALLOW_PRODUCTION": "yes"}, env_files=())
    assert s.is_production and s.base_url == "https://virkailija.opintopolku.fi"
    # an explicit URL pointing at production is production too
    with pytest.raises(ConfigError):
        Settings.from_env(environ={"ONR_CALLER_ID": CALLER, "ONR_USERNAME": "u",
                                   "ONR_PASSWORD": "p",
                                   "ONR_BASE_URL": "https://virkailija.opintopolku.fi/"},
                          env_files=())


def test_secrets_file_env_and_overrides(tmp_path: Path) -> None:
    secrets = tmp_path / ".secrets"
    secrets.write_text("# credentials\nONR_USERNAME=from-file\nONR_PASSWORD='pw from file'\n"
                       f"ONR_CALLER_ID={CALLER}\nONR_ENV=testi\n")
    s = Settings.from_env(environ={}, env_files=[secrets])
    assert s.username == "from-file"
    assert s.password is not None and s.password.get_secret_value() == "pw from file"
    s = Settings.from_env(environ={"ONR_USERNAME": "from-env"}, env_files=[secrets])
    assert s.username == "from-env"
    s = Settings.from_env(environ={"ONR_USERNAME": "from-env"}, env_files=[secrets],
                          username="override")
    assert s.username == "override"
    for text in (repr(s), str(s), repr(s.model_dump()), s.model_dump_json()):
        assert "pw from file" not in text


def test_oauth2_settings() -> None:
    s = Settings.from_env(environ={"ONR_ENV": "hahtuva", "ONR_CALLER_ID": CALLER,
                                   "ONR_AUTH": "oauth2", "ONR_CLIENT_ID": "kk",
                                   "ONR_CLIENT_SECRET": "very-secret"}, env_files=())
    assert s.token_url == ("https://hahtuva.otuva.opintopolku.fi/kayttooikeus-service"
                           "/oauth2/token")
    assert "very-secret" not in repr(s) and "very-secret" not in s.model_dump_json()
    with pytest.raises(ConfigError, match="ONR_CLIENT_SECRET"):
        Settings.from_env(environ={"ONR_CALLER_ID": CALLER, "ONR_AUTH": "oauth2",
                                   "ONR_CLIENT_ID": "kk"}, env_files=())


def test_service_path_in_base_url_is_tolerated() -> None:
    s = Settings.from_env(environ={"ONR_CALLER_ID": CALLER}, env_files=(),
                          base_url="http://127.0.0.1:9999/oppijanumerorekisteri-service/")
    assert s.service_url == "http://127.0.0.1:9999/oppijanumerorekisteri-service"


def _model_for(path: Path) -> object:
    rel = path.relative_to(FIXTURES).parts
    data = json.loads(path.read_text(encoding="utf-8"))
    name = rel[-2] if len(rel) > 2 else ""
    if name == "duplicates":
        return [HenkiloDuplicate.model_validate(d) for d in data]
    if name == "identification":
        return [Identification.model_validate(d) for d in data]
    if name == "yksilointitiedot":
        return Yksilointitieto.model_validate(data)
    if name in ("slaves",):
        return [Henkilo.model_validate(d) for d in data]
    if name in ("link", "forcelink", "passinumerot", "hakemukset"):
        assert isinstance(data, list)
        return data
    return Henkilo.model_validate(data)  # GET /henkilo/{oid} and /master


def test_every_fixture_parses() -> None:
    files = sorted(FIXTURES.rglob("*.json"))
    assert len(files) >= 19
    persons = 0
    for path in files:
        parsed = _model_for(path)
        if isinstance(parsed, Henkilo):
            persons += 1
            raw = json.loads(path.read_text(encoding="utf-8"))
            assert parsed.oidHenkilo == raw["oidHenkilo"]
            assert parsed.identified == bool(raw["oppijanumero"]), path
            # unknown fields are kept, not dropped
            assert set(raw) <= set(parsed.model_dump(by_alias=True))
    assert persons >= 8


def test_recorder_keeps_templates_never_queries_or_ids() -> None:
    rec = CallRecorder()
    rec.record("GET", "/oppija/tuonti=123/perustiedot?x=1", 200, 0.01, received=1)
    rec.record("GET", "/henkilo/1.2.246.562.24.92212175391/master", 200, 0.02)
    rec.record("GET", "/oppijanumerorekisteri-service/j_spring_cas_security_check?ticket=ST-1",
               302, 0.02)
    rec.record("POST", "/cas/v1/tickets/TGT-9-abc", 200, 0.01)
    text = json.dumps(rec.summary())
    for secret in ("ST-1", "TGT-9", "92212175391", "=123", "ticket="):
        assert secret not in text
    assert path_template("/henkilo/1.2.246.562.24.92212175391/master") == "/henkilo/{oid}/master"
    summary = {(g["method"], g["path"]): g for g in rec.summary()}
    assert summary[("GET", "/oppija/tuonti={id}/perustiedot")]["received"] == 1
