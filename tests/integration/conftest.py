"""Real dependencies for integration tests: PostgreSQL 18 (embedded) and a Kafka-protocol broker (Tansu).

`DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` point the tests at external ones instead; with
`BAOXUE_TEST_DOCKER=1` and a Docker engine, testcontainers starts PostgreSQL and Apache Kafka.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from baoxue_common.auth import issue_token
from baoxue_common.devstack import Broker, ServiceProcess, ensure_database, free_port, start_postgres
from baoxue_common.kafka import ensure_topics
from baoxue_common.migrations import migrate_async
from baoxue_common.services import SERVICES
from baoxue_common.settings import DEV_TOKEN_SECRET, Settings

from tests.integration.otlp import OtlpReceiver
from tests.integration.support import publish_test_calendars

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data" / "test"


@dataclass(frozen=True)
class Stack:
    """Where the test broker and database are, and the environment a service process needs."""

    database_url: str
    bootstrap: str
    env: dict[str, str]

    def settings(self, **overrides: object) -> Settings:
        """Settings for in-process clients of this stack."""
        values: dict[str, object] = {
            "env": "test",
            "database_url": self.database_url,
            "kafka_bootstrap_servers": self.bootstrap,
            "kafka_session_timeout_ms": 2000,
            "kafka_heartbeat_interval_ms": 200,
        }
        return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg, arg-type]

    def token(self, scope: str, user: str | None = None) -> str:
        """A token the services accept."""
        return issue_token(scope, DEV_TOKEN_SECRET, ttl=timedelta(hours=1), user=user)


def _docker_requested() -> bool:
    return os.environ.get("BAOXUE_TEST_DOCKER") == "1" and shutil.which("docker") is not None


@pytest.fixture(scope="session")
def docker_services() -> Iterator[dict[str, str]]:
    """PostgreSQL and Kafka from testcontainers when asked for and possible; empty otherwise."""
    if not _docker_requested():
        yield {}
        return
    from testcontainers.kafka import KafkaContainer  # type: ignore[import-not-found]
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

    with PostgresContainer("postgres:17") as pg, KafkaContainer() as kafka:
        yield {
            "DATABASE_URL": pg.get_connection_url(driver=None),
            "KAFKA_BOOTSTRAP_SERVERS": kafka.get_bootstrap_server(),
        }


@pytest.fixture(scope="session")
async def database_url(docker_services: dict[str, str]) -> str:
    """A fresh database for this session, on the server the environment names or an embedded one."""
    server = docker_services.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server:
        server = await asyncio.to_thread(start_postgres, DATA / "pg")
    return await ensure_database(server, f"baoxue_test_{os.getpid()}", fresh=True)


@pytest.fixture(scope="session")
async def broker_bootstrap(docker_services: dict[str, str]) -> AsyncIterator[str]:
    """A broker for this session: the one the environment names, or a fresh Tansu process."""
    external = docker_services.get("KAFKA_BOOTSTRAP_SERVERS") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = await Broker(free_port(), DATA / "logs" / "broker.log").start()
    try:
        yield broker.bootstrap
    finally:
        broker.kill()


@pytest.fixture(scope="session")
async def stack(database_url: str, broker_bootstrap: str) -> Stack:
    """Topics created and every service's schema migrated."""
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": broker_bootstrap,
        "BAOXUE_ENV": "test",
        "BAOXUE_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS": "200",
        "BAOXUE_RELAY_IDLE_POLL_MS": "50",
        # The daily sweeps run once at start (an empty database) and not again when the local date turns during
        # a run: tests sweep their own counties, with `baoxue verification sweep --county`.
        "BAOXUE_SWEEP_INTERVAL_S": "86400",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    }
    result = Stack(database_url, broker_bootstrap, env)
    await ensure_topics(result.settings())
    for spec in SERVICES:
        await migrate_async(spec, database_url)
    return result


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    """The OTLP receiver the service processes export to."""
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
async def services(stack: Stack, otlp: OtlpReceiver) -> AsyncIterator[dict[str, ServiceProcess]]:
    """The four services as real processes (`baoxue serve`), healthy, consumers joined."""
    env = {**stack.env, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint}
    procs = {
        s.name: ServiceProcess(s.name, free_port(), env, DATA / "logs" / f"{s.name}.log").start() for s in SERVICES
    }
    try:
        await asyncio.gather(*(p.wait_healthy() for p in procs.values()))
        async with httpx.AsyncClient(timeout=30) as http:
            await publish_test_calendars(http, procs["attendance-ingest"].url, stack.token("admin"))
        yield procs
    finally:
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in procs.values()))


@pytest.fixture(scope="session")
async def console(
    stack: Stack, services: dict[str, ServiceProcess], otlp: OtlpReceiver
) -> AsyncIterator[ServiceProcess]:
    """The console process (`baoxue serve console`), calling the four services of this session, traced."""
    from tests.integration.console_support import console_process

    async with console_process(stack, services, log="console", otlp=otlp.endpoint) as proc:
        yield proc
