"""Importing a file of numbers: a dry-run report first, then the commit, both streamed.

Every import is looked at before anything is written (seed 002 "CARNET D'ADRESSES": the
columns are chosen, then loaded). ``dry_run`` reads the file once and counts what the commit
would do; ``commit`` reads it again (the same file: its sha256 must match the report's) and
writes in chunks of 10,000. A file goes into an address-book list (new or existing), into the
customer's blacklist (seed 002), or is read as a personalised-send sheet (seeds 000 §5,
001 §6, 004 §6), which is never stored: the send reads it with ``personalised_recipients``.

Each data row is exactly one of: invalid (the number, or a field, with the reason), a
landline (any number that is not a mobile: landline, VoIP, toll-free; the detail says
which), or valid. A valid row may have been normalised ("06 12 34 56 78" → "+33612345678"),
may repeat an earlier row's number (the first is kept, the repeats are skipped) or a number
already in the list (skipped: not written twice); what is left is ``to_write``. Blacklisted
rows (opted out, or blocked by the platform) are counted and shown, and still imported into
a list or kept in a personalised sheet: a send refuses them anyway, and the list stays the
customer's record. Into the blacklist, a number already opted out counts as a duplicate with
the list.

Memory: rows are streamed; what grows with the file is the set of E.164 numbers already seen
(as integers, about 65 bytes each: 1,000,000 numbers take about 65 MB) and, for an existing
list, the set of its numbers. Row numbers count the rows the file reader returns, header
included; empty rows are not counted.

A commit writes chunk by chunk, each all or nothing. Every refusal (changed file, unknown or
taken list, bad mapping, no data rows) comes before the first chunk; a store failing half
way leaves the chunks before it written, and committing again completes the import (what is
already in the list is skipped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    ContactsError,
    ListNameTakenError,
    UnknownListError,
)
from portevoix.contacts.files import open_table
from portevoix.contacts.files.prefetch import Prefetched
from portevoix.contacts.import_rows import (
    TARGET_BLACKLIST,
    TARGET_LIST,
    TARGET_PERSONALISED,
    row_builder,
)
from portevoix.contacts.import_spool import SpoolWriter, read_spool
from portevoix.contacts.mapping import (
    Mapping,
)
from portevoix.gc_pause import collection_paused, sweep
from portevoix.platform.blacklists import OPTED_OUT, PLATFORM_BLOCK
from portevoix.platform.numbers import NOT_MOBILE, NumberParser, Rejection

TARGETS = (TARGET_LIST, TARGET_BLACKLIST, TARGET_PERSONALISED)
CHUNK = 10_000  # rows a store call writes (AddressBooks.add_contacts takes at most 10,000)
SAMPLES = 20  # examples kept per category
PARSER_CACHE = 100_000  # readings kept between a dry run and its commit
_HEAD = 50  # rows read ahead to check the mapping against the file's width

NORMALISED, INVALID, LANDLINES = "normalised", "invalid", "landlines"
DUPLICATES_IN_FILE, DUPLICATES_IN_LIST, BLACKLISTED = (
    "duplicates_in_file", "duplicates_in_list", "blacklisted")
CATEGORIES = (NORMALISED, INVALID, LANDLINES, DUPLICATES_IN_FILE, DUPLICATES_IN_LIST,
              BLACKLISTED)
_BLOCK_WORDS = {OPTED_OUT: "opted out", PLATFORM_BLOCK: "blocked by the platform"}

Sample = tuple[int, str, str]  # row number, the cell as written, what became of it


class ContactImportError(ValueError):
    """Base of the import's refusals (not named ImportError: that is Python's)."""


class UnknownTargetError(ContactImportError):
    def __init__(self, target: str) -> None:
        super().__init__(f"unknown import target {target!r}; use one of {', '.join(TARGETS)}")
        self.target = target


class ListChoiceError(ContactImportError):
    """A list import names the existing list (``list_id``) or a new one's name: one of them."""


class UnknownCountryError(ContactImportError):
    def __init__(self, country: str) -> None:
        super().__init__(f"no numbering plan for default country {country!r}")
        self.country = country


class NoDataRowsError(ContactImportError):
    def __init__(self, has_header: bool) -> None:
        super().__init__("the file has a header row but no data rows" if has_header
                         else "the file has no data rows")
        self.has_header = has_header


class FileChangedError(ContactImportError):
    """The file to commit is not the one the dry run looked at: nothing was written."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"the file changed since its dry run (sha256 {actual[:12]}…, "
                         f"expected {expected[:12]}…): run the dry run again")
        self.expected, self.actual = expected, actual


@dataclass(frozen=True)
class ImportRequest:
    """What to do with a file. ``consent`` applies to every row when the file has no
    consent columns (or a row leaves them empty)."""

    customer_id: UUID
    target: str
    mapping: Mapping
    list_id: UUID | None = None
    new_list_name: str = ""
    default_country: str = "FR"
    consent: Consent | None = None


@dataclass(frozen=True)
class ImportReport:
    """The dry run's counts (see the module docstring for what each counts), or after a
    commit what was written: ``to_write`` rows, into ``list_id`` for a list import."""

    fingerprint: str
    format: str
    rows_read: int
    valid: int
    normalised: int
    invalid: int
    duplicates_in_file: int
    duplicates_in_list: int
    blacklisted: int
    landlines: int
    samples: dict[str, tuple[Sample, ...]]
    to_write: int
    committed: bool = False
    list_id: UUID | None = None


class Rows(Protocol):
    """What an import reads: the files layer's ``Table`` (``table.rows()`` re-reads)."""

    @property
    def format(self) -> str: ...
    def rows(self) -> Iterator[list[str]]: ...


class ImportStore(Protocol):
    """The address book and blacklist calls an import makes."""

    def list_exists(self, customer_id: UUID, list_id: UUID) -> bool: ...
    def list_named(self, customer_id: UUID, name: str) -> UUID | None: ...
    def create_list(self, customer_id: UUID, name: str) -> UUID: ...
    def numbers_in_list(self, list_id: UUID) -> set[str]: ...
    def add_contacts(self, customer_id: UUID, contacts: Sequence[ContactFields],
                     list_id: UUID) -> int: ...
    def blocked(self, customer_id: UUID, numbers: Sequence[str]) -> dict[str, str]: ...
    def opt_out(self, customer_id: UUID, numbers: Sequence[str]) -> int: ...


def fingerprint_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dry_run(path: Path, request: ImportRequest, store: ImportStore,
            filename: str = "", spool: Path | None = None) -> ImportReport:
    """Read the file and report what a commit would do; writes nothing to the store. Raises
    the files layer's FileRejectedError, MappingError, ContactImportError or ContactsError.
    With ``spool``, what the commit would write is kept there for it (``import_spool``)."""
    table, fingerprint = Prefetched(open_table(path, filename), path), fingerprint_of(path)
    if spool is None or request.target == TARGET_PERSONALISED:
        return examine(table, request, store, fingerprint)
    with SpoolWriter(spool) as writer:
        report = examine(table, request, store, fingerprint,
                         lambda chunk: writer.write([_spooled(r) for r in chunk]))
        writer.finish(report)
    return report


def examine(table: Rows, request: ImportRequest, store: ImportStore | None,
            fingerprint: str = "",
            on_chunk: Callable[[Sequence[_Accepted]], None] | None = None) -> ImportReport:
    """The dry run of rows already opened (``table.format`` and ``table.rows()``);
    ``on_chunk`` receives what a commit would write, chunk by chunk."""
    _check(request)
    list_numbers = _list_numbers(request, store) if store is not None else set()
    return _Pass(table, request, store, list_numbers, on_chunk).run(fingerprint)


def commit(path: Path, request: ImportRequest, expected_fingerprint: str, store: ImportStore,
           filename: str = "", spool: Path | None = None) -> ImportReport:
    """Write what the dry run of the same file reported; returns the report of what was
    written. A personalised sheet writes nothing (the send reads it). Refuses with
    FileChangedError, writing nothing, if the file is not the same. The dry run's ``spool``
    is written when there is one for this file (numbers added to the list since are
    skipped); otherwise the file is read and checked again."""
    actual = fingerprint_of(path)
    if actual != expected_fingerprint:
        raise FileChangedError(expected_fingerprint, actual)
    _check(request)
    list_numbers = _list_numbers(request, store)
    sink = _Sink(request, store)
    spooled = read_spool(spool) if spool is not None else None
    if isinstance(spooled, tuple) and isinstance(spooled[0], ImportReport) \
            and spooled[0].fingerprint == actual:
        report, skipped = spooled[0], 0
        with collection_paused():
            for records in spooled[1]:
                chunk = [_unspooled(record) for record in records]
                kept = [row for row in chunk if row.e164 not in list_numbers]
                skipped += len(chunk) - len(kept)
                if kept:
                    sink.write(kept)
                sweep()
        report = replace(report, duplicates_in_list=report.duplicates_in_list + skipped)
    else:
        report = _Pass(Prefetched(open_table(path, filename), path), request, store,
                       list_numbers, sink.write).run(actual)
    list_id = sink.finish()
    return replace(report, to_write=sink.written, committed=True, list_id=list_id)


def personalised_recipients(path: Path, request: ImportRequest,
                            filename: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """The rows of a personalised sheet as (E.164, values) in file order, values keyed by
    field (``param1``, ``v1``, ``first_name``...) plus ``number``; invalid rows, landlines
    and repeated numbers are skipped, as the dry run reported."""
    if request.target != TARGET_PERSONALISED:
        raise UnknownTargetError(request.target)
    _check(request)
    found: list[tuple[str, dict[str, str]]] = []
    table = open_table(path, filename)

    def keep(accepted: Sequence[_Accepted]) -> None:
        found.extend((row.e164, row.payload) for row in accepted if isinstance(row.payload,
                                                                                 dict))

    rows = _Pass(table, request, None, set(), keep)
    for _ in rows.stream():
        yield from found
        found.clear()
    yield from found


# Checking the request ---------------------------------------------------------------------


def _check(request: ImportRequest) -> None:
    if request.target not in TARGETS:
        raise UnknownTargetError(request.target)
    request.mapping.check_target(request.target == TARGET_PERSONALISED)
    if request.target == TARGET_LIST and (request.list_id is None) == (not request.new_list_name):
        raise ListChoiceError("a list import needs either an existing list or a new list's "
                              "name, not both and not neither")
    _parser(request.default_country.upper())
    if request.consent is not None:
        request.consent.check()


def _list_numbers(request: ImportRequest, store: ImportStore) -> set[str]:
    """The numbers already in the target list (the empty set for a new list)."""
    if request.target != TARGET_LIST:
        return set()
    if request.list_id is not None:
        if not store.list_exists(request.customer_id, request.list_id):
            raise UnknownListError(request.customer_id, request.list_id)
        return store.numbers_in_list(request.list_id)
    if store.list_named(request.customer_id, request.new_list_name) is not None:
        raise ListNameTakenError(request.new_list_name)
    return set()


@lru_cache(maxsize=8)
def _parser(country: str) -> NumberParser:
    """One parser per default country, shared by imports: the dry run's readings are cached
    for the commit that follows. Its cache holds PARSER_CACHE numbers (about 340 bytes
    each), whatever the file's size."""
    try:
        return NumberParser(country, cache_size=PARSER_CACHE)
    except ValueError:
        raise UnknownCountryError(country) from None


# Reading the rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Accepted:
    row: int
    raw: str
    e164: str
    payload: ContactFields | dict[str, str] | None  # None: a blacklist import's number


def _spooled(row: _Accepted) -> tuple[Any, ...]:
    """A row as the spool keeps it: a contact as its fields' values (checked already, and
    pickled several times faster than the dataclass)."""
    payload = row.payload
    if isinstance(payload, ContactFields):
        return (row.row, row.raw, row.e164, True, *_FIELDS(payload))
    return (row.row, row.raw, row.e164, False, payload)


def _unspooled(record: tuple[Any, ...]) -> _Accepted:
    if record[3]:
        return _Accepted(record[0], record[1], record[2], ContactFields(*record[4:]))
    return _Accepted(record[0], record[1], record[2], record[4])


_FIELDS = attrgetter(*(f.name for f in fields(ContactFields)))


class _Sink:
    """A commit's writes: into the list (created before its first chunk) or the blacklist."""

    def __init__(self, request: ImportRequest, store: ImportStore) -> None:
        self.request, self.store = request, store
        self.list_id = request.list_id
        self.written = 0

    def write(self, accepted: Sequence[_Accepted]) -> None:
        customer_id, target = self.request.customer_id, self.request.target
        if target == TARGET_BLACKLIST:
            self.written += self.store.opt_out(customer_id, [row.e164 for row in accepted])
        elif target == TARGET_LIST:
            list_id = self._list()
            contacts = [row.payload for row in accepted if isinstance(row.payload,
                                                                       ContactFields)]
            if contacts:
                self.written += self.store.add_contacts(customer_id, contacts, list_id)
        else:
            self.written += len(accepted)

    def finish(self) -> UUID | None:
        """The list written to, created if it is new (even when no row was written)."""
        return self._list() if self.request.target == TARGET_LIST else None

    def _list(self) -> UUID:
        if self.list_id is None:
            self.list_id = self.store.create_list(self.request.customer_id,
                                                  self.request.new_list_name)
        return self.list_id


class _Pass:
    """One pass over a file's rows: counts, samples, and the accepted rows in chunks."""

    def __init__(self, table: Rows, request: ImportRequest, store: ImportStore | None,
                 list_numbers: set[str],
                 on_chunk: Callable[[Sequence[_Accepted]], None] | None = None) -> None:
        self.table, self.request, self.store = table, request, store
        self.list_numbers = list_numbers
        self.on_chunk = on_chunk
        self.parser = _parser(request.default_country.upper())
        self.counts = dict.fromkeys((*CATEGORIES, "rows_read", "valid", "to_write"), 0)
        self.samples: dict[str, list[Sample]] = {name: [] for name in CATEGORIES}
        self.build = row_builder(request.target, request.mapping, request.consent)
        self.parse = self.parser.parse
        self.column = request.mapping.number_column
        self.normalised = self.samples[NORMALISED]
        self.seen: set[int] = set()  # the numbers met so far

    def run(self, fingerprint: str) -> ImportReport:
        with collection_paused():
            for _ in self.stream():
                sweep()
        counts = self.counts
        return ImportReport(
            fingerprint=fingerprint, format=self.table.format, rows_read=counts["rows_read"],
            valid=counts["valid"], normalised=counts[NORMALISED], invalid=counts[INVALID],
            duplicates_in_file=counts[DUPLICATES_IN_FILE],
            duplicates_in_list=counts[DUPLICATES_IN_LIST], blacklisted=counts[BLACKLISTED],
            landlines=counts[LANDLINES],
            samples={name: tuple(found) for name, found in self.samples.items()},
            to_write=counts["to_write"])

    def note(self, category: str, row: int, raw: str, detail: str) -> None:
        self.counts[category] += 1
        found = self.samples[category]
        if len(found) < SAMPLES:
            found.append((row, raw, detail))

    def stream(self) -> Iterator[int]:
        """Process the rows, yielding after each chunk handed on (personalised sheets are
        consumed chunk by chunk)."""
        mapping = self.request.mapping
        rows = self.table.rows()
        head = list(islice(rows, _HEAD))
        if head:
            mapping.fit(max(len(row) for row in head))
        if len(head) <= int(mapping.has_header):
            raise NoDataRowsError(mapping.has_header)
        skip = int(mapping.has_header)
        number, pending = 0, []
        try:
            for number, row in enumerate(chain(head[skip:], rows), skip + 1):
                accepted = self.read(number, row)
                if accepted is not None:
                    pending.append(accepted)
                    if len(pending) == CHUNK:
                        self.flush(pending)
                        pending = []
                        yield number
        finally:
            self.counts["rows_read"] = max(number - skip, 0)
        if pending:
            self.flush(pending)
            yield 0

    def read(self, number: int, row: list[str]) -> _Accepted | None:
        """Count one data row; what is to be written (or checked against the blacklist)."""
        raw = row[self.column] if self.column < len(row) else ""
        reading = self.parse(raw)
        if isinstance(reading, Rejection):
            self.note(LANDLINES if reading.reason == NOT_MOBILE else INVALID, number, raw,
                      reading.detail)
            return None
        e164 = reading.e164
        try:
            payload = self.build(row, e164)
        except (ContactsError, ValueError) as error:
            self.note(INVALID, number, raw, str(error))
            return None
        counts = self.counts
        counts["valid"] += 1
        if raw != e164:
            counts[NORMALISED] += 1
            if len(self.normalised) < SAMPLES:
                self.normalised.append((number, raw, e164))
        key = int(e164[1:])  # as an integer: a third of the memory of the string
        if key in self.seen:
            self.note(DUPLICATES_IN_FILE, number, raw,
                      f"{e164} is in an earlier row: the first is kept")
            return None
        self.seen.add(key)
        if e164 in self.list_numbers:
            self.note(DUPLICATES_IN_LIST, number, raw, f"{e164} is already in the list")
            return None
        return _Accepted(number, raw, e164, payload)

    def flush(self, pending: list[_Accepted]) -> None:
        """Count the blacklisted among a chunk, then hand what is to be written on."""
        accepted = pending
        if self.store is not None:
            blocked = self.store.blocked(self.request.customer_id,
                                         [row.e164 for row in pending])
            if blocked:
                accepted = []
                for row in pending:
                    reason = blocked.get(row.e164)
                    if reason is None:
                        accepted.append(row)
                    elif reason == OPTED_OUT and self.request.target == TARGET_BLACKLIST:
                        self.note(DUPLICATES_IN_LIST, row.row, row.raw,
                                  f"{row.e164} is already opted out")
                    else:
                        self.note(BLACKLISTED, row.row, row.raw,
                                  f"{row.e164} is {_BLOCK_WORDS.get(reason, reason)}")
                        accepted.append(row)
        self.counts["to_write"] += len(accepted)
        if self.on_chunk is not None and accepted:
            self.on_chunk(accepted)
