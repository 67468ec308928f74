"""Which field each column of an imported file holds, and a first guess of it from the file.

The user chooses the mapping; we propose one from the first rows. Header words are compared
folded: case, accents, spaces and punctuation ignored, so "Téléphone portable", "E-mail",
"PRENOM" and "Last name" all match (French and English, seeds 002 "CARNET D'ADRESSES" and
004 §5c). A personalised-send sheet also has value columns: L2T's ``param1``..``paramN``
(seed 004 §6) and the ``[v1]``..``[v3]`` variables of 123-SMS and SMStoB (seeds 000 §5,
001 §6), whose files head them "Variable 1"; in a list import those become custom fields.

Columns past the end of the mapping are ignored; a mapping may name fewer columns than the
file has, never more (see :meth:`Mapping.fit`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

NUMBER, IGNORE = "number", "ignore"
CUSTOM_FIELDS = tuple(f"custom{n}" for n in range(1, 11))
CONSENT_FIELDS = ("consent_source", "consent_date", "consent_wording", "consent_channel")
FIELDS = (NUMBER, "last_name", "first_name", "email", "company", *CUSTOM_FIELDS, "notes",
          *CONSENT_FIELDS, IGNORE)
# Value columns of a personalised-send sheet (the keys of ``markers.py``).
V_FIELDS = ("v1", "v2", "v3")
PARAM_FIELDS = tuple(f"param{n}" for n in range(1, 100))
PERSONALISED_FIELDS = V_FIELDS + PARAM_FIELDS
ALL_FIELDS = frozenset(FIELDS + PERSONALISED_FIELDS)

# Targets as importing.py names them; guessing differs only for personalised sheets.
_PERSONALISED = "personalised"

_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    NUMBER: (
        "number", "numero", "num", "no", "n", "portable", "mobile", "telephone", "tel", "gsm",
        "phone", "phonenumber", "mobilephone", "cellphone", "cell", "msisdn", "destinataire",
        "numerodetelephone", "numerotelephone", "numeroportable", "numeromobile",
        "numerodemobile", "ndemobile", "nmobile", "nomobile", "telportable",
        "telephoneportable", "telephonemobile", "mobilenumber", "numtel", "recipient",
    ),
    "last_name": ("nom", "nomdefamille", "lastname", "surname", "familyname", "name", "nom1"),
    "first_name": ("prenom", "firstname", "givenname", "forename", "prenom1"),
    "email": ("email", "mail", "courriel", "adressemail", "adresseemail", "emailaddress",
              "adressecourriel", "mel"),
    "company": ("societe", "entreprise", "company", "organisation", "organization",
                "raisonsociale", "etablissement", "companyname", "employer", "structure"),
    "notes": ("notes", "note", "remarque", "remarques", "commentaire", "commentaires",
              "comment", "comments", "observations", "observation"),
    "consent_source": ("consentsource", "sourceconsentement", "sourceduconsentement",
                       "origineconsentement", "origineduconsentement", "optinsource"),
    "consent_date": ("consentdate", "dateconsentement", "dateduconsentement", "optindate",
                     "dateoptin", "consentgivenat"),
    "consent_wording": ("consentwording", "libelleconsentement", "texteconsentement",
                        "texteduconsentement", "optinwording"),
    "consent_channel": ("consentchannel", "canalconsentement", "canalduconsentement"),
}
_WORD_FIELD = {word: name for name, words in _HEADER_WORDS.items() for word in words}
# Words a longer header contains ("telephoneclient", "nomdelasociete"), in the order they
# are tried: "prenom" before "nom", "societe" before "nom", the number words last but "nom".
_CONTAINED = (
    ("prenom", "first_name"), ("firstname", "first_name"),
    ("societe", "company"), ("entreprise", "company"), ("company", "company"),
    ("courriel", "email"), ("email", "email"),
    ("portable", NUMBER), ("mobile", NUMBER), ("telephone", NUMBER), ("phone", NUMBER),
    ("gsm", NUMBER),
    ("lastname", "last_name"), ("nom", "last_name"),
)
_NUMBERED = re.compile(r"(param|variable|var|v|custom|champ|champlibre|perso)([0-9]{1,2})")
_PHONE_LIKE = re.compile(r"\+?[0-9]{6,16}")
_SEPARATORS = dict.fromkeys(map(ord, " .-/()\u00a0"), None)


class MappingError(ValueError):
    """A column mapping that cannot be used; the message names the columns and fields."""


@dataclass(frozen=True)
class Mapping:
    """The field of each column of the file, in order ("ignore" skips a column), and
    whether the file's first row is a header. Exactly one column is the number; no other
    field is named twice."""

    columns: tuple[str, ...]
    has_header: bool

    def __post_init__(self) -> None:
        unknown = [(i, f) for i, f in enumerate(self.columns, 1) if f not in ALL_FIELDS]
        if unknown:
            index, name = unknown[0]
            raise MappingError(f"column {index}: unknown field {name!r}; "
                               f"use one of {', '.join(FIELDS)}, v1..v3 or param1..param99")
        numbers = [i for i, f in enumerate(self.columns, 1) if f == NUMBER]
        if not numbers:
            raise MappingError("no column is the phone number: choose one")
        if len(numbers) > 1:
            raise MappingError(f"columns {', '.join(map(str, numbers))} are all the phone "
                               "number: choose one")
        seen: dict[str, int] = {}
        for index, name in enumerate(self.columns, 1):
            if name != IGNORE and name in seen:
                raise MappingError(f"columns {seen[name]} and {index} are both {name!r}")
            seen[name] = index

    @property
    def number_column(self) -> int:
        """0-based index of the number column."""
        return self.columns.index(NUMBER)

    def fit(self, width: int) -> None:
        """Refuse a mapping that names a field for a column the file does not have
        (``width`` is the widest of its first rows)."""
        beyond = [name for name in self.columns[width:] if name != IGNORE]
        if beyond:
            raise MappingError(f"the mapping names {len(self.columns)} columns but the file "
                               f"has {width}: no column for {', '.join(beyond)}")

    def check_target(self, personalised: bool) -> None:
        """Personalised value columns (``v1``, ``param1``...) belong to a personalised sheet."""
        if personalised:
            return
        stray = [name for name in self.columns if name in PERSONALISED_FIELDS]
        if stray:
            raise MappingError(f"{', '.join(stray)} are columns of a personalised send; "
                               "map them to custom1..custom10 to keep them in a list")


def fold(header: str) -> str:
    """A header as compared: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def header_field(header: str, target: str = "list") -> str | None:
    """The field a header names, or None when it is no header word we know."""
    folded = fold(header)
    if not folded:
        return None
    found = _WORD_FIELD.get(folded)
    if found is not None:
        return found
    numbered = _NUMBERED.fullmatch(folded)
    if numbered is not None:
        return _numbered_field(numbered.group(1), int(numbered.group(2)), target)
    for word, name in _CONTAINED:
        if word in folded:
            return name
    return None


def _numbered_field(kind: str, n: int, target: str) -> str | None:
    personalised = target == _PERSONALISED
    if kind == "param" and 1 <= n <= len(PARAM_FIELDS):
        return f"param{n}" if personalised else _custom(n)
    if kind in ("variable", "var", "v") and 1 <= n <= len(V_FIELDS):
        return f"v{n}" if personalised else _custom(n)
    return _custom(n)


def _custom(n: int) -> str | None:
    return f"custom{n}" if 1 <= n <= len(CUSTOM_FIELDS) else None


def looks_like_phone_number(cell: str) -> bool:
    """Digits (6 to 16, separators and a leading + allowed): a guess, not a validation."""
    return bool(_PHONE_LIKE.fullmatch(cell.translate(_SEPARATORS)))


def guess_mapping(first_rows: Sequence[Sequence[str]], target: str = "list") -> Mapping:
    """A mapping proposed from the first rows of a file (20 or so are plenty).

    The first row is a header when none of its cells looks like a phone number and either
    at least half of its cells are header words, or it holds text where the rows below hold
    phone numbers. Header columns get the field their word names (a field claimed twice
    goes to its first column; two number headers go to the one whose cells look most like
    numbers). Without a header, or when no header names the number, the column with the
    most phone-number-looking cells is the number. Raises MappingError when nothing looks
    like a phone number.
    """
    rows = [list(row) for row in first_rows if any(cell.strip() for cell in row)]
    if not rows:
        raise MappingError("the file has no rows to guess the columns from")
    width = max(len(row) for row in rows)
    first, below = rows[0], rows[1:]
    phone_counts = [sum(_phone_at(row, i) for row in below) for i in range(width)]
    named = [header_field(cell, target) for cell in first]
    has_header = _is_header(first, named, phone_counts)
    data = below if has_header else rows
    columns = [IGNORE] * width
    if has_header:
        _assign_header_fields(columns, named, phone_counts)
    if NUMBER not in columns:
        counts = [sum(_phone_at(row, i) for row in data) for i in range(width)]
        free = [i for i in range(width) if columns[i] == IGNORE and counts[i] > 0]
        if not free:
            raise MappingError("no column looks like phone numbers: choose the number column")
        columns[max(free, key=lambda i: (counts[i], -i))] = NUMBER
    return Mapping(tuple(columns), has_header)


def _phone_at(row: Sequence[str], index: int) -> bool:
    return index < len(row) and looks_like_phone_number(row[index])


def _is_header(first: Sequence[str], named: Sequence[str | None],
               phone_counts: Sequence[int]) -> bool:
    cells = [cell for cell in first if cell.strip()]
    if any(looks_like_phone_number(cell) for cell in cells):
        return False
    if 2 * sum(name is not None for name in named) >= len(cells):
        return True
    # Text above a column of numbers: a header in words we do not know.
    best = max(range(len(phone_counts)), key=lambda i: phone_counts[i], default=None)
    return best is not None and phone_counts[best] > 0 and best < len(first) \
        and bool(first[best].strip())


def _assign_header_fields(columns: list[str], named: Sequence[str | None],
                          phone_counts: Sequence[int]) -> None:
    number_columns = [i for i, name in enumerate(named) if name == NUMBER]
    if number_columns:
        columns[max(number_columns, key=lambda i: (phone_counts[i], -i))] = NUMBER
    for index, name in enumerate(named):
        if name is not None and name != NUMBER and name not in columns:
            columns[index] = name
