"""Why a case was closed: consolidated, or a cancel reason.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.add_column("cases", sa.Column("close_reason", sa.Text), schema=SCHEMA)
    op.execute("UPDATE ledger.cases SET close_reason = 'consolidated' WHERE status = 'closed'")


def downgrade() -> None:
    op.drop_column("cases", "close_reason", schema=SCHEMA)
