"""Each school's latest attendance day and whom it did not name, to credit pupils whose roll event came later.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.create_table(
        "school_attendance",
        sa.Column("school_code", sa.String(10), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("unrecorded", ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    # A school's day ends the not_attending suspicions it names: found by school without reading every suspicion.
    op.create_index(
        "suspicions_open_roster_by_school",
        "suspicions",
        ["school_code"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'open' AND source = 'roster'"),
    )


def downgrade() -> None:
    op.drop_index("suspicions_open_roster_by_school", "suspicions", schema=SCHEMA)
    op.drop_table("school_attendance", schema=SCHEMA)
