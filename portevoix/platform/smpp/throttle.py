"""How fast a bind may submit: a token bucket per bind, and the pause an SMSC asks for.

Operators sell a route at so many *segments* a second (a 3-part message costs 3 tokens), and
answer ESME_RTHROTTLED or ESME_RMSGQFUL beyond it. The bucket holds ``burst`` tokens and
refills at ``rate`` a second; ``reserve`` takes one and says how long to wait before sending,
so callers never spin. Tokens may go negative: each reservation queues behind the previous
ones, which keeps the long-run rate exact however many senders reserve at once.

``Backoff`` grows the pause after each refusal (doubling from ``minimum`` to ``maximum``)
and resets once a segment sent after the pause is accepted. A window of 64 segments in
flight yields up to 64 refusals for one overload; only those sent *after* the pause began
may grow it again, so one overload counts once.

Both take the clock as a function (seconds, monotonic) so tests drive time by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved; ``rate`` None means unlimited:
    every reservation is free.

    The default burst is 50 ms of traffic (at least 1 token): SMSCs often count submits in
    fixed one-second windows, where a bucket holding a whole second could let through twice
    the rate in one window; this one lets at most 5% over, and spends the debt of a late
    wake-up instead of losing it.
    """

    __slots__ = ("_burst", "_clock", "_not_before", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float | None, burst: float | None = None,
                 clock: Clock = monotonic) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be positive or None, got {rate!r}")
        self._rate, self._clock = rate, clock
        self._burst = burst if burst is not None else max(1.0, (rate or 0) / 20)
        self._tokens, self._stamp = self._burst, clock()
        self._not_before = 0.0

    @property
    def rate(self) -> float | None:
        return self._rate

    def reserve(self, tokens: float = 1.0) -> float:
        """Take ``tokens`` now; the seconds to wait before using them (0 if none)."""
        now = self._clock()
        pause = max(0.0, self._not_before - now)
        if self._rate is None:
            return pause
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        self._tokens -= tokens
        debt = -self._tokens / self._rate if self._tokens < 0 else 0.0
        return max(debt, pause)

    def pause(self, seconds: float) -> None:
        """Nothing goes out for ``seconds`` from now (the SMSC said it is overloaded).
        The tokens saved meanwhile are capped by ``burst``, so no flood follows."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    def paused_until(self) -> float:
        return self._not_before


class Backoff:
    """Exponential pauses for refusals from an overloaded SMSC (seconds)."""

    __slots__ = ("_clock", "_current", "_maximum", "_minimum", "_since")

    def __init__(self, minimum: float, maximum: float, clock: Clock = monotonic) -> None:
        if not 0 < minimum <= maximum:
            raise ValueError(f"need 0 < minimum <= maximum, got {minimum!r}, {maximum!r}")
        self._minimum, self._maximum, self._clock = minimum, maximum, clock
        self._current = 0.0
        self._since = float("-inf")  # when the current pause began

    def refused(self, sent_at: float) -> float | None:
        """A segment sent at ``sent_at`` was refused: the new pause to apply, or None when
        it was sent before the current pause began (that overload is already counted)."""
        if sent_at < self._since:
            return None
        self._current = (self._minimum if self._current == 0
                         else min(self._maximum, self._current * 2))
        self._since = self._clock()
        return self._current

    def accepted(self, sent_at: float) -> None:
        """A segment sent at ``sent_at`` went through: after a pause, the SMSC has recovered."""
        if sent_at >= self._since:
            self._current = 0.0

    @property
    def current(self) -> float:
        return self._current
