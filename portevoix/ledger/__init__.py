"""The double-entry credit ledger: accounts, two-phase transfers, pack purchases."""
