"""Tables every service owns in its schema: the outbox, the inbox and revoked tokens.

Migrations never build from these definitions: a change here needs a new frozen step in
`plumbing_migrations.py` and a revision calling it in every service.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID


def add_common_tables(metadata: sa.MetaData) -> CommonTables:
    """Define the outbox, inbox and revoked-token tables in a service's metadata."""
    return CommonTables(metadata)


class CommonTables:
    """The plumbing tables of one service schema."""

    def __init__(self, metadata: sa.MetaData) -> None:
        self.outbox = sa.Table(
            "outbox",
            metadata,
            sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
            sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
            sa.Column("topic", sa.Text, nullable=False),
            sa.Column("key", sa.Text, nullable=False),
            sa.Column("value", sa.LargeBinary, nullable=False),
            sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
            sa.Column("published_at", sa.DateTime(timezone=True)),
            sa.Column("parked_at", sa.DateTime(timezone=True)),
            sa.Column("park_reason", sa.Text),
            sa.Index("outbox_pending", "id", postgresql_where=sa.text("published_at IS NULL AND parked_at IS NULL")),
            sa.Index("outbox_parked", "id", postgresql_where=sa.text("parked_at IS NOT NULL")),
            sa.Index("outbox_published_at", "published_at", postgresql_where=sa.text("published_at IS NOT NULL")),
        )
        self.inbox = sa.Table(
            "inbox",
            metadata,
            sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
            sa.Column("event_type", sa.Text, nullable=False),
            sa.Column("topic", sa.Text, nullable=False),
            sa.Column("partition", sa.Integer, nullable=False),
            sa.Column("offset", sa.BigInteger, nullable=False),
            sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
            sa.Index("inbox_applied_at", "applied_at"),
        )
        self.revoked_tokens = sa.Table(
            "revoked_tokens",
            metadata,
            sa.Column("jti", sa.Text, primary_key=True),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
            sa.Index("revoked_tokens_expires_at", "expires_at"),
        )
