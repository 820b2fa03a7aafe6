"""Ledger adapters: tables and queries."""
