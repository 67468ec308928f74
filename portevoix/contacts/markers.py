"""Personalisation markers: every style our customers bring, compiled once, rendered fast.

One template language reads the markers of every service we replace, so a customer pastes
the text it used before and it works:

- ``[v1]`` ``[v2]`` ``[v3]``: the variable columns of a contact file (123-SMS and SMStoB,
  seeds 000 §5 and 001 §6), keys ``v1``..``v3``.
- ``[nom]``: the contact's name (seed 000 §5). 123-SMS contacts carry ONE name ("fichier de
  contacts (nom, numéro)", seed 000 §7), and the seed's own example fills that column, headed
  "Prénom", with "Luc" to greet "Bonjour [nom]". Our contacts split the name, so ``[nom]``
  renders ``first_name``, or ``last_name`` when the first name is empty: a file whose single
  name column was imported as either works. Missing and fallback go by ``first_name``.
- ``$nom`` ``$prenom`` ``$email`` ``$societe``: smsmode's contact fields (seed 002), keys
  ``last_name``, ``first_name``, ``email``, ``company``. The seed says "attention pas
  d'accent", so ``$société`` is not a marker; a marker followed by a letter or digit
  (``$nomade``) is not one either.
- ``[[param1]]`` .. ``[[param99]]``: the columns of L2T's Excel2SMS sheet (seed 004 §6),
  keys ``param1``..``param99``; "param1 ≠ Param1 ≠ PARAM1 ≠ param 1", so only the exact
  spelling is a marker.
- ``{first_name}``, ``{last_name}``, ``{email}``, ``{company}``, ``{number}``,
  ``{custom1}``..``{custom10}``: our own names, the same keys. ``{{`` and ``}}`` write a
  brace; an unknown ``{name}`` raises :class:`UnknownMarkerError` when the template is
  compiled, so a typo is caught before a send.

Anything else (``$`` before another word, brackets that are no marker, a lone brace) is
literal text. Values are inserted as they are and never read as markers: a value holding
``[[param2]]`` is sent as those characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

CONTACT_KEYS = ("number", "last_name", "first_name", "email", "company",
                *(f"custom{n}" for n in range(1, 11)))
V_KEYS = ("v1", "v2", "v3")
PARAM_KEYS = tuple(f"param{n}" for n in range(1, 100))
VALUE_KEYS = frozenset(CONTACT_KEYS + V_KEYS + PARAM_KEYS)

# [nom]: the first name, else the last name (see the module docstring).
NAME_KEYS = ("first_name", "last_name")
DOLLAR_KEYS: Mapping[str, str] = {
    "nom": "last_name", "prenom": "first_name", "email": "email", "societe": "company",
}
BRACE_KEYS = frozenset(CONTACT_KEYS)

_MARKERS = re.compile(
    r"(?P<open>\{\{)|(?P<close>\}\})"
    r"|\{(?P<brace>[^{}]*)\}"
    r"|\[\[(?P<param>param[1-9][0-9]?)\]\]"
    r"|\[(?P<v>v[1-3])\]"
    r"|(?P<nom>\[nom\])"
    r"|\$(?P<dollar>nom|prenom|email|societe)(?!\w)"
)


class PersonalisationError(ValueError):
    """A template or a personalised send that cannot be used as given."""


class UnknownMarkerError(PersonalisationError):
    def __init__(self, marker: str, position: int) -> None:
        known = ", ".join(f"{{{key}}}" for key in CONTACT_KEYS)
        hint = _hint(marker)
        super().__init__(f"unknown marker {marker!r} at character {position + 1}"
                         + (f" (did you mean {hint!r}?)" if hint else "")
                         + f"; known: {known}; write {{{{ and }}}} for a literal brace")
        self.marker, self.position, self.suggestion = marker, position, hint


def _hint(marker: str) -> str:
    """The known brace marker a typo most likely meant (case, spaces, hyphens), or ""."""
    folded = marker.strip("{} ").lower().replace("-", "_").replace(" ", "_")
    return f"{{{folded}}}" if folded in BRACE_KEYS else ""


# A slot is the keys it tries in order and the marker as written (shown while missing).
Slot = tuple[tuple[str, ...], str]


@dataclass(frozen=True)
class Rendered:
    """One recipient's text; ``missing`` lists the keys (in order of first use) that had no
    value, or a blank one, and no fallback: the text shows their markers as written."""

    text: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """A message text with markers, parsed once into literal text between slots.

    ``keys`` are the value keys the text needs, in order of first use.
    """

    text: str
    keys: tuple[str, ...] = field(init=False, compare=False)
    _literals: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _slots: tuple[Slot, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        literals, slots = _parse(self.text)
        keys = tuple(dict.fromkeys(names[0] for names, _ in slots))
        object.__setattr__(self, "_literals", literals)
        object.__setattr__(self, "_slots", slots)
        object.__setattr__(self, "keys", keys)

    @classmethod
    def compile(cls, text: str) -> Template:
        """Raises :class:`UnknownMarkerError` for a ``{name}`` that is not a known key."""
        return cls(text)

    def render(self, values: Mapping[str, str],
               fallback: Mapping[str, str] | None = None) -> Rendered:
        """The text with each marker replaced by its value, else by ``fallback[key]``.

        A value is missing when absent, ``None``, empty or only whitespace; a fallback the
        user chose is used as given, even empty. Runs once per recipient, so it does a
        dictionary look-up and a test per marker and one join.
        """
        literals = self._literals
        if not self._slots:
            return Rendered(literals[0], ())
        pieces = [literals[0]]
        missing: list[str] = []
        for index, (names, marker) in enumerate(self._slots, 1):
            value = values.get(names[0])
            if not value or value.isspace():
                value = _other_name(values, names)
                if value is None:
                    if fallback is not None and names[0] in fallback:
                        value = fallback[names[0]]
                    else:
                        if names[0] not in missing:
                            missing.append(names[0])
                        value = marker
            pieces.append(value)
            pieces.append(literals[index])
        return Rendered("".join(pieces), tuple(missing))


def _other_name(values: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    """The first usable value among a slot's further keys (only ``[nom]`` has any)."""
    for name in names[1:]:
        value = values.get(name)
        if value and not value.isspace():
            return value
    return None


def _parse(text: str) -> tuple[tuple[str, ...], tuple[Slot, ...]]:
    literals: list[str] = []
    slots: list[Slot] = []
    pending: list[str] = []  # literal text since the last slot
    position = 0
    for match in _MARKERS.finditer(text):
        pending.append(text[position:match.start()])
        position = match.end()
        kind, name = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "open":
            pending.append("{")
            continue
        if kind == "close":
            pending.append("}")
            continue
        if kind == "brace":
            if name not in BRACE_KEYS:
                raise UnknownMarkerError(match.group(), match.start())
            keys: tuple[str, ...] = (name,)
        elif kind == "dollar":
            keys = (DOLLAR_KEYS[name],)
        elif kind == "nom":
            keys = NAME_KEYS
        else:  # param, v: the marker's name is the key
            keys = (name,)
        literals.append("".join(pending))
        pending = []
        slots.append((keys, match.group()))
    pending.append(text[position:])
    literals.append("".join(pending))
    return tuple(literals), tuple(slots)
