"""Who must not be sent to: each customer's opt-outs and the platform's own blocks, as events.

A number that replies STOP to a customer's message, or that the customer lists by hand or by
importing a file (the seeds' "liste noire", 002), is opted out of that customer's sends; the
platform blocks numbers for every customer (abuse, a court order, a complaint). A send
refuses both (result code 101); a platform block wins over anything a customer does.

A STOP opt-out is the person's own decision: only the number opting back in (a START reply)
lifts it, never the customer. A START reply lifts only that: numbers the customer listed
itself stay listed until the customer removes them.

Lists reach 1,000,000 numbers, so the aggregates keep sets of E.164 strings, record
additions in events of at most 1,000 numbers (an import of 100,000 is 100 events, saved
together), and are snapshotted every 1,000 events. ``Blacklists.blocked`` answers a
campaign's recipients with set look-ups on the lists as cached (measured: 100,000 recipients
against a list of 1,000,000 in about 35 ms; rebuilding that list from its snapshot, as a
store without an aggregate cache does on every call, takes about 150 ms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from typing import Any, ClassVar, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from portevoix.recent_reads import RecentReads

STOP_REPLY, MANUAL, IMPORT, START_REPLY = "stop_reply", "manual", "import", "start_reply"
OPT_OUT_SOURCES = (STOP_REPLY, MANUAL, IMPORT)
OPT_IN_SOURCES = (START_REPLY, MANUAL)
# What ``Blacklists.blocked`` answers for a number.
PLATFORM_BLOCK, OPTED_OUT = "platform_block", "opted_out"

BATCH = 1_000  # numbers an event
SNAPSHOT_INTERVAL = 1_000  # events
MAX_REASON = 200
BLOCK_LIST_ID = uuid5(NAMESPACE_URL, "portevoix:block-list")

# The shape of E.164 (the parser in ``numbers.py`` makes them); validity is its business.
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")

L = TypeVar("L", bound=Aggregate)


class BlacklistError(Exception):
    """Base of every refusal about opt-outs and blocks; a refused command records nothing."""


class InvalidE164Error(BlacklistError):
    """Some numbers are not written in E.164 (``+33612345678``); ``numbers`` lists them."""

    def __init__(self, numbers: Sequence[str]) -> None:
        shown = ", ".join(map(repr, numbers[:5])) + (" ..." if len(numbers) > 5 else "")
        super().__init__(f"{len(numbers)} numbers are not E.164 such as +33612345678: {shown}")
        self.numbers = list(numbers)


class UnknownSourceError(BlacklistError):
    def __init__(self, source: str, allowed: Sequence[str]) -> None:
        super().__init__(f"unknown source {source!r}; use one of {', '.join(allowed)}")
        self.source, self.allowed = source, tuple(allowed)


class OptedOutByStopError(BlacklistError):
    """The customer tried to remove numbers that replied STOP: only they can opt back in."""

    def __init__(self, customer_id: UUID, numbers: Sequence[str]) -> None:
        super().__init__(
            f"{len(numbers)} numbers replied STOP to customer {customer_id} and stay opted "
            f"out until they reply START: {', '.join(numbers[:5])}"
        )
        self.customer_id, self.numbers = customer_id, list(numbers)


class InvalidBlockReasonError(BlacklistError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"a block needs a reason of 1 to {MAX_REASON} characters: {reason!r}")
        self.reason = reason


@functools.lru_cache(maxsize=65_536)  # a hash each call; the send path asks often
def opt_out_list_id_for(customer_id: UUID) -> UUID:
    return uuid5(customer_id, "opt-outs")


def check_e164(numbers: Iterable[str]) -> list[str]:
    """``numbers`` without repeats, in their order, or InvalidE164Error listing the bad."""
    unique = list(dict.fromkeys(numbers))
    bad = [n for n in unique if not (isinstance(n, str) and _E164.fullmatch(n))]
    if bad:
        raise InvalidE164Error(bad)
    return unique


def batches(numbers: Sequence[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(numbers), size):
        yield list(numbers[start:start + size])


class _CopiedCheaply:
    """Mixed into the lists, whose sets are too big for ``deepcopy``'s element by element."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """The library copies a cached aggregate for every command. Numbers are immutable
        strings, so a new set of them is a deep copy: 60 ms for a million, not 350."""
        copy = object.__new__(type(self))
        copy.__dict__.update({
            name: set(value) if isinstance(value, set) else deepcopy(value, memo)
            for name, value in self.__dict__.items()
        })
        return copy


class OptOutList(_CopiedCheaply, Aggregate):
    """The numbers one customer must not send to, and which of them replied STOP."""

    TOPIC = "portevoix.platform:OptOutList"

    class Created(Aggregate.Created):
        """Unused: lists are created by ``Opened``. Declared to pin its topic."""

        TOPIC = "portevoix.platform:OptOutList.Created"

    class Opened(Aggregate.Created):
        TOPIC = "portevoix.platform:OptOutList.Opened"
        customer_id: UUID

    # Declared (not named in @event) so the projection's handlers type-check against them.
    class OptedOut(Aggregate.Event):
        TOPIC = "portevoix.platform:OptOutList.OptedOut"
        numbers: list[str]
        source: str

    class OptedIn(Aggregate.Event):
        TOPIC = "portevoix.platform:OptOutList.OptedIn"
        numbers: list[str]
        source: str

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return opt_out_list_id_for(customer_id)

    @event(Opened)
    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        self.numbers: set[str] = set()
        self.stopped: set[str] = set()  # the subset whose opt-out came from a STOP reply

    def add_many(self, numbers: Iterable[str], source: str) -> int:
        """Opt ``numbers`` out, in events of at most 1,000; returns how many were added.

        Numbers already opted out are skipped (nothing is recorded for them), except that
        a STOP reply from a number the customer listed records it as the person's choice.
        """
        if source not in OPT_OUT_SOURCES:
            raise UnknownSourceError(source, OPT_OUT_SOURCES)
        present = self.stopped if source == STOP_REPLY else self.numbers
        new = [n for n in check_e164(numbers) if n not in present]
        for batch in batches(new):
            self._opted_out(batch, source)
        return len(new)

    def remove_many(self, numbers: Iterable[str], source: str) -> int:
        """Opt ``numbers`` back in; returns how many were removed.

        ``start_reply``: the numbers that replied STOP. ``manual``: the numbers the customer
        listed; if any of them replied STOP, OptedOutByStopError and nothing is recorded.
        """
        if source not in OPT_IN_SOURCES:
            raise UnknownSourceError(source, OPT_IN_SOURCES)
        unique = check_e164(numbers)
        if source == START_REPLY:
            gone = [n for n in unique if n in self.stopped]
        else:
            stopped = [n for n in unique if n in self.stopped]
            if stopped:
                raise OptedOutByStopError(self.customer_id, stopped)
            gone = [n for n in unique if n in self.numbers]
        for batch in batches(gone):
            self._opted_in(batch, source)
        return len(gone)

    @event(OptedOut)
    def _opted_out(self, numbers: list[str], source: str) -> None:
        self.numbers.update(numbers)
        if source == STOP_REPLY:
            self.stopped.update(numbers)

    @event(OptedIn)
    def _opted_in(self, numbers: list[str], source: str) -> None:
        self.numbers.difference_update(numbers)
        self.stopped.difference_update(numbers)


class BlockList(_CopiedCheaply, Aggregate):
    """The numbers the platform blocks for every customer (there is one list)."""

    TOPIC = "portevoix.platform:BlockList"

    class Created(Aggregate.Created):
        """Unused: the list is created by ``Opened``. Declared to pin its topic."""

        TOPIC = "portevoix.platform:BlockList.Created"

    class Opened(Aggregate.Created):
        TOPIC = "portevoix.platform:BlockList.Opened"

    class Blocked(Aggregate.Event):
        TOPIC = "portevoix.platform:BlockList.Blocked"
        numbers: list[str]
        reason: str

    class Unblocked(Aggregate.Event):
        TOPIC = "portevoix.platform:BlockList.Unblocked"
        numbers: list[str]

    @staticmethod
    def create_id() -> UUID:
        return BLOCK_LIST_ID

    @event(Opened)
    def __init__(self) -> None:
        self.numbers: set[str] = set()

    def add_many(self, numbers: Iterable[str], reason: str) -> int:
        """Block ``numbers`` (skipping those already blocked, whatever their reason);
        returns how many were added."""
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON:
            raise InvalidBlockReasonError(reason)
        new = [n for n in check_e164(numbers) if n not in self.numbers]
        for batch in batches(new):
            self._blocked(batch, reason)
        return len(new)

    def remove_many(self, numbers: Iterable[str]) -> int:
        gone = [n for n in check_e164(numbers) if n in self.numbers]
        for batch in batches(gone):
            self._unblocked(batch)
        return len(gone)

    @event(Blocked)
    def _blocked(self, numbers: list[str], reason: str) -> None:
        self.numbers.update(numbers)

    @event(Unblocked)
    def _unblocked(self, numbers: list[str]) -> None:
        self.numbers.difference_update(numbers)


class SetAsList(Transcoding):
    """Snapshots hold the lists' sets (events never do)."""

    type = set
    name = "set"

    def encode(self, obj: set[str]) -> list[str]:
        return list(obj)

    def decode(self, data: list[str]) -> set[str]:
        return set(data)


class Blacklists(RecentReads, Application[UUID]):
    """Customers' opt-outs and the platform's blocks; which recipients a send must skip."""

    name = "blacklists"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        OptOutList: SNAPSHOT_INTERVAL, BlockList: SNAPSHOT_INTERVAL,
    }
    retries = 3  # a list created or changed concurrently by another process

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SetAsList())

    def opt_out(self, customer_id: UUID, e164: str, source: str) -> bool:
        """Opt one number out of the customer's sends; False if it already was."""
        return self.opt_out_many(customer_id, [e164], source) > 0

    def opt_out_many(self, customer_id: UUID, numbers: Iterable[str], source: str) -> int:
        """Opt numbers out in one save (an import); returns how many were new."""
        numbers = list(numbers)
        return self._change(opt_out_list_id_for(customer_id),
                            lambda: OptOutList(customer_id=customer_id),
                            lambda opt_outs: opt_outs.add_many(numbers, source))

    def opt_in(self, customer_id: UUID, e164: str, source: str) -> bool:
        """Lift a number's opt-out (see ``OptOutList.remove_many``); False if it had none."""
        return self._change(opt_out_list_id_for(customer_id),
                            lambda: OptOutList(customer_id=customer_id),
                            lambda opt_outs: opt_outs.remove_many([e164], source)) > 0

    def block(self, e164: str, reason: str) -> bool:
        return self.block_many([e164], reason) > 0

    def block_many(self, numbers: Iterable[str], reason: str) -> int:
        numbers = list(numbers)
        return self._change(BLOCK_LIST_ID, BlockList,
                            lambda block_list: block_list.add_many(numbers, reason))

    def unblock(self, e164: str) -> bool:
        return self._change(BLOCK_LIST_ID, BlockList,
                            lambda block_list: block_list.remove_many([e164])) > 0

    def blocked(self, customer_id: UUID, numbers: Iterable[str]) -> dict[str, str]:
        """Which of ``numbers`` (E.164) must not be sent to by ``customer_id``, and why:
        ``platform_block`` before ``opted_out``. Each list is loaded once, read-only."""
        block_list = self._read(BLOCK_LIST_ID, BlockList)
        opt_outs = self._read(opt_out_list_id_for(customer_id), OptOutList)
        platform = block_list.numbers if block_list is not None else set()
        customer = opt_outs.numbers if opt_outs is not None else set()
        found: dict[str, str] = {}
        for number in numbers:
            if number in platform:
                found[number] = PLATFORM_BLOCK
            elif number in customer:
                found[number] = OPTED_OUT
        return found

    # Internals --------------------------------------------------------------------------

    def _change(self, list_id: UUID, create: Callable[[], L],
                command: Callable[[L], int]) -> int:
        """Apply ``command`` to the list (a new one from ``create`` if there is none yet:
        the command still checks its arguments) and save it if it changed; a collision with
        another writer is retried on a fresh load."""
        for attempt in range(self.retries):
            numbers_list: L
            try:
                numbers_list = self.repository.get(list_id)
            except AggregateNotFoundError:
                numbers_list = create()
            changed = command(numbers_list)
            if not changed:  # nothing to record, not even a new list's creation
                return 0
            try:
                self.save(numbers_list)
            except IntegrityError:
                if attempt + 1 == self.retries:
                    raise
                continue
            return changed
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, list_id: UUID, kind: type[L]) -> L | None:
        """The list as last read (``recent_reads``), not copied: callers only
        look numbers up in it (a concurrent fast-forward adds to its sets in place, which a
        look-up tolerates). A change saved by this process is seen at once."""
        try:
            found: object = self.recent(list_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None
