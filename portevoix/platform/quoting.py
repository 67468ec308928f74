"""Quoting for a customer: the terms it is charged by, assembled from who it is.

A customer's terms are its reseller's retail list (assigned to the customer) over the
platform's wholesale list (assigned to the reseller), in force now, with the customer's
options (long SMS, overseas destinations, what to do with characters outside GSM-7); its
numbers are read relative to its default country. The send pipeline quotes through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from threading import Lock
from uuid import UUID

from portevoix.platform.numbers import NumberParser
from portevoix.platform.pricing import Pricing
from portevoix.platform.quotes import Quote, Terms, quote
from portevoix.tenants.services import Tenancy


def utcnow() -> datetime:
    return datetime.now(UTC)


class Quoting:
    """Quotes for customers; one number parser (and its cache) per default country."""

    def __init__(self, pricing: Pricing, tenancy: Tenancy,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.pricing, self.tenancy, self.clock = pricing, tenancy, clock
        self._parsers: dict[str, NumberParser] = {}
        self._lock = Lock()

    def parser(self, country: str) -> NumberParser:
        with self._lock:
            if country not in self._parsers:
                self._parsers[country] = NumberParser(country)
            return self._parsers[country]

    def terms_for(self, customer_id: UUID, at: datetime | None = None) -> Terms:
        """Raises UnknownTenantError, or UnknownPriceListError when the customer or its
        reseller has no price list."""
        customer = self.tenancy.customer(customer_id, recent=True)
        when = at or self.clock()
        options = customer.options
        return Terms(
            retail=self.pricing.table_for(customer_id, when, recent=True),
            wholesale=self.pricing.table_for(customer.reseller_id, when, recent=True),
            encoding_policy=str(options["non_gsm_policy"]),
            long_sms_allowed=bool(options["long_sms"]),
            overseas_allowed=bool(options["overseas_destinations"]),
        )

    def quote(self, customer_id: UUID, messages: Iterable[tuple[str, str]]) -> Quote:
        """Price each ``(number, text)`` for the customer, as of now."""
        customer = self.tenancy.customer(customer_id, recent=True)
        return quote(self.terms_for(customer_id), self.parser(customer.default_country),
                     messages)

    def quote_text(self, customer_id: UUID, text: str, numbers: Iterable[str]) -> Quote:
        return self.quote(customer_id, ((number, text) for number in numbers))
