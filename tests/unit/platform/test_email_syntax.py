"""E-mail to SMS: the three address/subject syntaxes (000 §2, 001 §2) and the mail's text."""

from __future__ import annotations

import contextlib
from datetime import datetime
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.platform.channels import email_syntax
from portevoix.platform.channels.email_syntax import (
    MailSend,
    MailSyntaxError,
    body_text,
    is_deferred,
    parse_mail,
    parse_request,
)

DOMAINS = frozenset({"sms.portevoix.example", "sms.smsplus.example"})
TEN = "-".join(f"06123456{n:02d}" for n in range(10))
ELEVEN = TEN + "-0612345699"


@pytest.mark.parametrize(("address", "subject", "expected"), [
    # Syntax 1: password.number, the subject an optional deferred time.
    ("XV65JU.0660919010@sms.portevoix.example", "",
     MailSend("XV65JU", ("0660919010",))),
    ("XV65JU.33660919010@sms.portevoix.example", "",
     MailSend("XV65JU", ("33660919010",))),
    ("XV65JU.+33660919010@SMS.Portevoix.example", "",
     MailSend("XV65JU", ("+33660919010",))),
    ("XV65JU.0660919010@sms.portevoix.example", "123015092034",
     MailSend("XV65JU", ("0660919010",), deferred="123015092034")),
    ("pass.with.dots.0660919010@sms.smsplus.example", "",
     MailSend("pass.with.dots", ("0660919010",))),
    # The same address with numbers or a group as the subject (000 §2, syntax 2).
    ("XV65JU.0660919010@sms.portevoix.example", "0660919011-0660919010",
     MailSend("XV65JU", ("0660919010", "0660919011"), syntax=2)),
    ("XV65JU.0660919010@sms.portevoix.example", "liste_clients1",
     MailSend("XV65JU", ("0660919010",), "liste_clients1", syntax=2)),
    # Syntax 2: sms.password, the subject the numbers or a group (001 §2).
    ("sms.XV65JU@sms.portevoix.example", "0660919010",
     MailSend("XV65JU", ("0660919010",), syntax=2)),
    ("SMS.XV65JU@sms.portevoix.example", " 0660919010 - +33660919011 ",
     MailSend("XV65JU", ("0660919010", "+33660919011"), syntax=2)),
    ("sms.XV65JU@sms.portevoix.example", "liste clients",
     MailSend("XV65JU", (), "liste clients", syntax=2)),
    # Syntax 3: sms@, the subject password:numbers-or-group[:deferred].
    ("sms@sms.portevoix.example", "XV65JU :0660919010",
     MailSend("XV65JU", ("0660919010",), syntax=3)),
    ("sms@sms.portevoix.example", "XV65JU:0660919010-0660919011",
     MailSend("XV65JU", ("0660919010", "0660919011"), syntax=3)),
    ("sms@sms.portevoix.example", "XV65JU:liste_clients1",
     MailSend("XV65JU", (), "liste_clients1", syntax=3)),
    ("sms@sms.portevoix.example", "XV65JU:0660919010:123015092034",
     MailSend("XV65JU", ("0660919010",), deferred="123015092034", syntax=3)),
    ("sms@sms.portevoix.example", f"XV65JU:{TEN}",
     MailSend("XV65JU", tuple(TEN.split("-")), syntax=3)),
])
def test_each_syntax_reads_the_request(address: str, subject: str, expected: MailSend) -> None:
    assert parse_request(address, subject, DOMAINS) == expected


@pytest.mark.parametrize(("address", "subject", "reason"), [
    ("XV65JU.0660919010@elsewhere.example", "", email_syntax.UNKNOWN_DOMAIN),
    ("XV65JU@sms.portevoix.example", "", email_syntax.BAD_ADDRESS),
    ("XV65JU.06609@sms.portevoix.example", "", email_syntax.BAD_ADDRESS),
    (".0660919010@sms.portevoix.example", "", email_syntax.BAD_ADDRESS),
    ("sms.@sms.portevoix.example", "0660919010", email_syntax.NO_PASSWORD),
    ("sms.XV65JU@sms.portevoix.example", "", email_syntax.NO_RECIPIENTS),
    ("sms@sms.portevoix.example", "", email_syntax.BAD_SUBJECT),
    ("sms@sms.portevoix.example", "XV65JU", email_syntax.BAD_SUBJECT),
    ("sms@sms.portevoix.example", ":0660919010", email_syntax.NO_PASSWORD),
    ("sms@sms.portevoix.example", "XV65JU:", email_syntax.NO_RECIPIENTS),
    ("sms@sms.portevoix.example", "XV65JU:0660919010:253015092034", email_syntax.BAD_DEFERRED),
    ("sms@sms.portevoix.example", "XV65JU:0660919010:1230", email_syntax.BAD_DEFERRED),
    ("sms@sms.portevoix.example", "XV65JU:0660919010:1230:15092034", email_syntax.BAD_SUBJECT),
    ("sms@sms.portevoix.example", "XV65JU:06609-0660919010", email_syntax.BAD_NUMBER),
    ("sms@sms.portevoix.example", f"XV65JU:{ELEVEN}", email_syntax.TOO_MANY_NUMBERS),
    ("sms.XV65JU@sms.portevoix.example", ELEVEN, email_syntax.TOO_MANY_NUMBERS),
    ("XV65JU.0612345699@sms.portevoix.example", TEN, email_syntax.TOO_MANY_NUMBERS),
    ("sms.XV65JU@sms.portevoix.example", "Re: hello", email_syntax.BAD_GROUP),
])
def test_a_request_outside_the_syntaxes_is_refused_with_its_reason(
        address: str, subject: str, reason: str) -> None:
    with pytest.raises(MailSyntaxError) as raised:
        parse_request(address, subject, DOMAINS)

    assert raised.value.reason == reason


def _mail(body: str | bytes, charset: str = "utf-8", subtype: str = "plain") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = ""
    if isinstance(body, bytes):
        message.set_content(body, "text", subtype, cte="8bit")
        message.set_param("charset", charset)
    else:
        message.set_content(body, subtype=subtype, charset=charset)
    return message


def test_the_text_is_the_plain_part_without_signature_or_trailing_space() -> None:
    mail = _mail("Réunion à 18 h.  \nMerci !\t\n\n-- \nJean\nMairie\n")

    assert body_text(mail) == "Réunion à 18 h.\nMerci !"


def test_the_plain_alternative_is_read_and_the_html_one_ignored() -> None:
    mail = _mail("Bonjour\n")
    mail.add_alternative("<p>Ignoré</p>", subtype="html")

    assert body_text(mail) == "Bonjour"


def test_a_latin_1_text_is_decoded_from_its_charset() -> None:
    mail = _mail("Rendez-vous à l'école".encode("latin-1"), charset="iso-8859-1")

    assert body_text(mail) == "Rendez-vous à l'école"


@pytest.mark.parametrize(("mail", "reason"), [
    (_mail("<p>Bonjour</p>", subtype="html"), email_syntax.NO_TEXT_PART),
    (_mail("Rendez-vous à l'école".encode("latin-1"), charset="utf-8"),
     email_syntax.BAD_CHARSET),
    (_mail(b"Bonjour", charset="x-no-such-charset"), email_syntax.BAD_CHARSET),
    (_mail("x" * (email_syntax.MAX_BODY + 1)), email_syntax.BODY_TOO_LONG),
])
def test_an_unreadable_text_is_refused_with_its_reason(mail: EmailMessage,
                                                        reason: str) -> None:
    with pytest.raises(MailSyntaxError) as raised:
        body_text(mail)

    assert raised.value.reason == reason


def test_a_body_at_the_size_limit_is_read() -> None:
    assert len(body_text(_mail("x" * email_syntax.MAX_BODY))) == email_syntax.MAX_BODY


def test_a_whole_mail_gives_request_and_text() -> None:
    mail = _mail("Bonjour\n")
    mail.replace_header("Subject", "XV65JU:0660919010")

    sent = parse_mail("sms@sms.portevoix.example", mail.as_bytes(), DOMAINS)

    assert sent == MailSend("XV65JU", ("0660919010",), text="Bonjour", syntax=3)


# Properties ---------------------------------------------------------------------------------

_DIGITS = st.text("0123456789", min_size=8, max_size=8)
numbers = st.one_of(
    _DIGITS.map(lambda d: "06" + d), _DIGITS.map(lambda d: "336" + d),
    _DIGITS.map(lambda d: "+336" + d), _DIGITS.map(lambda d: "+2162" + d[:7]),
)
number_lists = st.lists(numbers, min_size=1, max_size=10, unique=True)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
passwords = st.text(_LETTERS + "_-", min_size=1, max_size=16).filter(
    lambda p: p.lower() != "sms")
address_passwords = st.lists(passwords, min_size=1, max_size=3).map(".".join).filter(
    lambda p: p.split(".")[0].lower() != "sms")
groups = st.text(_LETTERS + "_", min_size=1, max_size=20).filter(
    lambda g: not g.isdigit())
deferred = st.datetimes().map(lambda t: t.strftime("%H%M%d%m") + f"{t.year:04d}")
domains = st.sampled_from(sorted(DOMAINS))


@given(address_passwords, numbers, st.none() | deferred, domains)
def test_syntax_1_reads_back_what_was_written(password: str, number: str,
                                              when: str | None, domain: str) -> None:
    sent = parse_request(f"{password}.{number}@{domain}", when or "", DOMAINS)

    assert sent == MailSend(password, (number,), deferred=when)


@given(address_passwords, st.one_of(number_lists, groups), domains)
def test_syntax_2_reads_back_what_was_written(password: str, target: list[str] | str,
                                              domain: str) -> None:
    subject = target if isinstance(target, str) else "-".join(target)

    sent = parse_request(f"sms.{password}@{domain}", subject, DOMAINS)

    if isinstance(target, str):
        assert sent == MailSend(password, (), target, syntax=2)
    else:
        assert sent == MailSend(password, tuple(target), syntax=2)


@given(passwords, st.one_of(number_lists, groups), st.none() | deferred, domains)
def test_syntax_3_reads_back_what_was_written(password: str, target: list[str] | str,
                                              when: str | None, domain: str) -> None:
    written = target if isinstance(target, str) else "-".join(target)
    subject = f"{password}:{written}" + (f":{when}" if when else "")

    sent = parse_request(f"sms@{domain}", subject, DOMAINS)

    numbers_read = () if isinstance(target, str) else tuple(target)
    group = target if isinstance(target, str) else None
    assert sent == MailSend(password, numbers_read, group, when, syntax=3)


@given(st.lists(numbers, min_size=11, max_size=20, unique=True), passwords)
def test_more_than_ten_numbers_are_always_refused(many: list[str], password: str) -> None:
    with pytest.raises(MailSyntaxError) as raised:
        parse_request("sms@sms.portevoix.example", f"{password}:{'-'.join(many)}", DOMAINS)

    assert raised.value.reason == email_syntax.TOO_MANY_NUMBERS


@given(st.text(), st.text(), st.sampled_from(["", "@sms.portevoix.example"]))
def test_garbage_raises_nothing_but_a_syntax_error(local: str, subject: str,
                                                   suffix: str) -> None:
    with contextlib.suppress(MailSyntaxError):
        parse_request(local + suffix, subject, DOMAINS)


@given(st.binary(max_size=2_000))
def test_garbage_mail_raises_nothing_but_a_syntax_error(raw: bytes) -> None:
    with contextlib.suppress(MailSyntaxError):
        parse_mail("sms@sms.portevoix.example", raw, DOMAINS)


@given(st.datetimes())
def test_every_real_time_is_a_deferred_time(when: datetime) -> None:
    assert is_deferred(when.strftime("%H%M%d%m") + f"{when.year:04d}")
