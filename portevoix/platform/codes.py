"""Result codes of a send request, as the services in the seeds number them (000 §4).

The send pipeline answers with these codes whatever the channel; the ``http.php``
compatibility layer prints them as they are, the JSON API words them. One request gets one
code; recipients refused individually are listed with theirs.
"""

from __future__ import annotations

SENT = 80  # recorded and sent (or being sent) now
DEFERRED = 81  # recorded for a deferred send
BAD_CREDENTIALS = 82
INSUFFICIENT_CREDIT = 83
INVALID_NUMBER = 84
INVALID_DEFERRED_FORMAT = 85
EMPTY_GROUP = 86
EMPTY_EMAIL = 87  # http.php: no login given
EMPTY_PASS = 88  # http.php: no password or API key given
EMPTY_NUMBERS = 89
EMPTY_MESSAGE = 90
DUPLICATE_24H = 91  # the same text to the same number within 24 hours
TEST_OK = 92  # test mode: everything checked and priced, nothing sent or charged
OVERSEAS_NOT_ALLOWED = 93
DEFERRED_CANCELLED = 94
DEFERRED_NOT_CANCELLED = 95
IP_NOT_ALLOWED = 96
INVALID_SENDER = 97
BLACKLISTED = 101
STOP_MENTION_REQUIRED = 102
QUOTA_EXCEEDED = 103  # ours: the account's daily quota is reached

MEANINGS = {
    SENT: "the message is sent",
    DEFERRED: "the message is recorded for a deferred send",
    BAD_CREDENTIALS: "the login and/or password is not valid",
    INSUFFICIENT_CREDIT: "the account must be credited",
    INVALID_NUMBER: "the mobile number is not valid",
    INVALID_DEFERRED_FORMAT: "the deferred send format is not valid",
    EMPTY_GROUP: "the contact group is empty",
    EMPTY_EMAIL: "the email value is empty",
    EMPTY_PASS: "the pass value is empty",
    EMPTY_NUMBERS: "no number was given",
    EMPTY_MESSAGE: "the message is empty",
    DUPLICATE_24H: "the message was already sent to this number in the last 24 hours",
    TEST_OK: "the test send is positive",
    OVERSEAS_NOT_ALLOWED: "sending to the French overseas territories needs the account option",
    DEFERRED_CANCELLED: "the deferred send is cancelled",
    DEFERRED_NOT_CANCELLED: "the deferred send could not be cancelled",
    IP_NOT_ALLOWED: "the IP address is not allowed",
    INVALID_SENDER: "the sender ID is not valid",
    BLACKLISTED: "the mobile number is blocked and/or blacklisted",
    STOP_MENTION_REQUIRED: "a custom sender requires the STOP mention at the end of the message",
    QUOTA_EXCEEDED: "the account's daily quota is reached",
}
