"""`baoxue verification sweep --date YYYY-MM-DD`: run verification's daily sweeps for a day, as the service does."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from baoxue_common.cli.ops import require_database
from baoxue_common.clock import Clock
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.settings import get_settings
from baoxue_common.uow import UnitOfWorkFactory


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the verification commands."""
    v = commands.add_parser("verification", help="verification operations")
    actions = v.add_subparsers(dest="action", required=True)
    s = actions.add_parser(
        "sweep",
        help="raise what a day's sweeps raise (overdue verifications, stalled transfers, pupils not attending)",
    )
    s.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today, local)")
    s.add_argument("--county", action="append", default=None, help="only this county (repeatable; default: all)")
    s.set_defaults(run=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    settings = get_settings()
    url = require_database(settings)
    day = args.date or Clock(settings.zone).today()
    raised = asyncio.run(_run(url, day, args.county))
    for name, count in raised.items():
        print(f"{day} {name}: {count}")
    return 0


async def _run(url: str, day: date, counties: list[str] | None) -> dict[str, int]:
    # The service package is imported only here: the CLI runs without it for every other command.
    from verification.adapters.orm import common
    from verification.bootstrap import SPEC
    from verification.sweeps import run_sweeps

    engine = make_engine(url, application_name=f"{SPEC.name}-sweep")
    try:
        factory = UnitOfWorkFactory(make_sessionmaker(engine), common, producer=SPEC.name)
        return await run_sweeps(factory, day, counties)
    finally:
        await engine.dispose()
