"""Settings refuse bad environments at start-up with a message naming the variable."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from baoxue_common.settings import DEV_PII_KEY, DEV_TOKEN_SECRET, Settings, SettingsError, load_settings

REAL_SECRET = "a-real-production-token-secret-0123456789"
REAL_PII_KEY = "a-real-production-pii-hashing-key-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("BAOXUE_") or name in {
            "DATABASE_URL",
            "KAFKA_BOOTSTRAP_SERVERS",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAOXUE_ENV", "dev")  # the tests below are about other variables
    monkeypatch.chdir(tmp_path)


def test_unset_env_is_production_and_refuses_the_published_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAOXUE_ENV")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "BAOXUE_TOKEN_SECRET is a placeholder" in message
    assert "BAOXUE_PII_KEY is a placeholder" in message
    assert "BAOXUE_ENV=dev" in message


def test_unset_env_with_real_secrets_runs_as_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAOXUE_ENV")
    monkeypatch.setenv("BAOXUE_TOKEN_SECRET", REAL_SECRET)
    monkeypatch.setenv("BAOXUE_PII_KEY", REAL_PII_KEY)
    assert load_settings().env == "production"


def test_placeholders_in_a_dotenv_are_refused_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BAOXUE_ENV")
    (tmp_path / ".env").write_text(f"BAOXUE_TOKEN_SECRET={DEV_TOKEN_SECRET}\nBAOXUE_PII_KEY={REAL_PII_KEY}\n")
    with pytest.raises(SettingsError, match="BAOXUE_TOKEN_SECRET is a placeholder"):
        load_settings()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/baoxue",
        "postgresql+asyncpg://u:p@db/baoxue",
        "postgres://u@db/baoxue",
    ],
)
def test_postgres_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == url


@pytest.mark.parametrize("url", ["mysql://u@db/x", "sqlite:///x.db", "db:5432", "http://postgresql://x"])
def test_non_postgres_url_is_refused_naming_database_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize("servers", ["kafka:9092", "a:9092,b:9093", "a:9092, b:9093", "[::1]:9092"])
def test_bootstrap_servers_with_ports_are_accepted(monkeypatch: pytest.MonkeyPatch, servers: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", servers)
    assert load_settings().kafka_bootstrap_servers == servers


@pytest.mark.parametrize("servers", ["kafka", "kafka:", ":9092", "kafka:abc", "a:9092,b", "a:9092,"])
def test_bootstrap_servers_without_port_are_refused(monkeypatch: pytest.MonkeyPatch, servers: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", servers)
    with pytest.raises(SettingsError, match="KAFKA_BOOTSTRAP_SERVERS"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BAOXUE_TOKEN_SECRET", "x" * 31),
        ("BAOXUE_TOKEN_SECRET", "changethis"),
        ("BAOXUE_PII_KEY", "y" * 31),
        ("BAOXUE_PII_KEY", "secret"),
    ],
)
def test_short_secrets_are_refused_in_any_env(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


@pytest.mark.parametrize("variable", ["BAOXUE_TOKEN_SECRET", "BAOXUE_PII_KEY"])
def test_secret_of_exactly_32_characters_is_accepted(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "z" * 32)
    load_settings()


@pytest.mark.parametrize(
    ("token_secret", "pii_key", "named"),
    [
        (DEV_TOKEN_SECRET, REAL_PII_KEY, "BAOXUE_TOKEN_SECRET"),
        (REAL_SECRET, DEV_PII_KEY, "BAOXUE_PII_KEY"),
        (DEV_PII_KEY, REAL_PII_KEY, "BAOXUE_TOKEN_SECRET"),
    ],
)
def test_placeholder_secrets_are_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, token_secret: str, pii_key: str, named: str
) -> None:
    monkeypatch.setenv("BAOXUE_ENV", "production")
    monkeypatch.setenv("BAOXUE_TOKEN_SECRET", token_secret)
    monkeypatch.setenv("BAOXUE_PII_KEY", pii_key)
    with pytest.raises(SettingsError, match=f"{named} is a placeholder"):
        load_settings()


@pytest.mark.parametrize("env", ["dev", "test"])
def test_placeholder_secrets_are_accepted_outside_production(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("BAOXUE_ENV", env)
    monkeypatch.setenv("BAOXUE_TOKEN_SECRET", DEV_TOKEN_SECRET)
    monkeypatch.setenv("BAOXUE_PII_KEY", DEV_PII_KEY)
    assert load_settings().env == env


def test_real_secrets_are_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_ENV", "production")
    monkeypatch.setenv("BAOXUE_TOKEN_SECRET", REAL_SECRET)
    monkeypatch.setenv("BAOXUE_PII_KEY", REAL_PII_KEY)
    settings = load_settings()
    assert (settings.env, settings.token_secret, settings.pii_key) == ("production", REAL_SECRET, REAL_PII_KEY)


@pytest.mark.parametrize(("heartbeat", "session"), [("10000", "10000"), ("12000", "10000"), ("3000", "2999")])
def test_heartbeat_must_be_below_session_timeout(monkeypatch: pytest.MonkeyPatch, heartbeat: str, session: str) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS", heartbeat)
    monkeypatch.setenv("BAOXUE_KAFKA_SESSION_TIMEOUT_MS", session)
    with pytest.raises(SettingsError, match="BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS"):
        load_settings()


def test_heartbeat_below_session_timeout_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS", "2999")
    monkeypatch.setenv("BAOXUE_KAFKA_SESSION_TIMEOUT_MS", "3000")
    assert load_settings().kafka_heartbeat_interval_ms == 2999


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "KAFKA_BOOTSTRAP_SERVERS" in message


def test_settings_error_hides_the_pydantic_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_the_dotenv_of_the_working_directory_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("KAFKA_BOOTSTRAP_SERVERS=broker:29092\n")
    assert Settings().kafka_bootstrap_servers == "broker:29092"


@pytest.mark.parametrize(("variable", "value"), [("BAOXUE_ENV", "staging"), ("BAOXUE_TOKEN_TTL_DAYS", "0")])
def test_other_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_time_zone_defaults_to_beijing_time() -> None:
    settings = load_settings()
    assert settings.time_zone == "Asia/Shanghai"
    assert settings.zone.utcoffset(datetime(2026, 11, 3, 7, 0)) == timedelta(hours=8)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Urumqi", "America/New_York"])
def test_any_iana_time_zone_is_accepted(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("BAOXUE_TIME_ZONE", zone)
    assert load_settings().zone.key == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "", "Beijing", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "+08:00"]
)
def test_an_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("BAOXUE_TIME_ZONE", zone)
    with pytest.raises(SettingsError, match="BAOXUE_TIME_ZONE"):
        load_settings()
