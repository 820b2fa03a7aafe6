"""Reporting's copy of the ledger entries, and the outbox/inbox plumbing.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_plumbing_v1, drop_plumbing_v1
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
SCHEMA = "reporting"


def upgrade() -> None:
    create_plumbing_v1(SCHEMA)
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("ledger", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("changed_on", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ledger_entries_by_county", "ledger_entries", ["county_code", "ledger"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("ledger_entries", schema=SCHEMA)
    drop_plumbing_v1(SCHEMA)
