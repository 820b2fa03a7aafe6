"""Composition root of attendance-ingest: settings → runtime (engine, outbox, consumer) → handlers."""

from __future__ import annotations

from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import service
from baoxue_common.settings import Settings
from baoxue_common.telemetry import Telemetry

from attendance_ingest.adapters import orm, repository
from attendance_ingest.handlers import EVENT_HANDLERS

SPEC = service("attendance-ingest")


async def bootstrap(settings: Settings, telemetry: Telemetry | None = None) -> ServiceRuntime:
    """Wire the service for one process."""
    runtime = ServiceRuntime(
        SPEC, settings, orm.common, EVENT_HANDLERS, database_url=settings.database_url, telemetry=telemetry
    )

    async def school_county(school_code: str) -> str | None:
        async with runtime.engine.connect() as conn:
            return await repository.school_county(conn, school_code)

    runtime.school_county = school_county
    return runtime
