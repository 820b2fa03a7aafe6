"""The five periodic reports (五级报表): pure builders from figures, rendered as JSON, CSV or XLSX."""
