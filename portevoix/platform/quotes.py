"""Quotes: what a message to each recipient costs the customer and the reseller.

A quote normalises every number, drops duplicates (sent and charged once), counts the
segments of each recipient's own text (personalised texts differ in length) and prices each
recipient at its destination: segments times the retail unit price for the customer, segments
times the wholesale unit price for the reseller. Recipients it cannot send to are listed with the
reason. Runs for every recipient of a 100,000-recipient campaign, so the loop is kept tight:
segment counts are cached per text and number parsing per number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from portevoix.platform.messages import (
    MAX_SEGMENTS,
    EmptyMessageError,
    LongMessageNotAllowedError,
    MessageError,
    MessageTooLongError,
    check_length,
)
from portevoix.platform.numbers import Destination, NumberParser, Rejection
from portevoix.platform.prices import SMS, PriceTable
from portevoix.platform.segments import encode, segment_count

# Why a recipient is not quoted, beyond the number rejections of ``numbers``.
NO_PRICE = "no_price"
OVERSEAS_NOT_ALLOWED = "overseas_not_allowed"
LONG_SMS_NOT_ALLOWED = "long_sms_not_allowed"
MESSAGE_TOO_LONG = "message_too_long"
EMPTY_MESSAGE = "empty_message"
LENGTH_REASONS: dict[type[MessageError], str] = {
    EmptyMessageError: EMPTY_MESSAGE,
    LongMessageNotAllowedError: LONG_SMS_NOT_ALLOWED,
    MessageTooLongError: MESSAGE_TOO_LONG,
}


@dataclass(frozen=True)
class Terms:
    """How a customer is charged: its reseller's retail prices over the platform's wholesale
    prices, and the account options that decide what may be sent."""

    retail: PriceTable
    wholesale: PriceTable
    encoding_policy: str = "ucs2"
    long_sms_allowed: bool = True
    overseas_allowed: bool = False
    max_segments: int = MAX_SEGMENTS


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One recipient, priced."""

    raw: str
    e164: str
    destination: Destination
    text: str
    encoding: str
    segments: int
    unit_price: int
    price: int
    wholesale_unit_price: int
    wholesale_cost: int

    @property
    def below_wholesale(self) -> bool:
        return self.price < self.wholesale_cost


@dataclass(frozen=True, slots=True)
class Refusal:
    """One recipient that will not be sent to, and why."""

    raw: str
    reason: str
    detail: str


@dataclass
class Quote:
    lines: list[QuoteLine] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    total_price: int = 0
    total_wholesale_cost: int = 0
    total_segments: int = 0

    @property
    def margin(self) -> int:
        return self.total_price - self.total_wholesale_cost

    @property
    def below_wholesale(self) -> list[QuoteLine]:
        """Lines sold under their wholesale cost (only where the reseller accepted that)."""
        return [line for line in self.lines if line.below_wholesale]


def quote_text(terms: Terms, parser: NumberParser, text: str, numbers: Iterable[str]) -> Quote:
    """One text for every number."""
    return quote(terms, parser, ((number, text) for number in numbers))


def quote(terms: Terms, parser: NumberParser, messages: Iterable[tuple[str, str]]) -> Quote:
    """Price each ``(number, text)``; the first of several messages to one number wins."""
    result = Quote()
    lines, refused, duplicates = result.lines, result.refused, result.duplicates
    retail_price, wholesale_price = terms.retail.price, terms.wholesale.price
    parse = parser.parse
    measured: dict[str, tuple[str, int, tuple[str, str] | None]] = {}
    seen: set[str] = set()
    total_price = total_cost = total_segments = 0
    for raw, text in messages:
        parsed = parse(raw)
        if isinstance(parsed, Rejection):
            refused.append(Refusal(raw, parsed.reason, parsed.detail))
            continue
        e164 = parsed.e164
        if e164 in seen:
            duplicates.append(raw)
            continue
        seen.add(e164)
        destination = parsed.destination
        if destination.overseas and not terms.overseas_allowed:
            refused.append(Refusal(raw, OVERSEAS_NOT_ALLOWED,
                                   f"{destination.country} is an overseas destination"))
            continue
        unit_price = retail_price(destination.country, destination.operator, SMS)
        wholesale_unit = wholesale_price(destination.country, destination.operator, SMS)
        if unit_price is None or wholesale_unit is None:
            refused.append(Refusal(raw, NO_PRICE, f"no SMS price for {destination.country}"
                                                  f" ({destination.operator_name})"))
            continue
        known = measured.get(text)
        if known is None:
            known = measured[text] = _measure(terms, text)
        encoding, segments, problem = known
        if problem:
            refused.append(Refusal(raw, *problem))
            continue
        price, cost = segments * unit_price, segments * wholesale_unit
        lines.append(QuoteLine(raw, e164, destination, text, encoding, segments, unit_price,
                               price, wholesale_unit, cost))
        total_price += price
        total_cost += cost
        total_segments += segments
    result.total_price, result.total_wholesale_cost = total_price, total_cost
    result.total_segments = total_segments
    return result


def _measure(terms: Terms, text: str) -> tuple[str, int, tuple[str, str] | None]:
    """The text's encoding and segments, and the reason it cannot be sent, if any (the
    rules of ``messages.check_length``, checked in full only off the common path)."""
    encoding, segments = segment_count(text, terms.encoding_policy)
    if segments == 1 and text.strip():
        return encoding, segments, None
    try:
        check_length(encode(text, terms.encoding_policy), terms.long_sms_allowed,
                     terms.max_segments)
    except MessageError as error:
        return encoding, segments, (LENGTH_REASONS[type(error)], str(error))
    return encoding, segments, None
