"""Delivery receipts: the Appendix B text as SMSCs really write it, the TLVs that take
precedence, our statuses for each stat and state, canonical message ids, and one status for
the segments of a long message."""

from __future__ import annotations

from datetime import datetime

import pytest

from portevoix.platform.smpp.pdu import (
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
)
from portevoix.platform.smpp.receipts import (
    AS_IS,
    DEC,
    DELIVERED_TO_OPERATOR,
    EXPIRED,
    FAILED,
    FINAL_STATUSES,
    HEX,
    RECEIVED,
    SENT,
    UNKNOWN,
    MalformedIdError,
    MalformedReceiptError,
    NetworkError,
    ReceiptFields,
    SegmentCountError,
    UnknownIdBaseError,
    UnknownStatusError,
    combine,
    normalise_id,
    parse_receipt_text,
    receipt_from,
    status_of,
)

# The text part of real receipts, by the style of SMSC that sends them.
KANNEL = (
    "id:1870417931 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 "
    "stat:DELIVRD err:000 text:Votre code est 4821"
)
LOGICA = (
    "id:0000012345 sub:001 dlvrd:000 submit date:0601011200 done date:0601011205 "
    "stat:UNDELIV err:001 Text:Hello from Logica"
)
HEX_ID = (
    "id:7B2E1F0A sub:001 dlvrd:001 submit date:2403051015 done date:2403051016 "
    "stat:DELIVRD err:000 text:"
)
SECONDS = (
    "id:98765 sub:001 dlvrd:001 submit date:240305101523 done date:240305101601 "
    "stat:ACCEPTD err:000 text:Rappel"
)
UPPERCASE = (
    "ID:55501 SUB:001 DLVRD:000 SUBMIT DATE:2312312359 DONE DATE:2401010001 "
    "STAT:EXPIRED ERR:000 TEXT:BONNE ANNEE"
)
LOWERCASE_STAT = "id:42 sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:delivrd"
SPACED = (
    "id: 12345   sub: 001  dlvrd: 001   submit date: 2401151230  done date: 2401151231 "
    " stat: REJECTD  err: 0B1  text:  Bonjour  "
)
COLONS = "id:3 stat:DELIVRD err:000 Text:RDV 10:30: salle B, stat:UNDELIV n'y est pas"
MINIMAL = "id:abc-123 stat:ENROUTE"
UNDERSCORED = "id:77 sub:001 dlvrd:001 submit_date:2401151230 done_date:2401151231 stat:DELIVRD"


@pytest.mark.parametrize(("text", "fields"), [
    (KANNEL, ReceiptFields(
        id="1870417931", sub=1, dlvrd=1, submit_date=datetime(2024, 1, 15, 12, 30),
        done_date=datetime(2024, 1, 15, 12, 31), stat="DELIVRD", err="000",
        text="Votre code est 4821",
    )),
    (LOGICA, ReceiptFields(
        id="0000012345", sub=1, dlvrd=0, submit_date=datetime(2006, 1, 1, 12, 0),
        done_date=datetime(2006, 1, 1, 12, 5), stat="UNDELIV", err="001",
        text="Hello from Logica",
    )),
    (HEX_ID, ReceiptFields(
        id="7B2E1F0A", sub=1, dlvrd=1, submit_date=datetime(2024, 3, 5, 10, 15),
        done_date=datetime(2024, 3, 5, 10, 16), stat="DELIVRD", err="000", text="",
    )),
    (SECONDS, ReceiptFields(
        id="98765", sub=1, dlvrd=1, submit_date=datetime(2024, 3, 5, 10, 15, 23),
        done_date=datetime(2024, 3, 5, 10, 16, 1), stat="ACCEPTD", err="000", text="Rappel",
    )),
    (UPPERCASE, ReceiptFields(
        id="55501", sub=1, dlvrd=0, submit_date=datetime(2023, 12, 31, 23, 59),
        done_date=datetime(2024, 1, 1, 0, 1), stat="EXPIRED", err="000", text="BONNE ANNEE",
    )),
    (LOWERCASE_STAT, ReceiptFields(
        id="42", sub=1, dlvrd=1, submit_date=datetime(2024, 1, 15, 12, 30),
        done_date=datetime(2024, 1, 15, 12, 31), stat="DELIVRD",
    )),
    (SPACED, ReceiptFields(
        id="12345", sub=1, dlvrd=1, submit_date=datetime(2024, 1, 15, 12, 30),
        done_date=datetime(2024, 1, 15, 12, 31), stat="REJECTD", err="0B1", text="Bonjour",
    )),
    (COLONS, ReceiptFields(
        id="3", stat="DELIVRD", err="000", text="RDV 10:30: salle B, stat:UNDELIV n'y est pas",
    )),
    (MINIMAL, ReceiptFields(id="abc-123", stat="ENROUTE")),
    (UNDERSCORED, ReceiptFields(
        id="77", sub=1, dlvrd=1, submit_date=datetime(2024, 1, 15, 12, 30),
        done_date=datetime(2024, 1, 15, 12, 31), stat="DELIVRD",
    )),
], ids=[
    "kannel", "logica", "hex-id", "seconds", "uppercase", "lowercase-stat", "spaced",
    "colons-in-text", "minimal", "underscored",
])
def test_receipt_texts_of_each_smsc_style_parse(text, fields):
    assert parse_receipt_text(text) == fields


@pytest.mark.parametrize("date", ["2413011200", "24011512", "2401151230x", "240230120000"])
def test_a_date_that_does_not_parse_is_none_and_the_receipt_still_reads(date):
    fields = parse_receipt_text(f"id:1 done date:{date} stat:DELIVRD")

    assert (fields.done_date, fields.stat) == (None, "DELIVRD")


def test_sub_and_dlvrd_that_are_not_numbers_are_none():
    fields = parse_receipt_text("id:1 sub:one dlvrd:-1 stat:DELIVRD")

    assert (fields.sub, fields.dlvrd) == (None, None)


@pytest.mark.parametrize("text", [
    "",
    "stat:DELIVRD err:000",
    "id: sub:001 dlvrd:001 stat:DELIVRD",
    "id:",
    "Your parcel is on its way",
    "text:id:123 stat:DELIVRD",  # the id is inside the message text, not a field
])
def test_a_receipt_text_without_an_id_is_malformed(text):
    with pytest.raises(MalformedReceiptError) as raised:
        parse_receipt_text(text)

    assert (raised.value.reason, raised.value.text) == ("no id", text)


# Receipts from text and TLVs -------------------------------------------------------------


def test_a_receipt_from_text_alone_takes_its_id_and_stat():
    receipt = receipt_from(KANNEL, {})

    assert (receipt.message_id, receipt.id_from_tlv, receipt.status) == (
        "1870417931", False, RECEIVED,
    )
    assert (receipt.err, receipt.done_date) == ("000", datetime(2024, 1, 15, 12, 31))
    assert receipt.final


def test_the_receipted_message_id_tlv_takes_precedence_over_the_text_id():
    receipt = receipt_from(KANNEL, {TLV_RECEIPTED_MESSAGE_ID: b"6f7b2a\x00"})

    assert (receipt.message_id, receipt.id_from_tlv) == ("6f7b2a", True)


def test_an_empty_receipted_message_id_tlv_leaves_the_text_id():
    receipt = receipt_from(KANNEL, {TLV_RECEIPTED_MESSAGE_ID: b"\x00"})

    assert (receipt.message_id, receipt.id_from_tlv) == ("1870417931", False)


def test_the_message_state_tlv_takes_precedence_over_the_stat_word():
    receipt = receipt_from(KANNEL, {TLV_MESSAGE_STATE: bytes([5])})

    assert (receipt.status, receipt.stat, receipt.message_state) == (FAILED, "DELIVRD", 5)


def test_a_receipt_carried_in_tlvs_alone_needs_no_text():
    tlvs = {
        TLV_RECEIPTED_MESSAGE_ID: b"12345\x00",
        TLV_MESSAGE_STATE: bytes([2]),
        TLV_NETWORK_ERROR_CODE: bytes([3, 0x00, 0x22]),
    }

    receipt = receipt_from(None, tlvs)

    assert (receipt.message_id, receipt.status) == ("12345", RECEIVED)
    assert receipt.network_error == NetworkError(network_type=3, code=0x22)
    assert receipt.stat is None


def test_a_text_without_an_id_is_enough_with_the_tlv_id():
    receipt = receipt_from("stat:UNDELIV err:034", {TLV_RECEIPTED_MESSAGE_ID: b"9\x00"})

    assert (receipt.message_id, receipt.status, receipt.err) == ("9", FAILED, "034")


def test_an_empty_network_error_code_as_some_smscs_send_is_none():
    assert receipt_from(KANNEL, {TLV_NETWORK_ERROR_CODE: b""}).network_error is None


@pytest.mark.parametrize(("text", "tlvs", "reason"), [
    (None, {}, "no id field and no receipted_message_id"),
    ("stat:DELIVRD", {}, "no id field and no receipted_message_id"),
    ("id:1 sub:001 dlvrd:001", {}, "no stat field and no message_state"),
    (None, {TLV_RECEIPTED_MESSAGE_ID: b"1\x00"}, "no stat field and no message_state"),
    (KANNEL, {TLV_MESSAGE_STATE: b"\x02\x00"}, "message_state of 2 octets, not 1"),
    (KANNEL, {TLV_NETWORK_ERROR_CODE: b"\x03\x01"}, "network_error_code of 2 octets, not 3"),
])
def test_a_receipt_missing_what_matters_or_with_a_bad_tlv_is_malformed(text, tlvs, reason):
    with pytest.raises(MalformedReceiptError) as raised:
        receipt_from(text, tlvs)

    assert raised.value.reason == reason


def test_canonical_id_reads_a_tlv_id_in_the_submit_base_and_a_text_id_in_the_receipt_base():
    # This SMSC answers submit_sm_resp in hex and writes receipts in zero-padded decimal.
    from_text = receipt_from("id:0000123456 stat:DELIVRD", {})
    from_tlv = receipt_from(
        None, {TLV_RECEIPTED_MESSAGE_ID: b"1E240\x00", TLV_MESSAGE_STATE: b"\x02"}
    )

    assert from_text.canonical_id(receipt_id_base=DEC, submit_id_base=HEX) == "123456"
    assert from_tlv.canonical_id(receipt_id_base=DEC, submit_id_base=HEX) == "123456"
    assert normalise_id("1E240", HEX) == "123456"  # what submit_sm_resp's id is stored as


# Statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(("stat", "status"), [
    ("DELIVRD", RECEIVED), ("ENROUTE", DELIVERED_TO_OPERATOR), ("ACCEPTD", DELIVERED_TO_OPERATOR),
    ("EXPIRED", EXPIRED), ("UNDELIV", FAILED), ("REJECTD", FAILED), ("DELETED", FAILED),
    ("UNKNOWN", UNKNOWN),
    # The §5.2.28 state names some SMSCs write instead, and any case.
    ("DELIVERED", RECEIVED), ("ACCEPTED", DELIVERED_TO_OPERATOR), ("UNDELIVERABLE", FAILED),
    ("REJECTED", FAILED), ("delivrd", RECEIVED), (" Undeliv ", FAILED),
    # What we do not know is unknown, not final.
    ("BUFFRED", UNKNOWN), ("", UNKNOWN),
])
def test_each_stat_word_has_its_status(stat, status):
    assert status_of(stat) == status


@pytest.mark.parametrize(("state", "status"), [
    (1, DELIVERED_TO_OPERATOR), (2, RECEIVED), (3, EXPIRED), (4, FAILED), (5, FAILED),
    (6, DELIVERED_TO_OPERATOR), (7, UNKNOWN), (8, FAILED), (0, UNKNOWN), (9, UNKNOWN),
    ("2", RECEIVED), ("05", FAILED),
])
def test_each_message_state_has_its_status(state, status):
    assert status_of(state) == status


@pytest.mark.parametrize(("status", "final"), [
    (SENT, False), (DELIVERED_TO_OPERATOR, False), (UNKNOWN, False),
    (RECEIVED, True), (FAILED, True), (EXPIRED, True),
])
def test_received_failed_and_expired_are_final_and_the_rest_are_not(status, final):
    assert (status in FINAL_STATUSES) is final


# One status for a long message -------------------------------------------------------------


@pytest.mark.parametrize(("statuses", "parts", "combined"), [
    ([RECEIVED], None, RECEIVED),
    ([RECEIVED, RECEIVED, RECEIVED], None, RECEIVED),
    ([RECEIVED, DELIVERED_TO_OPERATOR], None, DELIVERED_TO_OPERATOR),
    ([RECEIVED, SENT, DELIVERED_TO_OPERATOR], None, SENT),
    ([RECEIVED, FAILED], None, FAILED),
    ([SENT, FAILED, EXPIRED], None, FAILED),
    ([RECEIVED, EXPIRED], None, EXPIRED),
    ([EXPIRED, SENT], None, EXPIRED),
    ([RECEIVED, UNKNOWN], None, UNKNOWN),
    ([UNKNOWN, FAILED], None, FAILED),
    # Missing segments are sent and not yet final.
    ([RECEIVED, RECEIVED], 3, SENT),
    ([DELIVERED_TO_OPERATOR], 2, SENT),
    ([], 2, SENT),
    ([RECEIVED, FAILED], 3, FAILED),
])
def test_segments_combine_into_one_status(statuses, parts, combined):
    assert combine(statuses, parts) == combined


@pytest.mark.parametrize(("statuses", "parts"), [([], None), ([SENT, SENT], 1), ([], 0)])
def test_combining_no_segments_or_more_than_the_parts_is_refused(statuses, parts):
    with pytest.raises(SegmentCountError) as raised:
        combine(statuses, parts)

    assert raised.value.statuses == len(statuses)


def test_combining_a_status_we_do_not_have_is_refused():
    with pytest.raises(UnknownStatusError) as raised:
        combine([RECEIVED, "DELIVRD"])

    assert raised.value.status == "DELIVRD"


# Canonical message ids -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "base", "canonical"), [
    ("0000123456", AS_IS, "123456"),
    (" 123456 ", AS_IS, "123456"),
    ("0000000000", AS_IS, "0"),
    ("6F7B2A", AS_IS, "6f7b2a"),
    ("007B", AS_IS, "007b"),  # not all digits: the zeros may matter
    ("a1b2-C3D4", AS_IS, "a1b2-c3d4"),
    ("1E240", HEX, "123456"),
    ("0x1e240", HEX, "123456"),
    ("0001E240", HEX, "123456"),
    ("10", HEX, "16"),
    ("0000123456", DEC, "123456"),
    ("0", DEC, "0"),
])
def test_ids_normalise_to_their_canonical_form(value, base, canonical):
    assert normalise_id(value, base) == canonical


@pytest.mark.parametrize(("value", "base"), [
    ("12G4", HEX), ("", HEX), ("0x", HEX), ("1E240", DEC), ("-12", DEC), ("", DEC),
    ("\u0663", DEC),  # ARABIC-INDIC DIGIT THREE: a digit to Python, not to an SMSC
])
def test_an_id_not_in_its_base_is_malformed(value, base):
    with pytest.raises(MalformedIdError) as raised:
        normalise_id(value, base)

    assert (raised.value.value, raised.value.base) == (value, base)


def test_an_unknown_id_base_is_refused():
    with pytest.raises(UnknownIdBaseError) as raised:
        normalise_id("123", "octal")

    assert raised.value.base == "octal"
