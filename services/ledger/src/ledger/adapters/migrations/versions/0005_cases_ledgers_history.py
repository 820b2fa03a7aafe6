"""Issue 14's ledger: the school-age ledger, cases and their work, as-of history, timeline, access log.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from baoxue_common.plumbing_migrations import create_calendars_v1, drop_calendars_v1
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
SCHEMA = "ledger"


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        schema=SCHEMA,
    )
    op.create_index("access_log_by_county", "access_log", ["county_code", "read_at"], unique=False, schema=SCHEMA)
    create_calendars_v1(SCHEMA)
    op.create_table(
        "cases",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("suspicion_id", sa.UUID(), nullable=False),
        sa.Column("verification_id", sa.UUID(), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=True),
        sa.Column("student_id", sa.String(length=25), nullable=True),
        sa.Column("national_id_hash", sa.Text(), nullable=True),
        sa.Column("child_key", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sources", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("groups", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("poverty_household", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("flagged_on", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=False),
        sa.Column("verified_by", sa.Text(), nullable=True),
        sa.Column("cause_main", sa.Text(), nullable=True),
        sa.Column("cause_others", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("escalation_level", sa.Text(), nullable=True),
        sa.Column("order_deadline", sa.Date(), nullable=True),
        sa.Column("seen_at_school_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("return_school_code", sa.String(length=10), nullable=True),
        sa.Column("placement", sa.Text(), nullable=True),
        sa.Column("return_recorded_by", sa.Text(), nullable=True),
        sa.Column("consolidation_from", sa.Date(), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("relapses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("transfer_to", sa.String(length=6), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("suspicion_id"),
        schema=SCHEMA,
    )
    op.create_index("cases_by_child", "cases", ["child_key"], unique=False, schema=SCHEMA)
    op.create_index("cases_by_county", "cases", ["county_code", "status", "confirmed_on"], unique=False, schema=SCHEMA)
    op.create_index("cases_by_transfer", "cases", ["transfer_to"], unique=False, schema=SCHEMA)
    op.create_table(
        "ledger_history",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ledger", sa.Text(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("row", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        schema=SCHEMA,
    )
    op.create_index(
        "ledger_history_as_of",
        "ledger_history",
        ["ledger", "county_code", "entry_id", "changed_on", "seq"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "rules",
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("return_consolidation_school_days", sa.Integer(), nullable=True),
        sa.Column("home_visit_after_consecutive_unexcused", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("region_code"),
        schema=SCHEMA,
    )
    op.create_table(
        "school_age",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("child_key", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("relations", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("student_id", sa.String(length=25), nullable=True),
        sa.Column("national_id_hash", sa.Text(), nullable=True),
        sa.Column("masked_id", sa.String(length=18), nullable=True),
        sa.Column("school_code", sa.String(length=10), nullable=True),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("class_name", sa.Text(), nullable=True),
        sa.Column("gender", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("hukou_county_code", sa.String(length=6), nullable=True),
        sa.Column("residence_county_code", sa.String(length=6), nullable=True),
        sa.Column("on_roll", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("on_register", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("groups", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("poverty_household", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "child_key"),
        sa.UniqueConstraint("entry_id"),
        schema=SCHEMA,
    )
    op.create_index("school_age_by_hash", "school_age", ["national_id_hash"], unique=False, schema=SCHEMA)
    op.create_index(
        "school_age_by_school", "school_age", ["county_code", "school_code", "child_key"], unique=False, schema=SCHEMA
    )
    op.create_index(
        "school_age_by_status", "school_age", ["county_code", "status", "child_key"], unique=False, schema=SCHEMA
    )
    op.create_index("school_age_by_student", "school_age", ["student_id"], unique=False, schema=SCHEMA)
    op.create_table(
        "timeline",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("child_key", sa.Text(), nullable=False),
        sa.Column("student_id", sa.String(length=25), nullable=True),
        sa.Column("national_id_hash", sa.Text(), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("producer", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
        schema=SCHEMA,
    )
    op.create_index("timeline_by_case", "timeline", ["case_id"], unique=False, schema=SCHEMA)
    op.create_index("timeline_by_child", "timeline", ["child_key", "occurred_at", "seq"], unique=False, schema=SCHEMA)
    op.create_index("timeline_by_hash", "timeline", ["national_id_hash"], unique=False, schema=SCHEMA)
    op.create_table(
        "case_assignees",
        sa.Column("assignee_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger.cases.case_id"],
        ),
        sa.PrimaryKeyConstraint("assignee_id"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_ledger_case_assignees_case_id"), "case_assignees", ["case_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "case_attempts",
        sa.Column("attempt_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger.cases.case_id"],
        ),
        sa.PrimaryKeyConstraint("attempt_id"),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_ledger_case_attempts_case_id"), "case_attempts", ["case_id"], unique=False, schema=SCHEMA)
    op.create_table(
        "case_escalations",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger.cases.case_id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "level"),
        schema=SCHEMA,
    )
    op.create_table(
        "case_transfers",
        sa.Column("transfer_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("from_county_code", sa.String(length=6), nullable=False),
        sa.Column("to_county_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ledger.cases.case_id"],
        ),
        sa.PrimaryKeyConstraint("transfer_id"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_ledger_case_transfers_case_id"), "case_transfers", ["case_id"], unique=False, schema=SCHEMA
    )
    op.add_column("suspected", sa.Column("national_id_hash", sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column(
        "suspected",
        sa.Column("sources", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        schema=SCHEMA,
    )
    op.add_column("suspected", sa.Column("verification_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.add_column("suspected", sa.Column("due_on", sa.Date(), nullable=True), schema=SCHEMA)
    op.add_column("suspected", sa.Column("confirmed_on", sa.Date(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("suspected", "confirmed_on", schema=SCHEMA)
    op.drop_column("suspected", "due_on", schema=SCHEMA)
    op.drop_column("suspected", "verification_id", schema=SCHEMA)
    op.drop_column("suspected", "sources", schema=SCHEMA)
    op.drop_column("suspected", "national_id_hash", schema=SCHEMA)
    op.drop_table("case_transfers", schema=SCHEMA)
    op.drop_table("case_escalations", schema=SCHEMA)
    op.drop_table("case_attempts", schema=SCHEMA)
    op.drop_table("case_assignees", schema=SCHEMA)
    op.drop_table("timeline", schema=SCHEMA)
    op.drop_table("school_age", schema=SCHEMA)
    op.drop_table("rules", schema=SCHEMA)
    op.drop_table("ledger_history", schema=SCHEMA)
    op.drop_table("cases", schema=SCHEMA)
    op.drop_table("access_log", schema=SCHEMA)
    drop_calendars_v1(SCHEMA)
