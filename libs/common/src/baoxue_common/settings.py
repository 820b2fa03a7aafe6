"""Settings every service reads from the environment, refusing bad values at start-up."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_SECRET = "dev-only-token-secret-change-me-0123456789"
DEV_PII_KEY = "dev-only-pii-key-change-me-0123456789abcdef"
_PLACEHOLDERS = {DEV_TOKEN_SECRET, DEV_PII_KEY, "changethis", "secret", "change-me"}


class SettingsError(RuntimeError):
    """The environment holds a value the platform cannot start with."""


class Settings(BaseSettings):
    """Configuration shared by the four services and the `baoxue` command."""

    model_config = SettingsConfigDict(env_prefix="BAOXUE_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = Field(
        default="", validation_alias="DATABASE_URL", description="PostgreSQL URL; empty means embedded"
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    otlp_endpoint: str = Field(default="", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    token_secret: str = DEV_TOKEN_SECRET
    pii_key: str = DEV_PII_KEY
    token_ttl_days: int = Field(default=90, ge=1, le=3650)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)

    kafka_idempotence: bool = False
    kafka_session_timeout_ms: int = Field(default=10_000, ge=500)
    kafka_heartbeat_interval_ms: int = Field(default=3_000, ge=50)
    kafka_request_timeout_ms: int = Field(default=15_000, ge=1_000)
    kafka_fetch_max_wait_ms: int = Field(
        default=100,
        ge=10,
        le=10_000,
        description="How long the broker may hold a fetch for partitions with nothing new. Tansu holds it that "
        "long even when data arrives, and aiokafka sends one fetch per broker at a time, so this bounds delivery "
        "latency in dev and the stall when some partitions of a backlog run dry.",
    )
    consumer_max_records: int = Field(default=500, ge=1, le=50_000)
    consumer_max_attempts: int = Field(default=3, ge=1, le=100)
    relay_batch_size: int = Field(default=500, ge=1, le=50_000)
    relay_idle_poll_ms: int = Field(default=200, ge=5)

    @field_validator("database_url")
    @classmethod
    def _database_url_is_postgres(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {server!r}")
        return value

    @model_validator(mode="after")
    def _secrets_are_real_outside_dev(self) -> Settings:
        if self.kafka_heartbeat_interval_ms >= self.kafka_session_timeout_ms:
            raise ValueError("BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS must be below the session timeout")
        for name in ("token_secret", "pii_key"):
            value: str = getattr(self, name)
            if len(value) < 32:
                raise ValueError(f"BAOXUE_{name.upper()} must be at least 32 characters")
            if self.env == "production" and value in _PLACEHOLDERS:
                raise ValueError(f"BAOXUE_{name.upper()} is a placeholder; set a real secret in production")
        return self


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"  {_variable(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise SettingsError("invalid configuration:\n" + "\n".join(lines)) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a settings field (DATABASE_URL, or BAOXUE_<FIELD>)."""
    if not loc:
        return "settings"
    name = str(loc[0])
    field = Settings.model_fields.get(name)
    if field is not None and isinstance(field.validation_alias, str):
        return field.validation_alias
    return name if name.isupper() else f"BAOXUE_{name.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
