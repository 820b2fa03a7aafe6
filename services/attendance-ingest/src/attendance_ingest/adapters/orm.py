"""Tables of the attendance_ingest schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.calendar_store import add_calendar_table
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, UUID

SCHEMA = "attendance_ingest"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)
calendars = add_calendar_table(metadata)

schools = sa.Table(
    "schools",
    metadata,
    sa.Column("school_code", sa.String(10), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

students = sa.Table(
    "students",
    metadata,
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
    # The resident ID number, SM4-GCM encrypted under the key named in national_id_key (pii.py).
    sa.Column("national_id_enc", sa.LargeBinary),
    sa.Column("national_id_key", sa.String(32)),
    sa.Column("national_id_masked", sa.String(18)),
    sa.Column("roll_as_of", sa.Date),
    sa.Column("left_on", sa.Date),
)

transfers = sa.Table(
    "transfers",
    metadata,
    sa.Column("transfer_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("student_id", sa.String(25), nullable=False),
    sa.Column("from_school_code", sa.String(10), nullable=False),
    sa.Column("to_school_code", sa.String(10), nullable=False),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("completed_on", sa.Date),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index(
        "transfers_one_pending_per_pupil",
        "student_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index("transfers_by_sender", "from_school_code", "status"),
    sa.Index("transfers_by_receiver", "to_school_code", "status"),
)

pii_reads = sa.Table(
    "pii_reads",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("student_id", sa.String(25), nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), index=True),
)

attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("school_code", sa.String(10), primary_key=True),
    sa.Column("student_id", sa.String(25), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("batch_id", UUID(as_uuid=True), nullable=False),
    sa.Index("attendance_by_student", "student_id", "day"),
)
