"""Demo data for ``make run``: a platform, two resellers, three customers, funded wallets,
and an address book.

Every id is derived from a name, so seeding again changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid5

from portevoix.contacts.fields import Consent, ContactFields
from portevoix.ledger.packs import Tier
from portevoix.platform.prices import SMS, VOICE, PriceEntry
from portevoix.services import Services
from portevoix.tenants.customers import customer_id_for
from portevoix.tenants.errors import EmailTakenError
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.users import user_id_for

DEMO_PASSWORD = "portevoix-demo"
DEMO = uuid5(PLATFORM_ID, "demo")

# Wholesale tiers the platform sells to resellers, and retail tiers resellers sell to their
# customers (the seeds' 100 SMS at 0.19 € down to 0.105 € at volume), in 1/10,000 €.
WHOLESALE = [Tier(10_000, 700), Tier(100_000, 550), Tier(1_000_000, 450)]
PACK_TIERS = [Tier(100, 1900), Tier(500, 1700), Tier(1_000, 1500), Tier(5_000, 1300),
          Tier(10_000, 1200), Tier(50_000, 1050)]


# What one SMS segment costs in credits (thousandths), wholesale and retail, by destination
# (the seeds: 1 credit to France, 1.1 to the UK; overseas departments are their own).
OVERSEAS = ("GP", "MQ", "GF", "RE", "YT")
WHOLESALE_PRICES = [
    PriceEntry("FR", "", SMS, 800), PriceEntry("FR", "free-fr", SMS, 750),
    PriceEntry("TN", "", SMS, 2000), PriceEntry("TN", "ooredoo-tn", SMS, 1900),
    PriceEntry("GB", "", SMS, 900), PriceEntry("BE", "", SMS, 950),
    PriceEntry("MA", "", SMS, 1800), PriceEntry("FR", "", VOICE, 1100),
    *(PriceEntry(country, "", SMS, 1200) for country in OVERSEAS),
]
RETAIL_PRICES = [
    PriceEntry("FR", "", SMS, 1000), PriceEntry("TN", "", SMS, 2500),
    PriceEntry("TN", "ooredoo-tn", SMS, 2300), PriceEntry("GB", "", SMS, 1100),
    PriceEntry("BE", "", SMS, 1200), PriceEntry("MA", "", SMS, 2200),
    PriceEntry("FR", "", VOICE, 1410),
    *(PriceEntry(country, "", SMS, 1500) for country in OVERSEAS),
]
PRICES_FROM = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    tenant: str


def seed(services: Services) -> list[DemoLogin]:
    """Create (or find again) the demo tenants, users, tariffs and movements."""
    tenancy, ledger, price_book = services.tenancy, services.ledger, services.price_book
    logins: list[DemoLogin] = []

    def user(tenant_id: UUID, tenant: str, email: str, name: str, role: str = "owner") -> None:
        with contextlib.suppress(EmailTakenError):  # seeded before
            tenancy.create_user(tenant_id, email, name, role, DEMO_PASSWORD)
        logins.append(DemoLogin(email, role, tenant))

    def buy(buyer_wallet: UUID, tariff_id: UUID, quantity: int, method: str, key: str) -> UUID:
        return ledger.purchase_pack(uuid5(DEMO, key), tariff_id, buyer_wallet, quantity,
                                    method).id

    tenancy.create_platform("Portevoix")
    user(PLATFORM_ID, "platform", "admin@portevoix.example", "Platform operator")
    wholesale = ledger.publish_tariff(PLATFORM_ID, "wholesale", "SMS", "EUR", 4, WHOLESALE)
    wholesale_prices = price_book.publish(PLATFORM_ID, "wholesale", WHOLESALE_PRICES,
                                          PRICES_FROM)

    resellers = {
        "smsplus": ("SMS Plus", "contact@smsplus.example", 400_000),
        "textolibre": ("TextoLibre", "bonjour@textolibre.example", 150_000),
    }
    retail: dict[str, UUID] = {}
    retail_prices: dict[str, UUID] = {}
    reseller_ids: dict[str, UUID] = {}
    for slug, (name, email, pack) in resellers.items():
        reseller_id = tenancy.create_reseller(slug, name, email)
        tenancy.update_branding(reseller_id, default_sender=name.replace(" ", ""))
        reseller_ids[slug] = reseller_id
        user(reseller_id, slug, email, f"{name} owner")
        purchase = buy(tenancy.wallet_of(reseller_id), wholesale, pack, "bank_transfer",
                       f"{slug}:wholesale")
        if ledger.purchase(purchase).status == "awaiting_payment":
            ledger.confirm_payment(purchase, "finance@portevoix.example")
        retail[slug] = ledger.publish_tariff(reseller_id, "standard", "SMS", "EUR", 4,
                                                  PACK_TIERS)
        price_book.assign(reseller_id, wholesale_prices)
        retail_prices[slug] = price_book.publish(reseller_id, "packs", RETAIL_PRICES,
                                                 PRICES_FROM)

    customers = [
        ("smsplus", "mairie-villeneuve", "Mairie de Villeneuve", "sms@villeneuve.example",
         5_000, "card"),
        ("smsplus", "boulangerie-martin", "Boulangerie Martin", "paul@boulangerie.example",
         500, "cheque"),
        ("textolibre", "atlas-auto", "Atlas Auto", "contact@atlas-auto.example", 1_000,
         "card"),
    ]
    for reseller, slug, name, email, pack, method in customers:
        customer_id = tenancy.create_customer(reseller_ids[reseller], slug, name, email)
        user(customer_id, f"{reseller}/{slug}", email, f"{name} owner")
        buy(tenancy.wallet_of(customer_id), retail[reseller], pack, method, f"{slug}:pack")
        price_book.assign(customer_id, retail_prices[reseller])

    villeneuve = customer_id_for(reseller_ids["smsplus"], "mairie-villeneuve")
    user(villeneuve, "smsplus/mairie-villeneuve", "compta@villeneuve.example", "Comptabilité",
         "finance")
    tenancy.transfer_credit(
        user_id_for("contact@smsplus.example"), uuid5(DEMO, "smsplus:welcome"),
        reseller_ids["smsplus"], villeneuve, 250_000, "welcome credit",
    )
    _address_book(services, villeneuve)
    return logins


# Numbers of the range kept for fiction (+33 6 39 98 ...), so no demo SMS reaches anyone.
DEMO_CONTACTS = [("+33639980101", "Durand", "Claire"), ("+33639980102", "Lefèvre", "Hugo"),
                 ("+33639980103", "N'Diaye", "Awa"), ("+33639980104", "Martin", "Noël")]


def _address_book(services: Services, customer_id: UUID) -> None:
    """A list of the customer's contacts with their consent (once: seeded again, kept)."""
    books, directory = services.address_books, services.contacts
    if books is None or directory is None or directory.list_by_name(
            customer_id, "Conseil municipal") is not None:
        return
    list_id = books.create_list(customer_id, "Conseil municipal", "Élus et services")
    consent = Consent("paper", datetime(2026, 1, 5, tzinfo=UTC), "Formulaire d'inscription")
    books.add_contacts(customer_id, [
        ContactFields(number, last, first, company="Mairie de Villeneuve", consent=consent)
        for number, last, first in DEMO_CONTACTS], [list_id])
