"""Composition root of verification: settings → runtime (engine, outbox, consumer) → handlers."""

from __future__ import annotations

from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import service
from baoxue_common.settings import Settings
from baoxue_common.telemetry import Telemetry

from verification.adapters import orm
from verification.handlers import EVENT_HANDLERS
from verification.national_worker import NationalWorker
from verification.sweeps import SweepLoop

SPEC = service("verification")


async def bootstrap(settings: Settings, telemetry: Telemetry | None = None) -> ServiceRuntime:
    """Wire the service for one process."""
    runtime = ServiceRuntime(
        SPEC,
        settings,
        orm.common,
        EVENT_HANDLERS,
        database_url=settings.database_url,
        telemetry=telemetry,
    )
    sweeps = SweepLoop(runtime, settings.sweep_interval_s)
    runtime.add_loop(sweeps, sweeps.run)
    national = NationalWorker(runtime, settings.national_poll_s, settings.national_chunk)
    runtime.add_loop(national, national.run)
    return runtime
