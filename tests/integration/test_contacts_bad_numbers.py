"""Bad numbers: a send that the SMSC refuses for its destination, or whose receipt says the
subscriber does not exist, puts the number on the customer's bad numbers, with the contacts
that carry it. Through the real SMSC simulator."""

from __future__ import annotations

import pytest
from send_world import a_world

from portevoix.contacts.fields import ContactFields
from portevoix.platform.sending import SendRequest

pytestmark = pytest.mark.timeout(120)


def test_numbers_refused_or_unknown_to_the_network_become_bad_numbers(
        database_url: str) -> None:
    rules = ("^33611000001=reject", "^33611000002=undeliverable:0:1",
             "^33611000003=undeliverable:0:69")  # 69: not a "no such subscriber" error
    with a_world(database_url, rules=rules) as world:
        services = world.services
        assert services.address_books is not None and services.contacts is not None
        world.fund(1_000_000)
        carrier, = services.address_books.add_contacts(world.customer, [
            ContactFields("+33611000001", "Dupont")])
        numbers = ["+33611000001", "+33611000002", "+33611000003", "+33611000004"]
        sent = services.sending.submit(SendRequest(world.customer, text="Bonjour",
                                                   numbers=numbers))
        world.dispatch_until_done([sent.campaign_id])
        found = services.contacts.bad_numbers(world.customer)
        other_customer = services.contacts.bad_numbers(world.reseller)

    by_number = {b.e164: b for b in found}
    assert set(by_number) == {"+33611000001", "+33611000002"}
    assert by_number["+33611000001"].reason.startswith("invalid_number")
    assert by_number["+33611000001"].contact_ids == [carrier]
    assert by_number["+33611000002"].reason == "receipt error 1"
    assert by_number["+33611000002"].count == 1 and by_number["+33611000002"].contact_ids == []
    assert other_customer == []
