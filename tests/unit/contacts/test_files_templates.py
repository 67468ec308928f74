"""Downloadable templates open as tables with the columns the seeds' services used."""

from __future__ import annotations

from pathlib import Path

import pytest

from portevoix.contacts.files import TEMPLATES, open_table, template_file

HEADERS = {
    "contacts": ["Mobile", "Nom", "Prénom", "E-mail", "Société", "Champ 1", "Champ 2",
                 "Champ 3"],
    "blacklist": ["Numéro"],
    "personalised": ["Numéro", "param1", "param2", "param3", "param4", "param5"],
    "v_markers": ["Numéro", "v1", "v2", "v3"],
}


def test_the_templates_are_the_four_of_the_seeds() -> None:
    assert sorted(TEMPLATES) == sorted(HEADERS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", sorted(HEADERS))
def test_a_template_reads_back_with_its_header_and_two_examples(
    tmp_path: Path, name: str, fmt: str
) -> None:
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(template_file(name, fmt))

    table = open_table(path)
    rows = list(table.rows())

    assert table.format == fmt
    assert rows[0] == HEADERS[name]
    assert len(rows) == 3
    assert all(row[0].lstrip("+").isdigit() for row in rows[1:])


def test_an_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="blacklist, contacts, personalised, v_markers"):
        template_file("annuaire", "csv")


def test_an_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="csv, xlsx"):
        template_file("contacts", "ods")
