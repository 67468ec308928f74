"""Message options and length rules: validity bounds, blank texts, long messages where the
account allows only one segment, and the platform's maximum number of segments."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from portevoix.platform.messages import (
    MAX_SEGMENTS,
    MAX_VALIDITY_S,
    MIN_VALIDITY_S,
    EmptyMessageError,
    InvalidValidityError,
    LongMessageNotAllowedError,
    MessageError,
    MessageOptions,
    MessageTooLongError,
    check_length,
)
from portevoix.platform.segments import encode

ARABIC = "\u0628"
EURO = "\u20ac"


# Options ---------------------------------------------------------------------------------


def test_default_options_are_a_normal_message_with_the_smsc_validity():
    options = MessageOptions()

    assert (options.flash, options.validity_s) == (False, None)
    options.validate()


def test_options_cannot_change_once_made():
    options = MessageOptions(flash=True)

    with pytest.raises(FrozenInstanceError):
        options.flash = False  # type: ignore[misc]


@pytest.mark.parametrize("validity_s", [None, MIN_VALIDITY_S, 86400, MAX_VALIDITY_S])
def test_validity_from_one_hour_to_three_days_is_accepted(validity_s):
    MessageOptions(flash=True, validity_s=validity_s).validate()


@pytest.mark.parametrize(
    "validity_s",
    [0, -3600, MIN_VALIDITY_S - 1, MAX_VALIDITY_S + 1, True, 3600.0, "3600"],
)
def test_validity_outside_one_hour_to_three_days_or_not_an_int_is_refused(validity_s):
    with pytest.raises(InvalidValidityError) as refused:
        MessageOptions(validity_s=validity_s).validate()

    assert refused.value.validity_s == validity_s
    assert type(refused.value.validity_s) is type(validity_s)
    assert (refused.value.minimum, refused.value.maximum) == (3600, 3 * 86400)


# Length ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "long_sms_allowed"),
    [
        ("a", False),
        ("a" * 160, False),
        ("a" * 158 + EURO, False),
        (ARABIC * 70, False),
        ("a" * 161, True),
        ("a" * 153 * MAX_SEGMENTS, True),
        (ARABIC * 67 * MAX_SEGMENTS, True),
    ],
)
def test_a_text_within_the_account_limits_is_accepted(text, long_sms_allowed):
    check_length(encode(text), long_sms_allowed)


@pytest.mark.parametrize("text", ["", " ", " \n\r\n "])
@pytest.mark.parametrize("long_sms_allowed", [True, False])
def test_a_blank_text_is_refused_as_empty(text, long_sms_allowed):
    with pytest.raises(EmptyMessageError):
        check_length(encode(text), long_sms_allowed)


@pytest.mark.parametrize(
    ("text", "segments", "excess", "limit"),
    [
        ("a" * 161, 2, 1, 160),
        ("a" * 307, 3, 147, 160),
        (EURO * 81, 2, 2, 160),  # each euro counts 2 on the handset's counter
        (ARABIC * 71, 2, 1, 70),
        ("a" * 2000, 14, 1840, 160),  # over the maximum too: the one-segment limit is the news
    ],
)
def test_a_long_text_is_refused_when_the_account_sends_single_segments(
    text, segments, excess, limit
):
    with pytest.raises(LongMessageNotAllowedError) as refused:
        check_length(encode(text), long_sms_allowed=False)

    assert (refused.value.segments, refused.value.excess) == (segments, excess)
    assert refused.value.limit == limit


@pytest.mark.parametrize(
    ("text", "max_segments", "segments"),
    [
        ("a" * (153 * MAX_SEGMENTS + 1), MAX_SEGMENTS, 11),
        (ARABIC * (67 * MAX_SEGMENTS + 1), MAX_SEGMENTS, 11),
        ("a" * 307, 2, 3),
    ],
)
def test_a_text_beyond_the_maximum_segments_is_refused(text, max_segments, segments):
    with pytest.raises(MessageTooLongError) as refused:
        check_length(encode(text), long_sms_allowed=True, max_segments=max_segments)

    assert (refused.value.segments, refused.value.limit) == (segments, max_segments)


def test_the_platform_maximum_is_ten_segments_or_1530_gsm7_characters():
    check_length(encode("a" * 1530), long_sms_allowed=True)

    with pytest.raises(MessageTooLongError):
        check_length(encode("a" * 1531), long_sms_allowed=True)


@pytest.mark.parametrize(
    "error",
    [
        InvalidValidityError(60),
        EmptyMessageError(),
        LongMessageNotAllowedError(2, 1, 160),
        MessageTooLongError(11, 10),
    ],
)
def test_every_refusal_is_a_message_error(error):
    assert isinstance(error, MessageError)
