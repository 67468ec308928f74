"""The ``portevoix`` command: serve the platform, provision tenants, move credit, report.

Every command prints for people by default and JSON with ``--json``. A refusal (a ledger or
tenancy rule) prints ``error: …`` on stderr and exits with status 3; a malformed command line
exits with status 2.
"""

from __future__ import annotations

from portevoix.cli import (  # noqa: F401 (each registers its commands)
    credit,
    email,
    platform,
    prices,
    routes,
    sending,
    smsc,
    tenants,
)
from portevoix.cli.app import REFUSED, cli


def main() -> None:
    cli()


__all__ = ["REFUSED", "cli", "main"]
