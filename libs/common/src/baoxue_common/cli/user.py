"""`baoxue user add|disable|enable|reset-password|list-audit`: the console's accounts, managed by an administrator."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from baoxue_common.cli.ops import require_database
from baoxue_common.clock import utc_now
from baoxue_common.db import make_engine
from baoxue_common.settings import get_settings

ROLES = ["school_staff", "county_caseworker", "county_approver", "region_viewer", "admin"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the user commands."""
    user = commands.add_parser("user", help="console accounts (add, disable, enable, reset-password)")
    actions = user.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create a console account")
    add.add_argument("username", help="the sign-in name (no spaces)")
    add.add_argument("--name", required=True, help="the person's name, recorded on every action (e.g. 张敏)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scope", required=True, help="school:<code>, region:<code>, national or admin")
    _password_options(add)
    add.set_defaults(run=lambda a: _run(_add, a))
    for name, text in (("disable", "disable an account and end its sessions"), ("enable", "enable it again")):
        p = actions.add_parser(name, help=text)
        p.add_argument("username")
        p.set_defaults(run=lambda a, n=name: _run(_set_disabled, a, n == "disable"))
    reset = actions.add_parser("reset-password", help="set a new password (ends sessions, clears a lock-out)")
    reset.add_argument("username")
    _password_options(reset)
    reset.set_defaults(run=lambda a: _run(_reset, a))


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (one line)"
    )


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin, a prompt, or (no terminal) a generated one to print once."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("baoxue: the two passwords differ")
        return first, False
    return secrets.token_urlsafe(12), True


def _run(action: Callable[..., Coroutine[Any, Any, int]], args: argparse.Namespace, *extra: Any) -> int:
    from console.domain.accounts import AccountError  # the console package is imported only for these commands

    try:
        return asyncio.run(action(args, *extra))
    except AccountError as exc:
        print(f"baoxue user: {exc}", file=sys.stderr)
        return 2


async def _with_store(work: Callable[[Any], Awaitable[None]]) -> None:
    from console.adapters.accounts import AccountStore

    engine = make_engine(require_database(get_settings()), pool_size=1, application_name="baoxue-user")
    try:
        await work(AccountStore(engine))
    finally:
        await engine.dispose()


async def _add(args: argparse.Namespace) -> int:
    from console import handlers

    password, generated = _password(args)

    async def work(store: Any) -> None:
        await handlers.add_user(
            store, username=args.username, display_name=args.name, role=args.role, scope=args.scope, password=password
        )

    await _with_store(work)
    print(f"added {args.username} ({args.name}, {args.role}, {args.scope})")
    if generated:
        print(f"password (shown once): {password}")
    return 0


async def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    from console import handlers

    async def work(store: Any) -> None:
        if disabled:
            await handlers.disable_user(store, args.username)
        else:
            await store.set_disabled(args.username, False)
            await store.audit(args.username, "user_enabled")

    await _with_store(work)
    print(f"{'disabled' if disabled else 'enabled'} {args.username}")
    return 0


async def _reset(args: argparse.Namespace) -> int:
    from console import handlers

    password, generated = _password(args)
    await _with_store(lambda store: handlers.reset_password(store, args.username, password, utc_now()))
    print(f"password of {args.username} reset; their sessions are ended")
    if generated:
        print(f"password (shown once): {password}")
    return 0
