"""devorg's settings (environment variables prefixed DEVORG_, or CLI flags)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

STATE_DIR = Path(".dealpulse")


class DevorgSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEVORG_", extra="ignore")

    database: Path = STATE_DIR / "devorg.sqlite3"
    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=0, le=65535)
    # Developer Edition's daily allowance of API requests (rolling per UTC day here).
    api_daily_limit: int = Field(default=15000, ge=1)
    # Salesforce's default session timeout is two hours.
    session_ttl_seconds: int = Field(default=7200, ge=1)
    # Fault injection, for tests and demos of resilience.
    latency_ms: int = Field(default=0, ge=0)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503)

    @property
    def instance_url(self) -> str:
        return f"http://{self.host}:{self.port}"
