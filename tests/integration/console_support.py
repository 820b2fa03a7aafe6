"""The console as a real process in front of the test session's services, and its accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from baoxue_common.db import make_engine
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import CONSOLE, SERVICES
from console import handlers
from console.adapters.accounts import AccountStore

from tests.integration.conftest import DATA, Stack

PASSWORD = "正确的马电池订书钉-2026"  # every test user's password: long enough, and not ASCII-only


@asynccontextmanager
async def console_process(
    stack: Stack, services: dict[str, ServiceProcess], *, log: str = "console-http", otlp: str = "", **urls: str
) -> AsyncIterator[ServiceProcess]:
    """A console calling the test session's services; `urls` overrides one, e.g. reporting="http://..."."""
    await migrate_async(CONSOLE, stack.database_url)
    env = dict(stack.env) | ({"OTEL_EXPORTER_OTLP_ENDPOINT": otlp} if otlp else {})
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


def add_user_by_command(stack: Stack, username: str, name: str, role: str, scope: str, password: str = PASSWORD) -> str:
    """Create an account with the operator's command (`baoxue user add --password-stdin`)."""
    env = os.environ | stack.env | {"DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "baoxue_common.cli", "user", "add", username, "--name", name, "--role", role]
    done = subprocess.run(
        [*command, "--scope", scope, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return username
