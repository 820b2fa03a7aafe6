"""Reviews of long excused absences span their run, so a run growing either way keeps one; absences keep a reason.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("review_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("student_id", sa.String(25), nullable=False),
        sa.Column("run_start", sa.Date, nullable=False),
        sa.Column("run_end", sa.Date, nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("reviews_by_pupil", "reviews", ["student_id", "run_start"], schema=SCHEMA)
    op.add_column("absences", sa.Column("reason", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("absences", "reason", schema=SCHEMA)
    op.drop_index("reviews_by_pupil", "reviews", schema=SCHEMA)
    op.drop_table("reviews", schema=SCHEMA)
