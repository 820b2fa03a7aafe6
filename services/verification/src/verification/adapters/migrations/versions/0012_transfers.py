"""Transfers between schools as verification learns them from roster.v1, for the stalled-transfer sweep.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("transfer_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("student_id", sa.String(25), nullable=False),
        sa.Column("from_school_code", sa.String(10)),
        sa.Column("from_county_code", sa.String(6)),
        sa.Column("to_school_code", sa.String(10), nullable=False),
        sa.Column("requested_on", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("completed_on", sa.Date),
        sa.Column("suspicion_id", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_index("transfers_by_pupil", "transfers", ["student_id"], schema=SCHEMA)
    op.create_index(
        "transfers_pending",
        "transfers",
        ["requested_on"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("transfers", schema=SCHEMA)
