"""The PII encryption keys refuse to start wrong: short or placeholder secrets, an active key that is not there."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from baoxue_common.pii import Sm4GcmCipher
from baoxue_common.settings import DEV_PII_KEY, SettingsError, load_settings

REAL_SECRET = "a-real-production-token-secret-0123456789"
REAL_PII_KEY = "a-real-production-pii-hashing-key-0123456789"
K0 = "a-real-sm4-key-secret-number-zero-0123456789"
K1 = "a-real-sm4-key-secret-number-one-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("BAOXUE_") or name in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAOXUE_ENV", "production")
    monkeypatch.setenv("BAOXUE_TOKEN_SECRET", REAL_SECRET)
    monkeypatch.setenv("BAOXUE_PII_KEY", REAL_PII_KEY)
    monkeypatch.chdir(tmp_path)


def keys(monkeypatch: pytest.MonkeyPatch, secrets: dict[str, str], active: str | None = None) -> None:
    monkeypatch.setenv("BAOXUE_PII_ENCRYPTION_KEYS", json.dumps(secrets))
    if active is not None:
        monkeypatch.setenv("BAOXUE_PII_ACTIVE_KEY_ID", active)


def test_real_keys_with_the_active_one_among_them_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    keys(monkeypatch, {"k0": K0, "k1": K1}, "k1")
    settings = load_settings()
    cipher = settings.pii_cipher()
    assert isinstance(cipher, Sm4GcmCipher)
    assert cipher.active_key_id == "k1"
    assert cipher.decrypt(*cipher.encrypt("x", "ctx"), "ctx") == "x"


def test_without_encryption_keys_the_one_key_is_k0_from_the_pii_key() -> None:
    assert load_settings().pii_cipher().active_key_id == "k0"


def test_without_encryption_keys_another_active_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_PII_ACTIVE_KEY_ID", "k1")
    with pytest.raises(SettingsError, match="BAOXUE_PII_ACTIVE_KEY_ID 'k1' is not among the keys \\(k0\\)"):
        load_settings()


@pytest.mark.parametrize("env", ["dev", "test", "production"])
def test_an_active_key_that_is_not_configured_is_refused_in_any_env(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("BAOXUE_ENV", env)
    keys(monkeypatch, {"k0": K0, "k1": K1}, "k2")
    with pytest.raises(SettingsError, match="BAOXUE_PII_ACTIVE_KEY_ID 'k2' is not among the keys \\(k0, k1\\)"):
        load_settings()


@pytest.mark.parametrize("env", ["test", "production"])
def test_a_short_key_secret_is_refused_outside_dev(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("BAOXUE_ENV", env)
    keys(monkeypatch, {"k0": K0, "k1": "s" * 31}, "k0")
    with pytest.raises(SettingsError, match="the secret of key 'k1' must be at least 32 characters") as info:
        load_settings()
    assert "s" * 31 not in str(info.value), "the message never shows the secret"


def test_a_key_secret_of_exactly_32_characters_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    keys(monkeypatch, {"k0": "s" * 32}, "k0")
    assert load_settings().pii_encryption_keys == {"k0": "s" * 32}


def test_a_short_key_secret_is_accepted_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_ENV", "dev")
    keys(monkeypatch, {"dev": "short"}, "dev")
    assert load_settings().pii_cipher().active_key_id == "dev"


@pytest.mark.parametrize("placeholder", [DEV_PII_KEY, "change-me", "changethis"])
def test_a_placeholder_key_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch, placeholder: str) -> None:
    keys(monkeypatch, {"k0": K0, "k1": placeholder}, "k0")
    with pytest.raises(SettingsError, match="the secret of key 'k1' is a placeholder"):
        load_settings()


def test_the_published_placeholder_key_is_accepted_in_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_ENV", "test")
    keys(monkeypatch, {"k0": DEV_PII_KEY}, "k0")
    assert load_settings().env == "test"


@pytest.mark.parametrize("key_id", ["", "k 1", "k/1", "-k1", "k" * 33, "密钥"])
def test_a_key_id_that_cannot_be_stored_is_refused(monkeypatch: pytest.MonkeyPatch, key_id: str) -> None:
    keys(monkeypatch, {"k0": K0, key_id: K1}, "k0")
    with pytest.raises(SettingsError, match="BAOXUE_PII_ENCRYPTION_KEYS: key id"):
        load_settings()


def test_encryption_keys_that_are_not_a_json_object_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_PII_ENCRYPTION_KEYS", "k0=abc")
    with pytest.raises(SettingsError, match="BAOXUE_PII_ENCRYPTION_KEYS"):
        load_settings()


@pytest.mark.parametrize("value", ['["k0"]', '{"k0": 5}', '{"k0": null}'])
def test_encryption_keys_of_the_wrong_shape_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BAOXUE_PII_ENCRYPTION_KEYS", value)
    with pytest.raises(SettingsError, match="BAOXUE_PII_ENCRYPTION_KEYS"):
        load_settings()
