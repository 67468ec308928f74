"""Account options: the table of options, validation, and changing a customer's options."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.tenants.customers import Customer
from portevoix.tenants.errors import InvalidOptionValueError, UnknownOptionError
from portevoix.tenants.options import (
    OPTIONS,
    default_options,
    http_url_problem,
    validate_options,
)

JSON_SCALARS = (bool, int, str, type(None))


def test_every_default_is_a_value_its_own_validation_accepts():
    defaults = default_options()

    assert validate_options(defaults) == defaults
    assert set(defaults) == set(OPTIONS)


def test_defaults_hold_only_values_the_event_store_serialises_as_they_are():
    for name, value in default_options().items():
        if isinstance(value, list):
            assert all(isinstance(item, str) for item in value), name
        else:
            assert isinstance(value, JSON_SCALARS), name


def test_defaults_are_fresh_copies_so_one_customer_cannot_change_another():
    first = default_options()
    first["ip_allow_list"].append("192.0.2.1")  # type: ignore[union-attr]

    assert default_options()["ip_allow_list"] == []


def test_the_option_table_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        OPTIONS["long_sms"] = OPTIONS["flash_allowed"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"long_sms": False}, {"long_sms": False}),
        ({"low_balance_threshold": 5000}, {"low_balance_threshold": 5000}),
        ({"low_balance_threshold": None}, {"low_balance_threshold": None}),
        ({"daily_quota": 0}, {"daily_quota": 0}),
        ({"proof_threshold": 1000}, {"proof_threshold": 1000}),
        ({"replies_forwarding": "url"}, {"replies_forwarding": "url"}),
        ({"non_gsm_policy": "replace"}, {"non_gsm_policy": "replace"}),
        ({"delivery_policy": "at_least_once"}, {"delivery_policy": "at_least_once"}),
        ({"default_sender": " MAIRIE "}, {"default_sender": "MAIRIE"}),
        ({"ip_allow_list": ["192.0.2.7", " 10.0.0.0/8", "2001:db8::/32"]},
         {"ip_allow_list": ["192.0.2.7", "10.0.0.0/8", "2001:db8::/32"]}),
        ({"ip_allow_list": ["2001:0db8:0000::1"]}, {"ip_allow_list": ["2001:db8::1"]}),
        ({"status_callback_url": " https://crm.example.com/sms/status?k=1 "},
         {"status_callback_url": "https://crm.example.com/sms/status?k=1"}),
        ({"status_callback_url": "http://127.0.0.1:8080/hook"},
         {"status_callback_url": "http://127.0.0.1:8080/hook"}),
        ({"status_callback_url": ""}, {"status_callback_url": ""}),
        ({}, {}),
    ],
)
def test_valid_option_values_are_accepted_and_normalised(changes, expected):
    assert validate_options(changes) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("long_sms", 1),
        ("long_sms", "yes"),
        ("low_balance_threshold", -1),
        ("low_balance_threshold", 10.5),
        ("low_balance_threshold", True),
        ("daily_quota", "100"),
        ("proof_threshold", None),
        ("replies_forwarding", "fax"),
        ("non_gsm_policy", "UCS2"),
        ("delivery_policy", "exactly_once"),
        ("completion_email", "on"),
        ("low_balance_channel", "fax"),
        ("low_balance_number", "0" * 21),
        ("default_sender", "x" * 17),
        ("default_sender", None),
        ("ip_allow_list", "10.0.0.0/8"),
        ("ip_allow_list", ("10.0.0.1",)),
        ("status_callback_url", "ftp://crm.example.com/status"),
        ("status_callback_url", "crm.example.com/status"),
        ("status_callback_url", "/status"),
        ("status_callback_url", "https://"),
        ("status_callback_url", "https://user:secret@crm.example.com/"),
        ("status_callback_url", "https://crm.example.com:99999/"),
        ("status_callback_url", "https://crm.example.com/a b"),
        ("status_callback_url", "https://crm.example.com/" + "x" * 477),
        ("status_callback_url", None),
    ],
)
def test_invalid_option_values_are_refused_saying_what_was_expected(name, value):
    with pytest.raises(InvalidOptionValueError) as refused:
        validate_options({name: value})

    assert (refused.value.name, refused.value.value) == (name, value)
    assert refused.value.expected == OPTIONS[name].expected


@pytest.mark.parametrize("entry", ["10.0.0.300", "10.0.0.1/8", "example.com", "", 42])
def test_an_invalid_ip_allow_list_entry_is_refused_by_itself(entry):
    with pytest.raises(InvalidOptionValueError) as refused:
        validate_options({"ip_allow_list": ["192.0.2.1", entry]})

    assert refused.value.value == entry


def test_an_unknown_option_is_refused_by_name():
    with pytest.raises(UnknownOptionError) as refused:
        validate_options({"long_sms": True, "longsms": True})

    assert refused.value.name == "longsms"


# On a customer ---------------------------------------------------------------------------


def test_a_new_customer_has_the_default_options(world):
    customer_id = world.a_customer(world.a_reseller())

    assert world.tenancy.customer(customer_id).options == default_options()


def test_changing_options_returns_and_records_only_what_changed(world):
    customer_id = world.a_customer(world.a_reseller())

    changed = world.tenancy.change_options(customer_id, long_sms=True, flash_allowed=False)

    assert changed == {"flash_allowed": False}
    options = world.tenancy.customer(customer_id).options
    assert (options["long_sms"], options["flash_allowed"]) == (True, False)


def test_a_refused_option_change_records_nothing(world):
    customer_id = world.a_customer(world.a_reseller())
    version = world.tenancy.customer(customer_id).version

    with pytest.raises(InvalidOptionValueError):
        world.tenancy.change_options(customer_id, flash_allowed=False, daily_quota=-5)

    customer = world.tenancy.customer(customer_id)
    assert (customer.version, customer.options["flash_allowed"]) == (version, True)


def test_forwarding_replies_needs_a_target(world):
    customer_id = world.a_customer(world.a_reseller())

    with pytest.raises(InvalidOptionValueError) as refused:
        world.tenancy.change_options(customer_id, replies_forwarding="url")

    assert refused.value.name == "replies_target"


def test_forwarding_replies_with_a_target_is_accepted(world):
    customer_id = world.a_customer(world.a_reseller())

    world.tenancy.change_options(
        customer_id, replies_forwarding="url", replies_target="https://crm.example.com/sms"
    )

    options = world.tenancy.customer(customer_id).options
    assert options["replies_target"] == "https://crm.example.com/sms"


@pytest.mark.parametrize("channel", ["sms", "email_and_sms"])
def test_low_balance_alerts_by_sms_need_a_number(world, channel):
    customer_id = world.a_customer(world.a_reseller())

    with pytest.raises(InvalidOptionValueError) as refused:
        world.tenancy.change_options(customer_id, low_balance_channel=channel)

    assert refused.value.name == "low_balance_number"


def test_low_balance_alerts_by_sms_with_a_number_are_accepted(world):
    customer_id = world.a_customer(world.a_reseller())

    world.tenancy.change_options(customer_id, low_balance_channel="email_and_sms",
                                 low_balance_number=" 06 12 34 56 78 ")

    options = world.tenancy.customer(customer_id).options
    assert (options["low_balance_channel"], options["low_balance_number"]) == (
        "email_and_sms", "06 12 34 56 78")


def test_an_option_added_after_a_customer_registered_has_its_default_and_can_be_set(world):
    customer_id = world.a_customer(world.a_reseller())
    registered = world.tenancy.customer(customer_id)
    del registered.options["completion_email"]  # as an event recorded before the option
    stored = dict(registered.options)

    replayed = Customer(reseller_id=registered.reseller_id, slug="old", name="Old",
                        contact_email="old@example.com", default_country="FR",
                        timezone="Europe/Paris", options=stored)
    changed = replayed.change_options(completion_email=True)

    assert "completion_email" not in stored
    assert changed == {"completion_email": True}


def test_a_low_balance_threshold_is_set_on_the_customers_wallet(world):
    customer_id = world.a_customer(world.a_reseller())

    world.tenancy.change_options(customer_id, low_balance_threshold=2000)

    wallet = world.ledger.account(world.tenancy.wallet_of(customer_id))
    assert wallet.low_balance_threshold == 2000


def test_options_other_than_the_threshold_leave_the_wallet_alone(world):
    customer_id = world.a_customer(world.a_reseller())
    wallet_id = world.tenancy.wallet_of(customer_id)
    version = world.ledger.account(wallet_id).version

    world.tenancy.change_options(customer_id, delivery_email=True)

    assert world.ledger.account(wallet_id).version == version


def test_a_url_of_500_characters_is_the_longest_accepted():
    url = "https://crm.example.com/" + "x" * 476

    assert (len(url), http_url_problem(url), http_url_problem(url + "x")) == (
        500, None, "at most 500 characters")


def test_a_customer_registered_before_an_option_existed_can_set_it():
    customer = Customer.register(uuid4(), "mairie", "Mairie", "sms@mairie.example")
    del customer.options["status_callback_url"]  # as recorded before the option existed

    changed = customer.change_options(status_callback_url="https://crm.example.com/sms")

    assert changed == {"status_callback_url": "https://crm.example.com/sms"}
