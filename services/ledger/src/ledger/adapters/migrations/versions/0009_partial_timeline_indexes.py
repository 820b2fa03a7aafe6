"""The timeline's indexes by ID hash and by case cover only the lines that have one (attendance lines have neither).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.drop_index("timeline_by_hash", table_name="timeline", schema=SCHEMA)
    op.drop_index("timeline_by_case", table_name="timeline", schema=SCHEMA)
    op.create_index(
        "timeline_by_hash",
        "timeline",
        ["national_id_hash"],
        schema=SCHEMA,
        postgresql_where=sa.text("national_id_hash IS NOT NULL"),
    )
    op.create_index(
        "timeline_by_case", "timeline", ["case_id"], schema=SCHEMA, postgresql_where=sa.text("case_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("timeline_by_hash", table_name="timeline", schema=SCHEMA)
    op.drop_index("timeline_by_case", table_name="timeline", schema=SCHEMA)
    op.create_index("timeline_by_hash", "timeline", ["national_id_hash"], schema=SCHEMA)
    op.create_index("timeline_by_case", "timeline", ["case_id"], schema=SCHEMA)
