"""A fair queue of due messages across customers: one customer's 100,000-message campaign
does not starve another's unit send.

The dispatcher pushes what has become due (a campaign sent now, a deferred one whose time
came, a recurrence's occurrence, a throttle's packet) and, each time a route has room for
``budget`` messages, takes that many. ``take`` shares the budget across *customers* by
deficit round robin (Shreedhar and Varghese, 1995): each customer in turn earns a quantum of
messages and spends it, so every customer with work progresses at the same pace whatever its
backlog, and a customer that joins with one message leaves in the next take. A customer's
share is then split evenly across its own campaigns (the smallest first, so what one of them
cannot use goes to the others).

The quantum is capped per take at ``budget // customers``: with 50 customers and a budget
of 100, each gets 2 instead of the first 10 customers getting 10 each. Each take then gives
every customer with enough work at least ``budget // customers - quantum`` messages.

Pure and single-threaded: no clock, no I/O; one queue per dispatcher (or per route).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

DEFAULT_QUANTUM = 10


@dataclass(slots=True)
class _Customer:
    campaigns: deque[str] = field(default_factory=deque)
    backlog: int = 0
    deficit: int = 0


@dataclass(slots=True)
class _Campaign:
    customer_id: str
    remaining: int


class FairQueue:
    """Due messages by customer and campaign; ``len()`` is the number of messages waiting."""

    def __init__(self, quantum: int = DEFAULT_QUANTUM) -> None:
        if type(quantum) is not int or quantum < 1:
            raise ValueError(f"quantum must be an int >= 1, got {quantum!r}")
        self._quantum = quantum
        self._customers: dict[str, _Customer] = {}
        self._campaigns: dict[str, _Campaign] = {}
        # Customers with work, the one being served first; it has had its quantum for this
        # turn when ``_in_turn`` is set (a take that ran out of budget mid-turn).
        self._ring: deque[str] = deque()
        self._in_turn = False
        self._waiting = 0

    def __len__(self) -> int:
        return self._waiting

    def pending(self, campaign_id: str) -> int:
        """Messages of ``campaign_id`` still to hand out (0 if unknown or done)."""
        campaign = self._campaigns.get(campaign_id)
        return 0 if campaign is None else campaign.remaining

    def push(self, customer_id: str, campaign_id: str, count: int) -> None:
        """``count`` more messages of ``campaign_id`` are due. A campaign belongs to one
        customer; a customer new to the queue waits its turn behind those already in it."""
        if type(count) is not int or count < 0:
            raise ValueError(f"count must be an int >= 0, got {count!r}")
        campaign = self._campaigns.get(campaign_id)
        if campaign is not None and campaign.customer_id != customer_id:
            raise ValueError(f"campaign {campaign_id} belongs to customer "
                             f"{campaign.customer_id}, not {customer_id}")
        if count == 0:
            return
        customer = self._customers.get(customer_id)
        if customer is None:
            customer = self._customers[customer_id] = _Customer()
            self._ring.append(customer_id)
        if campaign is None:
            campaign = self._campaigns[campaign_id] = _Campaign(customer_id, 0)
            customer.campaigns.append(campaign_id)
        campaign.remaining += count
        customer.backlog += count
        self._waiting += count

    def take(self, budget: int) -> list[tuple[str, int]]:
        """Up to ``budget`` messages as ``(campaign_id, n)``, each campaign once, in the
        order first served; they leave the queue."""
        if type(budget) is not int or budget < 0:
            raise ValueError(f"budget must be an int >= 0, got {budget!r}")
        handed: dict[str, int] = {}
        if not self._ring:
            return []
        quantum = max(1, min(self._quantum, budget // len(self._ring)))
        left = budget
        while left and self._ring:
            customer_id = self._ring[0]
            customer = self._customers[customer_id]
            if not self._in_turn:
                customer.deficit += quantum
                self._in_turn = True
            n = min(customer.deficit, customer.backlog, left)
            self._serve(customer, n, handed)
            customer.deficit -= n
            left -= n
            if not customer.backlog:
                self._leave(customer_id)
            elif not customer.deficit:
                self._ring.rotate(-1)
                self._in_turn = False
        return list(handed.items())

    def done(self, campaign_id: str) -> int:
        """Forget ``campaign_id`` (finished, cancelled or expired); returns the messages it
        still had waiting, which are no longer handed out. Unknown campaigns give 0."""
        campaign = self._campaigns.pop(campaign_id, None)
        if campaign is None:
            return 0
        customer = self._customers[campaign.customer_id]
        customer.campaigns.remove(campaign_id)
        customer.backlog -= campaign.remaining
        self._waiting -= campaign.remaining
        if not customer.backlog:
            self._leave(campaign.customer_id)
        return campaign.remaining

    def _serve(self, customer: _Customer, n: int, handed: dict[str, int]) -> None:
        """Split ``n`` (<= the customer's backlog) evenly across its campaigns: smallest
        first, each taking at most an even share of what is left."""
        ring = customer.campaigns
        order = sorted(ring, key=lambda campaign_id: self._campaigns[campaign_id].remaining)
        left = n
        for position, campaign_id in enumerate(order):
            campaign = self._campaigns[campaign_id]
            give = min(campaign.remaining, -(-left // (len(order) - position)))
            if give:
                handed[campaign_id] = handed.get(campaign_id, 0) + give
                campaign.remaining -= give
                left -= give
            if not campaign.remaining:
                del self._campaigns[campaign_id]
                ring.remove(campaign_id)
        # The rounding surplus goes to another campaign next time among equals.
        ring.rotate(-1)
        customer.backlog -= n
        self._waiting -= n

    def _leave(self, customer_id: str) -> None:
        """A customer without work leaves the ring, and its unspent quantum with it."""
        if self._ring[0] == customer_id:
            self._in_turn = False
        self._ring.remove(customer_id)
        del self._customers[customer_id]
