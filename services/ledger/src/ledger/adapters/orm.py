"""Tables of the ledger schema."""

from __future__ import annotations

import sqlalchemy as sa
from baoxue_common.tables import add_common_tables
from sqlalchemy.dialects.postgresql import ARRAY, UUID

SCHEMA = "ledger"
metadata = sa.MetaData(schema=SCHEMA)
common = add_common_tables(metadata)

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
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("suspected_by_county", "county_code", "flagged_on"),
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
