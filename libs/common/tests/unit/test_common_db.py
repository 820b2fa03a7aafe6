"""How the outage classification walks an error: groups, causes, contexts the code chose to hide, cycles.

Which real failures are outages is proven against a real server in tests/integration/test_outages.py; these
tests drive the walk with real connection errors that need no server (a Unix socket that does not exist).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from baoxue_common.db import is_retryable_conflict, is_unavailable, make_engine, ping
from sqlalchemy.exc import IntegrityError


async def socket_gone(tmp_path: Path) -> BaseException:
    """The error of connecting to a server whose socket is not there."""
    engine = make_engine(f"postgresql://postgres@/x?host={tmp_path}")
    try:
        await ping(engine)
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("connecting to a missing socket succeeded")


async def test_a_missing_socket_is_an_outage(tmp_path: Path) -> None:
    error = await socket_gone(tmp_path)
    assert isinstance(error, FileNotFoundError)
    assert is_unavailable(error)


async def test_an_outage_inside_a_task_group_is_an_outage(tmp_path: Path) -> None:
    with pytest.raises(ExceptionGroup) as caught:
        async with asyncio.TaskGroup() as group:
            group.create_task(asyncpg.connect(host=str(tmp_path), user="postgres", database="x"))
    assert is_unavailable(caught.value)
    assert is_unavailable(ExceptionGroup("outer", [ValueError("other"), caught.value]))


async def test_an_error_raised_while_handling_an_outage_is_an_outage(tmp_path: Path) -> None:
    outage = await socket_gone(tmp_path)
    try:
        try:
            raise outage
        except OSError:
            raise RuntimeError("cleanup failed too")  # noqa: B904 - the implicit context is the point
    except RuntimeError as exc:
        assert exc.__context__ is outage
        assert is_unavailable(exc)


async def test_a_context_the_code_chose_to_hide_does_not_count(tmp_path: Path) -> None:
    outage = await socket_gone(tmp_path)
    try:
        try:
            raise outage
        except OSError:
            raise LookupError("reported as something else on purpose") from None
    except LookupError as exc:
        assert not is_unavailable(exc)


def test_a_cycle_of_contexts_ends() -> None:
    first, second = ValueError("a"), KeyError("b")
    first.__context__, second.__context__ = second, first
    assert not is_unavailable(first)


def test_request_errors_are_neither_outages_nor_conflicts() -> None:
    duplicate = IntegrityError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_unavailable(duplicate)
    assert not is_retryable_conflict(duplicate)


def test_a_conflict_on_a_dead_connection_is_an_outage_first() -> None:
    conflict = asyncpg.exceptions.SerializationError("could not serialize access")
    assert is_retryable_conflict(conflict)
    conflict.__cause__ = asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    assert is_unavailable(conflict)
    assert not is_retryable_conflict(conflict)
