"""Verification adapters: tables and queries."""
