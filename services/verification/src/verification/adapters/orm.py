"""Tables of the verification schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.calendar_store import add_calendar_table
from baoxue_common.rules import RULE_NAMES
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

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
    sa.Index(
        "suspicions_open_roster_by_school",
        "school_code",
        postgresql_where=sa.text("status = 'open' AND source = 'roster'"),
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

# The national platform's suspected lists (国家平台疑似辍学名单): a batch once per batch_id, its body's fingerprint
# (ID numbers replaced by their blind index) telling a repeat from a different body under the same id.
national_batches = sa.Table(
    "national_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # When its items' flags happened (the earlier of issued_at and the receipt): the worker flags them later.
    sa.Column("flag_at", sa.DateTime(timezone=True)),
)

# Each item, the ID number only as blind index and masked; state and history follow the events (see national.py).
national_items = sa.Table(
    "national_items",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("item_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("school_code", sa.String(10)),
    sa.Column("listed_student_id", sa.String(25)),
    sa.Column("student_id", sa.String(25)),
    sa.Column("national_id_hash", sa.String(128), nullable=False),
    sa.Column("national_id_masked", sa.String(18), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("birth_date", sa.Date),
    # NULL until the worker has flagged the item (national_worker.py).
    sa.Column("suspicion_id", UUID(as_uuid=True)),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("clear_reason", sa.Text),
    sa.Column("history", JSONB, nullable=False, server_default="[]"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("national_items_by_suspicion", "suspicion_id"),
    sa.Index("national_items_by_student", "student_id"),
    sa.Index("national_items_by_position", "batch_id", "position"),
    sa.Index("national_items_unflagged", "batch_id", "position", postgresql_where=sa.text("suspicion_id IS NULL")),
    # A child not on any roll yet, to be matched when a pupil with the same ID hash enrols.
    sa.Index(
        "national_items_unmatched_by_hash",
        "national_id_hash",
        postgresql_where=sa.text("student_id IS NULL"),
    ),
)

# Transfers (转学) as roster.v1 tells them; suspicion_id: the stalled-transfer suspicion this transfer opened.
transfers = sa.Table(
    "transfers",
    metadata,
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
    sa.Index("transfers_by_pupil", "student_id"),
    sa.Index("transfers_pending", "requested_on", postgresql_where=sa.text("status = 'pending'")),
)

# Registries a county keeps (四查三比对): which registry, as of which day (a PUT replaces the whole list).
registries = sa.Table(
    "registries",
    metadata,
    sa.Column("county_code", sa.String(6), primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # household | poverty | groups
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("children", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Children on a county's household register (户籍): the ID number only as blind index and masked.
household_children = sa.Table(
    "household_children",
    metadata,
    sa.Column("county_code", sa.String(6), primary_key=True),
    sa.Column("national_id_hash", sa.String(128), primary_key=True),
    sa.Column("national_id_masked", sa.String(18), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("gender", sa.String(1), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("hukou_county_code", sa.String(6), nullable=False),
    sa.Column("residence_county_code", sa.String(6), nullable=False),
)

# Children of poverty-alleviated households (脱贫户) a county lists; birth date read from the ID number.
poverty_children = sa.Table(
    "poverty_children",
    metadata,
    sa.Column("county_code", sa.String(6), primary_key=True),
    sa.Column("national_id_hash", sa.String(128), primary_key=True),
    sa.Column("national_id_masked", sa.String(18), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
)

# Priority groups (orphan, left_behind, ...) a county records for children.
group_children = sa.Table(
    "group_children",
    metadata,
    sa.Column("county_code", sa.String(6), primary_key=True),
    sa.Column("national_id_hash", sa.String(128), primary_key=True),
    sa.Column("groups", ARRAY(sa.Text), nullable=False),
)

# One run of the three comparisons for a county, on a day, with its counts per kind.
cross_check_runs = sa.Table(
    "cross_check_runs",
    metadata,
    sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("run_on", sa.Date, nullable=False),
    sa.Column("out_of_school", sa.Integer, nullable=False),
    sa.Column("not_attending", sa.Integer, nullable=False),
    sa.Column("poverty_dropout", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("cross_check_runs_by_county", "county_code", "run_on"),
)

# What a run found: one row per child and kind; a child found two ways shares one suspicion.
cross_check_findings = sa.Table(
    "cross_check_findings",
    metadata,
    sa.Column("finding_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("run_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("national_id_hash", sa.String(128)),
    sa.Column("national_id_masked", sa.String(18)),
    sa.Column("name", sa.String(100)),
    sa.Column("birth_date", sa.Date),
    sa.Column("student_id", sa.String(25)),
    sa.Column("school_code", sa.String(10)),
    sa.Column("groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("poverty_household", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("suspicion_id", UUID(as_uuid=True)),
    sa.Index("cross_check_findings_by_run", "run_id", "kind", "finding_id"),
    sa.Index("cross_check_findings_by_hash", "national_id_hash"),
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

# Each school's latest attendance day and the pupils it did not name: a pupil whose roll event reaches verification
# after that AttendanceSubmitted (roster.v1 and attendance.v1 have no order) is credited with the day on enrolment.
school_attendance = sa.Table(
    "school_attendance",
    metadata,
    sa.Column("school_code", sa.String(10), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("unrecorded", ARRAY(sa.Text), nullable=False, server_default="{}"),
)
