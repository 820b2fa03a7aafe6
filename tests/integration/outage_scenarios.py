"""Real database faults, each captured as the error it raises, and the real request errors that are not outages."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
import sqlalchemy as sa
from baoxue_common.db import async_url, make_engine
from baoxue_common.devstack import free_port
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.faults import FaultyPostgres, TcpProxy, stopped
from tests.integration.test_delivery import wait_until


@dataclass
class Env:
    """What a scenario may use: the faulty server, a database URL on it, and pytest's monkeypatch."""

    pg: FaultyPostgres
    url: str
    monkeypatch: pytest.MonkeyPatch


async def error_of(work: Awaitable[object]) -> BaseException:
    """The error a database call raised (failing the test if it succeeded)."""
    try:
        await work
    except Exception as exc:
        return exc
    raise AssertionError("the database call was expected to fail")


async def first_error(work: Callable[[], Awaitable[object]], timeout_s: float = 30) -> BaseException:
    """Repeat a call until it fails (a fault that takes a moment to begin); return the error."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            await work()
        except Exception as exc:
            return exc
        await asyncio.sleep(0.05)
    raise AssertionError(f"the call kept succeeding for {timeout_s}s")


async def select_one(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()


async def socket_gone(env: Env) -> BaseException:
    async with stopped(env.pg):
        assert not env.pg.socket_path.exists()
        return await error_of(select_one(env.url))


async def shutting_down(env: Env) -> BaseException:
    held = await asyncpg.connect(env.url)  # an open session keeps a smart shutdown waiting, refusing new ones
    try:
        await asyncio.to_thread(env.pg.stop_nowait, "smart")
        return await first_error(lambda: select_one(env.url))
    finally:
        await held.close()
        await wait_until(_not_running(env.pg), timeout_s=60)
        await asyncio.to_thread(env.pg.start)


def _not_running(pg: FaultyPostgres) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not pg.is_running()

    return check


async def shutdown_mid_statement(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=1)
    conn = await engine.connect()
    statement = asyncio.create_task(conn.execute(sa.text("SELECT pg_sleep(30)")))
    await asyncio.sleep(0.5)
    try:
        async with stopped(env.pg):
            return await error_of(statement)
    finally:
        with contextlib.suppress(Exception):
            await conn.close()
        await engine.dispose()


async def session_terminated(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=2)
    try:
        conn = await engine.connect()
        pid = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
        async with engine.connect() as admin:
            assert await admin.scalar(sa.select(sa.func.pg_terminate_backend(pid, 10_000)))
        error = await error_of(conn.execute(sa.text("SELECT 1")))
        with contextlib.suppress(Exception):
            await conn.close()
        return error
    finally:
        await engine.dispose()


async def proxy_cut_mid_statement(env: Env) -> BaseException:
    proxy = await TcpProxy(env.pg.socket_path).start()
    engine = make_engine(proxy.url("fault"), pool_size=1)
    try:
        conn = await engine.connect()
        statement = asyncio.create_task(conn.execute(sa.text("SELECT pg_sleep(10)")))
        await asyncio.sleep(0.3)
        await proxy.cut()
        error = await error_of(statement)
        with contextlib.suppress(Exception):
            await conn.close()
        return error
    finally:
        await engine.dispose()
        await proxy.close()


async def proxy_refusing(env: Env) -> BaseException:
    proxy = await TcpProxy(env.pg.socket_path).start()
    try:
        await select_one(proxy.url("fault"))  # through the proxy while it is up
        await proxy.cut()
        return await error_of(select_one(proxy.url("fault")))
    finally:
        await proxy.close()


async def pool_exhausted(env: Env) -> BaseException:
    engine = create_async_engine(async_url(env.url), pool_size=1, max_overflow=0, pool_timeout=0.5)
    try:
        async with engine.connect() as held:
            await held.execute(sa.text("SELECT 1"))
            return await error_of(engine.connect())
    finally:
        await engine.dispose()


async def too_many_connections(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP ROLE IF EXISTS outage_limited"))
            await conn.execute(sa.text("CREATE ROLE outage_limited LOGIN CONNECTION LIMIT 1"))
        limited = env.url.replace("postgres:@", "outage_limited:@")
        held = await asyncpg.connect(limited)
        try:
            return await error_of(select_one(limited))
        finally:
            await held.close()
    finally:
        await engine.dispose()


async def unknown_host(env: Env) -> BaseException:
    return await error_of(select_one("postgresql://postgres@pg.outage.invalid:5432/fault"))


async def every_address_refused(env: Env) -> BaseException:
    """A name with an IPv6 and an IPv4 address, nobody listening: asyncio raises OSError('Multiple exceptions')."""
    loop = asyncio.get_running_loop()
    port, real = free_port(), loop.getaddrinfo

    async def two_addresses(host: str, *args: object, **kwargs: object) -> object:
        if host != "pg-dual.invalid":
            return await real(host, *args, **kwargs)  # type: ignore[arg-type]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    env.monkeypatch.setattr(loop, "getaddrinfo", two_addresses)  # only the name is made up; the connects are real
    return await error_of(select_one(f"postgresql://postgres@pg-dual.invalid:{port}/fault"))


async def unique_violation(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TEMP TABLE once (id int PRIMARY KEY)"))
            await conn.execute(sa.text("INSERT INTO once VALUES (1)"))
            return await error_of(conn.execute(sa.text("INSERT INTO once VALUES (1)")))
    finally:
        await engine.dispose()


async def statement_timeout(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("SET LOCAL statement_timeout = 50"))
            return await error_of(conn.execute(sa.text("SELECT pg_sleep(5)")))
    finally:
        await engine.dispose()


async def serialization_failure(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=2).execution_options(isolation_level="SERIALIZABLE")
    first, second = await engine.connect(), await engine.connect()

    async def write_skew() -> None:  # each reads both rows, then takes one off duty: one of them must fail
        for conn, name in ((first, "a"), (second, "b")):
            await conn.execute(sa.text("SELECT count(*) FROM duty WHERE on_call"))
            await conn.execute(sa.text("UPDATE duty SET on_call = false WHERE name = :n"), {"n": name})
        await first.commit()
        await second.commit()

    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS duty"))
            await conn.execute(sa.text("CREATE TABLE duty (name text, on_call bool)"))
            await conn.execute(sa.text("INSERT INTO duty VALUES ('a', true), ('b', true)"))
        return await error_of(write_skew())
    finally:
        for conn in (first, second):
            with contextlib.suppress(Exception):
                await conn.close()
        await engine.dispose()


async def deadlock(env: Env) -> BaseException:
    engine = make_engine(env.url, pool_size=2)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS pair"))
            await conn.execute(sa.text("CREATE TABLE pair (id int PRIMARY KEY, v int)"))
            await conn.execute(sa.text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
        first, second = await engine.connect(), await engine.connect()
        for conn, row in ((first, 1), (second, 2)):
            await conn.execute(sa.text("SET deadlock_timeout = '100ms'"))
            await conn.execute(sa.text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": row})
        crossing = [
            asyncio.create_task(conn.execute(sa.text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": row}))
            for conn, row in ((first, 2), (second, 1))
        ]
        done = await asyncio.gather(*crossing, return_exceptions=True)
        for conn in (first, second):
            with contextlib.suppress(Exception):
                await conn.close()
        errors = [d for d in done if isinstance(d, BaseException)]
        assert len(errors) == 1, f"one of the two transactions is chosen as the deadlock victim: {done}"
        return errors[0]
    finally:
        await engine.dispose()


def chain_of(exc: BaseException) -> list[BaseException]:
    """The test's own walk of an error's causes (so the check does not trust the code under test)."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and all(current is not f for f in found):
            found.append(current)
            pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return found


def sqlstate_of(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", None) or "")


def _codes(exc: BaseException) -> set[str]:
    return {sqlstate_of(c) for c in chain_of(exc)} - {""}


def _has(kind: type[BaseException] | tuple[type[BaseException], ...]) -> Callable[[BaseException], bool]:
    return lambda exc: any(isinstance(c, kind) for c in chain_of(exc))


def _code(code: str) -> Callable[[BaseException], bool]:
    return lambda exc: code in _codes(exc)


def _multiple(exc: BaseException) -> bool:
    return any(isinstance(c, OSError) and str(c).startswith("Multiple exceptions") for c in chain_of(exc))


def _invalidated(exc: BaseException) -> bool:
    return any(isinstance(c, DBAPIError) and c.connection_invalidated for c in chain_of(exc))


Scenario = Callable[[Env], Awaitable[BaseException]]
SCENARIOS: list[tuple[Scenario, str, Callable[[BaseException], bool]]] = [
    (socket_gone, "outage", _has(FileNotFoundError)),
    (shutting_down, "outage", _code("57P03")),
    (shutdown_mid_statement, "outage", _code("57P01")),
    (session_terminated, "outage", _invalidated),
    (proxy_cut_mid_statement, "outage", lambda e: _code("08003")(e) or _has(ConnectionError)(e)),
    (proxy_refusing, "outage", _has(ConnectionRefusedError)),
    (pool_exhausted, "outage", _has(PoolTimeoutError)),
    (too_many_connections, "outage", _code("53300")),
    (unknown_host, "outage", _has((socket.gaierror, TimeoutError))),
    (every_address_refused, "outage", _multiple),
    (serialization_failure, "conflict", _code("40001")),
    (deadlock, "conflict", _code("40P01")),
    (unique_violation, "neither", _code("23505")),
    (statement_timeout, "neither", _code("57014")),
]
