"""Contact import throughput: a 200,000-row XLSX dry run, then its commit into a new list.

The file has French headers (Portable, Nom, Prénom, E-mail, Société); its numbers are mostly
national ("06 12 34 56 78"), some international ("+33 7...", "0033 6...", "+216 ..."), with
1 % invalid numbers and 1 % repeated ones. Its text is in a shared-strings table, as Excel,
LibreOffice and Google Sheets save it (``--inline-strings`` writes it inline, as openpyxl
does). It is written by a subprocess, so the peak RSS measured here (``ru_maxrss`` of this
process) is the import's: reading, checking and writing into real services on SQLite in a
temporary directory.

Where the time goes (200,000 rows, measured here): the dry run about 4 s (a second process
reads the XLSX, about 3 s, while this one reads the numbers and checks the rows, and spools
the accepted ones);
the commit about 4.5 s (the spool read back, each contact sealed with its own key, the keys
and the events saved). The cyclic garbage collector is paused meanwhile (it took 6 s).

The last line holds ``import_rows_per_s`` (rows / (dry-run + commit seconds), the median of
``--rounds`` rounds, each in a process of its own, into fresh services) and ``peak_rss_mb``
(the highest of the rounds: during the dry run, this process's peak so far plus that of the
process reading the file; then this process's peak once the commit is done). Targets: at
least 20,000 rows/s and at most 300 MB. ``projected_rows_per_s`` tells how fast the
projections then make the contacts searchable (not part of the import's figure).

    .venv/bin/python bench/contacts.py [--rows 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from uuid import uuid4
from xml.sax.saxutils import escape

FIRST = ["Marie", "Jean-Pierre", "Zoé", "Anaïs", "Mohamed", "Ève", "Chloé", "Noël", "Luc"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "N'Diaye", "Lefèvre"]
COMPANIES = ["", "", "ACME SARL", "Boulangerie Dupont", "Mairie de Hédé", "L2T"]


def number(rng: random.Random, n: int) -> str:
    """A distinct mobile for row ``n``, written as people do; 1 % are not numbers at all."""
    roll = rng.random()
    if roll < 0.01:
        return rng.choice(["0612", "06abc12345", "", "01 44 55 66 77"])
    digits = f"{n:08d}"
    if roll < 0.75:
        return f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
    if roll < 0.85:
        return f"+337{50 + n % 50}{digits[2:]}"
    if roll < 0.95:
        return f"0033 6.{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
    return f"+216 2{n % 10} {digits[2:5]} {digits[5:]}"


def table(rows: int) -> Iterator[list[str]]:
    rng = random.Random(7)
    yield ["Portable", "Nom", "Prénom", "E-mail", "Société"]
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row_number = n - 1 if n and rng.random() < 0.01 else n  # 1 % repeat the previous
        email = f"{first[0].lower()}.{n}@example.fr" if rng.random() < 0.6 else ""
        yield [number(rng, row_number), last, first, email, rng.choice(COMPANIES)]


def generate(path: Path, rows: int, inline_strings: bool) -> None:
    """Write the file (runs in a subprocess: its memory is not the import's): with shared
    strings as Excel, LibreOffice and Google Sheets save, or inline as openpyxl does."""
    if inline_strings:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Contacts")
        for row in table(rows):
            sheet.append(row)
        book.save(path)
        return
    strings: dict[str, int] = {}
    lines = []
    for r, row in enumerate(table(rows), 1):
        cells = "".join(
            f'<c r="{"ABCDE"[c]}{r}" t="s"><v>{strings.setdefault(text, len(strings))}</v></c>'
            for c, text in enumerate(row) if text)
        lines.append(f'<row r="{r}">{cells}</row>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{_MAIN}"><sheetData>'
                         + "".join(lines) + "</sheetData></worksheet>")
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_MAIN}" count="{len(strings)}" '
                         f'uniqueCount="{len(strings)}">{items}</sst>')


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_XL = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_XL}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_XL}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_XL}.sharedStrings+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="Contacts" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--inline-strings", action="store_true",
                        help="write the cells' text inline, as openpyxl does")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round is not None:
        print(json.dumps(one_round(*args.round)))
        return
    if args.generate is not None:
        generate(args.generate, args.rows, args.inline_strings)
        return

    with tempfile.TemporaryDirectory(prefix="portevoix-bench-contacts-") as tmp:
        path = Path(tmp) / "contacts.xlsx"
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(path), "--rows",
                        str(args.rows), *(["--inline-strings"] if args.inline_strings else [])],
                       check=True)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} MB)")
        figures = []
        for n in range(1, args.rounds + 1):  # each in a process of its own: its own peak
            done = subprocess.run([sys.executable, __file__, "--round", str(path),
                                   str(Path(tmp) / f"round{n}")],
                                  check=True, capture_output=True, text=True)
            figures.append(json.loads(done.stdout.splitlines()[-1]))
            print(f"round {n}: {figures[-1]['detail']}")
    medians = {name: statistics.median(f[name] for f in figures)
               for name in ("import_rows_per_s", "projected_rows_per_s")}
    peak = max(f["peak_rss_mb"] for f in figures)
    print(f"import_rows_per_s={medians['import_rows_per_s']:.0f} peak_rss_mb={peak:.0f} "
          f"projected_rows_per_s={medians['projected_rows_per_s']:.0f}")


def one_round(path: Path, folder: Path) -> dict[str, object]:
    """Dry run and commit into fresh services, in this process (started for it); the peak
    RSS is read when the commit is done, before the projections catch up."""
    from portevoix.contacts.files import open_table
    from portevoix.contacts.import_store import ServicesImportStore
    from portevoix.contacts.importing import TARGET_LIST, ImportRequest, commit, dry_run
    from portevoix.contacts.mapping import guess_mapping
    from portevoix.services import build_services
    from portevoix.settings import Settings

    folder.mkdir()
    services = build_services(Settings(database_url=f"sqlite:///{folder}/portevoix.db",
                                       secret_key="bench"))
    try:
        store = ServicesImportStore(services)
        mapping = guess_mapping(list(islice(open_table(path).rows(), 20)), TARGET_LIST)
        request = ImportRequest(uuid4(), TARGET_LIST, mapping, new_list_name="Bench")
        spool = folder / "contacts.spool"  # as the API's imports keep one
        started = time.perf_counter()
        report = dry_run(path, request, store, spool=spool)
        dry_s = time.perf_counter() - started
        dry_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the reader's is over
        started = time.perf_counter()
        written = commit(path, request, report.fingerprint, store, spool=spool)
        commit_s = time.perf_counter() - started
        reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak = max(dry_peak + reader, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
        started = time.perf_counter()
        services.catch_up()  # the contacts searchable: not part of the import's figure
        project_s = time.perf_counter() - started
    finally:
        services.close()
    detail = (f"dry run {dry_s:.2f} s (read {report.rows_read:,} valid {report.valid:,} "
              f"normalised {report.normalised:,} invalid {report.invalid:,} landlines "
              f"{report.landlines:,} duplicates {report.duplicates_in_file:,}), commit "
              f"{commit_s:.2f} s (wrote {written.to_write:,}), projections {project_s:.2f} s")
    return {"import_rows_per_s": report.rows_read / (dry_s + commit_s), "peak_rss_mb": peak,
            "projected_rows_per_s": written.to_write / project_s, "detail": detail}


if __name__ == "__main__":
    main()
