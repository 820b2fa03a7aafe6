"""Assignments that overtook their flag wait here until the flag arrives.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.create_table(
        "early_assignments",
        sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("verification_id", UUID(as_uuid=True), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("early_assignments", schema=SCHEMA)
