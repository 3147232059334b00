"""Gmail: live and one-off inbox syncs into raw_records, and sending mail exactly once."""
