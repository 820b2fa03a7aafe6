"""Schemathesis over every service's live OpenAPI: no 5xx for any input, and every 4xx is a problem detail.

The operations come from each running service's `/openapi.json`, so an endpoint added later is fuzzed
without touching this file. Each service is fuzzed with an admin, a region and a school token, so the
authorised paths run as well as the 401/403 ones; the cases are derandomized and bounded (tests/fuzzing.py).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import schemathesis
from baoxue_common.devstack import ServiceProcess
from baoxue_common.services import SERVICES

from tests.fuzzing import PROBLEM_JSON, aim_at_scope, fuzz_operation
from tests.integration.conftest import Stack

# A county, and a school in it, that no other test uses: fuzzed writes stay out of their way.
COUNTY, SCHOOL = "440305", "4403050001"
SCOPES = ("admin", "region:440000", f"school:{SCHOOL}")


@pytest.fixture(scope="module")
async def school(stack: Stack, services: dict[str, ServiceProcess]) -> str:
    """The school the scoped tokens act for, registered so that their requests get past 404."""
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    body = {"name": "南山模糊测试学校", "county_code": COUNTY, "kind": "primary"}
    async with httpx.AsyncClient(base_url=services["attendance-ingest"].url, timeout=30) as http:
        response = await http.put(f"/v1/schools/{SCHOOL}", headers=admin, json=body)
    assert response.status_code == 200, response.text
    return SCHOOL


@pytest.fixture(scope="module", autouse=True)
async def rules_restored(stack: Stack) -> AsyncIterator[None]:
    """Put back the regions' rules after fuzzing: a valid fuzzed PUT (000000 above all) would move later thresholds."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        kept = await conn.fetch("SELECT * FROM verification.rules")
        yield
        async with conn.transaction():
            await conn.execute("DELETE FROM verification.rules")
            for row in kept:
                names = ", ".join(row.keys())
                marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
                await conn.execute(f"INSERT INTO verification.rules ({names}) VALUES ({marks})", *row.values())
    finally:
        await conn.close()


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("name", [s.name for s in SERVICES])
def test_no_server_error_and_every_client_error_is_a_problem(
    name: str, scope: str, stack: Stack, services: dict[str, ServiceProcess], school: str, subtests: pytest.Subtests
) -> None:
    url = services[name].url
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{name} publishes no operation"
    headers = {"Authorization": f"Bearer {stack.token(scope)}"}
    aim = functools.partial(aim_at_scope, scope=scope, school=school)
    for operation in operations:
        if operation.path.endswith("/stream"):
            continue  # server-sent events do not end: test_stats_stream.py covers the stream's answers
        with subtests.test(msg=operation.label):
            fuzz_operation(operation, base_url=url, headers=headers, aim=aim)


async def test_values_postgres_cannot_store_are_refused_with_a_problem(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    """What the fuzzer found answering 500: a NUL character in a name, an offset beyond a bigint."""
    other_school = "4403050002"
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    async with httpx.AsyncClient(timeout=30) as http:
        nul = await http.put(
            f"{services['attendance-ingest'].url}/v1/schools/{other_school}",
            headers=admin,
            json={"name": "南山\x00学校", "county_code": COUNTY, "kind": "primary"},
        )
        offset = await http.get(
            f"{services['ledger'].url}/v1/counties/{COUNTY}/ledgers/suspected",
            headers=admin,
            params={"offset": 2**64},
        )
    for response in (nul, offset):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.json()["status"] == 422
    assert offset.json()["errors"][0]["loc"] == ["query", "offset"]
    conn = await asyncpg.connect(stack.database_url)
    try:
        query = "SELECT count(*) FROM attendance_ingest.schools WHERE school_code = $1"
        stored = await conn.fetchval(query, other_school)
    finally:
        await conn.close()
    assert stored == 0, "the refused request stored the school"
