"""Address books, imports, personalisation and exports (issue 7)."""
