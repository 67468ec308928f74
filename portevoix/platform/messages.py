"""A message's send options and the length rules it must meet, as values and errors.

The options are those the services in ``seeds/`` offer per message: flash (shown at once,
not stored by the handset) and a validity period (how long the SMSC keeps retrying an
unreachable handset). The length rules decide, from the ``segments.Encoded`` text, whether
the account may send it: not empty, a single segment unless the account's long-SMS option is
on, and never more than ``MAX_SEGMENTS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from portevoix.platform.segments import LIMITS, Encoded

# SMPP validity_period bounds we accept. Below an hour a handset briefly out of coverage
# misses the message; SMSCs cap retries at a few days anyway, and a message still queued after
# three days (a promotion, a code, a reminder) is more likely to annoy than to help.
MIN_VALIDITY_S = 3600
MAX_VALIDITY_S = 3 * 86400

# Concatenated parts in one message: 1530 GSM-7 or 670 UCS-2 characters. The 8-bit
# concatenation reference allows 255 parts, but handsets and operators reassemble reliably
# only up to about 10 (beyond, parts go missing or show apart), and a runaway personalised
# field would multiply the cost by every recipient of the campaign.
MAX_SEGMENTS = 10


class MessageError(Exception):
    """Base of every refusal of a message's text or options."""


class InvalidValidityError(MessageError):
    def __init__(self, validity_s: object) -> None:
        super().__init__(
            f"validity must be a whole number of seconds from {MIN_VALIDITY_S} to "
            f"{MAX_VALIDITY_S}, got {validity_s!r}"
        )
        self.validity_s = validity_s
        self.minimum, self.maximum = MIN_VALIDITY_S, MAX_VALIDITY_S


class EmptyMessageError(MessageError):
    def __init__(self) -> None:
        super().__init__("the message has no text, or only spaces and line breaks")


class LongMessageNotAllowedError(MessageError):
    """The text needs several segments and the account's long-SMS option is off."""

    def __init__(self, segments: int, excess: int, limit: int) -> None:
        super().__init__(
            f"long messages are off for this account and the text needs {segments} segments: "
            f"{excess} characters over the {limit} of a single one"
        )
        self.segments, self.excess, self.limit = segments, excess, limit


class MessageTooLongError(MessageError):
    def __init__(self, segments: int, limit: int) -> None:
        super().__init__(f"the text needs {segments} segments; at most {limit} are sent")
        self.segments, self.limit = segments, limit


@dataclass(frozen=True)
class MessageOptions:
    """How one message is sent. ``validity_s`` None leaves the SMSC's default."""

    flash: bool = False
    validity_s: int | None = None

    def validate(self) -> None:
        """Refuse a validity that is not an ``int`` (``bool`` neither) within 1 hour .. 3 days."""
        validity_s = self.validity_s
        if validity_s is None:
            return
        if type(validity_s) is not int or not MIN_VALIDITY_S <= validity_s <= MAX_VALIDITY_S:
            raise InvalidValidityError(validity_s)


def check_length(
    encoded: Encoded, long_sms_allowed: bool, max_segments: int = MAX_SEGMENTS
) -> None:
    """Refuse a text that is blank, needs several segments where only one is allowed, or
    more than ``max_segments``.

    A text of only whitespace is refused as empty: it is a template whose fields all came out
    empty, or a slip, never something to pay for. ``excess`` of a long message counts units
    (septets, where ``€`` is 2, or UTF-16 units) beyond a single segment, which is what a
    person counts as characters on the handset's counter.
    """
    if not encoded.text.strip():
        raise EmptyMessageError()
    segments = encoded.segments
    if segments > 1 and not long_sms_allowed:
        # Checked before the maximum: with long messages off, one segment is the limit to meet.
        single = LIMITS[encoded.encoding].single
        raise LongMessageNotAllowedError(segments, encoded.units - single, single)
    if segments > max_segments:
        raise MessageTooLongError(segments, max_segments)
