"""The blank files a customer downloads to prepare an import, in the columns the services we
replace used, so a file made for them imports here unchanged.

- ``contacts``: the address book (seed 002 "CARNET D'ADRESSES": name, mobile, e-mail,
  company, feeding ``$nom $prenom $email $societe``) with free fields;
- ``blacklist``: numbers that must not be sent to (seed 002, "Blacklist");
- ``personalised``: L2T's Excel2SMS sheet (seed 004 §5c): a number then ``param1`` to
  ``param5``, the exact lower-case names its ``[[param1]]`` markers refer to;
- ``v_markers``: 123-SMS / SMStoB mail-merge files (seeds 000 §5, 001 §6): a number and up to
  three variables for ``[v1] [v2] [v3]``.

The example numbers are in ARCEP's range reserved for fiction (06 39 98), so a test send to
a template left unedited reaches nobody.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from portevoix.contacts.files.exports import write_csv, write_xlsx

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Template:
    name: str
    header: tuple[str, ...]
    examples: tuple[tuple[str, ...], ...]


TEMPLATES: Mapping[str, Template] = MappingProxyType({
    template.name: template
    for template in (
        Template(
            "contacts",
            ("Mobile", "Nom", "Prénom", "E-mail", "Société", "Champ 1", "Champ 2", "Champ 3"),
            (
                ("+33639980001", "Dupont", "Marie", "marie.dupont@example.fr",
                 "Boulangerie Dupont", "Client fidèle", "", ""),
                ("+33639980002", "Martin", "Luc", "luc.martin@example.fr", "", "Prospect",
                 "Salon 2024", ""),
            ),
        ),
        Template("blacklist", ("Numéro",), (("+33639980003",), ("+33639980004",))),
        Template(
            "personalised",
            ("Numéro", "param1", "param2", "param3", "param4", "param5"),
            (
                ("33639980001", "lyly", "miyang", "", "", ""),
                ("33639980002", "Jean", "Dupont", "12/03", "10h30", ""),
            ),
        ),
        Template(
            "v_markers",
            ("Numéro", "v1", "v2", "v3"),
            (
                ("+33639980001", "Jean", "Hédé", "la Pizza"),
                ("+33639980002", "Jérôme", "Rennes", "la Choucroute"),
            ),
        ),
    )
})


def template_file(name: str, fmt: str) -> bytes:
    """The template ``name`` as a file in ``fmt`` (``"csv"`` or ``"xlsx"``).

    Raises ``ValueError`` naming the known templates or formats.
    """
    template = TEMPLATES.get(name)
    if template is None:
        raise ValueError(f"unknown template {name!r}; known: {', '.join(sorted(TEMPLATES))}")
    out = io.BytesIO()
    if fmt == "csv":
        write_csv(template.header, template.examples, out)
    elif fmt == "xlsx":
        write_xlsx(template.header, template.examples, out, sheet=name)
    else:
        raise ValueError(f"unknown template format {fmt!r}; known: {', '.join(FORMATS)}")
    return out.getvalue()
