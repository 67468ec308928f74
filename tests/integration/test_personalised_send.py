"""A personalised campaign is priced row by row: each rendered text by its own segments and
encoding, at its own destination's price, and the customer's balance moves by exactly that."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping

import pytest
from send_world import RETAIL_FR, RETAIL_TN, a_world

from portevoix.contacts.personalise import MISSING_FALLBACK, Template, personalised_rows
from portevoix.platform.sending import SendRequest

pytestmark = pytest.mark.timeout(120)

# No GSM-7 extension character ([ ] { } € ^ ~ | \) nor any character beyond U+FFFF in the
# template or the values, so the test can count segments by itself from the length alone.
TEMPLATE = Template.compile(
    "Bonjour $prenom {last_name}, votre commande [[param1]] est disponible. [v1]")
UNIT_PRICE = {"+33": RETAIL_FR, "+216": RETAIL_TN}


# The characters the recipients' texts are made of, all in the GSM 03.38 basic table; "Ł" is
# not, so a value holding it makes the whole row UCS-2.
GSM7_BASIC_SAMPLE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-'éèàù")


def expected_segments(text: str) -> tuple[bool, int]:
    """(UCS-2?, segments) by TS 23.038/23.040, for texts of basic GSM-7 characters or BMP
    characters only: 160/153 septets or 70/67 units per part."""
    ucs2 = any(char not in GSM7_BASIC_SAMPLE for char in text)
    single, part = (70, 67) if ucs2 else (160, 153)
    return ucs2, 1 if len(text) <= single else -(-len(text) // part)


def recipients(count: int) -> list[tuple[str, Mapping[str, str]]]:
    rng = random.Random(7)
    people: list[tuple[str, Mapping[str, str]]] = []
    for n in range(count):
        number = f"+2162{n:07d}" if n % 5 == 0 else f"+3361{n:07d}"
        first = rng.choice(["Zoé", "Luc", "Jean-Baptiste", "Marie-Hélène", "Łucja", ""])
        note = "Merci de votre confiance. " * rng.choice([0, 0, 1, 3, 5, 9, 12])
        values = {"first_name": first, "last_name": rng.choice(["Dupont", "N'Diaye", "Lé"]),
                  "param1": f"n{n:05d}", "v1": note.strip()}
        people.append((number, values))
    return people


def test_a_personalised_campaign_is_priced_by_each_rows_own_segments(database_url: str) -> None:
    people = recipients(10_000)
    rows = personalised_rows(TEMPLATE, people, on_missing=MISSING_FALLBACK,
                             fallback={"first_name": "cher client", "v1": "A bientot."})
    measured = [expected_segments(text) for _, text in rows]
    expected_price = sum(
        segments * UNIT_PRICE["+216" if number.startswith("+216") else "+33"]
        for (number, _), (_, segments) in zip(rows, measured, strict=True))
    spread = Counter((ucs2, segments) for ucs2, segments in measured)

    with a_world(database_url) as world:
        world.fund(10**9)
        before = world.available()
        result = world.services.sending.submit(SendRequest(world.customer, rows=rows))
        after = world.available()

    assert {(False, 1), (False, 2), (False, 3), (True, 1), (True, 2)} <= spread.keys()
    assert result.recipients == 10_000 and result.refused == ()
    assert result.segments == sum(segments for _, segments in measured)
    assert result.price == expected_price
    assert before - after == expected_price
