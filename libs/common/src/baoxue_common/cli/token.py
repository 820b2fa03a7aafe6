"""`baoxue token issue|revoke`: scoped bearer tokens."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta

from baoxue_contracts import Envelope, encode
from baoxue_contracts.events.auth import TokenRevoked

from baoxue_common.auth import decode_token, issue_token, validate_scope, validate_user
from baoxue_common.kafka import ensure_topics, make_producer
from baoxue_common.settings import get_settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the token commands."""
    parser = commands.add_parser("token", help="issue or revoke bearer tokens")
    sub = parser.add_subparsers(dest="token_command", required=True)
    issue = sub.add_parser("issue", help="print a new token (alone on stdout)")
    issue.add_argument("--scope", required=True, help="school:<code>, region:<code>, national or admin")
    issue.add_argument("--user", default=None, help="the person using the token (recorded on what they do)")
    issue.add_argument("--ttl-days", type=int, default=None, help="lifetime in days (default BAOXUE_TOKEN_TTL_DAYS)")
    issue.set_defaults(run=_issue)
    revoke = sub.add_parser("revoke", help="revoke a token everywhere (read from the argument or stdin)")
    revoke.add_argument("token", nargs="?", help="the token; '-' or nothing reads it from stdin")
    revoke.add_argument("--reason", default=None)
    revoke.set_defaults(run=_revoke)


def _issue(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        scope = validate_scope(args.scope)
        user = validate_user(args.user) if args.user is not None else None
    except ValueError as exc:
        print(f"baoxue token issue: {exc}", file=sys.stderr)
        return 2
    ttl = timedelta(days=args.ttl_days or settings.token_ttl_days)
    print(issue_token(scope, settings.token_secret, ttl=ttl, user=user))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    settings = get_settings()
    raw = args.token if args.token not in (None, "-") else sys.stdin.readline()
    principal = decode_token(raw.strip(), settings.token_secret)
    event = TokenRevoked(jti=principal.jti, expires_at=principal.expires_at, reason=args.reason)
    envelope = Envelope.wrap(event, producer="baoxue-cli", region="000000", occurred_at=datetime.now(UTC))

    async def publish() -> None:
        await ensure_topics(settings)
        producer = make_producer(settings, client_id="baoxue-cli")
        await producer.start()
        try:
            # Keyed by token id: the compacted topic keeps one record per revoked token, whatever its age.
            await producer.send_and_wait(event.topic, encode(envelope), key=event.jti.encode())
        finally:
            await producer.stop()

    asyncio.run(publish())
    print(f"revoked token {principal.jti} ({principal.scope}); every service refuses it once it has read auth.v1")
    return 0
