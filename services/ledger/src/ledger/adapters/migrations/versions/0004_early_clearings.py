"""Clearings that overtook their flag wait here until the flag arrives.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.create_table(
        "early_clearings",
        sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("clear_reason", sa.Text, nullable=False),
        sa.Column("cleared_on", sa.Date, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("early_clearings", schema=SCHEMA)
