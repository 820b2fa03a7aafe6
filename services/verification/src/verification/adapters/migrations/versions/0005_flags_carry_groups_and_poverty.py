"""Pupils keep their poverty household; suspicions keep the groups, poverty and counts they were flagged with.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    false = sa.false()
    op.add_column(
        "pupils", sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=false), schema=SCHEMA
    )
    op.add_column("suspicions", sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA)
    op.add_column(
        "suspicions", sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=false), schema=SCHEMA
    )
    op.add_column("suspicions", sa.Column("consecutive_unexcused_days", sa.Integer), schema=SCHEMA)
    op.add_column("suspicions", sa.Column("cumulative_unexcused_days", sa.Integer), schema=SCHEMA)


def downgrade() -> None:
    for column in ("cumulative_unexcused_days", "consecutive_unexcused_days", "poverty_household", "groups"):
        op.drop_column("suspicions", column, schema=SCHEMA)
    op.drop_column("pupils", "poverty_household", schema=SCHEMA)
