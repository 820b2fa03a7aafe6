"""Pupils, absences, warnings, suspicions, and the outbox/inbox plumbing.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_plumbing_v1, drop_plumbing_v1
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
SCHEMA = "verification"


def upgrade() -> None:
    create_plumbing_v1(SCHEMA)
    op.create_table(
        "pupils",
        sa.Column("student_id", sa.String(25), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.create_table(
        "absences",
        sa.Column("student_id", sa.String(25), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "warnings",
        sa.Column("warning_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("student_id", sa.String(25), nullable=False),
        sa.Column("streak_start", sa.Date, nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.UniqueConstraint("student_id", "streak_start", name="warnings_once_per_streak"),
        schema=SCHEMA,
    )
    op.create_table(
        "suspicions",
        sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("student_id", sa.String(25)),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("flagged_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "suspicions_one_open_per_pupil",
        "suspicions",
        ["student_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'open' AND student_id IS NOT NULL"),
    )


def downgrade() -> None:
    for table in ("suspicions", "warnings", "absences", "pupils"):
        op.drop_table(table, schema=SCHEMA)
    drop_plumbing_v1(SCHEMA)
