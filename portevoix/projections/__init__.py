"""Read models rebuilt from the event log: each projection owns its tables."""
