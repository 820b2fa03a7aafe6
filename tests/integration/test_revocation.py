"""`baoxue token revoke` stops a token in every service."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
from baoxue_common.devstack import ServiceProcess

from tests.integration.conftest import Stack
from tests.integration.slice_data import COUNTY

PATHS = {
    "attendance-ingest": None,
    "verification": f"/v1/regions/{COUNTY}/rules",
    "ledger": f"/v1/counties/{COUNTY}/ledgers/suspected",
    "reporting": f"/v1/stats/{COUNTY}",
}


async def test_a_revoked_token_stops_working_everywhere(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    token = stack.token(f"region:{COUNTY}")
    headers = {"Authorization": f"Bearer {token}"}
    readers = {name: path for name, path in PATHS.items() if path}
    async with httpx.AsyncClient(timeout=10) as http:
        for name, path in readers.items():
            assert (await http.get(services[name].url + path, headers=headers)).status_code == 200
        env = {**os.environ, **stack.env}
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "baoxue_common.cli", "token", "revoke", "-", "--reason", "test"],
            input=token,
            text=True,
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert token not in done.stdout + done.stderr, "the token itself is never printed"
        deadline = time.monotonic() + 30
        refused: set[str] = set()
        while refused != set(readers) and time.monotonic() < deadline:
            for name, path in readers.items():
                response = await http.get(services[name].url + path, headers=headers)
                if response.status_code == 401 and "revoked" in response.json()["detail"]:
                    refused.add(name)
            await asyncio.sleep(0.2)
        assert refused == set(readers)
        school = {"name": "x", "county_code": COUNTY, "kind": "primary"}
        put = await http.put(f"{services['attendance-ingest'].url}/v1/schools/1101019999", headers=headers, json=school)
        assert put.status_code == 401
