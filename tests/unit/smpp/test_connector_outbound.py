"""What a message becomes on the wire: addresses, encodings, concatenation, payload, flash,
validity, receipts requested; and refusals before anything is sent."""

from __future__ import annotations

import pytest

from portevoix.platform.smpp import pdu
from portevoix.platform.smpp.coding import DC_LATIN1, DC_UCS2
from portevoix.platform.smpp.outbound import Outbound, refusal, submit_bodies
from portevoix.platform.smpp.results import INVALID_MESSAGE, INVALID_NUMBER, INVALID_SENDER

ARABIC = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645"


def outbound(**changes: object) -> Outbound:
    values: dict[str, object] = {"message_id": "m1", "source": "MaBoutique",
                                 "destination": "+33612345678", "text": "Bonjour"}
    return Outbound(**(values | changes))  # type: ignore[arg-type]


def test_short_gsm_message_is_one_body_with_addresses_and_a_receipt_request():
    (body,) = submit_bodies(outbound())

    assert (body.source_addr, body.source_addr_ton, body.source_addr_npi) == ("MaBoutique", 5, 0)
    assert (body.destination_addr, body.dest_addr_ton, body.dest_addr_npi) == (
        "33612345678", 1, 1)
    assert (body.data_coding, body.esm_class, body.short_message) == (0, 0, b"Bonjour")
    assert (body.registered_delivery, body.validity_period) == (1, "")


def test_arabic_goes_as_ucs2():
    (body,) = submit_bodies(outbound(text=ARABIC))

    assert body.data_coding == DC_UCS2
    assert body.short_message == ARABIC.encode("utf-16-be")


def test_long_message_is_one_body_a_part_behind_a_header_sharing_the_reference():
    bodies = submit_bodies(outbound(text="x" * 400), reference=0x42)

    assert len(bodies) == 3
    assert [body.esm_class for body in bodies] == [0x40] * 3
    assert [body.short_message[:6] for body in bodies] == [
        bytes((5, 0, 3, 0x42, 3, part)) for part in (1, 2, 3)]
    assert b"".join(body.short_message[6:] for body in bodies) == b"x" * 400


def test_route_preferring_payload_gets_a_long_text_whole_in_message_payload():
    (body,) = submit_bodies(outbound(text="y" * 400), use_payload=True)

    assert (body.short_message, body.esm_class) == (b"", 0)
    assert body.tlv(pdu.TLV_MESSAGE_PAYLOAD) == b"y" * 400


def test_route_preferring_payload_still_sends_a_short_text_in_short_message():
    (body,) = submit_bodies(outbound(), use_payload=True)

    assert (body.short_message, body.tlvs) == (b"Bonjour", ())


@pytest.mark.parametrize(("text", "data_coding"), [("Vite !", 0x10), (ARABIC, 0x18)])
def test_flash_is_message_class_0(text, data_coding):
    (body,) = submit_bodies(outbound(text=text, flash=True))

    assert body.data_coding == data_coding


def test_validity_is_a_relative_time():
    (body,) = submit_bodies(outbound(validity_s=2 * 86400 + 3600 + 61))

    assert body.validity_period == "000002010101000R"


def test_registered_delivery_can_be_off():
    (body,) = submit_bodies(outbound(registered_delivery=False))

    assert body.registered_delivery == 0


def test_route_without_data_coding_0_gets_latin1():
    (body,) = submit_bodies(outbound(text="Déjà"), data_codings=frozenset({DC_LATIN1, DC_UCS2}))

    assert (body.data_coding, body.short_message) == (DC_LATIN1, "Déjà".encode("latin-1"))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"destination": "0612345678"}, INVALID_NUMBER),
        ({"source": "MuchTooLongSender"}, INVALID_SENDER),
        ({"policy": "nonsense"}, INVALID_MESSAGE),
        ({"validity_s": -1}, INVALID_MESSAGE),
    ],
)
def test_message_no_smsc_could_take_is_refused_before_sending(changes, reason):
    message = outbound(**changes)

    with pytest.raises(ValueError) as refused:
        submit_bodies(message)
    outcome = refusal(message, refused.value)

    assert (outcome.message_id, outcome.command_status, outcome.reason) == ("m1", None, reason)
    assert outcome.detail


def test_ucs2_text_on_a_route_without_ucs2_is_an_invalid_message():
    message = outbound(text=ARABIC)

    with pytest.raises(ValueError) as refused:
        submit_bodies(message, data_codings=frozenset({0}))

    assert refusal(message, refused.value).reason == INVALID_MESSAGE
