"""The copy of published calendars, and absences waiting for their county's calendar.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_calendars_v1, drop_calendars_v1

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    create_calendars_v1(SCHEMA)
    op.create_table(
        "pending_absences",
        sa.Column("student_id", sa.String(25), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("pending_absences_by_county", "pending_absences", ["county_code"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("pending_absences", schema=SCHEMA)
    drop_calendars_v1(SCHEMA)
