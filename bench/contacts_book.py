"""Address book at scale: 1,000,000 contacts for one customer, added through the service in
calls of 10,000 (the projection caught up after each), then the directory's queries timed.

    .venv/bin/python bench/contacts_book.py            # SQLite in a temporary directory
    .venv/bin/python bench/contacts_book.py sqlite:///var/bench/contacts.db [count]
    .venv/bin/python bench/contacts_book.py "postgresql://127.0.0.1:5432/test?schema=bench"

The last line: add_contacts_per_s=... search_name_ms=... search_number_ms=...
list_counts_ms=... (and the list search and recipients of a 100,000-member list).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from uuid import uuid4

from portevoix.contacts.fields import ContactFields
from portevoix.services import build_services
from portevoix.settings import Settings

CALL = 10_000
LAST = ["Dupont", "Martin", "Bernard", "Durand", "Lefèvre", "Moreau", "Laurent", "Simon",
        "Michel", "Garcia", "Benali", "Haddad", "Nguyen", "Rousseau", "Fontaine", "Chevalier"]
FIRST = ["Marie", "Jean", "Éloïse", "Karim", "Sophie", "Luc", "Nadia", "Paul", "Inès", "Hugo"]


def timed_ms(run: Callable[[], object], repeat: int = 7) -> float:
    run()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(url: str, count: int = 1_000_000) -> None:
    services = build_services(Settings(database_url=url))
    books, directory = services.address_books, services.contacts
    assert books is not None and directory is not None
    customer = uuid4()
    big = books.create_list(customer, "Cent mille")
    rng = random.Random(7)
    start = time.perf_counter()
    for first in range(0, count, CALL):
        batch = [ContactFields(
            f"+336{n:08d}", f"{rng.choice(LAST)}{n % 1000:03d}", rng.choice(FIRST),
            company="ACME" if n % 3 else "", custom=(str(n),))
            for n in range(first, min(first + CALL, count))]
        books.add_contacts(customer, batch, [big] if first < 100_000 else ())
        directory.catch_up()
        if (first // CALL) % 10 == 9:
            done = first + CALL
            print(f"{done} contacts, {done / (time.perf_counter() - start):.0f}/s", flush=True)
    add_rate = count / (time.perf_counter() - start)
    if services.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load
        with services.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE contacts; ANALYZE list_members")
    else:
        with services.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    search_name = timed_ms(lambda: directory.search(customer, text="dup"))
    page = directory.search(customer, text="dup")
    search_next = timed_ms(lambda: directory.search(customer, text="dup", after=page.next))
    search_number = timed_ms(lambda: directory.search(customer, number="06 0012"))
    search_list = timed_ms(lambda: directory.search(customer, list_id=big))
    search_newest = timed_ms(lambda: directory.search(customer))
    list_counts = timed_ms(lambda: directory.lists(customer))
    recipients = timed_ms(lambda: sum(1 for _ in directory.recipients(customer, [big])), 3)
    members = sum(1 for _ in directory.recipients(customer, [big]))
    assert members == min(count, 100_000), members
    services.close()
    print(f"add_contacts_per_s={add_rate:.0f} search_name_ms={search_name:.1f} "
          f"search_number_ms={search_number:.1f} list_counts_ms={list_counts:.1f} "
          f"search_name_next_ms={search_next:.1f} search_list_ms={search_list:.1f} "
          f"search_newest_ms={search_newest:.1f} recipients_100k_ms={recipients:.0f}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    else:  # one command: SQLite in a temporary directory
        with tempfile.TemporaryDirectory(prefix="portevoix-bench-book-") as folder:
            main(f"sqlite:///{folder}/contacts.db")
