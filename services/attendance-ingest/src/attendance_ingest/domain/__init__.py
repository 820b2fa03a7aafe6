"""Attendance-ingest domain: the roll and a school day's attendance, pure and free of I/O."""
