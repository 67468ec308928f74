"""What a fence tells the ledger: the heads of the log when it was taken and left.

A fence (``portevoix.fences``) lets one writer of all the processes sharing a store save
at a time. The ledger uses the heads to learn what other processes wrote in between: the
aggregates it remembers from its own saves are stale if another process changed them.
``None`` means the fence does not read them (the ledger asks the store itself).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Heads:
    before: int | None = None
    after: int | None = None
