"""What the commands do, as plain functions that return records and never print."""
