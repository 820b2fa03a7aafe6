"""`baoxue pii rotate`: re-seal every stored ID number under the active key, batch by batch."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable
from typing import Any

from baoxue_common.cli.ops import require_database
from baoxue_common.db import make_engine
from baoxue_common.settings import Settings, get_settings

# The tables with sealed values live in attendance-ingest; imported by name so libs/common does not depend on it.
STORE = "attendance_ingest.adapters.pii_reads"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the personal-data commands."""
    parser = commands.add_parser("pii", help="personal data: encryption keys")
    sub = parser.add_subparsers(dest="pii_command", required=True)
    rotate = sub.add_parser(
        "rotate",
        help="re-seal every ID number not under BAOXUE_PII_ACTIVE_KEY_ID (idempotent; safe to stop and run again)",
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
    rotate.set_defaults(run=_rotate)


def _rotate(args: argparse.Namespace) -> int:
    if not 1 <= args.batch_size <= 50_000:
        print("baoxue pii rotate: --batch-size must be between 1 and 50000", file=sys.stderr)
        return 2
    return asyncio.run(rotate(get_settings(), batch_size=args.batch_size))


def _counts(by_key: dict[str, int]) -> str:
    return ", ".join(f"{key}={n}" for key, n in sorted(by_key.items())) or "none"


async def rotate(settings: Settings, *, batch_size: int, out: Callable[[str], Any] = print) -> int:
    """Re-seal in batches of one transaction each; 0 when every sealed value is under the active key."""
    store = importlib.import_module(STORE)
    cipher = settings.pii_cipher()
    active = cipher.active_key_id
    configured = set(settings.pii_encryption_keys or {"k0": ""})
    engine = make_engine(require_database(settings), pool_size=1, application_name="baoxue-pii-rotate")
    try:
        async with engine.connect() as conn:
            before: dict[str, int] = await store.keys_in_use(conn)
        out(f"sealed ID numbers by key: {_counts(before)}; active key {active}")
        missing = sorted(key for key in before if key not in configured)
        if missing:
            print(
                f"baoxue pii rotate: key(s) {', '.join(missing)} hold sealed values but are not in "
                "BAOXUE_PII_ENCRYPTION_KEYS; configure them (old keys stay until the rotation is done)",
                file=sys.stderr,
            )
            return 1
        pending = sum(n for key, n in before.items() if key != active)
        done = unopenable = 0
        last: str | None = ""
        while last is not None:
            async with engine.begin() as conn:
                batch = await store.reseal_batch(conn, cipher, limit=batch_size, after=last)
            done, unopenable, last = done + batch.resealed, unopenable + batch.unopenable, batch.last
            if batch.resealed or batch.unopenable:
                out(f"re-sealed {done}/{pending}" + (f", {unopenable} would not open" if unopenable else ""))
        async with engine.connect() as conn:
            after: dict[str, int] = await store.keys_in_use(conn)
        out(f"re-sealed {done} ID number(s) under key {active}; by key now: {_counts(after)}")
        if unopenable:
            print(
                f"baoxue pii rotate: {unopenable} sealed value(s) would not open (altered, or sealed under another "
                "secret) and stay under their old key; find them with national_id_key <> the active key",
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        await engine.dispose()
