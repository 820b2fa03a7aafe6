"""One open suspicion per pupil and source, so a roster gap can flag a pupil attendance already flagged.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
SCHEMA = "verification"
OPEN = sa.text("status = 'open' AND student_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("suspicions_one_open_per_pupil", "suspicions", schema=SCHEMA)
    op.create_index(
        "suspicions_one_open_per_pupil_and_source",
        "suspicions",
        ["student_id", "source"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("suspicions_one_open_per_pupil_and_source", "suspicions", schema=SCHEMA)
    op.create_index(
        "suspicions_one_open_per_pupil", "suspicions", ["student_id"], unique=True, schema=SCHEMA, postgresql_where=OPEN
    )
