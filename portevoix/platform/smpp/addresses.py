"""SMPP addresses of a message: which type of number (TON) and numbering plan (NPI) go with
a sender and a recipient (SMPP 3.4 §5.2.5, §5.2.6).

Operators route and display by these two octets, and a wrong pair is refused
(ESME_RINVSRCTON) or, worse, shown as a different sender. The rules:

- an alphanumeric sender ("MaBoutique", at most 11 GSM characters as handsets show it):
  TON 5 (alphanumeric), NPI 0 (unknown);
- a short code, 3 to 6 digits ("36180"): TON 3 (network specific), NPI 0;
- an international number ("+33612345678", or its digits "33612345678"): TON 1
  (international), NPI 1 (ISDN/E.164), sent without the "+";
- the recipient is always an E.164 number: TON 1, NPI 1, without the "+".

A route may force the sender's pair (some SMSCs want TON 0 NPI 0 whatever the sender); its
settings override the rule, never the recipient's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TON_UNKNOWN, TON_INTERNATIONAL, TON_NETWORK_SPECIFIC, TON_ALPHANUMERIC = 0, 1, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1

MAX_ALPHANUMERIC = 11  # GSM 03.40 TP-OA: 11 characters in 7-bit
_E164 = re.compile(r"\+?[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{3,6}")
# What an alphanumeric sender may hold: printable ASCII, which every SMSC passes through its
# latin-1 source_addr and every handset shows; accents are dropped or mangled on the way.
_ALPHANUMERIC = re.compile(r"[\x20-\x7e]{1,11}")


class AddressError(ValueError):
    """An address no SMSC can carry; ``role`` is "source" or "destination"."""

    def __init__(self, role: str, value: str, rule: str) -> None:
        super().__init__(f"{role} address {value!r}: {rule}")
        self.role, self.value, self.rule = role, value, rule


@dataclass(frozen=True, slots=True)
class Address:
    """An address as submit_sm carries it: the digits or name, then TON and NPI."""

    addr: str
    ton: int
    npi: int


def source_address(sender: str, ton: int | None = None, npi: int | None = None) -> Address:
    """The source address for ``sender``; ``ton``/``npi`` (a route's setting) win if given.

    Raises AddressError for an empty sender, an alphanumeric one longer than 11 characters or
    holding characters outside the safe set, and digits that are neither a short code nor an
    international number.
    """
    address = _source_rule(sender)
    return Address(address.addr,
                   address.ton if ton is None else ton, address.npi if npi is None else npi)


def _source_rule(sender: str) -> Address:
    if _SHORT_CODE.fullmatch(sender):
        return Address(sender, TON_NETWORK_SPECIFIC, NPI_UNKNOWN)
    if _E164.fullmatch(sender):
        return Address(sender.removeprefix("+"), TON_INTERNATIONAL, NPI_ISDN)
    if sender.lstrip("+").isdigit():
        raise AddressError("source", sender,
                           "digits must be a short code (3 to 6) or an international number")
    if not _ALPHANUMERIC.fullmatch(sender) or not sender.strip():
        raise AddressError("source", sender, f"an alphanumeric sender holds 1 to "
                           f"{MAX_ALPHANUMERIC} printable ASCII characters, not only spaces")
    return Address(sender, TON_ALPHANUMERIC, NPI_UNKNOWN)


def destination_address(number: str) -> Address:
    """The destination address for an E.164 ``number`` ("+33612345678")."""
    if not number.startswith("+") or not _E164.fullmatch(number):
        raise AddressError("destination", number, "must be an E.164 number such as +33612345678")
    return Address(number[1:], TON_INTERNATIONAL, NPI_ISDN)
