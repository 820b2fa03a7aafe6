"""`baoxue token revoke` stops a token in every service, including replicas started after the revocation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import asyncpg
import httpx
from baoxue_common.auth import decode_token
from baoxue_common.devstack import ServiceProcess, ensure_database, free_port
from baoxue_common.migrations import migrate_async
from baoxue_common.services import service
from baoxue_common.settings import DEV_TOKEN_SECRET

from tests.integration.conftest import DATA, Stack
from tests.integration.slice_data import COUNTY

PATHS = {
    "attendance-ingest": None,
    "verification": f"/v1/regions/{COUNTY}/rules",
    "ledger": f"/v1/counties/{COUNTY}/ledgers/suspected",
    "reporting": f"/v1/stats/{COUNTY}",
}
UNKNOWN_SCHOOL = "1101019998"
EMPTY_ROLL = {"as_of": "2026-09-01", "students": []}


async def revoke(stack: Stack, token: str) -> subprocess.CompletedProcess[str]:
    """Run `baoxue token revoke -` with the token on stdin, as an operator would."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "baoxue_common.cli", "token", "revoke", "-", "--reason", "test"],
        input=token,
        text=True,
        capture_output=True,
        env={**os.environ, **stack.env},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def is_revoked(response: httpx.Response) -> bool:
    return response.status_code == 401 and "revoked" in response.json()["detail"]


async def test_a_revoked_token_stops_working_everywhere(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    token = stack.token(f"region:{COUNTY}")
    headers = {"Authorization": f"Bearer {token}"}
    readers = {name: path for name, path in PATHS.items() if path}
    async with httpx.AsyncClient(timeout=10) as http:
        for name, path in readers.items():
            assert (await http.get(services[name].url + path, headers=headers)).status_code == 200
        done = await revoke(stack, token)
        assert token not in done.stdout + done.stderr, "the token itself is never printed"
        deadline = time.monotonic() + 30
        refused: set[str] = set()
        while refused != set(readers) and time.monotonic() < deadline:
            for name, path in readers.items():
                if is_revoked(await http.get(services[name].url + path, headers=headers)):
                    refused.add(name)
            await asyncio.sleep(0.2)
        assert refused == set(readers)
        school = {"name": "x", "county_code": COUNTY, "kind": "primary"}
        put = await http.put(f"{services['attendance-ingest'].url}/v1/schools/1101019999", headers=headers, json=school)
        assert put.status_code == 401


async def test_a_replica_started_after_a_revocation_on_a_fresh_database_refuses_the_token(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    revoked, kept = stack.token(f"region:{COUNTY}"), stack.token(f"region:{COUNTY}")
    roster = f"/v1/schools/{UNKNOWN_SCHOOL}/roster"
    running = services["attendance-ingest"].url
    async with httpx.AsyncClient(timeout=30) as http:
        await revoke(stack, revoked)
        deadline = time.monotonic() + 30
        while not is_revoked(await http.put(running + roster, headers=bearer(revoked), json=EMPTY_ROLL)):
            assert time.monotonic() < deadline, "the running service never learnt of the revocation"
            await asyncio.sleep(0.2)

        # A new replica of attendance-ingest (same consumer group name) on a database that has never seen auth.v1.
        fresh = await ensure_database(stack.database_url, f"baoxue_replica_{os.getpid()}", fresh=True)
        await migrate_async(service("attendance-ingest"), fresh)
        env = {**stack.env, "DATABASE_URL": fresh}
        replica = ServiceProcess("attendance-ingest", free_port(), env, DATA / "logs" / "attendance-ingest-replica.log")
        replica.start()
        try:
            await replica.wait_healthy()
            answer = await http.put(replica.url + roster, headers=bearer(revoked), json=EMPTY_ROLL)
            assert is_revoked(answer), f"{answer.status_code} {answer.text}"
            other = await http.put(replica.url + roster, headers=bearer(kept), json=EMPTY_ROLL)
            assert other.status_code == 404, "the replica serves other tokens (an unknown school is 404)"
        finally:
            await asyncio.to_thread(replica.stop)
        jti = decode_token(revoked, DEV_TOKEN_SECRET).jti
        conn = await asyncpg.connect(fresh)
        try:
            stored = await conn.fetchval("SELECT count(*) FROM attendance_ingest.revoked_tokens WHERE jti = $1", jti)
        finally:
            await conn.close()
        assert stored == 1, "the replica stored the revocation in its own database"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
