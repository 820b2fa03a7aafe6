"""`baoxue ledger check --county C`: the consistency check (人账相符) of a county's ledgers, as the endpoint answers.

`register_check(actions)` adds `check` to the `ledger` command's actions (the `ledger` command itself is
registered by `cli/ledger.py`). Exit status 0 when the ledgers agree, 1 when a discrepancy is found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from baoxue_common.cli.ops import require_database
from baoxue_common.db import make_engine, make_sessionmaker
from baoxue_common.settings import get_settings


def register_check(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `check --county C` to the ledger command's actions."""
    c = actions.add_parser("check", help="check that a county's ledgers agree (人账相符); reports, fixes nothing")
    c.add_argument("--county", required=True, help="the 6-digit county code")
    c.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    report = asyncio.run(check_county(require_database(get_settings()), args.county))
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report["ok"] else 1


async def check_county(url: str, county: str) -> dict[str, Any]:
    """The county's consistency report, read straight from the ledger's tables."""
    # The service package is imported only here: the CLI runs without it for every other command.
    from ledger.consistency import check

    engine = make_engine(url, application_name="ledger-check")
    try:
        async with make_sessionmaker(engine)() as session:
            return await check(session, county)
    finally:
        await engine.dispose()
