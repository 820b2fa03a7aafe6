"""Tables of the reporting schema: counters per region and month, and the published figures."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.calendar_store import add_calendar_table
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

SCHEMA = "reporting"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)

# One row per region (a school code or a 6-digit region), month, metric and breakdown: see domain/metrics.py.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("region_code", sa.String(10, collation="C"), nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("dim", sa.Text, nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("n", sa.BigInteger, nullable=False),
    # `n` in the key's index: a report's sums are index-only scans, not random heap reads.
    sa.PrimaryKeyConstraint("region_code", "metric", "dim", "month", postgresql_include=["n"]),
)

# The latest published figures of each region and period, and how many versions were published.
region_stats = sa.Table(
    "region_stats",
    metadata,
    sa.Column("region_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("tier", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("figures", JSONB),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

# Figures changed since last published: writers only insert here (so they never wait for the publisher);
# the publisher deletes the committed marks it takes, then recomputes from committed counters.
stats_marks = sa.Table(
    "stats_marks",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("region_code", sa.String(10), nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("tier", sa.Text, nullable=False),
    # The trace context of the change: its publication joins that trace.
    sa.Column("trace", JSONB),
    sa.Index("stats_marks_by_key", "region_code", "period"),
)

# Every published version of a region's figures: the SSE stream's history (Last-Event-ID resumes from it).
stats_changes = sa.Table(
    "stats_changes",
    metadata,
    sa.Column("region_code", sa.String(10), primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("figures", JSONB, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# --- Read models fed by events other than ledger changes (feeds.py, casework.py) ---

calendars = add_calendar_table(metadata)

# Schools (学校) from SchoolRegistered: names for reports, the schools of a county.
schools = sa.Table(
    "schools",
    metadata,
    sa.Column("school_code", sa.String(10, collation="C"), primary_key=True),
    sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Index("schools_by_county", "county_code", "school_code"),
)

# Pupils on a roll and their class (班级), for absences per class.
pupils = sa.Table(
    "pupils",
    metadata,
    sa.Column("student_id", sa.Text, primary_key=True),
    sa.Column("school_code", sa.String(10), nullable=False),
    sa.Column("class_name", sa.Text, nullable=False),
)

# One row per school and submitted school day: the day's latest counts (a correction replaces them).
attendance_days = sa.Table(
    "attendance_days",
    metadata,
    sa.Column("school_code", sa.String(10), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("expected", sa.Integer, nullable=False),
    sa.Column("present", sa.Integer, nullable=False),
)

# Verifications (核实) and when they were done: timeliness is counted once both ends are known.
verifications = sa.Table(
    "verifications",
    metadata,
    sa.Column("verification_id", sa.Uuid, primary_key=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("assigned_on", sa.Date),
    sa.Column("due_on", sa.Date),
    sa.Column("completed_on", sa.Date),
    sa.Column("overdue_on", sa.Date),
)

# Orders to correct (责令限期改正) and when their case returned or went further: overdue is read at a day.
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("case_id", sa.Uuid, primary_key=True),
    sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("resolved_on", sa.Date),
    sa.Index("orders_by_county", "county_code"),
)

# The dropouts ledger's cases as they stand (status, who works on them): caseload per assignee.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.Uuid, primary_key=True),
    sa.Column("county_code", sa.String(6, collation="C"), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("escalation_level", sa.Text),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Column("assignees", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Index("cases_by_county", "county_code"),
)
