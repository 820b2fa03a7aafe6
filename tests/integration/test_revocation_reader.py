"""The revocation reader: every revocation on auth.v1 is stored before it reports caught up, whatever its key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import sqlalchemy as sa
from baoxue_common.db import make_engine
from baoxue_common.kafka import make_producer
from baoxue_common.revocations import RevocationReader
from baoxue_common.tables import CommonTables
from baoxue_contracts import Envelope, encode
from baoxue_contracts.events.auth import TokenRevoked
from baoxue_contracts.topics import AUTH

from tests.integration.conftest import Stack
from tests.integration.support import create_schema


def revocation(jti: str, expires_at: datetime) -> bytes:
    event = TokenRevoked(jti=jti, expires_at=expires_at, reason="reader test")
    return encode(Envelope.wrap(event, producer="test", region="000000", occurred_at=datetime.now(UTC)))


async def stored(database_url: str, schema: str, jtis: list[str]) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        query = f'SELECT count(*) FROM "{schema}".revoked_tokens WHERE jti = ANY($1::text[])'
        return int(await conn.fetchval(query, jtis))
    finally:
        await conn.close()


async def test_the_whole_backlog_is_stored_before_caught_up_then_the_reader_tails(stack: Stack) -> None:
    schema = f"revocations_{uuid.uuid4().hex[:8]}"
    await create_schema(stack.database_url, schema)
    later = datetime.now(UTC) + timedelta(days=30)
    tag = uuid.uuid4().hex[:8]
    backlog = [f"{tag}-{i}" for i in range(300)]
    old_style, expired = f"{tag}-keyed-by-region", f"{tag}-expired"
    producer = make_producer(stack.settings(), client_id="reader-test")
    await producer.start()
    try:
        sends = [await producer.send(AUTH, revocation(jti, later), key=jti.encode()) for jti in backlog]
        sends.append(await producer.send(AUTH, revocation(old_style, later), key=b"000000"))
        sends.append(await producer.send(AUTH, revocation(expired, datetime.now(UTC) - timedelta(days=1))))
        sends.append(await producer.send(AUTH, b"not an envelope", key=b"junk"))
        sends.append(await producer.send(AUTH, None, key=f"{tag}-tombstone".encode()))
        await asyncio.gather(*sends)

        engine = make_engine(stack.database_url)
        table = CommonTables(sa.MetaData(schema=schema)).revoked_tokens
        reader = RevocationReader(stack.settings(), engine, table, client_id="reader-test")
        task = asyncio.create_task(reader.run())
        try:
            await asyncio.wait_for(reader.caught_up.wait(), timeout=60)
            assert await stored(stack.database_url, schema, [*backlog, old_style]) == len(backlog) + 1
            assert await stored(stack.database_url, schema, [expired]) == 0, "an expired token needs no revocation"

            tail = f"{tag}-after-start"
            await producer.send_and_wait(AUTH, revocation(tail, later), key=tail.encode())
            for _ in range(150):
                if await stored(stack.database_url, schema, [tail]):
                    break
                await asyncio.sleep(0.2)
            assert await stored(stack.database_url, schema, [tail]) == 1, "a revocation after start-up is tailed"
        finally:
            reader.stop()
            await asyncio.wait_for(task, timeout=30)

        again = RevocationReader(stack.settings(), engine, table, client_id="reader-test-2")
        task = asyncio.create_task(again.run())
        try:
            await asyncio.wait_for(again.caught_up.wait(), timeout=60)
            assert await stored(stack.database_url, schema, [*backlog, old_style, tail]) == len(backlog) + 2
        finally:
            again.stop()
            await asyncio.wait_for(task, timeout=30)
            await engine.dispose()
    finally:
        await producer.stop()
