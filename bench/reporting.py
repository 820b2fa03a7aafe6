"""Reporting at the size of a province: 10 M pupils' ledger events folded into the read model, then read.

1. Build: every LedgerEntryChanged of a synthetic 浙江 (20,000 schools x 500 pupils and their flag / case
   stories over the 2025-2026 school year) through the service's batch handler, in worker processes.
2. Consume: a backlog on `ledger.v1` of a broker of its own, applied by the service's consumer (`baoxue serve`).
3. Read: `GET /v1/stats/{region}` of four tiers and the five reports in JSON, XLSX and CSV, over HTTP, against
   the 10 M read model; and, in-process, the counters a province annual evaluation reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from baoxue_common.auth import issue_token
from baoxue_common.devstack import Broker, ServiceProcess, free_port
from baoxue_common.kafka import ensure_topics
from baoxue_common.migrations import migrate_async
from baoxue_common.services import service
from baoxue_common.settings import DEV_TOKEN_SECRET, Settings

from bench.reporting_build import build, table_sizes
from bench.reporting_consume import dirty_count, drain, inbox_count, pace_log, produce_backlog, watch_inbox
from bench.reporting_data import PROVINCE, ProvinceSize, counties
from bench.reporting_reads import province_counters_read, reads

CONSUMER_VARIANTS: dict[str, tuple[dict[str, str], int]] = {
    "service_defaults": ({}, 1),  # as `baoxue serve` runs it: polls of up to 500 records
    "max_records_2000": ({"BAOXUE_CONSUMER_MAX_RECORDS": "2000"}, 1),
    "two_replicas": ({"BAOXUE_CONSUMER_MAX_RECORDS": "2000"}, 2),  # one consumer group, one database
}
DRAIN_S = 120  # how long the publisher may take to publish what a build or a backlog changed before the reads
TARGETS = {"province_annual_s": 1.0, "stats_p99_ms": 20, "consumer_events_per_s": 20_000}


@dataclass
class ReportingSize:
    """The province, the consumer's backlog and the number of timed reads."""

    province: ProvinceSize
    backlog: int = 300_000
    workers: int = 2
    stats_runs: int = 500
    report_runs: int = 20


async def publish_build(database_url: str, data: Path, bootstrap: str, say: Callable[[str], None]) -> dict[str, Any]:
    """Run the service with nothing to consume until its publisher has published the build's changed figures."""
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "BAOXUE_ENV": "test"}
    proc = ServiceProcess("reporting", free_port(), env, data / "logs" / "reporting-bench-publish.log").start()
    try:
        await proc.wait_healthy()
        got = await drain(database_url, DRAIN_S, say)
    finally:
        await asyncio.to_thread(proc.stop)
    say(f"reporting: publisher after the build {got}")
    return got


async def consume(database_url: str, data: Path, size: ReportingSize, say: Callable[[str], None]) -> dict[str, Any]:
    """Per consumer variant: a backlog on a broker of its own, the service started, its pace; then the reads."""
    broker = await Broker(free_port(), data / "broker-reporting.log").start()
    section: dict[str, Any] = {"consumer": {}}
    try:
        settings = Settings(
            _env_file=None,
            env="test",
            database_url=database_url,
            kafka_bootstrap_servers=broker.bootstrap,
        )
        await ensure_topics(settings)
        section["publisher_after_build"] = await publish_build(database_url, data, broker.bootstrap, say)
        backlog = ProvinceSize(schools=size.backlog // 450, pupils_per_school=size.province.pupils_per_school)
        for k, (variant, (extra, processes)) in enumerate(CONSUMER_VARIANTS.items()):
            first = size.province.schools + k * backlog.schools  # schools opened during the year: new codes
            produced_s = await produce_backlog(settings, backlog, first, size.backlog)
            say(f"reporting: {size.backlog:,} LedgerEntryChanged on ledger.v1 in {produced_s:.0f} s")
            env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "BAOXUE_ENV": "test"}
            base = await inbox_count(database_url)
            logs = [data / "logs" / f"reporting-bench-{variant}-{i}.log" for i in range(processes)]
            for log in logs:
                log.unlink(missing_ok=True)
            procs = [ServiceProcess("reporting", free_port(), env | extra, log).start() for log in logs]
            try:
                for proc in procs:
                    await proc.wait_healthy()
                dirty = await dirty_count(database_url)
                got = await watch_inbox(database_url, base, size.backlog, 600, say)
                got |= {"env": extra, "processes": processes, "events": size.backlog}
                got |= {"pace_log_events_per_s": [pace_log(log) for log in logs]}
                got |= {
                    "unpublished_figures_at_start": dirty,
                    "unpublished_figures_at_end": await dirty_count(database_url),
                }
                section["consumer"][variant] = got
                say(
                    f"reporting: consumer ({variant}) {got['median_events_per_s']:,} events/s (median of 5-s "
                    f"windows; {got['overall_events_per_s']:,}/s over the {got['catch_up_s']} s catch-up)"
                )
                if k == 0:
                    section["publisher_after_backlog"] = await drain(database_url, DRAIN_S, say)
                    token = issue_token("national", DEV_TOKEN_SECRET, ttl=timedelta(hours=1), user="bench")
                    section["http"] = await reads(procs[0].url, token, size.stats_runs, size.report_runs, say)
            finally:
                for proc in procs:
                    await asyncio.to_thread(proc.stop)
    finally:
        broker.kill()
    return section


async def run_reporting(
    database_url: str, data: Path, size: ReportingSize, say: Callable[[str], None]
) -> dict[str, Any]:
    """The reporting bench; returns the section of results.json."""
    began = time.perf_counter()
    await migrate_async(service("reporting"), database_url)
    p = size.province
    say(f"reporting: building the read model of {p.pupils:,} pupils in {p.schools:,} schools of {PROVINCE}")
    section: dict[str, Any] = {"province": PROVINCE, "size": asdict(size)}
    section["build"] = await build(database_url, p, size.workers, say)
    section["read_model"] = await table_sizes(database_url)
    say(f"reporting: read model {section['read_model']}")
    all_counties = counties()
    cities = sorted({c[:4] + "00" for c in all_counties})
    section["province_counters_read"] = got = await province_counters_read(database_url, cities, all_counties, 20)
    say(
        f"reporting: counters of a province year ({got['regions']} regions) "
        f"p50 {got['p50_ms']} ms, p99 {got['p99_ms']} ms"
    )
    section |= await consume(database_url, data, size, say)
    section["targets"] = TARGETS
    section["seconds"] = round(time.perf_counter() - began, 1)
    return section


def report(section: dict[str, Any], say: Callable[[str], None]) -> None:
    """A short table of the figures against the targets."""
    build_ = section["build"]
    say(f"{'reporting':<44} {'figure':>14}  target")
    say(f"{'build ' + format(build_['events'], ',') + ' events':<44} {build_['events_per_s']:>12,}/s  -")
    for variant, got in section.get("consumer", {}).items():
        say(f"{'consumer applied (' + variant + ')':<44} {got['median_events_per_s']:>12,}/s  >= 20,000/s")
    for tier, got in section.get("http", {}).get("stats", {}).items():
        say(f"{'GET /v1/stats (' + tier + ') p99':<44} {_ms(got, 'p99_ms'):>14}  <= 20 ms")
    for name, formats in section.get("http", {}).get("reports", {}).items():
        for fmt, got in formats.items():
            target = "<= 1 s" if name == "province_annual" else "-"
            say(
                f"{name + ' ' + fmt + ' p50 / p99':<44} {_ms(got, 'p50_ms') + ' / ' + _ms(got, 'p99_ms'):>14}  {target}"
            )


def _ms(got: dict[str, Any], key: str) -> str:
    return f"{got[key]} ms" if key in got else "n/a"
