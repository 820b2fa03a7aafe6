"""Verification domain: thresholds and absence streaks, pure and free of I/O."""
