"""Warnings span a run (first to last day) so a run growing either way keeps one; suspicions keep their grounds.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.drop_constraint("warnings_once_per_streak", "warnings", schema=SCHEMA)
    op.add_column("warnings", sa.Column("run_end", sa.Date), schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.warnings SET run_end = raised_on")
    op.alter_column("warnings", "run_end", nullable=False, schema=SCHEMA)
    op.create_index("warnings_by_pupil", "warnings", ["student_id", "streak_start"], schema=SCHEMA)
    op.add_column("suspicions", sa.Column("grounds_start", sa.Date), schema=SCHEMA)
    op.add_column("suspicions", sa.Column("grounds_end", sa.Date), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("suspicions", "grounds_end", schema=SCHEMA)
    op.drop_column("suspicions", "grounds_start", schema=SCHEMA)
    op.drop_index("warnings_by_pupil", "warnings", schema=SCHEMA)
    op.drop_column("warnings", "run_end", schema=SCHEMA)
    op.create_unique_constraint("warnings_once_per_streak", "warnings", ["student_id", "streak_start"], schema=SCHEMA)
