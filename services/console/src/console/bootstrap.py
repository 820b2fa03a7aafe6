"""Composition root of the console: settings → engine → account store, HTTP client and templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from baoxue_common.clock import Clock
from baoxue_common.db import make_engine, ping
from baoxue_common.services import CONSOLE
from baoxue_common.settings import Settings
from baoxue_common.telemetry import Telemetry
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncEngine

from console.adapters.accounts import AccountStore
from console.adapters.services_api import ServiceUrls
from console.domain.accounts import Lockout
from console.entrypoints.filters import install_filters

SPEC = CONSOLE
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


@dataclass
class ConsoleRuntime:
    """What the console's routes share; built at start-up, closed at shutdown."""

    settings: Settings
    engine: AsyncEngine
    accounts: AccountStore
    http: httpx.AsyncClient
    urls: ServiceUrls
    templates: Jinja2Templates
    lockout: Lockout
    clock: Clock

    @property
    def secure_cookies(self) -> bool:
        """Session cookies only over HTTPS, except on a developer's or a test's plain http."""
        return self.settings.env == "production"

    @property
    def session_for(self) -> timedelta:
        """How long an idle sign-in lasts."""
        return timedelta(hours=self.settings.console_session_hours)

    async def ready(self) -> dict[str, str]:
        """The database check of `/readyz` (the services answer for themselves)."""
        try:
            await ping(self.engine)
        except Exception:  # any failure to answer is "not ready", never a 500
            return {"database": "unreachable"}
        return {"database": "ok"}

    async def stop(self) -> None:
        """Close the HTTP client and the engine."""
        await self.http.aclose()
        await self.engine.dispose()


def bootstrap(settings: Settings, telemetry: Telemetry | None = None) -> ConsoleRuntime:
    """Wire the console (no I/O until the first request)."""
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set: the console keeps its accounts in PostgreSQL")
    engine = make_engine(settings.database_url, pool_size=5, application_name=SPEC.name)
    if telemetry is not None:
        telemetry.instrument_engine(engine)
    templates = Jinja2Templates(directory=HERE / "templates")
    install_filters(templates.env)
    return ConsoleRuntime(
        settings=settings,
        engine=engine,
        accounts=AccountStore(engine),
        http=httpx.AsyncClient(timeout=httpx.Timeout(30, connect=5), limits=httpx.Limits(max_connections=50)),
        urls=ServiceUrls.from_settings(settings),
        templates=templates,
        lockout=Lockout(settings.console_lockout_failures, timedelta(minutes=settings.console_lockout_minutes)),
        clock=Clock(settings.zone),
    )
