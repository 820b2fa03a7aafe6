"""The console as a real process for HTTP-level tests (the browser tests' `console` fixture lives in browser/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from baoxue_common.db import make_engine
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import CONSOLE, SERVICES
from console import handlers
from console.adapters.accounts import AccountStore

from tests.integration.browser.conftest import PASSWORD
from tests.integration.conftest import DATA, Stack


@asynccontextmanager
async def console_process(
    stack: Stack, services: dict[str, ServiceProcess], *, log: str = "console-http", **urls: str
) -> AsyncIterator[ServiceProcess]:
    """A console calling the test session's services; `urls` overrides one, e.g. reporting="http://..."."""
    await migrate_async(CONSOLE, stack.database_url)
    env = dict(stack.env)
    for spec in SERVICES:
        env[f"BAOXUE_CONSOLE_{spec.package.upper()}_URL"] = urls.get(spec.package, services[spec.name].url)
    proc = ServiceProcess(CONSOLE.name, free_port(), env, DATA / "logs" / f"{log}.log").start()
    try:
        await proc.wait_healthy()
        yield proc
    finally:
        proc.stop()


async def add_user(stack: Stack, username: str, name: str, role: str, scope: str, password: str = PASSWORD) -> None:
    """An account made in-process as `baoxue user add` makes it (quicker than the command on a busy machine)."""
    engine = make_engine(stack.database_url, pool_size=1)
    try:
        store = AccountStore(engine)
        await handlers.add_user(store, username=username, display_name=name, role=role, scope=scope, password=password)
    finally:
        await engine.dispose()
