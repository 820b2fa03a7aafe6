"""The plumbing tables' migration steps (outbox, inbox, revoked tokens), frozen: never edit a step.

Each step is what one revision of every service runs, spelled out column by column, so a revision
means the same thing forever whatever `tables.py` says today. Every service's 0001 calls
`create_plumbing_v1`, its 0002 `upgrade_plumbing_v2`. To change the tables: edit `tables.py`, add a
`upgrade_plumbing_v3` here, and a revision in each service that calls it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID


def create_plumbing_v1(schema: str) -> None:
    """The outbox, inbox and revoked-token tables as first released."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        schema=schema,
    )
    op.create_index(
        "outbox_unpublished", "outbox", ["id"], schema=schema, postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def drop_plumbing_v1(schema: str) -> None:
    """Undo `create_plumbing_v1`."""
    for table in ("revoked_tokens", "inbox", "outbox"):
        op.drop_table(table, schema=schema)


def upgrade_plumbing_v2(schema: str) -> None:
    """Parked outbox rows (unsendable, with the reason) and the indexes of the relay and of retention."""
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True)), schema=schema)
    op.add_column("outbox", sa.Column("park_reason", sa.Text), schema=schema)
    op.drop_index("outbox_unpublished", table_name="outbox", schema=schema)
    op.create_index(
        "outbox_pending",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL AND parked_at IS NULL"),
    )
    op.create_index("outbox_parked", "outbox", ["id"], schema=schema, postgresql_where=sa.text("parked_at IS NOT NULL"))
    op.create_index(
        "outbox_published_at",
        "outbox",
        ["published_at"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index("inbox_applied_at", "inbox", ["applied_at"], schema=schema)
    op.create_index("revoked_tokens_expires_at", "revoked_tokens", ["expires_at"], schema=schema)


def downgrade_plumbing_v2(schema: str) -> None:
    """Undo `upgrade_plumbing_v2` (parked rows become pending again)."""
    op.drop_index("revoked_tokens_expires_at", table_name="revoked_tokens", schema=schema)
    op.drop_index("inbox_applied_at", table_name="inbox", schema=schema)
    for index in ("outbox_published_at", "outbox_parked", "outbox_pending"):
        op.drop_index(index, table_name="outbox", schema=schema)
    op.create_index(
        "outbox_unpublished", "outbox", ["id"], schema=schema, postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_column("outbox", "park_reason", schema=schema)
    op.drop_column("outbox", "parked_at", schema=schema)


def create_calendars_v1(schema: str) -> None:
    """The `calendars` table of `calendar_store.add_calendar_table` as first released."""
    op.create_table(
        "calendars",
        sa.Column("region_code", sa.String(6), primary_key=True),
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("terms", JSONB, nullable=False),
        sa.Column("holidays", ARRAY(sa.Date), nullable=False, server_default="{}"),
        sa.Column("makeup_days", ARRAY(sa.Date), nullable=False, server_default="{}"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def drop_calendars_v1(schema: str) -> None:
    """Undo `create_calendars_v1`."""
    op.drop_table("calendars", schema=schema)
