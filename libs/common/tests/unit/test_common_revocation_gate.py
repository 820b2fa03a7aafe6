"""Fail closed at start-up: no token is accepted before the process has read the revocations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from baoxue_common import runtime as runtime_module
from baoxue_common.auth import issue_token
from baoxue_common.errors import Unavailable
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import service
from baoxue_common.settings import DEV_TOKEN_SECRET, Settings
from baoxue_common.tables import CommonTables

NOWHERE = "postgresql://nobody@127.0.0.1:9/none"  # never reached: nothing here opens a connection


@pytest.fixture
async def runtime() -> AsyncIterator[ServiceRuntime]:
    """A runtime that was built but never started (its reader has read nothing)."""
    settings = Settings(_env_file=None, env="test", database_url=NOWHERE, kafka_bootstrap_servers="127.0.0.1:9")  # type: ignore[call-arg]
    built = ServiceRuntime(
        service("ledger"), settings, CommonTables(sa.MetaData(schema="gate_test")), {}, database_url=NOWHERE
    )
    yield built
    await built.stop()
    await built.producer.stop()
    await built._kafka_consumer.stop()


async def test_a_token_is_refused_with_503_until_the_revocations_are_read(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "REVOCATIONS_WAIT_S", 0.05)
    token = issue_token("admin", DEV_TOKEN_SECRET, ttl=timedelta(hours=1))
    with pytest.raises(Unavailable) as info:
        await runtime.authenticator.authenticate(f"Bearer {token}")
    assert info.value.status == 503
    assert info.value.headers["Retry-After"]
    assert "revocations" in info.value.detail


async def test_readiness_names_the_revocations_until_they_are_read(runtime: ServiceRuntime) -> None:
    assert (await runtime.ready())["revocations"] != "ok"
    runtime.revocations.caught_up.set()
    assert (await runtime.ready())["revocations"] == "ok"
