"""Pupils keep when they joined and left a roll, and the last school day attendance named them.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.add_column("pupils", sa.Column("enrolled_on", sa.Date), schema=SCHEMA)
    op.add_column("pupils", sa.Column("left_on", sa.Date), schema=SCHEMA)
    op.add_column("pupils", sa.Column("last_recorded_on", sa.Date), schema=SCHEMA)
    op.create_index("pupils_by_school", "pupils", ["school_code"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("pupils_by_school", "pupils", schema=SCHEMA)
    for column in ("last_recorded_on", "left_on", "enrolled_on"):
        op.drop_column("pupils", column, schema=SCHEMA)
