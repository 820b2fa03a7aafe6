"""`baoxue pii rotate` re-seals every ID number under the active key; index and mask unchanged; idempotent."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from baoxue_common.pii import PiiKeyError, Sm4GcmCipher, derived_key, seal_national_id
from baoxue_common.settings import DEV_PII_KEY
from baoxue_common.testing import national_id

from tests.integration.conftest import Stack

# k0 is the key the test services run with (no BAOXUE_PII_ENCRYPTION_KEYS: k0 from BAOXUE_PII_KEY).
SECRETS = {"k0": DEV_PII_KEY, "k1": "rotation-test-secret-of-key-one-0123456789"}
CIPHERS = {kid: Sm4GcmCipher({kid: derived_key(secret, kid)}, kid) for kid, secret in SECRETS.items()}
PUPILS = {f"L77000{n:02d}": national_id("522601", date(2014, 5, 6), 700 + n) for n in range(8)}
ALREADY_K1 = {"L7700006", "L7700007"}  # as if an earlier run was stopped half-way
ALTERED = "L7700099"  # its seal is another pupil's: it never opens and must not stop the rotation


async def rows(database_url: str) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        found = await conn.fetch(
            "SELECT student_id, national_id_hash, national_id_enc, national_id_key, national_id_masked"
            " FROM attendance_ingest.students WHERE student_id = ANY($1::text[])",
            [*PUPILS, ALTERED],
        )
    finally:
        await conn.close()
    return {r["student_id"]: r for r in found}


async def seed(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for sid, number in [*PUPILS.items(), (ALTERED, national_id("522601", date(2014, 5, 6), 799))]:
            s = seal_national_id(CIPHERS["k1" if sid in ALREADY_K1 else "k0"], DEV_PII_KEY, number, sid)
            if sid == ALTERED:
                s = replace(s, sealed=CIPHERS["k0"].encrypt(number, "L7700000")[1])
            await conn.execute(
                "INSERT INTO attendance_ingest.students (student_id, school_code, national_id_hash, name, gender,"
                " birth_date, grade, class_name, hukou_county_code, residence_county_code, national_id_enc,"
                " national_id_key, national_id_masked) VALUES ($1, '5226010077', $2, '轮换', 'F', '2014-05-06', 6,"
                " '6-1', '522601', '522601', $3, $4, $5)",
                sid,
                s.index,
                s.sealed,
                s.key_id,
                s.masked,
            )
    finally:
        await conn.close()


def baoxue_pii_rotate(stack: Stack, cwd: Path, keys: dict[str, str], active: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_") and k != "DATABASE_URL"}
    env |= stack.env | {"BAOXUE_PII_ENCRYPTION_KEYS": json.dumps(keys), "BAOXUE_PII_ACTIVE_KEY_ID": active}
    command = [sys.executable, "-m", "baoxue_common.cli", "pii", "rotate", "--batch-size", "3"]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


async def test_rotation_reseals_under_the_active_key_and_is_idempotent(stack: Stack, tmp_path: Path) -> None:
    await seed(stack.database_url)
    before = await rows(stack.database_url)
    assert {r["national_id_key"] for r in before.values()} == {"k0", "k1"}
    try:
        missing_k0 = await asyncio.to_thread(baoxue_pii_rotate, stack, tmp_path, {"k1": SECRETS["k1"]}, "k1")
        assert missing_k0.returncode == 1, missing_k0.stdout + missing_k0.stderr
        assert "k0 hold sealed values but are not in BAOXUE_PII_ENCRYPTION_KEYS" in missing_k0.stderr
        assert await rows(stack.database_url) == before, "a refused rotation changes nothing"

        done = await asyncio.to_thread(baoxue_pii_rotate, stack, tmp_path, SECRETS, "k1")
        # Exit 1: the altered row (and any other test's) would not open; everything else is done.
        assert done.returncode == 1, done.stdout + done.stderr
        assert "sealed value(s) would not open" in done.stderr and "stay under their old key" in done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("sealed ID numbers by key: k0=") and "active key k1" in lines[0]
        assert any(line.startswith("re-sealed 3/") for line in lines), "progress per batch"
        assert re.fullmatch(r"re-sealed \d+ ID number\(s\) under key k1; by key now: k0=\d+, k1=\d+", lines[-1])

        after = await rows(stack.database_url)
        for sid, number in PUPILS.items():
            old, new = before[sid], after[sid]
            assert new["national_id_key"] == "k1"
            assert CIPHERS["k1"].decrypt("k1", new["national_id_enc"], sid) == number
            assert (new["national_id_hash"], new["national_id_masked"]) == (
                old["national_id_hash"],
                old["national_id_masked"],
            )
            if sid in ALREADY_K1:
                assert new["national_id_enc"] == old["national_id_enc"], "rows already under k1 are not touched"
            else:
                assert new["national_id_enc"] != old["national_id_enc"]
                with pytest.raises(PiiKeyError):
                    CIPHERS["k0"].decrypt("k0", new["national_id_enc"], sid)

        assert after[ALTERED] == before[ALTERED], "a value that does not open is left as it was"

        again = await asyncio.to_thread(baoxue_pii_rotate, stack, tmp_path, SECRETS, "k1")
        assert "re-sealed 0 ID number(s) under key k1" in again.stdout, again.stdout + again.stderr
        assert await rows(stack.database_url) == after, "a second run does nothing"
    finally:
        # The test services only know k0: put every sealed value (other tests' too) back under it.
        back = await asyncio.to_thread(baoxue_pii_rotate, stack, tmp_path, SECRETS, "k0")
        assert "under key k0; by key now: k0=" in back.stdout, back.stdout + back.stderr
    restored = await rows(stack.database_url)
    assert all(r["national_id_key"] == "k0" for r in restored.values())
    assert all(CIPHERS["k0"].decrypt("k0", restored[sid]["national_id_enc"], sid) == n for sid, n in PUPILS.items())
