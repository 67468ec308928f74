"""Moving credit between tenants: who may send credit to whom, and who may ask."""

from __future__ import annotations

from uuid import uuid4

import pytest

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.errors import InsufficientFundsError, InvalidAmountError
from portevoix.ledger.services import ISSUANCE
from portevoix.tenants.errors import (
    NotAuthorisedError,
    TenantSuspendedError,
    TransferNotAllowedError,
)
from portevoix.tenants.parties import PLATFORM_ID


def test_a_reseller_transfers_credit_to_its_own_customer(world):
    reseller_id = world.funded(world.a_reseller(), 10_000)
    customer_id = world.a_customer(reseller_id)
    finance = world.a_user(reseller_id, role="finance")

    transfer = world.tenancy.transfer_credit(finance, uuid4(), reseller_id, customer_id, 2_500,
                                             "monthly allowance")

    assert (world.available(reseller_id), world.available(customer_id)) == (7_500, 2_500)
    assert (transfer.kind, transfer.reference) == ("transfer", "monthly allowance")


@pytest.mark.parametrize("role", ["owner", "admin", "finance"])
def test_owners_admins_and_finance_may_transfer_credit(world, role):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    customer_id = world.a_customer(reseller_id)

    world.tenancy.transfer_credit(world.a_user(reseller_id, role=role), uuid4(), reseller_id,
                                  customer_id, 100)

    assert world.available(customer_id) == 100


def test_sender_cannot_transfer_credit(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    customer_id = world.a_customer(reseller_id)
    sender = world.a_user(reseller_id, role="sender")

    with pytest.raises(NotAuthorisedError) as refused:
        world.tenancy.transfer_credit(sender, uuid4(), reseller_id, customer_id, 100)

    assert refused.value.user_id == sender
    assert (world.available(reseller_id), world.available(customer_id)) == (1_000, 0)


def test_a_user_cannot_transfer_from_a_tenant_that_is_not_theirs(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    customer_id = world.a_customer(reseller_id)
    customers_owner = world.a_user(customer_id, role="owner")

    with pytest.raises(NotAuthorisedError):
        world.tenancy.transfer_credit(customers_owner, uuid4(), reseller_id, customer_id, 100)


def test_a_deactivated_finance_user_cannot_transfer(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    finance = world.a_user(reseller_id, role="finance")
    world.tenancy.deactivate_user(finance)

    with pytest.raises(NotAuthorisedError):
        world.tenancy.transfer_credit(finance, uuid4(), reseller_id, world.a_customer(reseller_id),
                                      100)


def test_a_reseller_cannot_transfer_to_another_resellers_customer(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    foreign_customer = world.a_customer(world.a_reseller())

    with pytest.raises(TransferNotAllowedError) as refused:
        world.tenancy.transfer_credit(world.a_user(reseller_id), uuid4(), reseller_id,
                                      foreign_customer, 100)

    assert (refused.value.from_id, refused.value.to_id) == (reseller_id, foreign_customer)
    assert "own customers" in refused.value.reason


def test_a_reseller_transfers_to_its_domain_group(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")

    world.tenancy.transfer_credit(world.a_user(reseller_id), uuid4(), reseller_id, group_id, 400)

    assert world.available(group_id) == 400


def test_transferring_to_a_grouped_customer_credits_the_group_wallet(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    group_id = world.a_domain_group(reseller_id, "mairie-lyon.fr")
    customer_id = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")
    world.tenancy.join_domain_group(customer_id, group_id)

    world.tenancy.transfer_credit(world.a_user(reseller_id), uuid4(), reseller_id, customer_id,
                                  300)

    assert world.available(group_id) == 300


def test_customer_to_customer_transfer_needs_reseller_permission(world):
    reseller_id = world.a_reseller()
    payer, payee = world.a_customer(reseller_id), world.a_customer(reseller_id)
    world.funded(payer, 1_000)
    owner = world.a_user(payer, role="owner")

    with pytest.raises(TransferNotAllowedError) as refused:
        world.tenancy.transfer_credit(owner, uuid4(), payer, payee, 100)
    world.tenancy.permit_customer_transfers(reseller_id)
    world.tenancy.transfer_credit(owner, uuid4(), payer, payee, 100)

    assert "does not allow" in refused.value.reason
    assert (world.available(payer), world.available(payee)) == (900, 100)


def test_customers_of_different_resellers_cannot_transfer_to_each_other(world):
    payer = world.funded(world.a_customer(world.a_reseller(allows_customer_transfers=True)), 500)
    payee = world.a_customer(world.a_reseller(allows_customer_transfers=True))

    with pytest.raises(TransferNotAllowedError) as refused:
        world.tenancy.transfer_credit(world.a_user(payer), uuid4(), payer, payee, 100)

    assert "different resellers" in refused.value.reason


def test_customers_sharing_a_group_wallet_have_nothing_to_transfer(world):
    reseller_id = world.a_reseller(allows_customer_transfers=True)
    group_id = world.funded(world.a_domain_group(reseller_id, "mairie-lyon.fr"), 500)
    payer = world.a_customer(reseller_id, "voirie", "voirie@mairie-lyon.fr")
    payee = world.a_customer(reseller_id, "ecoles", "ecoles@mairie-lyon.fr")
    for customer_id in (payer, payee):
        world.tenancy.join_domain_group(customer_id, group_id)

    with pytest.raises(TransferNotAllowedError) as refused:
        world.tenancy.transfer_credit(world.a_user(payer), uuid4(), payer, payee, 100)

    assert "share the wallet" in refused.value.reason


@pytest.mark.parametrize("direction", ["customer to reseller", "customer to itself",
                                       "reseller to reseller", "reseller to platform"])
def test_credit_never_flows_up_or_across_resellers(world, direction):
    reseller_id = world.funded(world.a_reseller(allows_customer_transfers=True), 1_000)
    customer_id = world.funded(world.a_customer(reseller_id), 1_000)
    source, target = {
        "customer to reseller": (customer_id, reseller_id),
        "customer to itself": (customer_id, customer_id),
        "reseller to reseller": (reseller_id, world.a_reseller()),
        "reseller to platform": (reseller_id, PLATFORM_ID),
    }[direction]

    with pytest.raises(TransferNotAllowedError):
        world.tenancy.transfer_credit(world.a_user(source), uuid4(), source, target, 100)


def test_the_platform_transfers_to_a_reseller_from_its_issuance(world):
    reseller_id = world.a_reseller()
    operator = world.a_user(PLATFORM_ID, role="finance")

    world.tenancy.transfer_credit(operator, uuid4(), PLATFORM_ID, reseller_id, 50_000)

    assert world.available(reseller_id) == 50_000
    assert world.tenancy.wallet_of(PLATFORM_ID) == account_id_for(PLATFORM_ID, ISSUANCE, "SMS")


def test_ledger_refusals_come_through_unchanged(world):
    reseller_id = world.funded(world.a_reseller(), 100)
    customer_id = world.a_customer(reseller_id)
    owner = world.a_user(reseller_id)

    with pytest.raises(InsufficientFundsError):
        world.tenancy.transfer_credit(owner, uuid4(), reseller_id, customer_id, 101)
    with pytest.raises(InvalidAmountError):
        world.tenancy.transfer_credit(owner, uuid4(), reseller_id, customer_id, 0)


def test_a_transfer_retried_with_the_same_id_moves_credit_once(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    customer_id = world.a_customer(reseller_id)
    owner, transfer_id = world.a_user(reseller_id), uuid4()

    for _ in range(2):
        world.tenancy.transfer_credit(owner, transfer_id, reseller_id, customer_id, 300)

    assert world.available(customer_id) == 300


def test_no_credit_reaches_a_suspended_customer(world):
    reseller_id = world.funded(world.a_reseller(), 1_000)
    customer_id = world.a_customer(reseller_id)
    world.tenancy.suspend(customer_id)

    with pytest.raises(TenantSuspendedError) as refused:
        world.tenancy.transfer_credit(world.a_user(reseller_id), uuid4(), reseller_id,
                                      customer_id, 100)

    assert refused.value.tenant_id == customer_id


# Grants ------------------------------------------------------------------------------------


def test_the_platform_grants_a_reseller_from_its_issuance(world):
    reseller_id = world.a_reseller()

    transfer = world.tenancy.grant_credit(PLATFORM_ID, uuid4(), reseller_id, 5_000, "welcome")

    assert world.available(reseller_id) == 5_000
    assert (transfer.kind, transfer.debit_account_id) == (
        "grant", account_id_for(PLATFORM_ID, ISSUANCE, "SMS"),
    )


def test_a_reseller_grants_its_customer_from_its_own_issuance(world):
    reseller_id = world.a_reseller()
    customer_id = world.a_customer(reseller_id)

    transfer = world.tenancy.grant_credit(reseller_id, uuid4(), customer_id, 500, "trial")

    assert world.available(customer_id) == 500
    assert transfer.debit_account_id == account_id_for(reseller_id, ISSUANCE, "SMS")
    assert world.available(reseller_id) == 0


@pytest.mark.parametrize("case", ["platform to customer", "reseller to foreign customer",
                                  "customer to customer", "reseller to platform"])
def test_grants_only_go_from_a_party_to_one_directly_beneath_it(world, case):
    reseller_id = world.a_reseller()
    customer_id = world.a_customer(reseller_id)
    issuer, recipient = {
        "platform to customer": (PLATFORM_ID, customer_id),
        "reseller to foreign customer": (reseller_id, world.a_customer(world.a_reseller())),
        "customer to customer": (customer_id, world.a_customer(reseller_id)),
        "reseller to platform": (reseller_id, PLATFORM_ID),
    }[case]

    with pytest.raises(TransferNotAllowedError):
        world.tenancy.grant_credit(issuer, uuid4(), recipient, 100)


def test_a_suspended_reseller_cannot_grant(world):
    reseller_id = world.a_reseller()
    customer_id = world.a_customer(reseller_id)
    world.tenancy.suspend(reseller_id)

    with pytest.raises(TenantSuspendedError):
        world.tenancy.grant_credit(reseller_id, uuid4(), customer_id, 100)
