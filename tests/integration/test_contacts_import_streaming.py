"""A 1,000,000-row file is imported in bounded memory: rows are streamed, and what grows is
the set of E.164 numbers seen (for duplicates within the file; about 74 bytes a number),
not the rows; the number parser's cache is bounded (``importing.PARSER_CACHE``).

Holding the rows would need about 295 MB as the reader's lists of strings, about 505 MB with
their contacts (measured on 10,000 rows and scaled). The dry run runs in a child process
(so nothing else of the test run counts) and its peak RSS growth is asserted under 200 MB:
RSS counts everything, C allocations and the allocator's unreturned pages included.
``tracemalloc`` was tried and made the run about 8 times slower (over two minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)

ROWS = 1_000_000
BOUND_MB = 200

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from uuid import uuid4
    from portevoix.contacts.importing import (
        TARGET_LIST, ImportRequest, dry_run)
    from portevoix.contacts.import_store import ServicesImportStore
    from portevoix.contacts.mapping import Mapping
    from portevoix.services import build_services
    from portevoix.settings import Settings

    folder = Path(sys.argv[1])
    services = build_services(Settings(database_url=f"sqlite:///{folder}/portevoix.db",
                                       secret_key="test"))
    mapping = Mapping(("number", "last_name", "first_name"), has_header=True)
    request = ImportRequest(uuid4(), TARGET_LIST, mapping, new_list_name="Million")
    store = ServicesImportStore(services)
    dry_run(folder / "warm.csv", request, store)  # modules and numbering plans loaded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = dry_run(folder / "million.csv", request, store)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    services.close()
    print(json.dumps({"rows_read": report.rows_read, "invalid": report.invalid,
                      "duplicates_in_file": report.duplicates_in_file,
                      "to_write": report.to_write, "seconds": elapsed,
                      "growth_mb": (after - before) / 1024, "peak_mb": after / 1024}))
""")


def write_million(path: Path) -> None:
    """1,000,000 rows of mobiles in national form with two name columns; one row in a
    thousand has a bad number, one in a thousand repeats the number of the row before."""
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("Portable;Nom;Prénom\n")
        lines = []
        for n in range(ROWS):
            m = n - 1 if n % 1000 == 999 else n
            number = "06 12" if n % 1000 == 500 else (
                f"06 {m // 1_000_000 % 100:02d} {m // 10_000 % 100:02d} "
                f"{m // 100 % 100:02d} {m % 100:02d}")
            lines.append(f"{number};Nom{n % 97};Prénom{n % 89}\n")
            if len(lines) == 10_000:
                file.writelines(lines)
                lines.clear()
        file.writelines(lines)


def test_a_million_row_dry_run_streams_in_bounded_memory(tmp_path: Path) -> None:
    write_million(tmp_path / "million.csv")
    (tmp_path / "warm.csv").write_text("Portable;Nom;Prénom\n06 12 34 56 78;Dupont;Jean\n",
                                       encoding="utf-8")

    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True,
                           text=True, timeout=170, check=False)

    assert child.returncode == 0, child.stderr[-2000:]
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"1,000,000-row dry run: {measured['seconds']:.1f} s, peak RSS growth "
          f"{measured['growth_mb']:.0f} MB (peak {measured['peak_mb']:.0f} MB)")
    assert (measured["rows_read"], measured["invalid"], measured["duplicates_in_file"]) == (
        ROWS, 1000, 1000)
    assert measured["to_write"] == ROWS - 2000
    assert measured["growth_mb"] < BOUND_MB
