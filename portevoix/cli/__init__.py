"""The ``portevoix`` command: serve the platform, provision tenants, move credit, report.

Every command prints for people by default and JSON with ``--json``. A refusal (a ledger or
tenancy rule) prints ``error: …`` on stderr and exits with status 3; a malformed command line
exits with status 2.
"""

from __future__ import annotations

from portevoix.cli.app import main

__all__ = ["main"]
