"""Composition root of reporting: settings → runtime (engine, outbox, consumer) → handlers, stats publisher."""

from __future__ import annotations

from baoxue_common.daily import DailyLoop
from baoxue_common.runtime import ServiceRuntime
from baoxue_common.services import ServiceSpec, service
from baoxue_common.settings import Settings
from baoxue_common.telemetry import Telemetry

from reporting.adapters import orm
from reporting.handlers import event_handlers
from reporting.publisher import StatsPublisher, refresh_current
from reporting.reports import _figures as reports_figures

SPEC = service("reporting")


async def bootstrap(
    settings: Settings, telemetry: Telemetry | None = None, *, spec: ServiceSpec = SPEC
) -> ServiceRuntime:
    """Wire the service for one process; `spec` renames it (its consumer group) for tests running replicas apart."""
    runtime = ServiceRuntime(
        spec,
        settings,
        orm.common,
        event_handlers(lambda: runtime.clock.today()),
        database_url=settings.database_url,
        telemetry=telemetry,
    )
    publisher = StatsPublisher(
        runtime.uow,
        lambda: runtime.clock.today(),
        interval_s=settings.stats_publish_interval_ms / 1000,
        batch_size=settings.stats_publish_batch,
    )
    runtime.add_loop(publisher, publisher.run)
    refresh = DailyLoop(runtime, settings.sweep_interval_s, lambda day: refresh_current(runtime.uow, day))
    runtime.add_loop(refresh, refresh.run)

    async def school_county(school_code: str) -> str | None:
        async with runtime.uow() as uow:
            return await reports_figures.school_county(uow.session, school_code)

    runtime.school_county = school_county
    return runtime
