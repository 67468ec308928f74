"""Sender IDs: the name or number a customer's messages show as their sender, and who allowed it.

A customer requests a sender ID; its reseller approves or refuses it; when the reseller's
settings say so, the platform approves it in turn. Only approved IDs may be used (a send with
another is refused with result code 97). There is one ``SenderId`` per customer and value,
whatever the case (``Boulangerie`` and ``BOULANGERIE`` are the same request), so asking again
after a refusal or a revocation reopens the same aggregate.

The format rule is French operators' current one, checked when the request is made and again
before anyone approves it (a brand may have become protected in between). The seeds' advice
(000 §4) to write spaces, ``_`` or ``.`` in a sender is obsolete: operators now refuse them.

- alphanumeric: 3 to 11 ASCII letters and digits, at least one of them a letter;
- numeric: a short code of 4 to 6 digits (``36180``), or an international number of at most
  15 digits without ``+`` or ``00`` (``33612345678``; a leading ``+`` is accepted and dropped);
- never a generic word (``info``, ``sms``...: a whole, case-insensitive match) nor a protected
  brand (equal to one, or containing one of 4 characters or more, case-insensitively).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from uuid import UUID, uuid5

import phonenumbers
from eventsourcing.domain import Aggregate, event

from portevoix.tenants.errors import NotAuthorisedError, TenancyError
from portevoix.tenants.parties import PLATFORM_ID

REQUESTED, AWAITING_PLATFORM, APPROVED = "requested", "awaiting_platform", "approved"
REFUSED, REVOKED = "refused", "revoked"

# Why a sender ID is refused (InvalidSenderIdError.reason).
TOO_LONG, TOO_SHORT, BAD_CHARACTERS, DIGITS_ONLY = (
    "too_long", "too_short", "bad_characters", "digits_only"
)
GENERIC_WORD, PROTECTED_BRAND, INVALID_NUMBER = "generic_word", "protected_brand", "invalid_number"

GENERIC_WORDS = frozenset({
    "alert", "alerte", "info", "infos", "rdv", "bank", "banque", "sms", "test", "service",
    "notification", "noreply", "verify", "code", "otp", "admin", "support", "mobile",
    "orange", "sfr", "free", "bouygues",
})
MIN_ALPHANUMERIC, MAX_ALPHANUMERIC = 3, 11
MIN_SHORT_CODE, MAX_SHORT_CODE = 4, 6
MAX_NUMBER = 15  # E.164
MIN_CONTAINED_BRAND = 4  # shorter brands ("EDF") only match a sender equal to them

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_NUMERIC = re.compile(r"\+?[0-9]+")
_NOT_BRAND_CHARACTERS = re.compile(r"[^a-z0-9]")

_DETAILS = {
    TOO_LONG: f"at most {MAX_ALPHANUMERIC} letters and digits, or {MAX_NUMBER} digits",
    TOO_SHORT: f"at least {MIN_ALPHANUMERIC} letters and digits",
    BAD_CHARACTERS: "only the letters A to Z (no accents) and digits: no spaces, '_' or '.'",
    DIGITS_ONLY: (f"a name needs a letter; a number is a short code of {MIN_SHORT_CODE} to "
                  f"{MAX_SHORT_CODE} digits or an international number such as 33612345678"),
    GENERIC_WORD: "a generic word does not say who sends",
    PROTECTED_BRAND: "a protected brand may only be used by its owner",
    INVALID_NUMBER: "not a valid international number (write 33612345678, without + or 00)",
}


class SenderIdError(TenancyError):
    """Base of every refusal about sender IDs."""


class InvalidSenderIdError(SenderIdError):
    """``value`` breaks the format rule; ``reason`` is one of this module's reason codes."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"sender ID {value!r} is refused ({reason}): {_DETAILS[reason]}")
        self.value, self.reason = value, reason


class SenderIdNotAllowedError(SenderIdError):
    """The customer may not send as ``sender`` (None: it named none and has no default)."""

    def __init__(self, customer_id: UUID, sender: str | None) -> None:
        what = f"sender ID {sender!r}" if sender else "no sender ID and no default"
        super().__init__(f"customer {customer_id} may not send with {what}")
        self.customer_id, self.sender = customer_id, sender


class UnknownSenderIdError(SenderIdError):
    def __init__(self, sender_id: UUID) -> None:
        super().__init__(f"no sender ID request {sender_id}")
        self.sender_id = sender_id


class SenderIdStatusError(SenderIdError):
    """``action`` does not apply to a sender ID in ``status`` (approving a refused one...)."""

    def __init__(self, sender_id: UUID, value: str, status: str, action: str) -> None:
        super().__init__(f"cannot {action} sender ID {value!r} ({sender_id}): it is {status}")
        self.sender_id, self.value, self.status, self.action = sender_id, value, status, action


class RefusalReasonRequiredError(SenderIdError):
    def __init__(self, sender_id: UUID, value: str) -> None:
        super().__init__(f"refusing sender ID {value!r} ({sender_id}) needs a reason")
        self.sender_id, self.value = sender_id, value


def sender_key(value: str) -> str:
    """What tells sender IDs apart: case and a number's leading ``+`` do not."""
    text = value.strip()
    if _NUMERIC.fullmatch(text):
        return text.removeprefix("+")
    return text.lower()


def sender_id_for(customer_id: UUID, value: str) -> UUID:
    return uuid5(customer_id, f"sender:{sender_key(value)}")


@functools.lru_cache(maxsize=65_536)  # a hash each call; the send path asks often
def customer_senders_id_for(customer_id: UUID) -> UUID:
    return uuid5(customer_id, "senders")


class SenderIdRule:
    """The format rule, with the platform's lists of generic words and protected brands."""

    def __init__(self, protected_brands: Iterable[str] = (),
                 generic_words: Iterable[str] = GENERIC_WORDS) -> None:
        """Brands are compared without case, accents, spaces or punctuation ("La Poste"
        protects ``LaPoste`` and ``LAPOSTEinfo``); words are compared whole, without case."""
        self.protected_brands = frozenset(filter(None, map(_brand_key, protected_brands)))
        self.generic_words = frozenset(word.strip().lower() for word in generic_words)

    def check(self, value: str) -> str:
        """``value`` as it is to be recorded (trimmed; a number without its ``+``), or
        InvalidSenderIdError with the first rule it breaks."""
        text = value.strip()
        if not text:
            raise InvalidSenderIdError(value, TOO_SHORT)
        if _NUMERIC.fullmatch(text):
            return self._number(value, text)
        if not _ALPHANUMERIC.fullmatch(text):
            raise InvalidSenderIdError(value, BAD_CHARACTERS)
        if len(text) < MIN_ALPHANUMERIC:
            raise InvalidSenderIdError(value, TOO_SHORT)
        if len(text) > MAX_ALPHANUMERIC:
            raise InvalidSenderIdError(value, TOO_LONG)
        lower = text.lower()
        if lower in self.generic_words:
            raise InvalidSenderIdError(value, GENERIC_WORD)
        if any(lower == brand or (len(brand) >= MIN_CONTAINED_BRAND and brand in lower)
               for brand in self.protected_brands):
            raise InvalidSenderIdError(value, PROTECTED_BRAND)
        return text

    @staticmethod
    def _number(value: str, text: str) -> str:
        digits = text.removeprefix("+")
        if len(digits) > MAX_NUMBER:
            raise InvalidSenderIdError(value, TOO_LONG)
        if text == digits and MIN_SHORT_CODE <= len(digits) <= MAX_SHORT_CODE:
            return digits
        if text == digits and len(digits) < MIN_SHORT_CODE:
            reason = TOO_SHORT if len(digits) < MIN_ALPHANUMERIC else DIGITS_ONLY
            raise InvalidSenderIdError(value, reason)
        try:
            number = phonenumbers.parse(f"+{digits}")
        except phonenumbers.NumberParseException:
            raise InvalidSenderIdError(value, INVALID_NUMBER) from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidSenderIdError(value, INVALID_NUMBER)
        return digits


def _brand_key(brand: str) -> str:
    decomposed = unicodedata.normalize("NFKD", brand.lower())
    return _NOT_BRAND_CHARACTERS.sub("", decomposed)


class SenderId(Aggregate):
    """One customer's request to send as one value, and the decisions on it."""

    TOPIC = "portevoix.tenants:SenderId"

    class Created(Aggregate.Created):
        """Unused: sender IDs are created by ``Requested``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:SenderId.Created"

    class Requested(Aggregate.Created):
        TOPIC = "portevoix.tenants:SenderId.Requested"
        customer_id: UUID
        reseller_id: UUID
        value: str
        needs_platform_approval: bool

    @staticmethod
    def create_id(customer_id: UUID, value: str) -> UUID:
        return sender_id_for(customer_id, value)

    # The reseller is recorded: a customer never changes reseller (its id derives from it).
    @event(Requested)
    def __init__(self, customer_id: UUID, reseller_id: UUID, value: str,
                 needs_platform_approval: bool) -> None:
        self.customer_id, self.reseller_id = customer_id, reseller_id
        self.value, self.needs_platform_approval = value, needs_platform_approval
        self.status = REQUESTED
        self.refusal_reason = ""

    @classmethod
    def request(cls, customer_id: UUID, reseller_id: UUID, value: str,
                needs_platform_approval: bool, rule: SenderIdRule) -> SenderId:
        return cls(customer_id=customer_id, reseller_id=reseller_id, value=rule.check(value),
                   needs_platform_approval=needs_platform_approval)

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    @property
    def is_pending(self) -> bool:
        return self.status in (REQUESTED, AWAITING_PLATFORM)

    def request_again(self, value: str, needs_platform_approval: bool,
                      rule: SenderIdRule) -> None:
        """Reopen a refused or revoked request, through every approval again; a request
        still pending or approved is left as it is (a retry)."""
        value = rule.check(value)
        if self.status in (REFUSED, REVOKED):
            self._requested_again(value, needs_platform_approval)

    def approve(self, by_tenant_id: UUID, rule: SenderIdRule) -> None:
        """The reseller's approval, then the platform's when it is needed.

        Approving again a step already taken records nothing; a refused or revoked ID
        cannot be approved (request it again); anyone else, or the platform before the
        reseller, gets NotAuthorisedError.
        """
        self._check_approver(by_tenant_id, "approve")
        if self.status in (AWAITING_PLATFORM, APPROVED) and not self._turn_of(by_tenant_id):
            return  # this approver's step is done: a retry
        if not self.is_pending:
            raise SenderIdStatusError(self.id, self.value, self.status, "approve")
        self._check_turn(by_tenant_id, "approve")
        rule.check(self.value)
        if self.status == REQUESTED and self.needs_platform_approval:
            self._endorsed(by_tenant_id)
        else:
            self._approved(by_tenant_id)

    def refuse(self, by_tenant_id: UUID, reason: str) -> None:
        """Refuse a pending request, by whoever's turn it is; refusing again records
        nothing."""
        self._check_approver(by_tenant_id, "refuse")
        if self.status == REFUSED:
            return
        if not self.is_pending:
            raise SenderIdStatusError(self.id, self.value, self.status, "refuse")
        self._check_turn(by_tenant_id, "refuse")
        reason = " ".join(reason.split())
        if not reason:
            raise RefusalReasonRequiredError(self.id, self.value)
        self._refused(by_tenant_id, reason)

    def revoke(self, by_tenant_id: UUID, reason: str = "") -> None:
        """Withdraw an approved ID: by the customer itself (the seeds' "Supprimer SENDER"),
        its reseller or the platform. Revoking again records nothing."""
        if by_tenant_id not in (self.customer_id, self.reseller_id, PLATFORM_ID):
            raise NotAuthorisedError(by_tenant_id, self._action("revoke"))
        if self.status == REVOKED:
            return
        if self.status != APPROVED:
            raise SenderIdStatusError(self.id, self.value, self.status, "revoke")
        self._revoked(by_tenant_id, " ".join(reason.split()))

    def _turn_of(self, tenant_id: UUID) -> bool:
        """Whether the pending decision is ``tenant_id``'s."""
        if self.status == REQUESTED:
            return tenant_id == self.reseller_id
        return self.status == AWAITING_PLATFORM and tenant_id == PLATFORM_ID

    def _check_approver(self, tenant_id: UUID, action: str) -> None:
        if tenant_id not in (self.reseller_id, PLATFORM_ID):
            raise NotAuthorisedError(tenant_id, self._action(action))

    def _check_turn(self, tenant_id: UUID, action: str) -> None:
        if not self._turn_of(tenant_id):
            whose = "the reseller's" if self.status == REQUESTED else "the platform's"
            raise NotAuthorisedError(tenant_id, f"{self._action(action)}: it awaits {whose}")

    def _action(self, verb: str) -> str:
        return f"{verb} sender ID {self.value!r} of customer {self.customer_id}"

    # Events: replayed on every load, so they hold no checks ----------------------------

    @event("RequestedAgain", topic="portevoix.tenants:SenderId.RequestedAgain")
    def _requested_again(self, value: str, needs_platform_approval: bool) -> None:
        self.value, self.needs_platform_approval = value, needs_platform_approval
        self.status = REQUESTED
        self.refusal_reason = ""

    # The reseller approved; the platform's approval is awaited.
    @event("Endorsed", topic="portevoix.tenants:SenderId.Endorsed")
    def _endorsed(self, by_tenant_id: UUID) -> None:
        self.status = AWAITING_PLATFORM

    @event("Approved", topic="portevoix.tenants:SenderId.Approved")
    def _approved(self, by_tenant_id: UUID) -> None:
        self.status = APPROVED

    @event("Refused", topic="portevoix.tenants:SenderId.Refused")
    def _refused(self, by_tenant_id: UUID, reason: str) -> None:
        self.status = REFUSED
        self.refusal_reason = reason

    @event("Revoked", topic="portevoix.tenants:SenderId.Revoked")
    def _revoked(self, by_tenant_id: UUID, reason: str) -> None:
        self.status = REVOKED


class CustomerSenders(Aggregate):
    """The approved sender IDs of one customer, saved with every approval and revocation,
    so a send checks its sender with one load and never sees a stale read model."""

    TOPIC = "portevoix.tenants:CustomerSenders"

    class Created(Aggregate.Created):
        """Unused: the index is created by ``Opened``. Declared to pin its topic."""

        TOPIC = "portevoix.tenants:CustomerSenders.Created"

    class Opened(Aggregate.Created):
        TOPIC = "portevoix.tenants:CustomerSenders.Opened"
        customer_id: UUID

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return customer_senders_id_for(customer_id)

    @event(Opened)
    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        self.approved: dict[str, str] = {}  # sender_key -> the value as approved

    def find(self, sender: str) -> str | None:
        """The approved sender ``sender`` names (any case), as it was approved."""
        return self.approved.get(sender_key(sender))

    def values(self) -> list[str]:
        return sorted(self.approved.values(), key=str.lower)

    def add(self, sender: SenderId) -> None:
        key = sender_key(sender.value)
        if self.approved.get(key) != sender.value:
            self._added(key, sender.value)

    def remove(self, sender: SenderId) -> None:
        key = sender_key(sender.value)
        if key in self.approved:
            self._removed(key)

    @event("Added", topic="portevoix.tenants:CustomerSenders.Added")
    def _added(self, key: str, value: str) -> None:
        self.approved = {**self.approved, key: value}

    @event("Removed", topic="portevoix.tenants:CustomerSenders.Removed")
    def _removed(self, key: str) -> None:
        self.approved = {k: v for k, v in self.approved.items() if k != key}
