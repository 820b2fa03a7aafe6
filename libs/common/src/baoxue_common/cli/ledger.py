"""`baoxue ledger sweep --date YYYY-MM-DD`: propose consolidated cases for close-out (销号), as the service does."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from baoxue_common.cli import ledger_check
from baoxue_common.cli.ops import require_database
from baoxue_common.clock import Clock
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.settings import get_settings
from baoxue_common.uow import UnitOfWorkFactory


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ledger commands."""
    ledger = commands.add_parser("ledger", help="ledger operations")
    actions = ledger.add_subparsers(dest="action", required=True)
    s = actions.add_parser("sweep", help="propose returned cases that stayed the consolidation period for close-out")
    s.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today, local)")
    s.add_argument("--county", action="append", default=None, help="only this county (repeatable; default: all)")
    s.set_defaults(run=_sweep)
    ledger_check.register_check(actions)


def _sweep(args: argparse.Namespace) -> int:
    settings = get_settings()
    url = require_database(settings)
    day = args.date or Clock(settings.zone).today()
    proposed = asyncio.run(_run(url, day, args.county))
    print(f"{day} closures proposed: {proposed}")
    return 0


async def _run(url: str, day: date, counties: list[str] | None) -> int:
    # The service package is imported only here: the CLI runs without it for every other command.
    from ledger.adapters.orm import common
    from ledger.bootstrap import SPEC
    from ledger.consolidation import run_sweep

    engine = make_engine(url, application_name=f"{SPEC.name}-sweep")
    try:
        factory = UnitOfWorkFactory(make_sessionmaker(engine), common, producer=SPEC.name)
        return await run_sweep(factory, day, counties)
    finally:
        await engine.dispose()
