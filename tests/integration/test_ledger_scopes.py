"""Every id-bearing path of the ledger, tried with a token of another county and of another school: each is
refused with 403 and changes nothing, reads nothing into the access log; the child's own school and county pass."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from baoxue_common.devstack import ServiceProcess
from baoxue_common.kafka import make_producer
from baoxue_common.testing import student_id
from baoxue_contracts import Envelope
from baoxue_contracts.base import Event
from baoxue_contracts.events.verification import DropoutConfirmed, SuspectedDropoutFlagged

from tests.integration.conftest import Stack
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce, scalar
from tests.integration.test_source_outcomes import shanghai_today

COUNTY, OTHER_COUNTY = "140214", "140215"  # 云冈区, 云州区 (Datong): no other test's counties
SCHOOL, OTHER_SCHOOL = "1402140001", "1402140002"


def wrap(event: Event, pupil: str) -> Envelope:
    return Envelope.wrap(
        event,
        producer="verification",
        region=COUNTY,
        occurred_at=datetime.now(UTC),
        school_code=SCHOOL,
        subject_id=pupil,
    )


def paths(case_id: object, pupil: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, body) of every ledger path that names a county, a case or a child."""
    today = shanghai_today().isoformat()
    county = f"/v1/counties/{COUNTY}"
    case = f"/v1/cases/{case_id}"
    return [
        ("GET", f"{county}/ledgers/school-age", None),
        ("GET", f"{county}/ledgers/suspected", None),
        ("GET", f"{county}/ledgers/dropouts", None),
        ("GET", f"{county}/ledgers/dropouts?format=csv", None),
        ("GET", f"{county}/ledgers/suspected?format=xlsx", None),
        ("GET", f"{county}/ledgers/dropouts?as_of={today}", None),
        ("GET", f"{county}/ledgers/consistency", None),
        ("GET", f"{county}/access-log", None),
        ("GET", f"/v1/students/{pupil}/timeline", None),
        ("GET", case, None),
        ("POST", f"{case}/assignees", {"name": "王村长", "role": "village"}),
        ("POST", f"{case}/attempts", {"date": today, "method": "phone", "by": "李老师", "outcome": "refused"}),
        ("POST", f"{case}/escalations", {"level": "criticism_education", "date": today, "issued_by": "镇政府"}),
        ("POST", f"{case}/return", {"school_code": SCHOOL, "date": today, "placement": "regular"}),
        ("PUT", f"{case}/cause", {"main": "work", "others": []}),
        ("POST", f"{case}/closure/approve", {"note": "x"}),
        ("POST", f"{case}/closure/reject", {"reason": "x"}),
        ("POST", f"{case}/transfer", {"to_county_code": OTHER_COUNTY, "reason": "搬家"}),
        ("POST", f"{case}/transfer/accept", None),
        ("POST", f"{case}/transfer/reject", {"reason": "x"}),
    ]


async def test_another_county_and_another_school_are_refused_on_every_path(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    pupil, suspicion = student_id(COUNTY, BIRTH, 1), uuid.uuid4()
    flagged_on = shanghai_today() - timedelta(days=6)
    common = {"suspicion_id": suspicion, "source": "attendance", "county_code": COUNTY, "school_code": SCHOOL}
    flag = SuspectedDropoutFlagged(**common, student_id=pupil, flagged_on=flagged_on, reason="15 consecutive")
    confirmed = DropoutConfirmed(
        **common,
        verification_id=uuid.uuid4(),
        student_id=pupil,
        confirmed_on=flagged_on + timedelta(days=2),
        verified_by="王老师",
    )
    producer = make_producer(stack.settings(), client_id="test-ledger-scopes")
    await producer.start()
    try:
        await produce(producer, flag.topic, [wrap(flag, pupil)])
        await produce(producer, confirmed.topic, [wrap(confirmed, pupil)])
    finally:
        await producer.stop()
    db = stack.database_url
    case_id = await eventually(
        lambda: scalar(db, "SELECT case_id FROM ledger.cases WHERE suspicion_id = $1", suspicion)
    )
    version = "SELECT version FROM ledger.cases WHERE case_id = $1"
    before = await scalar(db, version, case_id)
    logged = "SELECT count(*) FROM ledger.access_log WHERE county_code = $1"
    log_before = await scalar(db, logged, COUNTY)

    async with httpx.AsyncClient(base_url=services["ledger"].url, timeout=30) as http:
        for scope in (f"region:{OTHER_COUNTY}", f"school:{OTHER_SCHOOL}"):
            headers = {"Authorization": f"Bearer {stack.token(scope, user='外人')}"}
            for method, path, body in paths(case_id, pupil):
                r = await http.request(method, path, headers=headers, json=body)
                assert r.status_code == 403, (scope, method, path, r.status_code, r.text)
                assert pupil not in r.text and "王老师" not in r.text, (scope, path)
        assert await scalar(db, version, case_id) == before, "a refused command changes nothing"
        assert await scalar(db, logged, COUNTY) == log_before, "a refused read is no read"

        # The child's own county and school pass (a school sees timelines of pupils on its roll only).
        own_school = {"Authorization": f"Bearer {stack.token(f'school:{SCHOOL}')}"}
        own_county = {"Authorization": f"Bearer {stack.token(f'region:{COUNTY}')}"}
        for headers, path in (
            (own_school, f"/v1/cases/{case_id}"),
            (own_county, f"/v1/cases/{case_id}"),
            (own_county, f"/v1/students/{pupil}/timeline"),
        ):
            r = await http.get(path, headers=headers)
            assert r.status_code == 200, (path, r.text)
        r = await http.get(f"/v1/counties/{COUNTY}/ledgers/dropouts", headers=own_school)
        assert r.status_code == 200, r.text
        assert [i["case_id"] for i in r.json()["items"]] == [str(case_id)]
        r = await http.get(f"/v1/counties/{COUNTY}/ledgers/consistency", headers=own_county)
        assert r.status_code == 200, r.text
