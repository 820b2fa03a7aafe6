"""Read models of the indicators beyond ledger counters: schools, calendars, pupils' classes, attendance days,
verifications, orders to correct and cases with their assignees.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_calendars_v1, drop_calendars_v1
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
SCHEMA = "reporting"


def upgrade() -> None:
    create_calendars_v1(SCHEMA)
    op.create_table(
        "schools",
        sa.Column("school_code", sa.String(10, collation="C"), primary_key=True),
        sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("schools_by_county", "schools", ["county_code", "school_code"], schema=SCHEMA)
    op.create_table(
        "pupils",
        sa.Column("student_id", sa.Text, primary_key=True),
        sa.Column("school_code", sa.String(10), nullable=False),
        sa.Column("class_name", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "attendance_days",
        sa.Column("school_code", sa.String(10), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("expected", sa.Integer, nullable=False),
        sa.Column("present", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "verifications",
        sa.Column("verification_id", sa.Uuid, primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("assigned_on", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("completed_on", sa.Date),
        sa.Column("overdue_on", sa.Date),
        schema=SCHEMA,
    )
    op.create_table(
        "orders",
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("resolved_on", sa.Date),
        schema=SCHEMA,
    )
    op.create_index("orders_by_county", "orders", ["county_code"], schema=SCHEMA)
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
        sa.Column("school_code", sa.String(10)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("escalation_level", sa.Text),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("assignees", ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.create_index("cases_by_county", "cases", ["county_code"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("cases", "orders", "verifications", "attendance_days", "pupils", "schools"):
        op.drop_table(table, schema=SCHEMA)
    drop_calendars_v1(SCHEMA)
