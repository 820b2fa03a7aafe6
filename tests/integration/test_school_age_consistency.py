"""The consistency check (人账相符) finds what does not add up in a county's ledgers, and follows a case's child."""

from __future__ import annotations

import argparse
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
from baoxue_common.cli.ledger_check import check_county, register_check
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
from baoxue_common.uow import UnitOfWorkFactory
from ledger import school_age
from ledger.adapters.orm import common

from tests.integration.conftest import Stack
from tests.integration.support import eventually, produce
from tests.integration.test_school_age import (
    BORN,
    HOME,
    OTHER_SCHOOL,
    SCHOOL,
    SCHOOL_COUNTY,
    changes_of,
    enrolled,
    entries,
    rows,
    wrap,
)


async def test_the_consistency_check_finds_a_planted_discrepancy_and_a_clean_county_is_ok(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    clean, planted = "140110", "140109"
    ghost = student_id(planted, BORN, 399)
    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as http:
        r = await http.get(
            f"/v1/counties/{clean}/ledgers/consistency",
            headers={"Authorization": f"Bearer {stack.token(f'region:{clean}')}"},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["ok"], r.json()["discrepancies"]) == (True, []), r.json()
        assert r.json()["counts"]["school_age_dropout"] == r.json()["counts"]["open_cases"] == 0

        entry = uuid.uuid4()
        conn = await asyncpg.connect(stack.database_url)
        try:
            await conn.execute(
                "INSERT INTO ledger.suspected (entry_id, suspicion_id, county_code, school_code, student_id, source, "
                "status, reason, flagged_on) VALUES ($1, $2, $3, $4, $5, 'attendance', 'pending', 'planted', $6)",
                entry, uuid.uuid4(), planted, SCHOOL, ghost, date.today(),
            )  # fmt: skip
        finally:
            await conn.close()
        token = {"Authorization": f"Bearer {stack.token(f'region:{planted}')}"}
        r = await http.get(f"/v1/counties/{planted}/ledgers/consistency", headers=token)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["ok"] is False
        assert report["discrepancies"] == [
            {
                "kind": "suspect_not_in_school_age",
                "ledger": "suspected",
                "entry_id": str(entry),
                "child_key": "G" + ghost[1:5] + "*" * 10 + ghost[-4:],
                "detail": "a pending suspect whose child is not in the county's school-age ledger",
            }
        ]
        assert ghost not in r.text, "a student number is shown masked"
        r = await http.get(
            f"/v1/counties/{planted}/ledgers/consistency",
            headers={"Authorization": f"Bearer {stack.token(f'region:{clean}')}"},
        )
        assert r.status_code == 403, r.text


async def test_set_status_moves_a_case_childs_entries_and_the_check_follows_the_case(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupil = student_id(HOME, BORN, 321)
    producer = make_producer(stack.settings(), client_id="test-school-age-cases")
    await producer.start()
    try:
        event = enrolled(stack, pupil, "1401100001", hukou=HOME, residence=HOME)
        await produce(producer, event.topic, [wrap(event, HOME)])
        await eventually(lambda: entries(stack, pupil))
    finally:
        await producer.stop()
    case_id = uuid.uuid4()
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(
            "INSERT INTO ledger.cases (case_id, suspicion_id, county_code, school_code, student_id, child_key, status, "
            "source, confirmed_on) VALUES ($1, $2, $3, '1401100001', $4, $5, 'open', 'attendance', $6)",
            case_id, uuid.uuid4(), HOME, pupil, pupil, date.today(),
        )  # fmt: skip
    finally:
        await conn.close()
    token = {"Authorization": f"Bearer {stack.token(f'region:{HOME}')}"}
    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as http:

        async def report() -> dict[str, Any]:
            r = await http.get(f"/v1/counties/{HOME}/ledgers/consistency", headers=token)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        found = await report()
        assert [d["kind"] for d in found["discrepancies"]] == ["case_status_mismatch", "dropout_count_mismatch"]
        assert (found["counts"]["school_age_dropout"], found["counts"]["open_cases"]) == (0, 1)

        engine = make_engine(stack.database_url)
        factory = UnitOfWorkFactory(make_sessionmaker(engine), common, producer="ledger")
        try:
            for status, school in (("dropout", None), ("dropout", None), ("returned", OTHER_SCHOOL)):
                async with factory() as uow:
                    await school_age.set_status(uow, pupil, status, date.today(), school_code=school)  # type: ignore[arg-type]
                    await uow.commit()
                if status == "dropout":
                    assert {e[3] for e in await entries(stack, pupil)} == {"dropout"}
                    assert (await report())["ok"] is True
        finally:
            await engine.dispose()
        assert await changes_of(stack, pupil) == 3, "enrolled, dropout; the second dropout changed nothing; returned"
        returned = await rows(
            stack.database_url, "SELECT status, school_code FROM ledger.school_age WHERE child_key = $1", pupil
        )
        assert [tuple(r) for r in returned] == [("returned", OTHER_SCHOOL)]
        assert [d["kind"] for d in (await report())["discrepancies"]] == [
            "case_status_mismatch",
            "dropout_count_mismatch",
        ], "an open case whose child the school-age ledger says returned"


async def test_the_check_command_reports_as_the_endpoint_does(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    parser = argparse.ArgumentParser(prog="baoxue")
    ledger = parser.add_subparsers(dest="command").add_parser("ledger")
    register_check(ledger.add_subparsers(dest="action"))
    assert parser.parse_args(["ledger", "check", "--county", HOME]).county == HOME
    report = await check_county(stack.database_url, SCHOOL_COUNTY)
    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=10) as http:
        r = await http.get(
            f"/v1/counties/{SCHOOL_COUNTY}/ledgers/consistency",
            headers={"Authorization": f"Bearer {stack.token(f'region:{SCHOOL_COUNTY}')}"},
        )
    assert (report["ok"], report["discrepancies"], report["counts"]) == (
        r.json()["ok"],
        r.json()["discrepancies"],
        r.json()["counts"],
    )
