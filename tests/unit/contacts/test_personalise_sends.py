"""Missing values (refuse or fall back), the missing-value report, previews with their
encoding and segments, and the rows handed to the send pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from portevoix.contacts.personalise import (
    MAX_EXAMPLES,
    MISSING_FALLBACK,
    MISSING_REFUSE,
    MissingValuesError,
    PersonalisationError,
    Preview,
    Rendered,
    Template,
    UnknownFallbackKeyError,
    UnknownMissingPolicyError,
    check_missing,
    personalised_rows,
    preview,
)
from portevoix.platform.segments import GSM7, UCS2

GREETING = Template.compile("Bonjour {first_name}, code [[param1]]")


def recipients(*rows: Mapping[str, str]) -> list[tuple[str, Mapping[str, str]]]:
    return [(f"+3361234{n:04d}", values) for n, values in enumerate(rows)]


# Render -------------------------------------------------------------------------------------

@pytest.mark.parametrize("blank", [None, "", " ", "\t\n"])
def test_an_absent_or_blank_value_is_missing_and_its_marker_shows(blank: str | None) -> None:
    values = {"param1": "42"} if blank is None else {"first_name": blank, "param1": "42"}

    rendered = GREETING.render(values)

    assert rendered == Rendered("Bonjour {first_name}, code 42", ("first_name",))


def test_a_fallback_fills_a_missing_value_and_is_not_reported() -> None:
    rendered = GREETING.render({"param1": "42"}, fallback={"first_name": "client"})

    assert rendered == Rendered("Bonjour client, code 42", ())


def test_a_fallback_does_not_replace_a_value_that_is_present() -> None:
    rendered = GREETING.render({"first_name": "Zoé", "param1": "42"},
                               fallback={"first_name": "client"})

    assert rendered.text == "Bonjour Zoé, code 42"


def test_an_empty_fallback_chosen_by_the_user_is_used_as_given() -> None:
    rendered = GREETING.render({"param1": "42"}, fallback={"first_name": ""})

    assert rendered == Rendered("Bonjour , code 42", ())


def test_a_key_missing_twice_is_reported_once_in_order_of_first_use() -> None:
    template = Template.compile("[[param2]] {first_name} [[param2]] [v1]")

    assert template.render({"v1": ""}).missing == ("param2", "first_name", "v1")


def test_the_number_marker_defaults_to_the_recipients_number() -> None:
    template = Template.compile("Votre numéro : {number}")

    rows = personalised_rows(template, [("+33611111111", {})])

    assert rows == [("+33611111111", "Votre numéro : +33611111111")]


# Rows for a send ----------------------------------------------------------------------------

def test_complete_values_give_one_row_per_recipient_in_order() -> None:
    people = recipients({"first_name": "Zoé", "param1": "1"}, {"first_name": "Luc", "param1": "2"})

    rows = personalised_rows(GREETING, people)

    assert rows == [("+33612340000", "Bonjour Zoé, code 1"),
                    ("+33612340001", "Bonjour Luc, code 2")]


def test_refuse_raises_with_the_report_when_one_recipient_misses_a_value() -> None:
    people = recipients({"first_name": "Zoé", "param1": "1"}, {"param1": "2"},
                        {"first_name": "Luc", "param1": ""})

    with pytest.raises(MissingValuesError) as raised:
        personalised_rows(GREETING, people, on_missing=MISSING_REFUSE)

    report = raised.value.report
    assert (report.rows, report.rows_missing) == (3, 2)
    assert dict(report.by_key) == {"first_name": 1, "param1": 1}
    assert report.examples == ((1, "+33612340001", ("first_name",)),
                               (2, "+33612340002", ("param1",)))
    assert "2 of 3 recipients" in str(raised.value)


def test_refuse_ignores_a_fallback_and_still_refuses() -> None:
    with pytest.raises(MissingValuesError):
        personalised_rows(GREETING, recipients({"param1": "2"}), on_missing=MISSING_REFUSE,
                          fallback={"first_name": "client"})


def test_fallback_policy_renders_the_fallback_for_each_missing_key() -> None:
    people = recipients({"first_name": "Zoé", "param1": "1"}, {"param1": "2"})

    rows = personalised_rows(GREETING, people, on_missing=MISSING_FALLBACK,
                             fallback={"first_name": "client"})

    assert [text for _, text in rows] == ["Bonjour Zoé, code 1", "Bonjour client, code 2"]


def test_fallback_policy_still_refuses_a_key_without_a_fallback() -> None:
    people = recipients({"param1": "1"}, {"first_name": "Luc"})

    with pytest.raises(MissingValuesError) as raised:
        personalised_rows(GREETING, people, on_missing=MISSING_FALLBACK,
                          fallback={"first_name": "client"})

    assert dict(raised.value.report.by_key) == {"param1": 1}
    assert raised.value.report.examples == ((1, "+33612340001", ("param1",)),)


def test_an_unknown_missing_policy_is_refused_by_name() -> None:
    with pytest.raises(UnknownMissingPolicyError, match="'skip'"):
        personalised_rows(GREETING, recipients({"first_name": "Zoé"}), on_missing="skip")


def test_a_fallback_for_an_unknown_key_is_refused_by_name() -> None:
    with pytest.raises(UnknownFallbackKeyError, match="'prenom'") as raised:
        personalised_rows(GREETING, recipients({"param1": "1"}), on_missing=MISSING_FALLBACK,
                          fallback={"prenom": "client"})

    assert raised.value.key == "prenom"


def test_a_fallback_that_is_not_text_is_refused() -> None:
    with pytest.raises(PersonalisationError, match="not text"):
        check_missing(GREETING, [], fallback={"first_name": 3})  # type: ignore[dict-item]


# Report -------------------------------------------------------------------------------------

def test_the_report_counts_every_recipient_but_keeps_at_most_twenty_examples() -> None:
    people = recipients(*({"param1": str(n)} if n % 2 else {"first_name": "A"} for n in range(101)))

    report = check_missing(GREETING, people)

    assert (report.rows, report.rows_missing) == (101, 101)
    assert dict(report.by_key) == {"first_name": 50, "param1": 51}
    assert len(report.examples) == MAX_EXAMPLES
    assert report.examples[0] == (0, "+33612340000", ("param1",))
    assert not report.complete


def test_the_report_of_complete_values_is_complete_and_honours_fallbacks() -> None:
    people = recipients({"param1": "1"}, {"param1": "2", "first_name": "Luc"})

    report = check_missing(GREETING, people, fallback={"first_name": "client"})

    assert report.complete
    assert (report.rows, dict(report.by_key), report.examples) == (2, {}, ())


def test_check_missing_streams_a_generator_once() -> None:
    consumed = []

    def stream() -> Iterator[tuple[str, Mapping[str, str]]]:
        for n in range(5):
            consumed.append(n)
            yield f"+3361234000{n}", {"first_name": "Zoé"}

    report = check_missing(GREETING, stream())

    assert consumed == [0, 1, 2, 3, 4]
    assert report.rows == report.rows_missing == 5


# Preview ------------------------------------------------------------------------------------

def test_preview_shows_each_recipients_text_encoding_and_segments() -> None:
    template = Template.compile("Bonjour {first_name} ! [[param1]]")
    people = recipients(
        {"first_name": "Zoé", "param1": "ok"},             # é is in GSM-7
        {"first_name": "Łukasz", "param1": "ok"},          # Ł is not: UCS-2
        {"first_name": "Luc", "param1": "x" * 160},        # GSM-7, 2 segments
        {"first_name": "\U0001f600", "param1": "y" * 60},  # emoji: UCS-2, 2 segments
        {"param1": "ok"},
    )

    previews = preview(template, people)

    assert [(p.encoding, p.segments) for p in previews] == [
        (GSM7, 1), (UCS2, 1), (GSM7, 2), (UCS2, 2), (GSM7, 1)]
    assert previews[1] == Preview("+33612340001", "Bonjour Łukasz ! ok", (), UCS2, 1)
    assert previews[4].missing == ("first_name",)


def test_preview_stops_at_the_limit_without_reading_further() -> None:
    read = []

    def stream() -> Iterator[tuple[str, Mapping[str, str]]]:
        for n in range(1_000):
            read.append(n)
            yield f"+336123{n:05d}", {"first_name": "Zoé", "param1": str(n)}

    previews = preview(GREETING, stream(), limit=3)

    assert [p.text for p in previews] == [f"Bonjour Zoé, code {n}" for n in range(3)]
    assert len(read) <= 4


def test_preview_uses_the_fallback_and_the_accounts_encoding_policy() -> None:
    template = Template.compile("Merci {first_name}")
    people = recipients({"first_name": "François"}, {})

    previews = preview(template, people, fallback={"first_name": "client"}, policy="replace")

    assert [(p.text, p.encoding, p.missing) for p in previews] == [
        ("Merci François", GSM7, ()), ("Merci client", GSM7, ())]
    assert preview(template, people[:1])[0].encoding == UCS2  # ç is not GSM-7 as such
