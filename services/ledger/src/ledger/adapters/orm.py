"""Tables of the ledger schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.calendar_store import add_calendar_table
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

SCHEMA = "ledger"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)
# Carried in the page indexes (migration 0006) so a filtered count reads the index alone.
CARRIED = ["groups", "poverty_household", "school_code"]

suspected = sa.Table(
    "suspected",
    metadata,
    sa.Column("entry_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("student_id", sa.String(25)),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("flagged_on", sa.Date, nullable=False),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("clear_reason", sa.Text),
    sa.Column("cleared_on", sa.Date),
    sa.Column("national_id_hash", sa.Text),
    sa.Column("sources", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("verification_id", UUID(as_uuid=True)),
    sa.Column("due_on", sa.Date),
    sa.Column("confirmed_on", sa.Date),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("suspected_by_county", "county_code", "flagged_on"),
    sa.Index(
        "suspected_by_status_flagged", "county_code", "status", "flagged_on", "entry_id", postgresql_include=CARRIED
    ),
)

# A clearing that overtook its flag (detection.v1 and verification.v1 have no order between them),
# applied when the flag arrives.
early_clearings = sa.Table(
    "early_clearings",
    metadata,
    sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("clear_reason", sa.Text, nullable=False),
    sa.Column("cleared_on", sa.Date, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# An assignment that overtook its flag (detection.v1 and verification.v1 have no order between them either).
early_assignments = sa.Table(
    "early_assignments",
    metadata,
    sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("verification_id", UUID(as_uuid=True), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

calendars = add_calendar_table(metadata)

# The consolidation period per region as RulesPublished gives it (NULL: inherited from above).
rules = sa.Table(
    "rules",
    metadata,
    sa.Column("region_code", sa.String(6), primary_key=True),
    sa.Column("return_consolidation_school_days", sa.Integer),
    sa.Column("home_visit_after_consecutive_unexcused", sa.Integer),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# 适龄儿童台账: one row per county and child (a child is in the ledger of the county of its school, of its
# residence and of its household registration). child_key is the student number, or "h:" + the ID blind index.
school_age = sa.Table(
    "school_age",
    metadata,
    sa.Column("county_code", sa.String(6), primary_key=True),
    sa.Column("child_key", sa.Text, primary_key=True),
    sa.Column("entry_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("relations", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("student_id", sa.String(25)),
    sa.Column("national_id_hash", sa.Text),
    sa.Column("masked_id", sa.String(18)),
    sa.Column("school_code", sa.String(10)),
    sa.Column("grade", sa.SmallInteger),
    sa.Column("class_name", sa.Text),
    sa.Column("gender", sa.String(1)),
    sa.Column("birth_date", sa.Date),
    sa.Column("hukou_county_code", sa.String(6)),
    sa.Column("residence_county_code", sa.String(6)),
    sa.Column("on_roll", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("on_register", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("status_since", sa.Date, nullable=False),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("school_age_by_status", "county_code", "status", "child_key"),
    sa.Index("school_age_by_school", "county_code", "school_code", "child_key"),
    sa.Index("school_age_by_hash", "national_id_hash"),
    sa.Index("school_age_by_student", "student_id"),
    sa.Index(
        "school_age_by_status_since", "county_code", "status", "status_since", "entry_id", postgresql_include=CARRIED
    ),
    sa.Index("school_age_by_since", "county_code", "status_since", "entry_id", postgresql_include=CARRIED),
)

# 辍学学生台账: one case per confirmed dropout; the case id is the entry id.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("verification_id", UUID(as_uuid=True)),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("student_id", sa.String(25)),
    sa.Column("national_id_hash", sa.Text),
    sa.Column("child_key", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("sources", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("flagged_on", sa.Date),
    sa.Column("confirmed_on", sa.Date, nullable=False),
    sa.Column("verified_by", sa.Text),
    sa.Column("cause_main", sa.Text),
    sa.Column("cause_others", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("escalation_level", sa.Text),
    sa.Column("order_deadline", sa.Date),
    sa.Column("seen_at_school_on", sa.Date),
    sa.Column("returned_on", sa.Date),
    sa.Column("return_school_code", sa.String(10)),
    sa.Column("placement", sa.Text),
    sa.Column("return_recorded_by", sa.Text),
    sa.Column("consolidation_from", sa.Date),
    sa.Column("proposed_on", sa.Date),
    sa.Column("closed_on", sa.Date),
    sa.Column("closed_by", sa.Text),
    sa.Column("close_reason", sa.Text),
    sa.Column("relapses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("transfer_to", sa.String(6)),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("cases_by_county", "county_code", "status", "confirmed_on"),
    sa.Index(
        "cases_by_status_confirmed", "county_code", "status", "confirmed_on", "case_id", postgresql_include=CARRIED
    ),
    sa.Index("cases_by_child", "child_key"),
    sa.Index("cases_by_transfer", "transfer_to"),
)

case_assignees = sa.Table(
    "case_assignees",
    metadata,
    sa.Column("assignee_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("ledger.cases.case_id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("phone", sa.Text),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

case_attempts = sa.Table(
    "case_attempts",
    metadata,
    sa.Column("attempt_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("ledger.cases.case_id"), nullable=False, index=True),
    sa.Column("attempted_on", sa.Date, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

case_escalations = sa.Table(
    "case_escalations",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("ledger.cases.case_id"), primary_key=True),
    sa.Column("level", sa.Text, primary_key=True),
    sa.Column("escalated_on", sa.Date, nullable=False),
    sa.Column("deadline", sa.Date),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

case_transfers = sa.Table(
    "case_transfers",
    metadata,
    sa.Column("transfer_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("ledger.cases.case_id"), nullable=False, index=True),
    sa.Column("from_county_code", sa.String(6), nullable=False),
    sa.Column("to_county_code", sa.String(6), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("answered_on", sa.Date),
    sa.Column("answered_by", sa.Text),
    sa.Column("answer_reason", sa.Text),
)

# Every state an entry of any ledger had, with the day it took it: the as-of ledgers are read from here.
ledger_history = sa.Table(
    "ledger_history",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("ledger", sa.Text, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("entry_id", UUID(as_uuid=True), nullable=False),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Column("row", JSONB, nullable=False),
    sa.Index("ledger_history_as_of", "ledger", "county_code", "entry_id", "changed_on", "seq"),
)

# Every event about a child, from every service, and every action on its case (who, what, when).
timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("child_key", sa.Text, nullable=False),
    sa.Column("student_id", sa.String(25)),
    sa.Column("national_id_hash", sa.Text),
    sa.Column("county_code", sa.String(6)),
    sa.Column("case_id", UUID(as_uuid=True)),
    sa.Column("event_id", UUID(as_uuid=True), unique=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("producer", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("summary", JSONB, nullable=False, server_default="{}"),
    sa.Index("timeline_by_child", "child_key", "occurred_at", "seq"),
    # Partial: most lines (attendance) have neither, and are written by the thousand per second.
    sa.Index("timeline_by_hash", "national_id_hash", postgresql_where=sa.text("national_id_hash IS NOT NULL")),
    sa.Index("timeline_by_case", "case_id", postgresql_where=sa.text("case_id IS NOT NULL")),
)

# Who read a child's records (PIPL art. 28/31): timelines, cases and ledger exports.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("detail", JSONB, nullable=False, server_default="{}"),
    sa.Index("access_log_by_county", "county_code", "read_at"),
)
