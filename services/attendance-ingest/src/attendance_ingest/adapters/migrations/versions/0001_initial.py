"""Schools, the roll, attendance, and the outbox/inbox plumbing.

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
SCHEMA = "attendance_ingest"


def upgrade() -> None:
    create_plumbing_v1(SCHEMA)
    op.create_table(
        "schools",
        sa.Column("school_code", sa.String(10), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "students",
        sa.Column("student_id", sa.String(25), primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False, index=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("national_id_hash", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("grade", sa.SmallInteger, nullable=False),
        sa.Column("class_name", sa.Text, nullable=False),
        sa.Column("hukou_county_code", sa.String(6), nullable=False),
        sa.Column("residence_county_code", sa.String(6), nullable=False),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "attendance",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("school_code", sa.String(10), primary_key=True),
        sa.Column("student_id", sa.String(25), primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("batch_id", UUID(as_uuid=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("attendance_by_student", "attendance", ["student_id", "day"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("attendance", "students", "schools"):
        op.drop_table(table, schema=SCHEMA)
    drop_plumbing_v1(SCHEMA)
