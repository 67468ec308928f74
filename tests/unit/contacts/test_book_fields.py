"""The address book's rules without I/O: fields, consent, the merge rule, sealing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.contacts.directory import number_prefix
from portevoix.contacts.fields import (
    Consent,
    ContactFields,
    FieldTooLongError,
    InvalidConsentError,
    InvalidEmailError,
    InvalidNumberError,
    TooManyCustomFieldsError,
    fold,
    merged,
    search_name,
    values,
)
from portevoix.contacts.sealing import SealError, new_key, open_with, seal_with

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_complete_contact_passes_its_checks() -> None:
    ContactFields("+33612345678", "Dupont", "Marie", "marie@example.fr", "ACME",
                  ("a",) * 10, "notes", Consent("web_form", NOW, "J'accepte", "web")).check()


@pytest.mark.parametrize("number", ["0612345678", "+0612345678", "33612345678", "+33 6 12",
                                    "+3361234567890123", ""])
def test_a_number_not_in_e164_is_refused_with_the_number(number: str) -> None:
    with pytest.raises(InvalidNumberError) as refused:
        ContactFields(number).check()
    assert refused.value.number == number


@pytest.mark.parametrize(("field", "limit"), [("last_name", 100), ("first_name", 100),
                                              ("company", 100), ("notes", 1000)])
def test_a_field_beyond_its_length_is_refused_naming_it(field: str, limit: int) -> None:
    ContactFields("+33612345678", **{field: "x" * limit}).check()
    with pytest.raises(FieldTooLongError) as refused:
        ContactFields("+33612345678", **{field: "x" * (limit + 1)}).check()
    assert (refused.value.field, refused.value.limit) == (field, limit)


def test_a_custom_field_beyond_255_characters_is_refused_naming_it() -> None:
    with pytest.raises(FieldTooLongError) as refused:
        ContactFields("+33612345678", custom=("ok", "y" * 256)).check()
    assert refused.value.field == "custom2"


def test_eleven_custom_fields_are_refused() -> None:
    with pytest.raises(TooManyCustomFieldsError) as refused:
        ContactFields("+33612345678", custom=("v",) * 11).check()
    assert refused.value.count == 11


@pytest.mark.parametrize("email", ["marie", "marie@", "@example.fr", "ma rie@example.fr",
                                   "marie@example", "a@b@c.fr"])
def test_a_malformed_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidEmailError):
        ContactFields("+33612345678", email=email).check()


def test_an_email_beyond_254_characters_is_refused() -> None:
    with pytest.raises(FieldTooLongError):
        ContactFields("+33612345678", email="a" * 250 + "@x.fr").check()


@pytest.mark.parametrize(("consent", "problem"), [
    (Consent("rumour", NOW), "source"),
    (Consent("paper", NOW, channel="pigeon"), "channel"),
    (Consent("paper", datetime(2026, 3, 1)), "given_at"),
    (Consent("paper", NOW, "w" * 501), "wording"),
])
def test_an_invalid_consent_is_refused_saying_what_is_wrong(consent: Consent,
                                                            problem: str) -> None:
    with pytest.raises(InvalidConsentError) as refused:
        ContactFields("+33612345678", consent=consent).check()
    assert problem in str(refused.value)


def test_values_give_every_personalisation_key_custom_fields_padded() -> None:
    found = values(ContactFields("+33612345678", "Dupont", "Marie", "m@x.fr", "ACME",
                                 ("rouge", "", "bleu")))
    assert found["number"] == "+33612345678" and found["last_name"] == "Dupont"
    assert [found[f"custom{i}"] for i in range(1, 11)] == ["rouge", "", "bleu"] + [""] * 7


def test_search_name_is_folded_last_first_company() -> None:
    assert search_name(ContactFields("+33612345678", "  Lefèvre", "Éloïse ", company="ÀCME")
                       ) == "lefevre eloise acme"
    assert fold("  GARÇON   Œuvre ") == "garcon œuvre"


def test_merge_fills_only_empty_fields_from_the_others_in_order() -> None:
    keep = ContactFields("+33612345678", "Dupont", "", custom=("", "b"))
    others = [ContactFields("+33612345678", "Martin", "", "x@y.fr", custom=("a", "z", "c")),
              ContactFields("+33612345678", "", "Marie", "z@z.fr", "ACME", notes="n",
                            consent=Consent("paper", NOW))]
    result = merged(keep, others)
    assert (result.last_name, result.first_name, result.email, result.company, result.notes
            ) == ("Dupont", "Marie", "x@y.fr", "ACME", "n")
    assert result.custom == ("a", "b", "c")
    assert result.consent == Consent("paper", NOW)
    assert result.number == keep.number


def test_merge_keeps_the_kept_contacts_consent() -> None:
    mine = Consent("web_form", NOW)
    result = merged(ContactFields("+33612345678", consent=mine),
                    [ContactFields("+33612345678", consent=Consent("paper", NOW))])
    assert result.consent is mine


@pytest.mark.parametrize(("typed", "prefix"), [
    ("06 12 34", "+33612 34".replace(" ", "")), ("+33 6 12", "+33612"), ("0033612", "+33612"),
    ("336", "+336"), ("+", ""), ("  ", "")])
def test_a_typed_number_becomes_an_e164_prefix(typed: str, prefix: str) -> None:
    assert number_prefix(typed) == prefix


def test_sealed_data_opens_with_its_key_and_contact() -> None:
    key, contact_id = new_key(), uuid4()
    data = {"n": "+33612345678", "l": "Dupont", "x": ["é"]}
    sealed = seal_with(key, contact_id, data)
    assert "Dupont" not in sealed and "33612345678" not in sealed
    assert open_with(key, contact_id, sealed) == data


def test_sealed_data_moved_to_another_contact_does_not_open() -> None:
    key = new_key()
    sealed = seal_with(key, uuid4(), {"n": "+33612345678"})
    with pytest.raises(SealError):
        open_with(key, uuid4(), sealed)


def test_altered_sealed_data_does_not_open() -> None:
    key, contact_id = new_key(), uuid4()
    sealed = seal_with(key, contact_id, {"n": "+33612345678"})
    flipped = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    with pytest.raises(SealError):
        open_with(key, contact_id, flipped)
    with pytest.raises(SealError):
        open_with(new_key(), contact_id, sealed)


@given(st.dictionaries(st.sampled_from(["n", "l", "f", "e", "c", "o", "w"]), st.text()))
def test_any_fields_survive_sealing(data: dict[str, str]) -> None:
    key, contact_id = new_key(), uuid4()
    assert open_with(key, contact_id, seal_with(key, contact_id, data)) == data


@given(st.text(max_size=30))
def test_number_prefix_is_empty_or_plus_digits(typed: str) -> None:
    found = number_prefix(typed)
    assert found == "" or (found[0] == "+" and found[1:].isdigit())
