"""Ledger domain: the county's three ledgers (三本台账), pure and free of I/O."""
