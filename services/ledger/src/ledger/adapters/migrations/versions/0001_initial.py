"""The suspected-dropout ledger, and the outbox/inbox plumbing.

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
SCHEMA = "ledger"


def upgrade() -> None:
    create_plumbing_v1(SCHEMA)
    op.create_table(
        "suspected",
        sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("student_id", sa.String(25)),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("flagged_on", sa.Date, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("suspected_by_county", "suspected", ["county_code", "flagged_on"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("suspected", schema=SCHEMA)
    drop_plumbing_v1(SCHEMA)
