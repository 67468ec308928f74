"""Receipt invariants: any receipt text an SMSC could write, in any case and spacing, reads
back as its fields; one id written in hex or decimal meets itself; combining segment statuses
does not depend on their order."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from portevoix.platform.smpp.receipts import (
    AS_IS,
    DEC,
    EXPIRED,
    FAILED,
    HEX,
    RECEIVED,
    STATUSES,
    combine,
    normalise_id,
    parse_receipt_text,
)

STAT_WORDS = [
    "DELIVRD", "ENROUTE", "ACCEPTD", "EXPIRED", "UNDELIV", "REJECTD", "DELETED", "UNKNOWN",
]

dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))
ids = st.one_of(
    st.integers(0, 10**10 - 1).map(lambda n: f"{n:010d}"),
    st.integers(0, 2**64 - 1).map(lambda n: f"{n:X}"),
    st.text("abcdef0123456789-", min_size=1, max_size=36),
)
# Message text: anything printable, colons and key-like words included; the SMSC's first 20
# characters, which it writes without surrounding space.
message_texts = st.text(
    st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x24F), st.just(":")), max_size=20
).map(str.strip)
spaces = st.sampled_from(["", " ", "  "])
separators = st.sampled_from([" ", "  "])


def cased(draw: st.DrawFn, key: str) -> str:
    return draw(st.sampled_from([key, key.upper(), key.capitalize()]))


@st.composite
def receipts(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A receipt text and the fields it holds: keys in any case, spaces after the colons, dates
    to the minute or the second."""
    seconds = draw(st.booleans())
    fields: dict[str, object] = {
        "id": draw(ids),
        "sub": draw(st.integers(0, 999)),
        "dlvrd": draw(st.integers(0, 999)),
        "submit date": draw(dates).replace(microsecond=0, **({} if seconds else {"second": 0})),
        "done date": draw(dates).replace(microsecond=0, **({} if seconds else {"second": 0})),
        "stat": draw(st.sampled_from(STAT_WORDS)),
        "err": f"{draw(st.integers(0, 999)):03d}",
        "text": draw(message_texts),
    }
    words = []
    for key, value in fields.items():
        if isinstance(value, datetime):
            written = value.strftime("%y%m%d%H%M%S" if seconds else "%y%m%d%H%M")
        elif isinstance(value, int):
            written = f"{value:03d}"
        else:
            written = str(value)
        if key == "stat":
            written = draw(st.sampled_from([written, written.lower()]))
        words.append(f"{cased(draw, key)}:{draw(spaces)}{written}{draw(separators)}")
    return "".join(words), fields


@given(receipts())
def test_a_receipt_text_reads_back_as_its_fields(receipt):
    text, fields = receipt

    parsed = parse_receipt_text(text)

    assert parsed.id == fields["id"]
    assert (parsed.sub, parsed.dlvrd) == (fields["sub"], fields["dlvrd"])
    assert (parsed.submit_date, parsed.done_date) == (fields["submit date"], fields["done date"])
    assert (parsed.stat, parsed.err, parsed.text) == (fields["stat"], fields["err"], fields["text"])


@given(st.integers(0, 2**64 - 1), st.integers(0, 12))
def test_one_id_in_hex_and_in_padded_decimal_meets_itself(number, padding):
    decimal = f"{number:0{padding}d}"

    assert normalise_id(f"{number:X}", HEX) == normalise_id(decimal, DEC)
    assert normalise_id(f"{number:x}", HEX) == normalise_id(decimal, AS_IS)


@given(st.text(max_size=20))
def test_as_is_normalising_is_idempotent(value):
    once = normalise_id(value, AS_IS)

    assert normalise_id(once, AS_IS) == once


statuses = st.lists(st.sampled_from(STATUSES), min_size=1, max_size=8)


@given(statuses, st.randoms(use_true_random=False))
def test_combining_does_not_depend_on_the_order_of_segments(segment_statuses, rng):
    shuffled = list(segment_statuses)
    rng.shuffle(shuffled)

    assert combine(shuffled) == combine(segment_statuses)


@given(statuses, st.integers(0, 3))
def test_a_long_message_is_received_only_when_every_segment_is(segment_statuses, missing):
    combined = combine(segment_statuses, parts=len(segment_statuses) + missing)

    assert (combined == RECEIVED) == (missing == 0 and set(segment_statuses) == {RECEIVED})
    assert (combined == FAILED) == (FAILED in segment_statuses)
    if combined == EXPIRED:
        assert EXPIRED in segment_statuses
