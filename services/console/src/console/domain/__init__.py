"""The console's rules: accounts, roles and scopes, lock-out, where each user starts. No I/O."""
