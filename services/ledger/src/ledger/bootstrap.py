"""Composition root of ledger: settings → runtime (engine, outbox, consumer) → handlers."""

from __future__ import annotations

from baoxue_common.daily import DailyLoop
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import service
from baoxue_common.settings import Settings
from baoxue_common.telemetry import Telemetry

from ledger.adapters import orm
from ledger.consolidation import run_sweep
from ledger.handlers import EVENT_HANDLERS

SPEC = service("ledger")


async def bootstrap(settings: Settings, telemetry: Telemetry | None = None) -> ServiceRuntime:
    """Wire the service for one process; a daily loop proposes consolidated cases for close-out."""
    runtime = ServiceRuntime(
        SPEC, settings, orm.common, EVENT_HANDLERS, database_url=settings.database_url, telemetry=telemetry
    )
    proposals = DailyLoop(runtime, settings.sweep_interval_s, lambda day: run_sweep(runtime.uow, day))
    runtime.add_loop(proposals, proposals.run)
    return runtime
