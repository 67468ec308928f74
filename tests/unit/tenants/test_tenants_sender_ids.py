"""Sender IDs: the format rule, the approvals, and which sender a send goes out with."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import resolve_topic

from portevoix.tenants.errors import NotAuthorisedError, TenantSuspendedError
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.sender_ids import (
    APPROVED,
    AWAITING_PLATFORM,
    BAD_CHARACTERS,
    DIGITS_ONLY,
    GENERIC_WORD,
    INVALID_NUMBER,
    PROTECTED_BRAND,
    REFUSED,
    REQUESTED,
    REVOKED,
    TOO_LONG,
    TOO_SHORT,
    CustomerSenders,
    InvalidSenderIdError,
    RefusalReasonRequiredError,
    SenderId,
    SenderIdNotAllowedError,
    SenderIdRule,
    SenderIdStatusError,
    UnknownSenderIdError,
    customer_senders_id_for,
    sender_id_for,
)
from portevoix.tenants.sender_service import SenderIds

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
BRANDS = ("Amazon", "La Poste", "EDF")


class Cast:
    """A reseller with two customers, another reseller, and the sender-ID application."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.senders = SenderIds(world.tenancy, env=POPO, rule=SenderIdRule(BRANDS))
        self.reseller = world.a_reseller("smsplus")
        self.customer = world.a_customer(self.reseller, "boulangerie")
        self.neighbour = world.a_customer(self.reseller, "fromagerie")
        self.other_reseller = world.a_reseller("textolib")

    def approved(self, value: str, customer: UUID | None = None) -> UUID:
        sender_id = self.senders.request(customer or self.customer, value)
        self.senders.approve(sender_id, self.reseller)
        return sender_id

    def status(self, sender_id: UUID) -> str:
        return self.senders.sender_id(sender_id).status

    def recorded(self) -> int:
        return len(list(self.senders.recorder.select_notifications(start=1, limit=10**6)))


@pytest.fixture
def cast(world: Any) -> Cast:
    return Cast(world)


# The format rule -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "recorded_as"), [
    ("Boulangerie", "Boulangerie"),
    ("MairieLyon", "MairieLyon"),
    ("Atlas2026", "Atlas2026"),
    ("ABC", "ABC"),
    ("  Boulangerie ", "Boulangerie"),
    ("33612345678", "33612345678"),
    ("+33612345678", "33612345678"),
    ("447911123456", "447911123456"),
    ("36180", "36180"),
    ("1234", "1234"),
    ("123456", "123456"),
    ("Informatik", "Informatik"),  # contains a generic word, is not one
    ("EDFormation", "EDFormation"),  # brands under 4 characters only match whole
])
def test_rule_accepts(value: str, recorded_as: str) -> None:
    assert SenderIdRule(BRANDS).check(value) == recorded_as


@pytest.mark.parametrize(("value", "reason"), [
    ("Boulangeries", TOO_LONG),
    ("1234567890123456", TOO_LONG),
    ("AB", TOO_SHORT),
    ("12", TOO_SHORT),
    ("", TOO_SHORT),
    ("   ", TOO_SHORT),
    ("Dupont Sarl", BAD_CHARACTERS),
    ("Dupont_sarl", BAD_CHARACTERS),
    ("Dupont.Sarl", BAD_CHARACTERS),
    ("Crêperie", BAD_CHARACTERS),
    ("\uff22oulangerie", BAD_CHARACTERS),  # a full-width B
    ("123", DIGITS_ONLY),
    ("INFO", GENERIC_WORD),
    ("sms", GENERIC_WORD),
    ("Orange", GENERIC_WORD),
    ("NoReply", GENERIC_WORD),
    ("Amazon", PROTECTED_BRAND),
    ("AMAZONfr", PROTECTED_BRAND),
    ("LaPoste75", PROTECTED_BRAND),
    ("edf", PROTECTED_BRAND),
    ("0612345678", INVALID_NUMBER),  # national, not international
    ("0033612345678", INVALID_NUMBER),
    ("3361234567", INVALID_NUMBER),  # a digit short
    ("+36180", INVALID_NUMBER),  # a short code is no international number
])
def test_rule_refuses_with_its_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidSenderIdError) as refused:
        SenderIdRule(BRANDS).check(value)

    assert (refused.value.value, refused.value.reason) == (value, reason)


def test_generic_words_are_configurable() -> None:
    rule = SenderIdRule(generic_words=["promo"])

    assert rule.check("Info") == "Info"
    with pytest.raises(InvalidSenderIdError, match="generic_word"):
        rule.check("PROMO")


def test_invalid_request_records_nothing(cast: Cast) -> None:
    with pytest.raises(InvalidSenderIdError) as refused:
        cast.senders.request(cast.customer, "Dupont Sarl")

    assert refused.value.reason == BAD_CHARACTERS
    assert cast.recorded() == 0


# The lifecycle ---------------------------------------------------------------------------


def test_requested_sender_awaits_the_reseller_and_cannot_be_used(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")

    assert sender_id == sender_id_for(cast.customer, "boulangerie")
    assert cast.status(sender_id) == REQUESTED
    assert cast.senders.approved_senders(cast.customer) == []
    with pytest.raises(SenderIdNotAllowedError):
        cast.senders.check(cast.customer, "Boulangerie")


def test_reseller_approval_makes_the_sender_usable(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")

    cast.senders.approve(sender_id, cast.reseller)

    assert cast.status(sender_id) == APPROVED
    assert cast.senders.approved_senders(cast.customer) == ["Boulangerie"]
    assert cast.senders.check(cast.customer, "Boulangerie") == "Boulangerie"


def test_sender_needing_the_platform_is_usable_only_after_both_approvals(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "MairieLyon", needs_platform_approval=True)

    cast.senders.approve(sender_id, cast.reseller)

    assert cast.status(sender_id) == AWAITING_PLATFORM
    with pytest.raises(SenderIdNotAllowedError):
        cast.senders.check(cast.customer, "MairieLyon")
    cast.senders.approve(sender_id, PLATFORM_ID)
    assert cast.status(sender_id) == APPROVED
    assert cast.senders.check(cast.customer, "MairieLyon") == "MairieLyon"


def test_platform_cannot_approve_before_the_reseller(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "MairieLyon", needs_platform_approval=True)
    before = cast.recorded()

    with pytest.raises(NotAuthorisedError):
        cast.senders.approve(sender_id, PLATFORM_ID)

    assert cast.status(sender_id) == REQUESTED
    assert cast.recorded() == before


@pytest.mark.parametrize("who", ["other_reseller", "customer", "neighbour"])
def test_only_the_customers_reseller_approves(cast: Cast, who: str) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")
    before = cast.recorded()

    with pytest.raises(NotAuthorisedError):
        cast.senders.approve(sender_id, getattr(cast, who))

    assert cast.status(sender_id) == REQUESTED
    assert cast.recorded() == before


def test_another_reseller_cannot_approve_even_an_approved_sender(cast: Cast) -> None:
    sender_id = cast.approved("Boulangerie")

    with pytest.raises(NotAuthorisedError) as refused:
        cast.senders.approve(sender_id, cast.other_reseller)

    assert refused.value.user_id == cast.other_reseller


def test_approving_an_approved_sender_again_records_nothing(cast: Cast) -> None:
    sender_id = cast.approved("Boulangerie")
    before = cast.recorded()

    cast.senders.approve(sender_id, cast.reseller)

    assert cast.recorded() == before


def test_refusal_keeps_its_reason_and_the_sender_unusable(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Atlas2026")

    cast.senders.refuse(sender_id, cast.reseller, "  Not your company's  name ")

    refused = cast.senders.sender_id(sender_id)
    assert (refused.status, refused.refusal_reason) == (REFUSED, "Not your company's name")
    with pytest.raises(SenderIdNotAllowedError):
        cast.senders.check(cast.customer, "Atlas2026")


def test_platform_refuses_at_its_step(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "MairieLyon", needs_platform_approval=True)
    cast.senders.approve(sender_id, cast.reseller)

    cast.senders.refuse(sender_id, PLATFORM_ID, "Looks like a public body")

    assert cast.status(sender_id) == REFUSED


def test_refusal_needs_a_reason(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Atlas2026")

    with pytest.raises(RefusalReasonRequiredError):
        cast.senders.refuse(sender_id, cast.reseller, "   ")

    assert cast.status(sender_id) == REQUESTED


def test_refused_sender_cannot_be_approved(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Atlas2026")
    cast.senders.refuse(sender_id, cast.reseller, "No")

    with pytest.raises(SenderIdStatusError) as refused:
        cast.senders.approve(sender_id, cast.reseller)

    assert (refused.value.status, refused.value.action) == (REFUSED, "approve")


def test_requesting_a_refused_sender_again_reopens_it(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Atlas2026")
    cast.senders.refuse(sender_id, cast.reseller, "Spell it as on your Kbis")

    again = cast.senders.request(cast.customer, "ATLAS2026")

    reopened = cast.senders.sender_id(again)
    assert again == sender_id
    assert (reopened.status, reopened.value, reopened.refusal_reason) == (
        REQUESTED, "ATLAS2026", "")


def test_requesting_a_pending_sender_again_in_another_case_records_nothing(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")
    before = cast.recorded()

    again = cast.senders.request(cast.customer, "BOULANGERIE")

    assert again == sender_id
    assert cast.recorded() == before


@pytest.mark.parametrize("who", ["customer", "reseller", "platform"])
def test_approved_sender_is_revoked_by_the_customer_its_reseller_or_the_platform(
    cast: Cast, who: str,
) -> None:
    sender_id = cast.approved("Boulangerie")
    by = PLATFORM_ID if who == "platform" else getattr(cast, who)

    cast.senders.revoke(sender_id, by)

    assert cast.status(sender_id) == REVOKED
    assert cast.senders.approved_senders(cast.customer) == []
    with pytest.raises(SenderIdNotAllowedError):
        cast.senders.check(cast.customer, "Boulangerie")


@pytest.mark.parametrize("who", ["neighbour", "other_reseller"])
def test_nobody_else_revokes(cast: Cast, who: str) -> None:
    sender_id = cast.approved("Boulangerie")

    with pytest.raises(NotAuthorisedError):
        cast.senders.revoke(sender_id, getattr(cast, who))

    assert cast.senders.check(cast.customer, "Boulangerie") == "Boulangerie"


def test_pending_sender_cannot_be_revoked(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")

    with pytest.raises(SenderIdStatusError, match="revoke"):
        cast.senders.revoke(sender_id, cast.reseller)


def test_approval_checks_the_rule_again(cast: Cast) -> None:
    sender_id = cast.senders.request(cast.customer, "Boulangerie")
    cast.senders.rule = SenderIdRule(["Boulangerie"])  # protected since the request

    with pytest.raises(InvalidSenderIdError, match=PROTECTED_BRAND):
        cast.senders.approve(sender_id, cast.reseller)

    assert cast.status(sender_id) == REQUESTED


def test_suspended_customer_cannot_request(cast: Cast) -> None:
    cast.world.tenancy.suspend(cast.customer, "unpaid")

    with pytest.raises(TenantSuspendedError):
        cast.senders.request(cast.customer, "Boulangerie")

    assert cast.recorded() == 0


def test_unknown_sender_id_is_reported(cast: Cast) -> None:
    missing = uuid4()

    with pytest.raises(UnknownSenderIdError) as unknown:
        cast.senders.approve(missing, cast.reseller)

    assert unknown.value.sender_id == missing


# Which sender a send uses ----------------------------------------------------------------


def test_named_sender_is_matched_without_case_and_given_as_approved(cast: Cast) -> None:
    cast.approved("Boulangerie")
    cast.approved("+33612345678")

    assert cast.senders.check(cast.customer, "BOULANGERIE") == "Boulangerie"
    assert cast.senders.check(cast.customer, "+33612345678") == "33612345678"
    assert cast.senders.approved_senders(cast.customer) == ["33612345678", "Boulangerie"]


def test_another_customers_approved_sender_is_refused(cast: Cast) -> None:
    cast.approved("Fromagerie", customer=cast.neighbour)

    with pytest.raises(SenderIdNotAllowedError) as refused:
        cast.senders.check(cast.customer, "Fromagerie")

    assert (refused.value.customer_id, refused.value.sender) == (cast.customer, "Fromagerie")


def test_no_sender_named_gives_the_customers_approved_default(cast: Cast) -> None:
    cast.approved("Boulangerie")
    cast.world.tenancy.change_options(cast.customer, default_sender="boulangerie")
    cast.world.tenancy.update_branding(cast.reseller, default_sender="SMSPlus")

    assert cast.senders.check(cast.customer, None) == "Boulangerie"
    assert cast.senders.check(cast.customer, "") == "Boulangerie"


def test_unapproved_default_falls_back_to_the_resellers_sender(cast: Cast) -> None:
    cast.senders.request(cast.customer, "Boulangerie")
    cast.world.tenancy.change_options(cast.customer, default_sender="Boulangerie")
    cast.world.tenancy.update_branding(cast.reseller, default_sender="SMSPlus")

    assert cast.senders.check(cast.customer, None) == "SMSPlus"


def test_resellers_default_sender_may_be_named(cast: Cast) -> None:
    cast.world.tenancy.update_branding(cast.reseller, default_sender="SMSPlus")

    assert cast.senders.check(cast.customer, "smsplus") == "SMSPlus"


def test_no_sender_and_no_default_is_refused(cast: Cast) -> None:
    with pytest.raises(SenderIdNotAllowedError) as refused:
        cast.senders.check(cast.customer, None)

    assert refused.value.sender is None


# Stored events ---------------------------------------------------------------------------

EVENT_TOPICS = {
    "portevoix.tenants:SenderId.Requested",
    "portevoix.tenants:SenderId.RequestedAgain",
    "portevoix.tenants:SenderId.Endorsed",
    "portevoix.tenants:SenderId.Approved",
    "portevoix.tenants:SenderId.Refused",
    "portevoix.tenants:SenderId.Revoked",
    "portevoix.tenants:CustomerSenders.Opened",
    "portevoix.tenants:CustomerSenders.Added",
    "portevoix.tenants:CustomerSenders.Removed",
}


def every_event(cast: Cast) -> list[UUID]:
    """A sender ID through every state, and its customer's index; returns their ids."""
    sender_id = cast.senders.request(cast.customer, "MairieLyon", needs_platform_approval=True)
    cast.senders.refuse(sender_id, cast.reseller, "Which town?")
    cast.senders.request(cast.customer, "MairieLyon", needs_platform_approval=True)
    cast.senders.approve(sender_id, cast.reseller)
    cast.senders.approve(sender_id, PLATFORM_ID)
    cast.senders.revoke(sender_id, PLATFORM_ID, "complaint")
    cast.approved("Boulangerie")
    return [sender_id, customer_senders_id_for(cast.customer)]


def test_every_sender_id_event_is_stored_under_its_pinned_topic(cast: Cast) -> None:
    every_event(cast)

    notifications = cast.senders.recorder.select_notifications(start=1, limit=100)

    assert {n.topic for n in notifications} == EVENT_TOPICS
    for topic in EVENT_TOPICS:
        assert resolve_topic(topic).__qualname__ == topic.split(":")[1]


@pytest.mark.parametrize("aggregate", [SenderId, CustomerSenders], ids=lambda c: c.__name__)
def test_aggregates_keep_pinned_topics(aggregate: type) -> None:
    name = aggregate.__name__

    assert resolve_topic(f"portevoix.tenants:{name}") is aggregate
    assert resolve_topic(f"portevoix.tenants:{name}.Created") is aggregate.Created


def test_replay_equals_live_state(cast: Cast) -> None:
    sender_id, index_id = every_event(cast)
    sender = cast.senders.sender_id(sender_id)
    sender.request_again("MairieLyon", False, cast.senders.rule)
    sender.approve(cast.reseller, cast.senders.rule)
    index: CustomerSenders = cast.senders.repository.get(index_id)
    index.add(sender)
    cast.senders.save(sender, index)

    for live in (sender, index):
        replayed: Any = cast.senders.repository.get(live.id)
        assert {k: v for k, v in vars(replayed).items() if k != "_pending_events"} == {
            k: v for k, v in vars(live).items() if k != "_pending_events"}
    assert index.approved == {"boulangerie": "Boulangerie", "mairielyon": "MairieLyon"}
