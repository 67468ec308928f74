"""SMPP 3.4 PDUs: round trips, the bytes of an independent implementation, strict refusals."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone

import pytest
import smpplib.smpp
from hypothesis import given
from hypothesis import strategies as st

from portevoix.platform.smpp.pdu import (
    BIND_TRANSCEIVER,
    DELIVER_SM,
    ENQUIRE_LINK,
    ESME_RINVCMDID,
    ESME_RINVCMDLEN,
    ESME_RTHROTTLED,
    SUBMIT_SM,
    SUBMIT_SM_RESP,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    Bind,
    FrameReader,
    InvalidCommandLengthError,
    MalformedPduError,
    MessageId,
    Pdu,
    ShortMessage,
    UnknownCommandError,
    absolute_time,
    decode,
    encode,
    generic_nack,
    relative_time,
    response_to,
)

latin1 = st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=15)
octet = st.integers(0, 255)


@given(
    source=latin1, destination=latin1, text=st.binary(max_size=254),
    esm_class=octet, data_coding=octet, sequence=st.integers(1, 0x7FFFFFFF),
    tlvs=st.lists(st.tuples(st.integers(0x1400, 0x3FFF), st.binary(max_size=20)), max_size=3),
)
def test_short_messages_round_trip(source: str, destination: str, text: bytes, esm_class: int,
                                   data_coding: int, sequence: int,
                                   tlvs: list[tuple[int, bytes]]) -> None:
    pdu = Pdu(SUBMIT_SM, sequence, body=ShortMessage(
        source, destination, text, esm_class=esm_class, data_coding=data_coding,
        tlvs=tuple(tlvs)))

    assert decode(encode(pdu)) == pdu


def test_a_submit_sm_encodes_to_the_bytes_smpplib_makes() -> None:
    theirs = smpplib.smpp.make_pdu(
        "submit_sm", client=None, source_addr="Portevoix", destination_addr="33612345678",
        short_message=b"hello", source_addr_ton=5, source_addr_npi=0, dest_addr_ton=1,
        dest_addr_npi=1, registered_delivery=1, sequence=7,
    ).generate()
    ours = Pdu(SUBMIT_SM, int.from_bytes(theirs[12:16], "big"), body=ShortMessage(
        "Portevoix", "33612345678", b"hello", source_addr_ton=5, registered_delivery=1))

    assert encode(ours) == theirs
    assert decode(theirs) == ours


def test_a_bind_and_its_response_round_trip() -> None:
    bind = Pdu(BIND_TRANSCEIVER, 1, body=Bind("portevoix", "secret", "SMPP"))
    answer = response_to(bind, body=MessageId("SIMSC"))

    assert decode(encode(bind)) == bind
    assert decode(encode(answer)).body == MessageId("SIMSC")


def test_an_error_response_may_have_no_body() -> None:
    frame = struct.pack(">IIII", 16, SUBMIT_SM_RESP, ESME_RTHROTTLED, 9)

    assert decode(frame) == Pdu(SUBMIT_SM_RESP, 9, ESME_RTHROTTLED, None)


def test_a_receipts_tlvs_are_read() -> None:
    receipt = Pdu(DELIVER_SM, 3, body=ShortMessage(
        "33612345678", "Portevoix", b"id:42 stat:DELIVRD", esm_class=0x04,
        tlvs=((TLV_RECEIPTED_MESSAGE_ID, b"2a\0"), (TLV_MESSAGE_STATE, b"\x02"))))

    body = decode(encode(receipt)).body

    assert isinstance(body, ShortMessage)
    assert (body.tlv(TLV_RECEIPTED_MESSAGE_ID), body.tlv(TLV_MESSAGE_STATE)) == (b"2a\0", b"\2")


def test_an_unknown_command_is_answered_by_a_generic_nack() -> None:
    frame = struct.pack(">IIII", 16, 0x00000099, 0, 5)

    with pytest.raises(UnknownCommandError) as refused:
        decode(frame)

    assert (refused.value.nack, refused.value.status, refused.value.sequence) == (
        True, ESME_RINVCMDID, 5)


@pytest.mark.parametrize("frame", [
    struct.pack(">IIII", 20, ENQUIRE_LINK, 0, 1),  # says 20, holds 16
    struct.pack(">III", 12, ENQUIRE_LINK, 0),  # shorter than a header
])
def test_a_wrong_command_length_is_refused(frame: bytes) -> None:
    with pytest.raises(InvalidCommandLengthError) as refused:
        decode(frame)

    assert refused.value.status == ESME_RINVCMDLEN


@pytest.mark.parametrize(("body", "reason"), [
    (b"\0\0\0" + b"x" * 30, "source_addr"),  # no terminating NUL within 21 octets
    (b"\0\0\0a\0\1\1b\0\0\0\0\0\0\0\0\0\0\x05ab", "short_message"),  # says 5, holds 2
    (b"\0\0\0a\0\1\1b\0\0\0\0\0\0\0\0\0\0\0\x14\x24\0", "TLV header"),  # truncated TLV
])
def test_a_malformed_body_says_what_is_wrong(body: bytes, reason: str) -> None:
    frame = struct.pack(">IIII", 16 + len(body), SUBMIT_SM, 0, 8) + body

    with pytest.raises(MalformedPduError) as refused:
        decode(frame)

    assert reason in refused.value.reason
    assert refused.value.nack is False  # a broken request gets its own response, failed


def test_frames_are_cut_from_a_stream_whatever_the_chunks() -> None:
    stream = b"".join(encode(Pdu(ENQUIRE_LINK, n)) for n in range(1, 6))
    reader = FrameReader()

    frames = [frame for i in range(0, len(stream), 7) for frame in reader.feed(stream[i:i + 7])]

    assert [decode(frame).sequence for frame in frames] == [1, 2, 3, 4, 5]


def test_an_impossible_length_in_the_stream_stops_the_reader() -> None:
    reader = FrameReader()

    with pytest.raises(InvalidCommandLengthError):
        list(reader.feed(struct.pack(">I", 10_000_000) + b"\0" * 12))


def test_a_generic_nack_carries_the_sequence_it_answers() -> None:
    assert decode(encode(generic_nack(77, ESME_RINVCMDID))) == Pdu(0x80000000, 77,
                                                                    ESME_RINVCMDID)


@pytest.mark.parametrize(("seconds", "text"), [
    (3600, "000000010000000R"), (3 * 86400, "000003000000000R"), (90061, "000001010101000R"),
])
def test_validity_periods_are_written_as_relative_times(seconds: int, text: str) -> None:
    assert relative_time(seconds) == text


def test_absolute_times_are_written_in_utc() -> None:
    paris = timezone(timedelta(hours=1))

    assert absolute_time(datetime(2026, 11, 22, 14, 30, 5, tzinfo=paris)) == "261122133005000+"
