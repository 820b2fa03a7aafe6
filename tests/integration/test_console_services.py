"""The console and the four services: the token it mints names the person (the ledger's access log says who read),
a service's refusal comes back in words, and a service that is down is a page in words, never a stack trace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from baoxue_common.devstack import ServiceProcess, free_port
from baoxue_common.kafka import make_producer
from baoxue_common.pii import national_id_hash
from baoxue_common.settings import DEV_TOKEN_SECRET
from baoxue_common.testing import national_id
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import StudentEnrolled
from console.adapters.services_api import ServiceError, ServiceUrls, UserApi
from console.domain.accounts import ConsoleUser, Role

from tests.integration.conftest import Stack
from tests.integration.console_support import PASSWORD, add_user, console_process
from tests.integration.otlp import SERVER, OtlpReceiver, SpanSeen
from tests.integration.slice_data import BIRTH
from tests.integration.support import eventually, produce

COUNTY, SCHOOL = "140226", "1402260001"  # 左云县: no other test's county
PERSON = ConsoleUser("zy-reader", "左云 王芳", Role.COUNTY_CASEWORKER, f"region:{COUNTY}")
NUMBER = national_id(COUNTY, BIRTH, 77)
PUPIL = "G" + NUMBER


def user_api(stack: Stack, services: dict[str, ServiceProcess], http: httpx.AsyncClient, who: ConsoleUser) -> UserApi:
    """The client the console's `Api` dependency builds for a signed-in user."""
    settings = stack.settings(token_secret=DEV_TOKEN_SECRET)
    urls = ServiceUrls({name: proc.url for name, proc in services.items()})
    return UserApi.mint(http, urls, settings, who)


async def test_a_read_through_the_console_is_logged_under_the_persons_name(
    stack: Stack, services: dict[str, ServiceProcess]
) -> None:
    enrolled = StudentEnrolled(
        student_id=PUPIL,
        school_code=SCHOOL,
        name="左云学生",
        gender="F",
        birth_date=BIRTH,
        grade=3,
        class_name="3(1)",
        hukou_county_code=COUNTY,
        residence_county_code=COUNTY,
        national_id_hash=national_id_hash(stack.settings().pii_key, NUMBER),
        enrolled_on=datetime.now(UTC).date() - timedelta(days=3),
    )
    producer = make_producer(stack.settings(), client_id="test-console-services")
    await producer.start()
    try:
        envelope = Envelope.wrap(enrolled, producer="attendance-ingest", region=COUNTY, occurred_at=datetime.now(UTC))
        await produce(producer, enrolled.topic, [envelope])
    finally:
        await producer.stop()
    async with httpx.AsyncClient(timeout=10) as http:
        api = user_api(stack, services, http, PERSON)

        async def timeline() -> Any:
            try:
                return await api.get("ledger", f"/v1/students/{PUPIL}/timeline")
            except ServiceError as error:
                assert error.status == 404, error.message
                return None

        lines = await eventually(timeline)
        assert [i["event_type"] for i in lines["items"]] == ["StudentEnrolled"]
        log = await api.get("ledger", f"/v1/counties/{COUNTY}/access-log", {"actor": PERSON.display_name})
        assert log["total"] >= 1
        assert {(i["actor"], i["scope"], i["action"]) for i in log["items"]} == {
            ("左云 王芳", f"region:{COUNTY}", "timeline")
        }

        # Another county's records: the service refuses, and the console has the words for it.
        with pytest.raises(ServiceError) as refused:
            await api.get("ledger", "/v1/counties/140225/access-log")
        assert refused.value.status == 403 and refused.value.message.startswith("无权访问")


async def test_a_service_that_is_down_is_a_page_in_words(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with (
        console_process(stack, services, log="console-outage", reporting=nowhere) as console,
        httpx.AsyncClient(base_url=console.url, timeout=30) as http,
    ):
        await add_user(stack, "zy-outage", "左云 冯涛", "county_caseworker", f"region:{COUNTY}")
        signed = await http.post("/login", data={"username": "zy-outage", "password": PASSWORD})
        assert signed.status_code == 303
        page = await http.get(signed.headers["location"])
        assert page.status_code == 503 and "服务暂时不可用，请稍后再试" in page.text
        assert "Traceback" not in page.text and "httpx" not in page.text and "左云 冯涛" in page.text
        fragment = await http.get(signed.headers["location"], headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and "<html" not in fragment.text and "服务暂时不可用" in fragment.text


async def test_a_page_and_the_service_calls_behind_it_are_one_trace(
    stack: Stack, services: dict[str, ServiceProcess], console: ServiceProcess, otlp: OtlpReceiver
) -> None:
    """The console's server span continues the caller's trace, and the services it calls continue the console's."""
    await add_user(stack, "zuoyun-traced", "王芳", "county_caseworker", f"region:{COUNTY}")
    trace_id = uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as client:
        signed = await client.post("/login", data={"username": "zuoyun-traced", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        page = await client.get(f"/counties/{COUNTY}", headers={"traceparent": f"00-{trace_id}-{'1' * 16}-01"})
        assert page.status_code == 200, page.text

    def console_spans() -> list[SpanSeen]:
        return [s for s in otlp.spans(trace_id) if s.service == "console"]

    async def traced() -> bool:
        # The page's server span ends after its children, so it may be exported in a later batch: wait for all.
        spans = console_spans()
        return "reporting" in otlp.services_in(trace_id) and any(s.kind == SERVER for s in spans)

    await eventually(traced)
    assert any(s.is_sql for s in console_spans()), "the session lookup is traced as SQL"
