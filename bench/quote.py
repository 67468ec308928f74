"""Quote throughput: 100,000 recipients (mixed countries and formats, duplicates, 5 % invalid)
for one personalised text, priced per recipient by its own rendered length.

Each round uses a fresh NumberParser, so the figure includes parsing every distinct number.
The last line holds the median of three rounds as ``recipients_per_s=N``.

    .venv/bin/python bench/quote.py [--recipients 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from portevoix.platform.numbers import NumberParser
from portevoix.platform.prices import SMS, PriceEntry, PriceTable
from portevoix.platform.quotes import Terms, quote

ROUNDS = 3
# (share, how to write a random valid mobile of that country, as people paste it)
STYLES = [
    (0.30, lambda r: f"06 {r.choice('0124578')}{r.randint(0, 9)} {r.randint(10, 99)} "
                     f"{r.randint(10, 99)} {r.randint(10, 99)}"),
    (0.15, lambda r: f"+337{r.choice('56789')}{r.randint(1_000_000, 9_999_999)}"),
    (0.10, lambda r: f"00336.{r.choice('0124578')}{r.randint(0, 9)}.{r.randint(10, 99)}."
                     f"{r.randint(10, 99)}.{r.randint(10, 99)}"),
    (0.10, lambda r: f"216{r.choice('2594')}{r.randint(1_000_000, 9_999_999)}"),
    (0.08, lambda r: f"+44 7{r.choice('45789')}{r.randint(10_000_000, 99_999_999)}"),
    (0.08, lambda r: f"+32 4{r.choice('789')}{r.randint(1_000_000, 9_999_999)}"),
    (0.08, lambda r: f"2126{r.randint(10_000_000, 99_999_999)}"),
    (0.06, lambda r: f"+590 690 {r.randint(100_000, 999_999)}"),
]
INVALID = ["0612", "06abc12345", "+999123456789", "0033", "", "36180", "0142685300"]
NAMES = ["Marie", "Jean-Pierre", "Zoé", "Anaïs", "Mohamed", "محمد", "Ève", "Chloé", "Li", "Noël"]
TEXT = ("Bonjour {name}, votre rendez-vous du {day}/12 à {hour}h est confirmé. "
        "Merci de votre confiance. STOP au 36180")


def recipients(count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    weights = [share for share, _ in STYLES]
    writers = [write for _, write in STYLES]
    messages: list[tuple[str, str]] = []
    while len(messages) < count:
        roll = rng.random()
        if roll < 0.05:
            number = rng.choice(INVALID)
        elif roll < 0.15 and messages:
            number = rng.choice(messages)[0]  # a duplicate
        else:
            number = rng.choices(writers, weights)[0](rng)
        text = TEXT.format(name=rng.choice(NAMES), day=rng.randint(1, 28),
                           hour=rng.randint(8, 19))
        messages.append((number, text))
    return messages


def terms() -> Terms:
    countries = ["FR", "TN", "GB", "BE", "MA", "GP", "MQ", "RE"]
    retail = PriceTable([PriceEntry(c, "", SMS, 650 + 100 * i) for i, c in enumerate(countries)])
    wholesale = PriceTable([PriceEntry(c, "", SMS, 450 + 80 * i)
                            for i, c in enumerate(countries)])
    return Terms(retail=retail, wholesale=wholesale, overseas_allowed=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    messages, pricing = recipients(args.recipients), terms()
    rates = []
    for _ in range(ROUNDS):
        numbers = NumberParser("FR")
        started = time.perf_counter()
        result = quote(pricing, numbers, messages)
        rates.append(len(messages) / (time.perf_counter() - started))
        print(f"quoted {len(result.lines):,} refused {len(result.refused):,} "
              f"duplicates {len(result.duplicates):,} segments {result.total_segments:,} "
              f"in {len(messages) / rates[-1]:.3f} s", flush=True)
    print(f"recipients_per_s={statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
