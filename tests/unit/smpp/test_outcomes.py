"""The SMSC simulator's outcome rules: which destination gets what, and the receipts it sends."""

from __future__ import annotations

import calendar

import pytest

from portevoix.platform.smpp.outcomes import (
    DEFAULT_RULE,
    DELIVER,
    ENROUTE_THEN_DELIVER,
    ESM_DELIVERY_RECEIPT,
    EXPIRE,
    NO_RECEIPT,
    REJECT,
    UNDELIVERABLE,
    InvalidRuleError,
    OutcomeRule,
    Throttle,
    outcome_for,
    parse_rule,
    receipt_text,
    receipts_for,
)
from portevoix.platform.smpp.pdu import (
    ESME_RINVDSTADR,
    ESME_RSUBMITFAIL,
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
    ShortMessage,
)
from portevoix.platform.smpp.receipts import parse_receipt_text, receipt_from

RULES = (
    OutcomeRule("^336990", UNDELIVERABLE),
    OutcomeRule("^33699", REJECT),
    OutcomeRule("^3370", EXPIRE, receipt_delay_s=2.0),
    OutcomeRule("00$", NO_RECEIPT),
    OutcomeRule("^447", ENROUTE_THEN_DELIVER),
)


@pytest.mark.parametrize(("destination", "outcome"), [
    ("33699012345", UNDELIVERABLE),  # the first matching rule wins over the broader one
    ("33699112345", REJECT),
    ("33701234567", EXPIRE),
    ("33612345600", NO_RECEIPT),  # not anchored: matches anywhere
    ("447700900123", ENROUTE_THEN_DELIVER),
    ("33612345678", DELIVER),  # no rule: delivered
    ("", DELIVER),
])
def test_the_first_matching_rule_names_the_outcome(destination: str, outcome: str) -> None:
    assert outcome_for(RULES, destination).outcome == outcome


def test_without_rules_every_destination_is_delivered() -> None:
    assert outcome_for((), "33612345678") is DEFAULT_RULE


@pytest.mark.parametrize(("text", "rule"), [
    ("^336990=undeliverable", OutcomeRule("^336990", UNDELIVERABLE)),
    ("^3361=deliver:2.5", OutcomeRule("^3361", DELIVER, receipt_delay_s=2.5)),
    ("^3362=expire:0:11", OutcomeRule("^3362", EXPIRE, error_code=11)),
    ("^3370=reject", OutcomeRule("^3370", REJECT, reject_status=ESME_RINVDSTADR)),
    ("^3370=reject::0x45", OutcomeRule("^3370", REJECT, reject_status=ESME_RSUBMITFAIL)),
    ("a=b=no_receipt", OutcomeRule("a=b", NO_RECEIPT)),  # the last "=" splits
    ("=enroute_then_deliver:1", OutcomeRule("", ENROUTE_THEN_DELIVER, receipt_delay_s=1.0)),
])
def test_a_rule_is_read_from_its_command_line_form(text: str, rule: OutcomeRule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", [
    "^336990",  # no outcome
    "^336990=lost",  # unknown outcome
    "^336990=deliver:soon",  # delay not a number
    "^336990=deliver:-1",  # negative delay
    "^336990=deliver:1:2:3",  # too many options
    "^336990=undeliverable:0:1000",  # err: has three digits
    "^336990=reject:0:0",  # a reject needs an error status
    "[=deliver",  # not a regular expression
])
def test_a_malformed_rule_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(InvalidRuleError) as refused:
        parse_rule(text)

    assert refused.value.rule in text


SUBMITTED = float(calendar.timegm((2026, 3, 14, 9, 26, 53)))


def submit(registered_delivery: int = 1) -> ShortMessage:
    return ShortMessage("Portevoix", "33612345678", b"Bonjour", source_addr_ton=5,
                        registered_delivery=registered_delivery)


@pytest.mark.parametrize(("outcome", "registered_delivery", "stats"), [
    (DELIVER, 1, ["DELIVRD"]),
    (UNDELIVERABLE, 1, ["UNDELIV"]),
    (EXPIRE, 1, ["EXPIRED"]),
    (ENROUTE_THEN_DELIVER, 1, ["ENROUTE", "DELIVRD"]),
    (REJECT, 1, []),
    (NO_RECEIPT, 1, []),
    (DELIVER, 0, []),  # no receipt asked for
    (UNDELIVERABLE, 0, []),
    (DELIVER, 2, []),  # failures only
    (UNDELIVERABLE, 2, ["UNDELIV"]),
    (ENROUTE_THEN_DELIVER, 2, []),
    (ENROUTE_THEN_DELIVER, 0x10, ["ENROUTE"]),  # intermediate notifications only
])
def test_receipts_follow_the_outcome_and_what_the_submit_asked_for(
        outcome: str, registered_delivery: int, stats: list[str]) -> None:
    rule = OutcomeRule("", outcome)

    receipts = receipts_for(submit(registered_delivery), rule, "a0000001", "2684354561",
                            SUBMITTED, "Bonjour")

    assert [parse_receipt_text(body.short_message.decode()).stat
            for body, _ in receipts] == stats


def test_a_receipt_goes_back_from_the_destination_to_the_sender() -> None:
    rule = OutcomeRule("", UNDELIVERABLE, receipt_delay_s=90.0, error_code=11)

    [(body, delay)] = receipts_for(submit(), rule, "a0000001", "2684354561", SUBMITTED,
                                   "Bonjour")
    fields = parse_receipt_text(body.short_message.decode())

    assert (body.source_addr, body.destination_addr) == ("33612345678", "Portevoix")
    assert (body.source_addr_ton, body.dest_addr_ton, body.esm_class) == (
        1, 5, ESM_DELIVERY_RECEIPT)
    assert delay == 90.0
    assert (fields.id, fields.stat, fields.err, fields.text) == (
        "2684354561", "UNDELIV", "011", "Bonjour")
    assert (str(fields.submit_date), str(fields.done_date)) == (
        "2026-03-14 09:26:00", "2026-03-14 09:28:00")


def test_receipt_tlvs_repeat_the_submit_id_and_give_the_state() -> None:
    rule = OutcomeRule("", UNDELIVERABLE, error_code=11)

    [(body, _)] = receipts_for(submit(), rule, "a0000001", "2684354561", SUBMITTED, "Bonjour",
                               tlvs=True)
    receipt = receipt_from(body.short_message.decode(), dict(body.tlvs))

    assert body.tlv(TLV_RECEIPTED_MESSAGE_ID) == b"a0000001\0"
    assert body.tlv(TLV_MESSAGE_STATE) == b"\x05"
    assert body.tlv(TLV_NETWORK_ERROR_CODE) == b"\x03\x00\x0b"
    assert (receipt.message_id, receipt.id_from_tlv, receipt.status) == (
        "a0000001", True, "failed")


def test_a_receipt_text_keeps_twenty_printable_characters_of_the_message() -> None:
    step = OutcomeRule("", DELIVER).steps[0]

    text = receipt_text("1", step, SUBMITTED, SUBMITTED, "مرحبا, this is a long message")

    assert text.endswith(b"text:?????, this is a lon")


def test_a_throttle_admits_its_limit_within_a_second_then_a_new_window() -> None:
    throttle = Throttle(3)

    admitted = [throttle.admit(at) for at in (10.0, 10.1, 10.2, 10.3, 10.99, 11.0, 11.1)]

    assert admitted == [True, True, True, False, False, True, True]


def test_a_throttle_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        Throttle(0)
