"""Every marker style of the seeds and our own, rendered by one template; what is not a
marker stays literal; unknown brace markers are refused when the template is compiled."""

from __future__ import annotations

import pytest

from portevoix.contacts.personalise import (
    PersonalisationError,
    Rendered,
    Template,
    UnknownMarkerError,
)

VALUES = {
    "number": "+33612345678", "last_name": "Dupont", "first_name": "Luc",
    "email": "luc@example.fr", "company": "Boulangerie", "custom1": "A", "custom10": "J",
    "v1": "Paris", "v2": "Master 2", "v3": "la Pizza",
    "param1": "lyly", "param2": "miyang", "param10": "dix", "param99": "last",
}


def render(text: str, values: dict[str, str] | None = None) -> Rendered:
    return Template.compile(text).render(VALUES if values is None else values)


@pytest.mark.parametrize(("text", "expected"), [
    # seed 000 §5
    ("Bonjour [nom], vous êtes en [v2] ? Venez au salon de [v1]",
     "Bonjour Luc, vous êtes en Master 2 ? Venez au salon de Paris"),
    # seed 001 §6
    ("Bonjour [v1], votre plat préféré est [v3] ?",
     "Bonjour Paris, votre plat préféré est la Pizza ?"),
    ("[v1] [v2]", "Paris Master 2"),
    # seed 002
    ("$prenom $nom ($email) de $societe", "Luc Dupont (luc@example.fr) de Boulangerie"),
    ("$nom,$prenom.", "Dupont,Luc."),
    # seed 004 §6
    ("bonjour [[param1]] [[param2]]", "bonjour lyly miyang"),
    ("[[param10]]/[[param99]]", "dix/last"),
    # ours
    ("{first_name} {last_name} {email} {company} {number}",
     "Luc Dupont luc@example.fr Boulangerie +33612345678"),
    ("{custom1}{custom10}", "AJ"),
    # styles mixed in one text
    ("{first_name}/$prenom/[nom]/[[param1]]/[v1]", "Luc/Luc/Luc/lyly/Paris"),
])
def test_each_marker_style_renders_its_value(text: str, expected: str) -> None:
    assert render(text) == Rendered(expected, ())


@pytest.mark.parametrize("text", [
    "[[Param1]]", "[[PARAM1]]", "[[param 1]]", "[[ param1 ]]", "[[param0]]", "[[param01]]",
    "[[param100]]", "[param1]", "[[param1]", "[V1]", "[v4]", "[v0]", "[Nom]", "[ nom ]",
])
def test_brackets_that_are_not_exactly_a_marker_stay_literal(text: str) -> None:
    assert render(text) == Rendered(text, ())


@pytest.mark.parametrize("text", [
    "Prix: 5$", "$", "$ nom", "$Nom", "$NOM", "$nomade", "$prenoms", "$société", "$societe2",
    "$company", "$$", "US$100",
])
def test_a_dollar_not_followed_by_a_field_name_stays_literal(text: str) -> None:
    assert render(text) == Rendered(text, ())


def test_a_dollar_marker_ends_at_the_word_so_punctuation_may_follow() -> None:
    assert render("$nom! $email? ($societe)").text == "Dupont! luc@example.fr? (Boulangerie)"


@pytest.mark.parametrize(("text", "expected"), [
    ("{{first_name}}", "{first_name}"),
    ("{{{first_name}}}", "{Luc}"),
    ("a {{ b }} c", "a { b } c"),
    ("un { seul", "un { seul"),
    ("fin }", "fin }"),
    ("}{", "}{"),
])
def test_double_braces_write_braces_and_a_lone_brace_stays_literal(text: str,
                                                                    expected: str) -> None:
    assert render(text).text == expected


@pytest.mark.parametrize(("text", "marker"), [
    ("Bonjour {prenom}", "{prenom}"),
    ("Bonjour {firstname}", "{firstname}"),
    ("{v1}", "{v1}"),
    ("{param1}", "{param1}"),
    ("{custom11}", "{custom11}"),
    ("{}", "{}"),
    ("{First_Name}", "{First_Name}"),
])
def test_an_unknown_brace_marker_is_refused_at_compile_time(text: str, marker: str) -> None:
    with pytest.raises(UnknownMarkerError) as raised:
        Template.compile(text)

    assert raised.value.marker == marker
    assert marker in str(raised.value)
    assert isinstance(raised.value, PersonalisationError)


def test_an_unknown_marker_error_suggests_the_known_one_and_gives_the_position() -> None:
    with pytest.raises(UnknownMarkerError) as raised:
        Template.compile("Bonjour {First Name} !")

    assert raised.value.suggestion == "{first_name}"
    assert raised.value.position == 8
    assert "did you mean '{first_name}'" in str(raised.value)


def test_keys_are_the_value_keys_in_order_of_first_use_once_each() -> None:
    template = Template.compile("[[param2]] $prenom {first_name} [v1] [[param2]] [nom] $societe")

    assert template.keys == ("param2", "first_name", "v1", "company")


def test_a_template_without_markers_needs_no_keys_and_renders_unchanged() -> None:
    template = Template.compile("Rendez-vous à 18h [demain] à 5$ !")

    assert template.keys == ()
    assert template.render({}) == Rendered("Rendez-vous à 18h [demain] à 5$ !", ())


def test_nom_falls_back_to_the_last_name_when_the_first_name_is_empty() -> None:
    # seed 000 §7: a 123-SMS contact has a single name, which may have been imported either way
    assert render("Bonjour [nom]", {"first_name": " ", "last_name": "Dupont"}).text == (
        "Bonjour Dupont")


def test_templates_compare_by_their_text() -> None:
    assert Template.compile("Bonjour {first_name}") == Template("Bonjour {first_name}")
