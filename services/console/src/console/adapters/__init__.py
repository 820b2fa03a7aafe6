"""The console's tables and its clients of the four services."""
