"""Personalised sends: a preview per recipient, missing values found before sending, and the
``(number, text)`` rows the send pipeline prices one by one.

Recipients are ``(number, values)`` pairs, ``values`` holding the keys of
:mod:`portevoix.contacts.markers` (``first_name``, ``v1``, ``param3``...). ``{number}`` takes
the recipient's number when its values have none. A value is missing when it is absent or
blank; the user either refuses the send (:data:`MISSING_REFUSE`: nothing is sent while one
recipient misses one value) or chooses a fallback text per key (:data:`MISSING_FALLBACK`,
e.g. ``{"first_name": "client"}``). Each rendered text is then quoted on its own:
``portevoix.platform.quotes.quote`` counts every row's segments, so a long or UCS-2 row
costs what it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType

from portevoix.contacts.markers import (
    VALUE_KEYS,
    PersonalisationError,
    Rendered,
    Template,
    UnknownMarkerError,
)
from portevoix.platform.segments import UCS2_POLICY, segment_count

__all__ = [
    "MISSING_FALLBACK", "MISSING_POLICIES", "MISSING_REFUSE", "MissingReport",
    "MissingValuesError", "PersonalisationError", "Preview", "Rendered", "Template",
    "UnknownFallbackKeyError", "UnknownMarkerError", "UnknownMissingPolicyError",
    "check_missing", "personalised_rows", "preview",
]

MISSING_REFUSE, MISSING_FALLBACK = "refuse", "fallback"
MISSING_POLICIES = (MISSING_REFUSE, MISSING_FALLBACK)
MAX_EXAMPLES = 20

Recipients = Iterable[tuple[str, Mapping[str, str]]]


@dataclass(frozen=True)
class MissingReport:
    """What is missing across a send: ``by_key`` counts the recipients missing each key;
    ``examples`` give the first few as ``(row index from 0, number, missing keys)``."""

    rows: int
    rows_missing: int
    by_key: Mapping[str, int]
    examples: tuple[tuple[int, str, tuple[str, ...]], ...]

    @property
    def complete(self) -> bool:
        return self.rows_missing == 0


class MissingValuesError(PersonalisationError):
    """Some recipients miss a value and have no fallback: nothing is sent."""

    def __init__(self, report: MissingReport) -> None:
        keys = ", ".join(f"{key} ({count})" for key, count in report.by_key.items())
        super().__init__(f"{report.rows_missing} of {report.rows} recipients miss a value: "
                         f"{keys}")
        self.report = report


class UnknownMissingPolicyError(PersonalisationError):
    def __init__(self, policy: str) -> None:
        super().__init__(f"unknown missing-value policy {policy!r}; "
                         f"use one of {', '.join(MISSING_POLICIES)}")
        self.policy = policy


class UnknownFallbackKeyError(PersonalisationError):
    """A fallback for a key no template can use: most likely a typo the user should see."""

    def __init__(self, key: str) -> None:
        super().__init__(f"fallback given for unknown key {key!r}")
        self.key = key


@dataclass(frozen=True)
class Preview:
    """One recipient's message as it will be sent and what it costs in segments."""

    number: str
    text: str
    missing: tuple[str, ...]
    encoding: str
    segments: int


def preview(template: Template, recipients: Recipients, limit: int = 10,
            fallback: Mapping[str, str] | None = None,
            policy: str = UCS2_POLICY) -> list[Preview]:
    """The first ``limit`` recipients' messages; ``policy`` is the account's
    ``non_gsm_policy``, as the quote will count them."""
    _check_fallback(fallback)
    previews = []
    for number, rendered in islice(_rendered(template, recipients, fallback), max(limit, 0)):
        encoding, segments = segment_count(rendered.text, policy)
        previews.append(Preview(number, rendered.text, rendered.missing, encoding, segments))
    return previews


def check_missing(template: Template, recipients: Recipients,
                  fallback: Mapping[str, str] | None = None) -> MissingReport:
    """Which values are missing, counted in one pass that keeps only the counts and the
    first :data:`MAX_EXAMPLES` examples (a million recipients take no more memory)."""
    _check_fallback(fallback)
    tally = _Tally()
    for number, rendered in _rendered(template, recipients, fallback):
        tally.add(number, rendered.missing)
    return tally.report()


def personalised_rows(template: Template, recipients: Recipients,
                      on_missing: str = MISSING_REFUSE,
                      fallback: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(number, text)`` rows for ``SendRequest(rows=...)``.

    With :data:`MISSING_REFUSE`, any missing value raises :class:`MissingValuesError` (the
    fallback, if given, is not used); with :data:`MISSING_FALLBACK`, a missing key takes
    ``fallback[key]`` and a key with no fallback either still raises. Nothing is returned
    once an error is raised.
    """
    if on_missing not in MISSING_POLICIES:
        raise UnknownMissingPolicyError(on_missing)
    _check_fallback(fallback)
    chosen = fallback if on_missing == MISSING_FALLBACK else None
    rows: list[tuple[str, str]] = []
    tally = _Tally()
    for number, rendered in _rendered(template, recipients, chosen):
        tally.add(number, rendered.missing)
        rows.append((number, rendered.text))
    if tally.rows_missing:
        raise MissingValuesError(tally.report())
    return rows


def _rendered(template: Template, recipients: Recipients,
              fallback: Mapping[str, str] | None) -> Iterator[tuple[str, Rendered]]:
    """Each recipient's number and rendered text; ``{number}`` defaults to the number."""
    render = template.render
    if "number" not in template.keys:
        for number, values in recipients:
            yield number, render(values, fallback)
        return
    for number, values in recipients:
        own = values if values.get("number") else {**values, "number": number}
        yield number, render(own, fallback)


def _check_fallback(fallback: Mapping[str, str] | None) -> None:
    for key, text in (fallback or {}).items():
        if key not in VALUE_KEYS:
            raise UnknownFallbackKeyError(key)
        if not isinstance(text, str):
            raise PersonalisationError(f"the fallback for {key!r} is not text: {text!r}")


class _Tally:
    """Counts of missing values, bounded in memory."""

    def __init__(self) -> None:
        self.rows = self.rows_missing = 0
        self.by_key: dict[str, int] = {}
        self.examples: list[tuple[int, str, tuple[str, ...]]] = []

    def add(self, number: str, missing: tuple[str, ...]) -> None:
        if missing:
            self.rows_missing += 1
            for key in missing:
                self.by_key[key] = self.by_key.get(key, 0) + 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append((self.rows, number, missing))
        self.rows += 1

    def report(self) -> MissingReport:
        return MissingReport(self.rows, self.rows_missing, MappingProxyType(dict(self.by_key)),
                             tuple(self.examples))
