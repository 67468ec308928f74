"""Status callbacks without I/O: the body, its signature, what an answer means, the pauses
between attempts and where a delivery stands after one."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from portevoix.platform.callbacks import (
    AGAIN,
    CALLBACK_ID_HEADER,
    DELIVERED,
    DONE,
    FAILED,
    FINAL,
    MAX_EVENTS,
    PENDING,
    Attempt,
    Delivery,
    RetryPolicy,
    StatusEvent,
    body,
    callback_secret,
    outcome,
    signed_headers,
)
from portevoix.platform.forwarding import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
    webhook_secret,
)

CUSTOMER = UUID("00000000-0000-4000-8000-000000000001")
CAMPAIGN = UUID("00000000-0000-4000-8000-0000000000ca")
CALLBACK = UUID("00000000-0000-4000-8000-0000000000cb")
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def an_event(status: str = "sent", index: int = 0, **fields: str) -> StatusEvent:
    return StatusEvent(message_id=f"{CAMPAIGN.hex}.{index}", campaign_id=CAMPAIGN,
                       reference="rdv-42", number="+33612345678", status=status,
                       occurred_at=AT, **fields)


def a_delivery(tries: int = 0) -> Delivery:
    return Delivery(CALLBACK, CUSTOMER, "https://crm.example.com/sms", PENDING, 1,
                    body([an_event()]), tries, AT, AT, None)


def test_the_body_lists_the_events_in_order_with_null_for_what_is_not_known() -> None:
    events = [an_event("sent"), an_event("received", stat="DELIVRD", error_code="0")]

    found = json.loads(body(events))

    assert found == {"events": [
        {"id": f"{CAMPAIGN.hex}.0:sent", "message_id": f"{CAMPAIGN.hex}.0",
         "campaign_id": str(CAMPAIGN), "reference": "rdv-42", "number": "+33612345678",
         "status": "sent", "stat": None, "error_code": None, "reason": None,
         "occurred_at": "2026-03-02T09:30:00+00:00"},
        {"id": f"{CAMPAIGN.hex}.0:received", "message_id": f"{CAMPAIGN.hex}.0",
         "campaign_id": str(CAMPAIGN), "reference": "rdv-42", "number": "+33612345678",
         "status": "received", "stat": "DELIVRD", "error_code": "0", "reason": None,
         "occurred_at": "2026-03-02T09:30:00+00:00"},
    ]}


@pytest.mark.parametrize("count", [0, MAX_EVENTS + 1])
def test_a_body_carries_one_to_a_hundred_events(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        body([an_event(index=i) for i in range(count)])


def test_the_signature_is_the_hmac_sha256_of_timestamp_dot_body_with_the_callback_secret(
        ) -> None:
    payload = body([an_event()]).encode()
    secret = callback_secret("platform-secret", CUSTOMER)

    headers = signed_headers(secret, 1_772_443_800, payload, CALLBACK)

    expected = hmac.new(secret.encode(), b"1772443800." + payload, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert headers[TIMESTAMP_HEADER] == "1772443800"
    assert headers[CALLBACK_ID_HEADER] == str(CALLBACK)
    assert verify(secret, "1772443800", payload, headers[SIGNATURE_HEADER])
    assert not verify(secret, "1772443801", payload, headers[SIGNATURE_HEADER])


def test_the_callback_secret_is_the_customers_own_and_not_the_replies_webhook_secret(
        ) -> None:
    other = UUID("00000000-0000-4000-8000-000000000002")

    mine = callback_secret("platform-secret", CUSTOMER)

    assert mine == hmac.new(b"platform-secret", f"status-callback:{CUSTOMER}".encode(),
                            hashlib.sha256).hexdigest()
    assert mine not in (webhook_secret("platform-secret", CUSTOMER),
                        callback_secret("platform-secret", other),
                        callback_secret("another-platform-secret", CUSTOMER))


@pytest.mark.parametrize(("status", "meaning"), [
    (200, DONE), (202, DONE), (204, DONE), (299, DONE),
    (None, AGAIN), (500, AGAIN), (502, AGAIN), (503, AGAIN), (408, AGAIN), (429, AGAIN),
    (301, FINAL), (307, FINAL), (400, FINAL), (401, FINAL), (404, FINAL), (410, FINAL),
    (100, FINAL),
])
def test_what_an_answer_means(status: int | None, meaning: str) -> None:
    assert outcome(status) == meaning


def test_the_default_pauses_double_from_one_second_up_to_ten_minutes() -> None:
    assert RetryPolicy().pauses() == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600]


def test_pauses_are_capped_and_end_with_the_last_attempt() -> None:
    policy = RetryPolicy(attempts=5, first_pause_s=1, max_pause_s=3)

    pauses = [policy.pause_after(failures) for failures in range(1, 6)]

    assert pauses == [timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=3),
                      timedelta(seconds=3), None]


def test_a_delivered_attempt_settles_the_delivery() -> None:
    state = a_delivery().after(Attempt(AT, 204, "", 12), RetryPolicy())

    assert state == (DELIVERED, 1, None)


def test_a_server_error_waits_the_pause_of_its_attempt() -> None:
    state = a_delivery(tries=2).after(Attempt(AT, 503, "", 12), RetryPolicy())

    assert state == (PENDING, 3, AT + timedelta(seconds=4))


def test_the_last_attempt_failing_fails_the_delivery() -> None:
    policy = RetryPolicy(attempts=3)

    state = a_delivery(tries=2).after(Attempt(AT, None, "ConnectionRefusedError", 1), policy)

    assert state == (FAILED, 3, None)


def test_a_client_error_fails_the_delivery_at_once() -> None:
    state = a_delivery().after(Attempt(AT, 404, "", 3), RetryPolicy())

    assert state == (FAILED, 1, None)
