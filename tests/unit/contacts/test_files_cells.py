"""Cell values as every reader shows them: numbers as Excel displays them, Excel serials as
ISO dates (with Excel's invented 1900-02-29), column letters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.contacts.files.cells import column_name, excel_serial_text, number_text
from portevoix.contacts.files.delimited import detect_delimiter


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_an_integral_double_shows_as_its_digits(number: int) -> None:
    assert number_text(float(number)) == number_text(repr(float(number))) == str(number)


@pytest.mark.parametrize(("value", "shown"), [
    ("3.3612345678E10", "33612345678"), (33612345678.0, "33612345678"), ("12.50", "12.5"),
    (0.1 + 0.2, "0.3"), ("12.300000000000001", "12.3"), (1e-7, "0.0000001"),
    (1e20, "100000000000000000000"), ("-0", "0"), ("1E+999999999", "1E+999999999"),
    ("NaN", "NaN"), ("abc", "abc"),
])
def test_number_text(value: str | float, shown: str) -> None:
    assert number_text(value) == shown


@pytest.mark.parametrize(("serial", "iso"), [
    (1, "1900-01-01"), (59, "1900-02-28"), (61, "1900-03-01"), (45356, "2024-03-05"),
    (45356.604166666664, "2024-03-05T14:30:00"), (45356.99999999, "2024-03-06"),
    (0.5, "12:00:00"), (2958465, "9999-12-31"),
])
def test_excel_serials_in_the_1900_system(serial: float, iso: str) -> None:
    assert excel_serial_text(serial) == iso


@pytest.mark.parametrize("serial", [60, 60.5, -1, 2958466])
def test_serials_without_a_date_are_left_as_numbers(serial: float) -> None:
    assert excel_serial_text(serial) is None


def test_excel_serials_in_the_1904_system() -> None:
    assert excel_serial_text(0, date1904=True) == "1904-01-01"
    assert excel_serial_text(43894, date1904=True) == "2024-03-05"


@pytest.mark.parametrize(("index", "name"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"),
                                              (16383, "XFD")])
def test_column_names(index: int, name: str) -> None:
    assert column_name(index) == name


@pytest.mark.parametrize(("sample", "complete", "delimiter"), [
    ('"a";"b,c"\r\n"d";"e,f"\r\n', True, ";"),
    ('"a","b;c"\r\n"d","e;f"\r\n', True, ","),
    ("Nom;Prénom\r\nDupont, Jean;Luc\r\n", True, ";"),
    ("Numéro\r\n0612\r\n", True, ","),
    ('"Dupont" Jean|0612\r\n"Martin" Luc|0613\r\n', True, "|"),  # sloppy quotes
    ('a\tb\r\nc\td\r\n"cut', False, "\t"),
    ('a;b\r\nc;d\r\n"cut, in the; middle', False, ";"),
])
def test_detect_delimiter(sample: str, complete: bool, delimiter: str) -> None:
    assert detect_delimiter(sample, complete) == delimiter
