"""Attendance-ingest adapters: tables and queries."""
