"""The `baoxue` command: tokens, migrations, topics, serving one service, the dev stack, contracts, PII keys, users."""

from __future__ import annotations

import argparse
import sys

from baoxue_common.cli import contracts, dev, ledger, ops, pii, token, user, verification
from baoxue_common.devstack import DevstackMissing
from baoxue_common.errors import ProblemError
from baoxue_common.settings import SettingsError


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run one sub-command."""
    parser = argparse.ArgumentParser(prog="baoxue", description="Baoxue (保学) operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    token.register(commands)
    ops.register(commands)
    dev.register(commands)
    contracts.register(commands)
    pii.register(commands)
    verification.register(commands)
    ledger.register(commands)
    user.register(commands)
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
    except (SettingsError, ProblemError, DevstackMissing) as exc:
        print(f"baoxue: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)
