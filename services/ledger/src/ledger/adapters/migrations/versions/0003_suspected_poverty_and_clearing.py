"""Suspected-ledger entries keep the poverty-household flag, and why and when a suspicion was cleared.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.add_column(
        "suspected",
        sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    op.add_column("suspected", sa.Column("clear_reason", sa.Text), schema=SCHEMA)
    op.add_column("suspected", sa.Column("cleared_on", sa.Date), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("suspected", "cleared_on", schema=SCHEMA)
    op.drop_column("suspected", "clear_reason", schema=SCHEMA)
    op.drop_column("suspected", "poverty_household", schema=SCHEMA)
