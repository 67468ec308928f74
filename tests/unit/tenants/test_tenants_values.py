"""The values tenancy accepts: e-mail addresses, host names, slugs, countries, time zones,
branding."""

from __future__ import annotations

import pytest

from portevoix.tenants.addresses import email_domain, normalise_email, normalise_hostname
from portevoix.tenants.branding import validate_branding
from portevoix.tenants.errors import (
    InvalidBrandingError,
    InvalidCountryError,
    InvalidEmailError,
    InvalidHostnameError,
    InvalidNameError,
    InvalidSlugError,
    InvalidTimezoneError,
)
from portevoix.tenants.locales import normalise_country, normalise_timezone
from portevoix.tenants.names import normalise_name, normalise_slug


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Martin@Mairie-Lyon.FR ", "ana.martin@mairie-lyon.fr"),
        ("ops+sms@sub.domain.co.uk", "ops+sms@sub.domain.co.uk"),
        ("x@xn--bcher-kva.de", "x@xn--bcher-kva.de"),
    ],
)
def test_valid_emails_are_kept_stripped_and_lowercase(value, expected):
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "an a@example.com",
     "ana..martin@example.com", ".ana@example.com", "ana@-example.com", "ana@example.com.",
     "ana@192.168.1.1", "ana@exa_mple.com", "a" * 65 + "@example.com"],
)
def test_invalid_emails_are_refused_with_the_value(value):
    with pytest.raises(InvalidEmailError) as refused:
        normalise_email(value)

    assert refused.value.value == value


def test_the_domain_of_an_email_is_its_lowercase_host_name():
    assert email_domain("Ana@Mairie-Lyon.fr") == "mairie-lyon.fr"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sms.Example.com", "sms.example.com"), ("example.com.", "example.com"),
     (" a-b.fr ", "a-b.fr")],
)
def test_valid_host_names_are_kept_lowercase_without_the_root_dot(value, expected):
    assert normalise_hostname(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "localhost", "-a.fr", "a-.fr", "a..fr", "a_b.fr", "10.0.0.1", "a.fr/x",
     "x" * 64 + ".fr", "https://a.fr"],
)
def test_invalid_host_names_are_refused(value):
    with pytest.raises(InvalidHostnameError):
        normalise_hostname(value)


@pytest.mark.parametrize("value", ["ab", "acme-sms", "a1", "x" * 40])
def test_valid_slugs_are_accepted(value):
    assert normalise_slug(value) == value


@pytest.mark.parametrize("value", ["a", "x" * 41, "Acme", "acme sms", "-acme", "acme-",
                                   "acmé", "acme_sms"])
def test_invalid_slugs_are_refused(value):
    with pytest.raises(InvalidSlugError):
        normalise_slug(value)


def test_names_are_trimmed_and_inner_spaces_collapsed():
    assert normalise_name("  Mairie   de\tLyon ") == "Mairie de Lyon"


@pytest.mark.parametrize("value", ["", "   ", "x" * 101])
def test_empty_or_overlong_names_are_refused(value):
    with pytest.raises(InvalidNameError):
        normalise_name(value)


@pytest.mark.parametrize(("value", "expected"), [("FR", "FR"), ("be", "BE"), (" ma ", "MA")])
def test_iso_country_codes_are_accepted_in_upper_case(value, expected):
    assert normalise_country(value) == expected


@pytest.mark.parametrize("value", ["", "F", "FRA", "XX", "UK", "france"])
def test_other_country_codes_are_refused(value):
    with pytest.raises(InvalidCountryError):
        normalise_country(value)


@pytest.mark.parametrize("value", ["Europe/Paris", "Africa/Casablanca", "UTC",
                                   "America/Martinique"])
def test_iana_time_zones_are_accepted(value):
    assert normalise_timezone(value) == value


@pytest.mark.parametrize("value", ["", "Paris", "europe/paris", "Europe/Lyon", "+01:00",
                                   "../../etc/passwd", "/usr/share/zoneinfo/UTC"])
def test_other_time_zones_are_refused(value):
    with pytest.raises(InvalidTimezoneError):
        normalise_timezone(value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"primary_colour": "#1A73E8"}, {"primary_colour": "#1a73e8"}),
        ({"support_email": " Help@Acme.fr"}, {"support_email": "help@acme.fr"}),
        ({"logo_url": "https://cdn.acme.fr/logo.png"},
         {"logo_url": "https://cdn.acme.fr/logo.png"}),
        ({"logo_url": "", "default_sender": ""}, {"logo_url": "", "default_sender": ""}),
        ({"name": " Acme  SMS "}, {"name": "Acme SMS"}),
    ],
)
def test_valid_branding_is_normalised(changes, expected):
    assert validate_branding(changes) == expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "#000000"}, "colour"),
        ({"primary_colour": "blue"}, "primary_colour"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"logo_url": "/logo.png"}, "logo_url"),
        ({"support_email": "help"}, "support_email"),
        ({"default_sender": "x" * 17}, "default_sender"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
    ],
)
def test_invalid_branding_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidBrandingError) as refused:
        validate_branding(changes)

    assert refused.value.field == field
