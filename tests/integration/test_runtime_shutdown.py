"""A service shuts down (and closes its database pool) even when the broker is gone."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from baoxue_common.devstack import Broker, free_port
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import ServiceSpec
from baoxue_common.tables import CommonTables
from baoxue_contracts.events.attendance import AttendanceSubmitted

from tests.integration.conftest import DATA, Stack
from tests.integration.support import create_schema
from tests.integration.test_delivery import wait_until


async def _ignore(*_: Any) -> None:
    return None


async def test_stop_finishes_and_closes_the_pool_after_the_broker_died(stack: Stack) -> None:
    schema = "shutdown_test"
    await create_schema(stack.database_url, schema)
    broker = await Broker(free_port(), DATA / "logs" / "shutdown-broker.log").start()
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap)
    spec = ServiceSpec("shutdown-test", schema, 0)
    handlers: dict[Any, Any] = {AttendanceSubmitted: [_ignore]}
    runtime = ServiceRuntime(
        spec, settings, CommonTables(sa.MetaData(schema=schema)), handlers, database_url=stack.database_url
    )
    try:
        await runtime.start()
        await wait_until(lambda: _joined(runtime), timeout_s=60)
    finally:
        broker.kill()  # the broker is gone for good: leaving the group can never be acknowledged
    began = time.monotonic()
    await runtime.stop()
    took = time.monotonic() - began
    assert took < 60, f"stop() took {took:.0f}s"
    pool = runtime.engine.pool
    assert (pool.checkedout(), pool.checkedin()) == (0, 0), "disposed: no connection left open"


async def _joined(runtime: ServiceRuntime) -> bool:
    consumer = runtime._kafka_consumer
    return runtime.consumer_started.is_set() and bool(consumer.assignment()) and runtime.revocations.caught_up.is_set()
