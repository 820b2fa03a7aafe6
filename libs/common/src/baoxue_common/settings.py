"""Settings every service reads from the environment, refusing bad values at start-up."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from baoxue_contracts.topics import TOPICS_BY_NAME
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from baoxue_common.pii import PiiCipher, Sm4GcmCipher, derived_key

DEV_TOKEN_SECRET = "dev-only-token-secret-change-me-0123456789"
DEV_PII_KEY = "dev-only-pii-key-change-me-0123456789abcdef"
_PLACEHOLDERS = {DEV_TOKEN_SECRET, DEV_PII_KEY, "changethis", "secret", "change-me"}
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")  # stored per row in students.national_id_key (32)


class SettingsError(RuntimeError):
    """The environment holds a value the platform cannot start with."""


class Settings(BaseSettings):
    """Configuration shared by the four services and the `baoxue` command."""

    model_config = SettingsConfigDict(env_prefix="BAOXUE_", env_file=".env", extra="ignore")

    # Fail closed: unset means production, where the published placeholders are refused. `baoxue dev`
    # sets dev and the tests set test.
    env: Literal["dev", "test", "production"] = "production"
    database_url: str = Field(
        default="", validation_alias="DATABASE_URL", description="PostgreSQL URL; empty means embedded"
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    otlp_endpoint: str = Field(default="", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    token_secret: str = DEV_TOKEN_SECRET
    pii_key: str = DEV_PII_KEY
    pii_encryption_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="JSON object key id -> secret of the SM4 keys personal data is sealed under; empty: one key "
        "`k0` from pii_key",
    )
    pii_active_key_id: str = Field(default="k0", description="the key id new values are sealed under")
    token_ttl_days: int = Field(default=90, ge=1, le=3650)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    time_zone: str = Field(default="Asia/Shanghai", description="IANA zone of the platform's local dates")

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

    # Topics are created with these (existing topics are not changed); see deploy/README.md for a cluster.
    kafka_replication_factor: int = Field(default=1, ge=1, le=32)
    kafka_min_insync_replicas: int = Field(default=1, ge=1, le=32)
    kafka_partitions: dict[str, int] = Field(default_factory=dict, description="per-topic partition overrides")
    kafka_compression: Literal["none", "gzip", "lz4", "zstd"] = "lz4"
    kafka_max_request_size: int = Field(default=1_048_576, ge=64 * 1024, le=64 * 1024 * 1024)

    retention_days: int = Field(default=7, ge=1, le=3650)
    retention_interval_s: int = Field(default=3600, ge=1)
    retention_batch_size: int = Field(default=5000, ge=1, le=100_000)
    # How often a service's daily sweeps (verification: overdue checks) look whether the local date changed.
    sweep_interval_s: int = Field(default=600, ge=1, le=86_400)
    # Verification's national-list worker: how often it polls when idle, and how many items a transaction flags.
    national_poll_s: float = Field(default=0.5, gt=0, le=60)
    national_chunk: int = Field(default=500, ge=1, le=10_000)
    # Reporting's stats publisher: how often it looks for changed figures, and how many rows a pass publishes.
    stats_publish_interval_ms: int = Field(default=200, ge=5, le=60_000)
    stats_publish_batch: int = Field(default=200, ge=1, le=10_000)
    # The console calls the four services over HTTP (in compose, all four through the gateway's one origin).
    console_attendance_ingest_url: str = "http://127.0.0.1:8001"
    console_verification_url: str = "http://127.0.0.1:8002"
    console_ledger_url: str = "http://127.0.0.1:8003"
    console_reporting_url: str = "http://127.0.0.1:8004"
    console_session_hours: int = Field(default=8, ge=1, le=24 * 30, description="a sign-in lasts this long idle")
    console_token_minutes: int = Field(default=5, ge=1, le=60, description="life of the tokens the console mints")
    console_lockout_failures: int = Field(default=5, ge=1, le=100, description="failed sign-ins before a lock-out")
    console_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    def pii_cipher(self) -> PiiCipher:
        """The cipher of personal data: SM4-GCM under the configured keys."""
        secrets = self.pii_encryption_keys or {"k0": self.pii_key}
        return Sm4GcmCipher({kid: derived_key(secret, kid) for kid, secret in secrets.items()}, self.pii_active_key_id)

    @field_validator("database_url")
    @classmethod
    def _database_url_is_postgres(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:  # ZoneInfoNotFoundError, ValueError for malformed keys, OSError for odd paths
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The platform's time zone."""
        return ZoneInfo(self.time_zone)

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {server!r}")
        return value

    @field_validator("kafka_partitions")
    @classmethod
    def _partitions_name_known_topics(cls, value: dict[str, int]) -> dict[str, int]:
        for topic, count in value.items():
            if topic not in TOPICS_BY_NAME:
                raise ValueError(f"unknown topic {topic!r}; known: {', '.join(sorted(TOPICS_BY_NAME))}")
            if count < 1:
                raise ValueError(f"{topic}: partitions must be at least 1, got {count}")
        return value

    @model_validator(mode="after")
    def _min_insync_fits_the_replicas(self) -> Settings:
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                f"BAOXUE_KAFKA_MIN_INSYNC_REPLICAS ({self.kafka_min_insync_replicas}) must not exceed "
                f"BAOXUE_KAFKA_REPLICATION_FACTOR ({self.kafka_replication_factor})"
            )
        return self

    @field_validator("pii_encryption_keys", mode="before")
    @classmethod
    def _pii_keys_are_a_json_object(cls, value: Any) -> Any:
        # Decoded here, not by pydantic-settings, whose parse error would be a traceback naming no variable.
        if not isinstance(value, str):
            return value
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError('must be a JSON object {"<key id>": "<secret>", ...}') from None

    @model_validator(mode="after")
    def _pii_keys_are_usable(self) -> Settings:
        keys = self.pii_encryption_keys or {"k0": self.pii_key}
        if self.pii_active_key_id not in keys:
            known = ", ".join(sorted(keys))
            raise ValueError(
                f"BAOXUE_PII_ACTIVE_KEY_ID {self.pii_active_key_id!r} is not among the keys ({known}) of "
                "BAOXUE_PII_ENCRYPTION_KEYS (without it, the only key is k0, from BAOXUE_PII_KEY)"
            )
        for key_id, secret in self.pii_encryption_keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"BAOXUE_PII_ENCRYPTION_KEYS: key id {key_id!r} must be 1-32 letters, digits, _ . -")
            if self.env == "production" and secret in _PLACEHOLDERS:
                raise ValueError(
                    f"BAOXUE_PII_ENCRYPTION_KEYS: the secret of key {key_id!r} is a placeholder; set a real secret"
                )
            if self.env != "dev" and len(secret) < 32:
                raise ValueError(
                    f"BAOXUE_PII_ENCRYPTION_KEYS: the secret of key {key_id!r} must be at least 32 characters"
                )
        return self

    @model_validator(mode="after")
    def _secrets_are_real_outside_dev(self) -> Settings:
        if self.kafka_heartbeat_interval_ms >= self.kafka_session_timeout_ms:
            raise ValueError("BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS must be below the session timeout")
        placeholders = []
        for name in ("token_secret", "pii_key"):
            value: str = getattr(self, name)
            if len(value) < 32:
                raise ValueError(f"BAOXUE_{name.upper()} must be at least 32 characters")
            if self.env == "production" and value in _PLACEHOLDERS:
                placeholders.append(f"BAOXUE_{name.upper()} is a placeholder")
        if placeholders:
            raise ValueError(
                "; ".join(placeholders) + ": set a real secret of at least 32 characters (BAOXUE_ENV is "
                "production unless set), or BAOXUE_ENV=dev on a development machine"
            )
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
