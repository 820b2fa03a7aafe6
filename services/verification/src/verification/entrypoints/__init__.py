"""Verification entry points: the HTTP API (the Kafka consumer lives in the shared runtime)."""
