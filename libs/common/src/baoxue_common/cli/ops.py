"""`baoxue migrate`, `baoxue topics create` and `baoxue serve`: what a deployment runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from types import FrameType

from baoxue_common.kafka import ensure_topics
from baoxue_common.migrations import migrate
from baoxue_common.services import DEPLOYABLES, service
from baoxue_common.settings import Settings, get_settings

SERVICE_NAMES = [s.name for s in DEPLOYABLES]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the operations commands."""
    m = commands.add_parser("migrate", help="upgrade the database schema of one service or all")
    m.add_argument("service", nargs="?", choices=SERVICE_NAMES)
    m.add_argument("--all", action="store_true", help="every service")
    m.set_defaults(run=_migrate)
    t = commands.add_parser("topics", help="Kafka topics")
    t.add_argument("action", choices=["create"], help="create every topic of the catalog that is missing")
    t.set_defaults(run=_topics)
    s = commands.add_parser("serve", help="run one service (uvicorn)")
    s.add_argument("service", choices=SERVICE_NAMES)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=None, help="default: the service's own port (8001-8005)")
    s.add_argument("--migrate", action="store_true", help="upgrade its schema first")
    s.set_defaults(run=_serve)


def require_database(settings: Settings) -> str:
    """The configured database URL, or a clear error."""
    if not settings.database_url:
        raise SystemExit("baoxue: DATABASE_URL is not set (`make dev` sets it for the embedded PostgreSQL)")
    return settings.database_url


def _migrate(args: argparse.Namespace) -> int:
    if not args.all and not args.service:
        print("baoxue migrate: name a service or pass --all", file=sys.stderr)
        return 2
    url = require_database(get_settings())
    for spec in DEPLOYABLES if args.all else [service(args.service)]:
        migrate(spec, url)
        print(f"migrated {spec.name} (schema {spec.schema})")
    return 0


def _topics(_: argparse.Namespace) -> int:
    created = asyncio.run(ensure_topics(get_settings()))
    print(f"created {len(created)} topic(s): {', '.join(created) or '-'}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from baoxue_common.app import draining

    spec = service(args.service)
    settings = get_settings()
    if args.migrate:
        migrate(spec, require_database(settings))
    config = uvicorn.Config(
        spec.app_factory,
        factory=True,
        host=args.host,
        port=args.port or spec.port,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=20,
    )

    class DrainingServer(uvicorn.Server):
        """uvicorn that tells long-lived responses (`app.draining`) when a signal asks it to exit."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            draining.set()
            super().handle_exit(sig, frame)

    server = DrainingServer(config)
    server.run()
    return 0 if server.started else 3  # uvicorn's exit code when start-up failed
