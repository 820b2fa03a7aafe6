"""Tables of the verification schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.calendar_store import add_calendar_table
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from verification.domain.rules import RULE_NAMES

SCHEMA = "verification"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)
calendars = add_calendar_table(metadata)

pupils = sa.Table(
    "pupils",
    metadata,
    sa.Column("student_id", sa.String(25), primary_key=True),
    sa.Column("school_code", sa.String(10), nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    # The blind index of the pupil's ID number (StudentEnrolled/Updated): field findings match pupils by it.
    sa.Column("national_id_hash", sa.String(128)),
    sa.Index("pupils_by_national_id_hash", "national_id_hash"),
    # On a roll from enrolled_on until left_on (NULL while on one); last_recorded_on: the last school day the
    # school's attendance named the pupil (roster gaps and the not_attending cross-check read it).
    sa.Column("enrolled_on", sa.Date),
    sa.Column("left_on", sa.Date),
    sa.Column("last_recorded_on", sa.Date),
    sa.Index("pupils_by_school", "school_code"),
)

absences = sa.Table(
    "absences",
    metadata,
    sa.Column("student_id", sa.String(25), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
)

warnings = sa.Table(
    "warnings",
    metadata,
    sa.Column("warning_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("student_id", sa.String(25), nullable=False),
    sa.Column("streak_start", sa.Date, nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
    # The run's last day: a run that grows either way and overlaps a warned one is the same episode.
    sa.Column("run_end", sa.Date, nullable=False),
    sa.Index("warnings_by_pupil", "student_id", "streak_start"),
)

# A review of a long excused run spans it: a run that grows either way and overlaps a reviewed one is the same.
reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("review_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("student_id", sa.String(25), nullable=False),
    sa.Column("run_start", sa.Date, nullable=False),
    sa.Column("run_end", sa.Date, nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
    sa.Index("reviews_by_pupil", "student_id", "run_start"),
)

suspicions = sa.Table(
    "suspicions",
    metadata,
    sa.Column("suspicion_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("student_id", sa.String(25)),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("flagged_on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # First and last absence an attendance suspicion rests on: a correction in between may end it.
    sa.Column("grounds_start", sa.Date),
    sa.Column("grounds_end", sa.Date),
    # What the last SuspectedDropoutFlagged carried: a roll change re-issues the flag only if these differ.
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("consecutive_unexcused_days", sa.Integer),
    sa.Column("cumulative_unexcused_days", sa.Integer),
    # The suspect this source's suspicion belongs to: the suspicion_id of the child's first open row. The bus
    # only ever sees the suspect's id, so one child is one entry in the ledger whatever the sources.
    sa.Column("suspect_id", UUID(as_uuid=True)),
    # A child with no student id is known by the blind index of the ID number.
    sa.Column("national_id_hash", sa.String(128)),
    # Why a row stopped being open (a source's grounds gone, or the verification's outcome).
    sa.Column("ended_reason", sa.Text),
    sa.Index("suspicions_by_suspect", "suspect_id"),
    sa.Index("suspicions_by_national_id_hash", "national_id_hash"),
    # One open suspicion per pupil and source; the open rows of one child share one suspect.
    sa.Index(
        "suspicions_one_open_per_pupil_and_source",
        "student_id",
        "source",
        unique=True,
        postgresql_where=sa.text("status = 'open' AND student_id IS NOT NULL"),
    ),
)

# Absences not yet judged because no calendar of the pupil's county spans their day yet.
pending_absences = sa.Table(
    "pending_absences",
    metadata,
    sa.Column("student_id", sa.String(25), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10), nullable=False),
    sa.Index("pending_absences_by_county", "county_code"),
)

# Thresholds a region sets itself (规则); NULL: inherited from the region above, in the end the national defaults.
rules = sa.Table(
    "rules",
    metadata,
    sa.Column("region_code", sa.String(6), primary_key=True),
    *(sa.Column(name, sa.Integer) for name in RULE_NAMES),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Children found out of school in a field search (摸排); the ID number only as blind index and masked.
field_findings = sa.Table(
    "field_findings",
    metadata,
    sa.Column("finding_id", UUID(as_uuid=True), primary_key=True),
    # County, child (ID hash, else name and birth date), kind and day: a repeat of the same finding is this row.
    sa.Column("dedup_key", sa.Text, nullable=False, unique=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("national_id_hash", sa.String(128)),
    sa.Column("national_id_masked", sa.String(18)),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("finding", sa.Text, nullable=False),
    sa.Column("address", sa.String(500), nullable=False),
    sa.Column("found_on", sa.Date, nullable=False),
    sa.Column("found_by", sa.String(100), nullable=False),
    sa.Column("student_id", sa.String(25)),
    sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("field_findings_by_county", "county_code", "found_on"),
)

# One verification (核实) per suspect, assigned to the school (the county when there is none), due by a deadline.
verifications = sa.Table(
    "verifications",
    metadata,
    sa.Column("verification_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("suspicion_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("student_id", sa.String(25)),
    sa.Column("national_id_hash", sa.String(128)),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("assigned_to", sa.Text, nullable=False),
    sa.Column("assigned_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("overdue_raised_on", sa.Date),
    sa.Column("outcome", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("cause", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("verified_by", sa.String(100)),
    sa.Column("verified_on", sa.Date),
    sa.Index("verifications_by_county", "county_code", "status", "due_on"),
)
