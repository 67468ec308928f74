"""Portevoix: a white-label bulk-SMS platform with an event-sourced credit ledger."""
