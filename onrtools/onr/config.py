"""Settings: where ONR is, who we are, and how hard we try.

Built on purpose with ``Settings.from_env()``; importing this module reads nothing.
Sources, weakest first: ``.env`` (committed, non-secret defaults), ``.secrets`` (git-ignored
credentials), the process environment (``ONR_*``), keyword overrides.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from onrtools.errors import ConfigError

SERVICE_PATH = "/oppijanumerorekisteri-service"

# ONR environments (REST.md §1): virkailija host (API + CAS) and the Otuva OAuth2 issuer.
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "local": {"base_url": "http://127.0.0.1:8765", "issuer": "http://127.0.0.1:8765"},
    "untuva": {
        "base_url": "https://virkailija.untuvaopintopolku.fi",
        "issuer": "https://dev.otuva.opintopolku.fi/kayttooikeus-service",
    },
    "hahtuva": {
        "base_url": "https://virkailija.hahtuvaopintopolku.fi",
        "issuer": "https://hahtuva.otuva.opintopolku.fi/kayttooikeus-service",
    },
    "testi": {
        "base_url": "https://virkailija.testiopintopolku.fi",
        "issuer": "https://qa.otuva.opintopolku.fi/kayttooikeus-service",
    },
    "prod": {
        "base_url": "https://virkailija.opintopolku.fi",
        "issuer": "https://prod.otuva.opintopolku.fi/kayttooikeus-service",
    },
}
PRODUCTION_HOSTS = ("virkailija.opintopolku.fi", "prod.otuva.opintopolku.fi",
                    "prod.oppijanumerorekisteri.opintopolku.fi")

# The simulator's documented default service user; used only when the target is the simulator.
SIMULATOR_USERNAME = "palvelu-kk1"
SIMULATOR_PASSWORD = "simulator"

ENV_KEYS: dict[str, str] = {
    "ONR_ENV": "env",
    "ONR_BASE_URL": "base_url",
    "ONR_CAS_URL": "cas_url",
    "ONR_USERNAME": "username",
    "ONR_PASSWORD": "password",
    "ONR_CALLER_ID": "caller_id",
    "ONR_AUTH": "auth",
    "ONR_CLIENT_ID": "client_id",
    "ONR_CLIENT_SECRET": "client_secret",
    "ONR_TOKEN_URL": "token_url",
    "ONR_ALLOW_PRODUCTION": "allow_production",
    "ONR_WORKSPACE": "workspace",
    "ONR_TIMEOUT": "timeout",
    "ONR_LONG_TIMEOUT": "long_timeout",
    "ONR_MAX_RETRIES": "max_retries",
    "ONR_CONCURRENCY": "concurrency",
}


class Settings(BaseModel):
    """Frozen connection settings; secrets are ``SecretStr`` and print as stars."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env: Literal["local", "untuva", "hahtuva", "testi", "prod", "custom"] = "local"
    base_url: str  # host root, e.g. https://virkailija.testiopintopolku.fi (no service path)
    cas_url: str
    username: str | None = None
    password: SecretStr | None = None
    caller_id: str
    auth: Literal["cas", "oauth2"] = "cas"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_url: str | None = None
    allow_production: bool = False
    workspace: Path = Path("workspace")
    timeout: float = 30.0  # seconds per request (connect/read/write/pool)
    # seconds for the long reads: a 10,000-entry feed page, a 5,000-row import result, the
    # import's rows, a duplicate search (unbounded in ONR, and it asks two other services)
    long_timeout: float = 180.0
    max_retries: int = 4  # retries of idempotent requests after the first attempt
    concurrency: int = 4  # parallel requests for bulk reads

    @field_validator("base_url", "cas_url", "token_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def service_url(self) -> str:
        """``<base>/oppijanumerorekisteri-service``: every API path hangs off this."""
        return self.base_url + SERVICE_PATH

    @property
    def is_production(self) -> bool:
        return self.env == "prod" or any(h in self.base_url for h in PRODUCTION_HOSTS)

    @property
    def is_simulator(self) -> bool:
        return self.base_url.startswith(("http://127.0.0.1", "http://localhost"))

    @classmethod
    def from_env(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        env_files: Iterable[Path] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from ``.env``, ``.secrets``, ``ONR_*`` variables and overrides.

        ``env_files`` defaults to ``.env`` and ``.secrets`` found in the working directory or its
        nearest parent holding one (``ONR_SECRETS_FILE`` names another secrets file). Raises
        ``ConfigError`` for a missing Caller-Id, missing credentials, or production without
        ``ONR_ALLOW_PRODUCTION=yes``. The error never echoes a secret value.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        files = _default_files(environ) if env_files is None else list(env_files)
        for path in files:
            for key, value in read_env_file(path).items():
                if key in ENV_KEYS:
                    values[ENV_KEYS[key]] = value
        for key, field in ENV_KEYS.items():
            if environ.get(key):
                values[field] = environ[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._resolve(values)

    @classmethod
    def _resolve(cls, values: dict[str, Any]) -> Settings:
        env = str(values.get("env") or ("custom" if values.get("base_url") else "local")).lower()
        aliases = {"qa": "testi", "dev": "untuva", "production": "prod"}
        env = aliases.get(env, env)
        if env not in ENVIRONMENTS and env != "custom":
            raise ConfigError(f"ONR_ENV must be one of {sorted(ENVIRONMENTS)}, got {env!r}")
        preset = ENVIRONMENTS.get(env, {})
        base_url = str(values.get("base_url") or preset.get("base_url", "")).rstrip("/")
        if base_url.endswith(SERVICE_PATH):
            base_url = base_url[: -len(SERVICE_PATH)]
        if not base_url:
            raise ConfigError("ONR_BASE_URL is required when ONR_ENV is not a preset")
        values["env"], values["base_url"] = env, base_url
        values.setdefault("cas_url", base_url + "/cas")
        if not values.get("cas_url"):
            values["cas_url"] = base_url + "/cas"
        if not values.get("caller_id"):
            raise ConfigError(
                "ONR_CALLER_ID is required (OPH convention '<organisation OID>.<system name>')"
            )
        allow = str(values.get("allow_production", "")).strip().lower()
        values["allow_production"] = allow in {"yes", "true", "1"}
        auth = str(values.get("auth") or "cas").lower()
        values["auth"] = auth
        local = base_url.startswith(("http://127.0.0.1", "http://localhost"))
        if auth == "cas":
            if local and not values.get("username"):
                values["username"] = SIMULATOR_USERNAME
                values.setdefault("password", SIMULATOR_PASSWORD)
            if not values.get("username") or not values.get("password"):
                raise ConfigError("CAS needs ONR_USERNAME and ONR_PASSWORD (env or .secrets)")
        elif auth == "oauth2":
            if not values.get("client_id") or not values.get("client_secret"):
                raise ConfigError("OAuth2 needs ONR_CLIENT_ID and ONR_CLIENT_SECRET")
            if not values.get("token_url"):
                issuer = preset.get("issuer", base_url)
                values["token_url"] = issuer.rstrip("/") + "/oauth2/token"
        else:
            raise ConfigError(f"ONR_AUTH must be 'cas' or 'oauth2', got {auth!r}")
        try:
            settings = cls(**values)
        except ValidationError as exc:
            fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            raise ConfigError(f"invalid ONR settings: {', '.join(fields)}") from None
        if settings.is_production and not settings.allow_production:
            raise ConfigError(
                "the target is ONR production; set ONR_ALLOW_PRODUCTION=yes to proceed"
            )
        return settings

    def __repr__(self) -> str:  # pydantic's repr already masks SecretStr; keep it short
        return (
            f"Settings(env={self.env!r}, base_url={self.base_url!r}, auth={self.auth!r}, "
            f"username={self.username!r}, password={'**********' if self.password else None}, "
            f"caller_id={self.caller_id!r})"
        )

    __str__ = __repr__


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, blank lines and optional quotes allowed."""
    path = Path(path)
    if not path.is_file():
        return {}
    result: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        result[key] = value
    return result


def _default_files(environ: Mapping[str, str]) -> list[Path]:
    files: list[Path] = []
    here = Path.cwd().resolve()
    for name in (".env", ".secrets"):
        for folder in (here, *here.parents):
            if (folder / name).is_file():
                files.append(folder / name)
                break
    if environ.get("ONR_SECRETS_FILE"):
        files.append(Path(environ["ONR_SECRETS_FILE"]))
    return files
