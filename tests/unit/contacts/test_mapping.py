"""Column mappings: their rules, and the guess proposed from a file's first rows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.contacts.mapping import (
    FIELDS,
    Mapping,
    MappingError,
    fold,
    guess_mapping,
    header_field,
    looks_like_phone_number,
)

ROWS = [["0612345678", "Dupont", "Jean"], ["06 98 76 54 32", "Martin", "Éloïse"]]


@pytest.mark.parametrize(("header", "field"), [
    ("Portable", "number"), ("MOBILE", "number"), ("Numéro", "number"),
    ("Téléphone", "number"), ("GSM", "number"), ("Phone", "number"), ("N° de mobile", "number"),
    ("Téléphone portable", "number"), ("Nom", "last_name"), ("NOM", "last_name"),
    ("Last name", "last_name"), ("last_name", "last_name"), ("Prénom", "first_name"),
    ("PRENOM", "first_name"), ("First Name", "first_name"), ("Société", "company"),
    ("Entreprise", "company"), ("Company", "company"), ("Nom de la société", "company"),
    ("E-mail", "email"), ("Email", "email"), ("Courriel", "email"), ("e mail", "email"),
    ("Notes", "notes"), ("Date du consentement", "consent_date"), ("Champ 2", "custom2"),
    ("custom10", "custom10"),
])
def test_header_words_are_recognised_whatever_their_case_accents_and_punctuation(
        header: str, field: str) -> None:
    assert header_field(header) == field


def test_unknown_header_words_name_no_field() -> None:
    assert header_field("Ville") is None
    assert header_field("   ") is None


@pytest.mark.parametrize(("header", "list_field", "sheet_field"), [
    ("param1", "custom1", "param1"), ("Param 12", None, "param12"),
    ("Variable 1", "custom1", "v1"), ("Variable3", "custom3", "v3"), ("v2", "custom2", "v2"),
])
def test_variable_columns_are_sheet_values_in_a_personalised_send_and_custom_fields_in_a_list(
        header: str, list_field: str | None, sheet_field: str) -> None:
    assert header_field(header, "list") == list_field
    assert header_field(header, "personalised") == sheet_field


def test_fold_drops_case_accents_spaces_and_punctuation() -> None:
    assert fold(" Prénom-Société (N°) ") == "prenomsocieten"


@pytest.mark.parametrize(("cell", "expected"), [
    ("0612345678", True), ("06 12 34 56 78", True), ("+33 6.12.34.56.78", True),
    ("612345678", True), ("75001", False), ("Dupont", False), ("", False), ("06-12", False),
])
def test_phone_number_looks(cell: str, expected: bool) -> None:
    assert looks_like_phone_number(cell) is expected


def test_french_header_is_detected_and_mapped() -> None:
    rows = [["Numéro", "Nom", "Prénom", "Société"], ["0612345678", "Dupont", "Jean", "ACME"]]

    mapping = guess_mapping(rows, "list")

    assert mapping == Mapping(("number", "last_name", "first_name", "company"), True)


def test_english_header_with_the_number_last_is_mapped() -> None:
    rows = [["First name", "Last name", "E-mail", "Phone"],
            ["Jane", "Doe", "jane@example.com", "+447911123456"]]

    mapping = guess_mapping(rows, "list")

    assert mapping == Mapping(("first_name", "last_name", "email", "number"), True)


def test_without_a_header_the_column_of_phone_numbers_is_the_number() -> None:
    mapping = guess_mapping([[row[1], row[2], row[0]] for row in ROWS], "list")

    assert mapping == Mapping(("ignore", "ignore", "number"), False)


def test_a_header_of_unknown_words_above_numbers_is_still_a_header() -> None:
    rows = [["Client", "Ville", "Joignable au"], ["Dupont", "Paris", "0612345678"],
            ["Martin", "Lyon", "0698765432"]]

    mapping = guess_mapping(rows, "list")

    assert mapping == Mapping(("ignore", "ignore", "number"), True)


def test_two_number_headers_give_the_number_to_the_column_that_holds_numbers() -> None:
    rows = [["Numéro client", "Portable"], ["C-1042", "0612345678"], ["C-1043", "0698765432"]]

    mapping = guess_mapping(rows, "list")

    assert mapping.columns == ("ignore", "number")


def test_the_l2t_excel2sms_sheet_maps_its_param_columns() -> None:
    rows = [["MOBILE", "param1", "param2"], ["21620123456", "lyly", "miyang"]]

    mapping = guess_mapping(rows, "personalised")

    assert mapping == Mapping(("number", "param1", "param2"), True)


def test_the_seeds_variable_file_maps_v1_to_v3() -> None:
    rows = [["Variable1", "Numéro", "Variable2", "Variable3"],
            ["Jean", "0660919010", "Hédé", "la Pizza"]]

    mapping = guess_mapping(rows, "personalised")

    assert mapping == Mapping(("v1", "number", "v2", "v3"), True)


def test_a_field_named_twice_in_the_header_goes_to_its_first_column() -> None:
    rows = [["Tel", "Nom", "Nom"], ["0612345678", "Dupont", "Durand"]]

    assert guess_mapping(rows, "list").columns == ("number", "last_name", "ignore")


def test_nothing_like_a_phone_number_is_refused_with_a_reason() -> None:
    with pytest.raises(MappingError, match="no column looks like phone numbers"):
        guess_mapping([["Nom", "Ville"], ["Dupont", "Paris"]], "list")


def test_no_rows_to_guess_from_is_refused() -> None:
    with pytest.raises(MappingError, match="no rows"):
        guess_mapping([], "list")


@pytest.mark.parametrize(("columns", "message"), [
    (("last_name", "first_name"), "no column is the phone number"),
    (("number", "number"), "columns 1, 2 are all the phone number"),
    (("number", "surname"), "column 2: unknown field 'surname'"),
    (("number", "email", "email"), "columns 2 and 3 are both 'email'"),
])
def test_bad_mappings_are_refused_with_the_columns_named(
        columns: tuple[str, ...], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        Mapping(columns, has_header=True)


def test_ignore_may_repeat() -> None:
    assert Mapping(("ignore", "number", "ignore"), False).number_column == 1


def test_a_mapping_wider_than_the_file_is_refused() -> None:
    mapping = Mapping(("number", "last_name", "email"), has_header=False)

    mapping.fit(3)
    with pytest.raises(MappingError, match="names 3 columns but the file has 2: no column "
                                           "for email"):
        mapping.fit(2)


def test_personalised_columns_are_refused_outside_a_personalised_send() -> None:
    mapping = Mapping(("number", "param1"), has_header=True)

    mapping.check_target(personalised=True)
    with pytest.raises(MappingError, match="param1 are columns of a personalised send"):
        mapping.check_target(personalised=False)


def test_fields_lists_the_documented_fields() -> None:
    assert FIELDS[0] == "number" and FIELDS[-1] == "ignore"
    assert "custom1" in FIELDS and "custom10" in FIELDS and "custom11" not in FIELDS


numbers = st.from_regex(r"0[67][0-9]{8}", fullmatch=True)
names = st.sampled_from(["Dupont", "Martin", "Éloïse", "Nguyen", "O'Brien", "Ali"])


@given(st.lists(st.tuples(numbers, names, names), min_size=1, max_size=15),
       st.integers(0, 2), st.booleans())
def test_the_number_column_is_found_in_any_position_with_or_without_header(
        rows: list[tuple[str, str, str]], position: int, with_header: bool) -> None:
    table = []
    for number, last, first in rows:
        cells = [last, first]
        cells.insert(position, number)
        table.append(cells)
    if with_header:
        header = ["Nom", "Prénom"]
        header.insert(position, "Portable")
        table.insert(0, header)

    mapping = guess_mapping(table, "list")

    assert mapping.number_column == position
    assert mapping.has_header is with_header
