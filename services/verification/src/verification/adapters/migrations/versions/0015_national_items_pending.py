"""National list items are stored at once and flagged after (suspicion_id NULL until then).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.alter_column("national_items", "suspicion_id", nullable=True, schema=SCHEMA)
    op.add_column("national_items", sa.Column("birth_date", sa.Date), schema=SCHEMA)
    op.add_column("national_batches", sa.Column("flag_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.create_index(
        "national_items_unflagged",
        "national_items",
        ["batch_id", "position"],
        schema=SCHEMA,
        postgresql_where=sa.text("suspicion_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("national_items_unflagged", "national_items", schema=SCHEMA)
    op.drop_column("national_batches", "flag_at", schema=SCHEMA)
    op.drop_column("national_items", "birth_date", schema=SCHEMA)
    op.execute(f"DELETE FROM {SCHEMA}.national_items WHERE suspicion_id IS NULL")
    op.alter_column("national_items", "suspicion_id", nullable=False, schema=SCHEMA)
