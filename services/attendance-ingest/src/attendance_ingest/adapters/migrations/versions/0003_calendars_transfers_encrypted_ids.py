"""Calendars, transfers, encrypted resident ID numbers on the roll, and the audit of clear-text reads.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_calendars_v1, drop_calendars_v1
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
SCHEMA = "attendance_ingest"


def upgrade() -> None:
    create_calendars_v1(SCHEMA)
    op.add_column("students", sa.Column("national_id_enc", sa.LargeBinary), schema=SCHEMA)
    op.add_column("students", sa.Column("national_id_key", sa.String(32)), schema=SCHEMA)
    op.add_column("students", sa.Column("national_id_masked", sa.String(18)), schema=SCHEMA)
    op.add_column("students", sa.Column("roll_as_of", sa.Date), schema=SCHEMA)
    op.add_column("students", sa.Column("left_on", sa.Date), schema=SCHEMA)
    op.create_table(
        "transfers",
        sa.Column("transfer_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("student_id", sa.String(25), nullable=False),
        sa.Column("from_school_code", sa.String(10), nullable=False),
        sa.Column("to_school_code", sa.String(10), nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("completed_on", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index(
        "transfers_one_pending_per_pupil",
        "transfers",
        ["student_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("transfers_by_sender", "transfers", ["from_school_code", "status"], schema=SCHEMA)
    op.create_index("transfers_by_receiver", "transfers", ["to_school_code", "status"], schema=SCHEMA)
    op.create_table(
        "pii_reads",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("student_id", sa.String(25), nullable=False, index=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), index=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("pii_reads", schema=SCHEMA)
    op.drop_table("transfers", schema=SCHEMA)
    for column in ("left_on", "roll_as_of", "national_id_masked", "national_id_key", "national_id_enc"):
        op.drop_column("students", column, schema=SCHEMA)
    drop_calendars_v1(SCHEMA)
