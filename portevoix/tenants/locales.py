"""Where a customer is: its default country (for national numbers) and its time zone.

The default country turns ``06 12 34 56 78`` into ``+33 6 12 34 56 78``; the time zone decides
what "send at 9:00" and quiet hours mean. Countries are the 249 ISO 3166-1 alpha-2 codes
(the same list as tzdata's ``iso3166.tab``); time zones are the IANA names that the system's
time zone database knows.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from portevoix.tenants.errors import InvalidCountryError, InvalidTimezoneError

# ISO 3166-1 alpha-2, as listed in tzdata's iso3166.tab.
COUNTRIES = frozenset({
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
})

DEFAULT_COUNTRY, DEFAULT_TIMEZONE = "FR", "Europe/Paris"


def normalise_country(value: str) -> str:
    """``value`` as an upper-case ISO 3166-1 alpha-2 code (``fr`` gives ``FR``)."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in COUNTRIES:
        raise InvalidCountryError(value)
    return code


@cache
def _time_zones() -> frozenset[str]:
    # Read once: listing the time zone database walks its directory.
    return frozenset(available_timezones())


def normalise_timezone(value: str) -> str:
    """``value`` if it names an IANA time zone exactly (``Europe/Paris``, ``UTC``).

    Names are case-sensitive, as ``zoneinfo`` resolves them on case-sensitive file systems.
    """
    name = value.strip() if isinstance(value, str) else ""
    if name not in _time_zones():
        raise InvalidTimezoneError(value)
    return name
