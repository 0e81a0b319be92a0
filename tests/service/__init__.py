"""The generated service installed, tested, migrated, started and probed."""
