"""How a file's row becomes what an import writes: a contact (checked), a personalised
row's values, or only its number (the blacklist); and the consent columns' dates."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter

from portevoix.contacts.fields import Consent, ContactFields
from portevoix.contacts.mapping import CONSENT_FIELDS, CUSTOM_FIELDS, IGNORE, NUMBER, Mapping

TARGET_LIST, TARGET_BLACKLIST, TARGET_PERSONALISED = "list", "blacklist", "personalised"
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y")

_SCALARS = ("last_name", "first_name", "email", "company", "notes")
RowBuilder = Callable[[list[str], str], ContactFields | dict[str, str] | None]


def row_builder(target: str, mapping: Mapping, default_consent: Consent | None
                ) -> RowBuilder:
    """How a row with a valid number becomes a contact (checked), a personalised row's
    values, or nothing more (the blacklist keeps only numbers). Raises ContactsError or
    ValueError with the reason a row is invalid."""
    columns = mapping.columns
    if target == TARGET_BLACKLIST:
        return lambda row, e164: None
    wanted = [(i, name) for i, name in enumerate(columns) if name not in (IGNORE, NUMBER)]
    if target == TARGET_PERSONALISED:

        def values(row: Sequence[str], e164: str) -> dict[str, str]:
            found = {name: (row[i] if i < len(row) else "") for i, name in wanted}
            found[NUMBER] = e164
            return found

        return values
    customs = [(i, CUSTOM_FIELDS.index(name)) for i, name in wanted if name in CUSTOM_FIELDS]
    consents = [(i, name) for i, name in wanted if name in CONSENT_FIELDS]
    slots = max((slot + 1 for _, slot in customs), default=0)
    # Each scalar field's column, or the blank cell appended past the mapped ones.
    blank = len(columns)
    scalars = itemgetter(*(columns.index(name) if name in columns else blank
                           for name in _SCALARS))
    padding = [""] * (blank + 1)

    def contact(row: list[str], e164: str) -> ContactFields:
        n = len(row)
        if n == blank:
            row.append("")  # the reader's list, ours alone
        elif n != blank + 1 or row[blank]:
            row = [*row[:blank], *padding[min(n, blank):]]
        last_name, first_name, email, company, notes = scalars(row)
        custom: tuple[str, ...] = ()
        if customs:
            values = [""] * slots
            for i, slot in customs:
                values[slot] = row[i]
            while values and not values[-1]:
                values.pop()
            custom = tuple(values)
        consent = row_consent(row, consents) if consents else None
        found = ContactFields(e164, last_name, first_name, email, company, custom, notes,
                              consent or default_consent)
        found.check()
        return found

    return contact


def row_consent(row: Sequence[str], columns: Iterable[tuple[int, str]]) -> Consent | None:
    """A row's consent from its consent columns; None when they are all empty."""
    cells = {name: row[i] for i, name in columns if i < len(row) and row[i]}
    if not cells:
        return None
    if "consent_date" not in cells:
        raise ValueError("consent_date is empty while other consent columns are filled")
    source = cells.get("consent_source", "import").casefold().replace(" ", "_")
    channel = cells.get("consent_channel", "sms").casefold().replace(" ", "_")
    return Consent(source=source.replace("-", "_"), given_at=parse_date(cells["consent_date"]),
                   wording=cells.get("consent_wording", ""), channel=channel.replace("-", "_"))


def parse_date(text: str) -> datetime:
    """A consent date as files write it: ISO 8601 ("2025-03-31", "2025-03-31 14:05:00",
    with or without an offset) or French day first ("31/03/2025", "31/03/2025 14:05").
    A time without a zone is taken as UTC."""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        for form in _DATE_FORMATS:
            try:
                found = datetime.strptime(text, form)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"consent_date {text!r} is no date such as 2025-03-31 or "
                             "31/03/2025") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


