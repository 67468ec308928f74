"""deliver_sm read: receipts (text and TLVs), replies decoded and reassembled, other kinds."""

from __future__ import annotations

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.inbound import OTHER, RECEIPT, REPLY, kind, read_receipt, read_reply
from portevoix.platform.smpp.pdu import ShortMessage
from portevoix.platform.smpp.reassembly import Reassembler
from portevoix.platform.smpp.receipts import RECEIVED

RECEIPT_TEXT = (b"id:12345 sub:001 dlvrd:001 submit date:2611221200 done date:2611221201 "
                b"stat:DELIVRD err:000 text:Bonjour")


def deliver(short_message: bytes = b"", **fields: object) -> ShortMessage:
    values: dict[str, object] = {"source_addr": "33612345678", "destination_addr": "36180",
                                 "short_message": short_message}
    return ShortMessage(**(values | fields))  # type: ignore[arg-type]


def test_esm_class_message_type_tells_receipts_from_replies():
    assert kind(deliver(esm_class=0x04)) == RECEIPT
    assert kind(deliver(esm_class=0x20)) == RECEIPT  # intermediate notification
    assert kind(deliver(esm_class=0x00)) == REPLY
    assert kind(deliver(esm_class=0x40)) == REPLY  # UDHI only
    assert kind(deliver(esm_class=0x08)) == OTHER  # a handset's delivery ack


def test_receipt_text_is_read():
    found = read_receipt(deliver(RECEIPT_TEXT, esm_class=0x04))

    assert found is not None
    assert (found.message_id, found.status, found.stat) == ("12345", RECEIVED, "DELIVRD")


def test_receipt_tlvs_win_over_the_text():
    body = deliver(RECEIPT_TEXT, esm_class=0x04, tlvs=(
        (pdu.TLV_RECEIPTED_MESSAGE_ID, b"3039\0"), (pdu.TLV_MESSAGE_STATE, b"\x05")))

    found = read_receipt(body)

    assert found is not None and (found.message_id, found.id_from_tlv) == ("3039", True)
    assert found.status == "failed"


def test_receipt_in_message_payload_is_read():
    body = deliver(esm_class=0x04, tlvs=((pdu.TLV_MESSAGE_PAYLOAD, RECEIPT_TEXT),))

    found = read_receipt(body)

    assert found is not None and found.message_id == "12345"


def test_unreadable_receipt_is_none_not_an_error():
    assert read_receipt(deliver(b"hello there", esm_class=0x04)) is None


def test_reply_is_decoded_with_the_international_sender_in_e164():
    reply = read_reply(deliver(b"STOP", source_addr_ton=1, dest_addr_ton=3), Reassembler())

    assert reply is not None
    assert (reply.source, reply.destination, reply.text) == ("+33612345678", "36180", "STOP")
    assert reply.received_at.tzinfo is not None


def test_ucs2_reply_is_decoded():
    text = "\u0634\u0643\u0631\u0627"
    reply = read_reply(deliver(text.encode("utf-16-be"), data_coding=8), Reassembler())

    assert reply is not None and reply.text == text


def test_long_reply_comes_whole_after_its_last_part():
    reassembler = Reassembler()
    parts = [deliver(bytes((5, 0, 3, 7, 2, number)) + text, esm_class=0x40)
             for number, text in ((2, b" world"), (1, b"hello"))]

    first = read_reply(parts[0], reassembler, now=1.0)
    second = read_reply(parts[1], reassembler, now=2.0)

    assert first is None
    assert second is not None and second.text == "hello world"


def test_undecodable_reply_is_none_not_an_error():
    assert read_reply(deliver(b"\x00\x01\x02", data_coding=0xF4), Reassembler()) is None
