"""The demo's address book: one list of four contacts with consent, seeded once."""

from __future__ import annotations

from pathlib import Path

from portevoix.demo import DEMO_CONTACTS, seed
from portevoix.services import build_services
from portevoix.settings import Settings
from portevoix.tenants.customers import customer_id_for
from portevoix.tenants.parties import reseller_id_for


def test_seeding_twice_keeps_one_demo_list(tmp_path: Path) -> None:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path}/p.db",
                                       secret_key="test"))
    try:
        seed(services)
        seed(services)
        villeneuve = customer_id_for(reseller_id_for("smsplus"), "mairie-villeneuve")
        assert services.contacts is not None
        (found,) = services.contacts.lists(villeneuve)
        members = list(services.contacts.recipients(villeneuve, [found.list_id], True))
    finally:
        services.close()

    assert (found.name, found.member_count) == ("Conseil municipal", len(DEMO_CONTACTS))
    assert sorted(number for number, _ in members) == [n for n, _, _ in DEMO_CONTACTS]
