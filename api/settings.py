"""The one settings object, validated, built by the app factory or the CLI (never at import)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

STATE_DIR = Path(".dealpulse")


DEFAULT_PAGE_SIZE = 50
# A browser origin: http(s), a host name or IPv4 or [IPv6] literal, an optional port.
_ORIGIN = re.compile(r"https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?")


def _split(origins: str) -> list[str]:
    return [origin for origin in re.split(r"[\s,]+", origins) if origin]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEALPULSE_", extra="ignore")

    # SQLite file under .dealpulse/ by default; PostgreSQL with postgresql+psycopg://...
    database_url: str = Field(
        default=f"sqlite:///{STATE_DIR / 'dealpulse.sqlite3'}",
        validation_alias=AliasChoices("DATABASE_URL", "DEALPULSE_DATABASE_URL"),
    )
    # Signs development tokens; `dealpulse demo` writes a random one to .dealpulse/secret-key.
    secret_key: SecretStr = Field(default=SecretStr(""))
    # A request that finds an org's mirror older than this syncs it first.
    staleness_seconds: float = Field(default=30.0, ge=0)
    # ... but waits at most this long for that sync, then answers from the mirror (stale) while
    # the sync goes on in the background.
    request_sync_deadline_seconds: float = Field(default=2.0, ge=0)
    # `dealpulse serve` syncs every org in the background this often.
    sync_interval_seconds: float = Field(default=60.0, gt=0)
    # ... and recomputes the time-dependent facts of every open opportunity this often.
    clock_tick_seconds: float = Field(default=3600.0, gt=0)
    # ... and evaluates every open opportunity this often, and just after each org's midnight
    # (date conditions change with no record change).
    evaluation_interval_seconds: float = Field(default=300.0, gt=0)
    dev_token_ttl_seconds: int = Field(default=8 * 3600, gt=0)
    # GraphQL request bounds.
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=2000, ge=10)
    max_page_size: int = Field(default=200, ge=1)
    # The most a query may cost (schema.query_cost: a field 1, times the page it stands for).
    max_query_cost: int = Field(default=100_000, ge=1)
    # Each caller's requests to /graphql (api.rate_limits): refilled at this rate per second up
    # to the burst; 0 turns the limits off. Shared through Redis when a URL is set.
    rate_limit_per_second: float = Field(default=20.0, ge=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    redis_url: SecretStr = Field(default=SecretStr(""))  # redis://[:password@]host:port/db
    # Whether `__schema` / `__type` are answered (GraphiQL and code generators need them).
    introspection: bool = True
    # Browser origins allowed to call the API cross-origin (CORS), space- or comma-separated,
    # e.g. the org's Lightning domain "https://acme.lightning.force.com"; none by default.
    cors_origins: str = ""
    # A larger request body is refused (413) before it is read into memory.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # How long one Salesforce HTTP request may take; a write that times out is read back.
    salesforce_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    # Secrets of the non-JWT Salesforce flows (see services/orgs.py); never stored in the database.
    sf_client_secret: SecretStr = Field(default=SecretStr(""))
    sf_password: SecretStr = Field(default=SecretStr(""))
    sf_refresh_token: SecretStr = Field(default=SecretStr(""))
    # OAuth 2 (issue 10). The issuer is dealpulse's public base URL: the `iss` of its access
    # tokens and the base of the endpoints its metadata lists; the audience is the API's.
    oauth_issuer: str = "http://127.0.0.1:8000"
    oauth_audience: str = "dealpulse-api"
    # Access tokens are short-lived JWTs; no token lives longer than the maximum, whatever it says.
    access_token_ttl_seconds: int = Field(default=600, gt=0, le=86_400)
    # A user's refresh token (authorization code flow) lives this long unless rotated first.
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, gt=0)
    # A retired signing key still verifies the tokens it signed for this long.
    signing_key_grace_seconds: int = Field(default=86_400, ge=0)
    # `dealpulse serve` rotates the signing key once it is this old (30 days).
    signing_key_rotation_seconds: int = Field(default=30 * 86_400, ge=3600)
    # Development tokens (auth.dev_tokens: HS256 JWTs signed with secret_key naming any user)
    # are accepted only when switched on: `dealpulse serve --dev`, `dealpulse demo`,
    # DEALPULSE_DEV_TOKENS=true. A production deployment refuses to start with them on.
    environment: Literal["development", "production"] = "development"
    dev_tokens: bool = False

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split(value):
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"DEALPULSE_CORS_ORIGINS: {origin[:100]!r} is not an origin (scheme://host "
                    "or scheme://host:port, no path; '*' is not taken: name each origin)"
                )
        return value

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The CORS origins, as the browser sends them in `Origin` (lowercase, no slash)."""
        return tuple(origin.lower() for origin in _split(self.cors_origins))

    @model_validator(mode="after")
    def _no_dev_tokens_in_production(self) -> Settings:
        if self.environment == "production" and self.dev_tokens:
            raise ValueError(
                "DEALPULSE_DEV_TOKENS is on with DEALPULSE_ENVIRONMENT=production: development "
                "tokens name any user with the server's own key; production takes OAuth only"
            )
        return self

    @property
    def default_page_size(self) -> int:
        """The page of a `first` left out or null: DEFAULT_PAGE_SIZE, within max_page_size."""
        return min(DEFAULT_PAGE_SIZE, self.max_page_size)

    def allowing_dev_tokens(self) -> Settings:
        """These settings with development tokens on (`--dev`, the demo); ValueError in
        production."""
        return Settings.model_validate({**self.model_dump(), "dev_tokens": True})
