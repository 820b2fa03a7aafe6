"""Every metric a dashboard or a data source queries is one the running services emit: no panel is silently empty.

How queries are read and OTLP metrics named is `prometheus_names.py`. Not checked: Tempo's
service-graph series (the Tempo data source's service map), which Tempo's metrics generator makes
from the spans without a query in these files.
"""

from __future__ import annotations

import asyncio

import httpx
from aiokafka import AIOKafkaProducer
from baoxue_common.devstack import ServiceProcess
from baoxue_common.services import SERVICES
from baoxue_contracts.topics import LEDGER, VERIFICATION

from tests.integration.conftest import Stack
from tests.integration.otlp import OtlpReceiver
from tests.integration.prometheus_names import (
    NAMESPACE,
    Emitted,
    dashboard_queries,
    datasource_queries,
    emitted_by_services,
    emitted_by_spanmetrics,
    queried,
    selectors,
    unmet,
)
from tests.integration.slice_data import COUNTY, past_school_days, pupil

SCHOOL = COUNTY + "0042"


def test_the_files_hold_promql_for_every_new_figure() -> None:
    """The parser really finds the queries (an empty list would make the integration check vacuous)."""
    names = {s.name for q in queried() for s in selectors(q.expr)}
    assert dashboard_queries() and datasource_queries()
    for family in ("baoxue_consumer_lag", "baoxue_outbox_oldest_age_seconds", "traces_span_metrics_duration_seconds"):
        assert any(n.startswith(family) for n in names), f"no panel or data source queries {family}"


async def test_every_queried_metric_is_emitted_by_the_running_services(
    stack: Stack, services: dict[str, ServiceProcess], otlp: OtlpReceiver
) -> None:
    await make_traffic(stack, services)
    await poison_consumed_topics(stack)  # real undecodable records: ledger and reporting dead-letter one each
    queries = queried()
    variable = [q for q in queries if " variable " in q.where]

    def problems() -> list[str]:
        emitted = emitted_by_services(otlp) | emitted_by_spanmetrics(otlp)
        missing = unmet(queries, emitted)
        for query in variable:  # every service must appear in the service picker
            for selector in selectors(query.expr):
                jobs = emitted.get(selector.name, Emitted(set(), set())).jobs
                absent = [s.name for s in SERVICES if f"{NAMESPACE}/{s.name}" not in jobs]
                missing += [f"{query.where}: no {selector.name} from {name}" for name in absent]
        return missing

    missing = problems()
    for _ in range(60):  # the services export every second (OTEL_METRIC_EXPORT_INTERVAL)
        if not missing:
            break
        await asyncio.sleep(1)
        missing = problems()
    assert not missing, "panels that would stay empty:\n" + "\n".join(dict.fromkeys(missing))


async def make_traffic(stack: Stack, services: dict[str, ServiceProcess]) -> None:
    """A school, a roll and a few school days: every service serves HTTP, consumes and publishes."""
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    url = {name: proc.url for name, proc in services.items()}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.put(
            f"{url['attendance-ingest']}/v1/schools/{SCHOOL}",
            headers=admin,
            json={"name": "指标小学", "county_code": COUNTY, "kind": "primary"},
        )
        assert r.status_code == 200, r.text
        student = pupil(42)
        r = await http.put(
            f"{url['attendance-ingest']}/v1/schools/{SCHOOL}/roster",
            headers=admin,
            json={"as_of": "2026-09-01", "students": [student]},
        )
        assert r.status_code == 200, r.text
        for day in past_school_days(3):
            records = [{"student_id": student["student_id"], "status": "absent_unexcused"}]
            r = await http.post(
                f"{url['attendance-ingest']}/v1/schools/{SCHOOL}/attendance",
                headers=admin,
                json={"date": day.isoformat(), "records": records},
            )
            assert r.status_code == 200, r.text
        for path in (
            f"{url['verification']}/v1/regions/{COUNTY}/rules",
            f"{url['ledger']}/v1/counties/{COUNTY}/ledgers/suspected",
            f"{url['reporting']}/v1/stats/{COUNTY}",
        ):
            r = await http.get(path, headers=admin)
            assert r.status_code == 200, r.text


async def poison_consumed_topics(stack: Stack) -> None:
    """Publish bytes no contract decodes on the topics ledger and reporting consume (others read attendance.v1)."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for topic in (VERIFICATION, LEDGER):
            await producer.send_and_wait(topic, b"not an envelope", key=b"metrics-test")
    finally:
        await producer.stop()
