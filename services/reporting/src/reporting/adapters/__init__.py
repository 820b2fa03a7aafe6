"""Reporting adapters: tables and queries."""
