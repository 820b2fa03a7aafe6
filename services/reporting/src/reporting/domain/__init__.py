"""Reporting domain: indicators per region, pure and free of I/O."""
