"""The send pipeline's front door: ``submit`` behind every channel, ``cancel``, ``approve``.

``submit`` checks the request against the account's rules and options, quotes every
recipient, and records the campaign with the two holds that pay for it (the customer's
retail leg and the reseller's wholesale leg, linked) in one save: all of it is recorded, or
nothing. A request-level refusal raises :class:`SendRefusedError` with the seeds' result code;
recipients refused one by one are listed in the result with theirs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4, uuid5

from portevoix.ledger.accounts import account_id_for
from portevoix.ledger.errors import InsufficientFundsError, LinkedTransferError
from portevoix.ledger.services import REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.work import Work
from portevoix.ledger.writer import WriterStoppedError
from portevoix.platform import codes
from portevoix.platform.campaigns import (
    AT_MOST_ONCE,
    AWAITING_APPROVAL,
    KINDS,
    MARKETING,
    TRANSACTIONAL,
    Campaign,
    CampaignError,
    hold_ids,
)
from portevoix.platform.quotes import OVERSEAS_NOT_ALLOWED, Quote
from portevoix.platform.quoting import Quoting
from portevoix.platform.recording import RecordCampaign, Writer
from portevoix.platform.schedule import Recurrence, Throttle
from portevoix.platform.windows import SendingWindows
from portevoix.tenants.parties import PLATFORM_ID
from portevoix.tenants.services import Tenancy

DUPLICATE_WINDOW = timedelta(hours=24)
# The free opt-out mention a custom sender must carry ("STOP au 36180", "stop SMS au 36001").
STOP_MENTION = re.compile(r"\bstop\s+(sms\s+)?(au|to)\s+\d{5}\b", re.IGNORECASE)


class SendRefusedError(Exception):
    """The whole request is refused: nothing was recorded."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass(frozen=True)
class SendRequest:
    """What a channel asks for. ``numbers`` share ``text``; ``rows`` are personalised
    ``(number, text)`` pairs (rendered already). ``reference`` is the client's: the same
    reference again is the same campaign."""

    customer_id: UUID
    text: str = ""
    numbers: Sequence[str] = ()
    rows: Sequence[tuple[str, str]] = ()
    sender: str | None = None
    kind: str = TRANSACTIONAL
    scheduled_at: datetime | None = None
    validity_s: int | None = None
    flash: bool = False
    test: bool = False
    reference: str = ""
    client_ip: str | None = None
    channel: str = "api"
    throttle: Throttle | None = None
    recurrence: Recurrence | None = None
    repeat_of: UUID | None = None  # a copy, re-send or repetition of this campaign
    first_at: datetime | None = None  # a recurring send's first occurrence
    callback_url: str = ""  # where status callbacks go; empty: the account's option
    notify_email: str = ""  # where the send's notifications go; "": the contact address


@dataclass(frozen=True)
class RecipientRefusal:
    number: str
    code: int
    reason: str
    detail: str


@dataclass(frozen=True)
class SubmitResult:
    code: int
    campaign_id: UUID | None
    status: str
    recipients: int
    segments: int
    price: int
    refused: tuple[RecipientRefusal, ...] = ()
    duplicates: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


class SenderCheck(Protocol):
    def check(self, customer_id: UUID, sender: str | None) -> str: ...


class BlockCheck(Protocol):
    def blocked(self, customer_id: UUID, numbers: Iterable[str]) -> dict[str, str]: ...


class History(Protocol):
    """What the platform sent before: for the 24-hour duplicate rule and daily quotas."""

    def sent_since(self, customer_id: UUID, since: datetime,
                   pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]: ...

    def count_since(self, customer_id: UUID, since: datetime) -> int: ...

    def remember(self, customer_id: UUID, pairs: Sequence[tuple[str, str]]) -> None:
        """What was just recorded, before the outbox shows it."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Sending:
    """Submit, cancel and approve campaigns."""

    def __init__(self, ledger: Ledger, tenancy: Tenancy, quoting: Quoting,
                 senders: SenderCheck, blocks: BlockCheck, history: History,
                 clock: Callable[[], datetime] = utcnow,
                 windows: SendingWindows | None = None) -> None:
        self.ledger, self.tenancy, self.quoting = ledger, tenancy, quoting
        self.senders, self.blocks, self.history, self.clock = senders, blocks, history, clock
        self.windows = windows or SendingWindows.load()
        # With a running writer, campaigns from many threads are saved in group commits.
        self.writer: Writer | None = None

    def submit(self, request: SendRequest) -> SubmitResult:
        campaign_id = (uuid5(request.customer_id, f"campaign:{request.reference}")
                       if request.reference else uuid4())
        if request.reference:
            recorded = self.ledger.find(campaign_id, Campaign)
            if recorded is not None and recorded.customer_id == request.customer_id:
                return _result_of(recorded, self.clock())  # the same request again
        customer = self.tenancy.customer(request.customer_id, recent=True)
        now = self.clock()
        options = customer.options
        self._check_access(request, customer.options, customer.status == "active")
        messages = self._messages(request)
        try:
            sender = self.senders.check(request.customer_id, request.sender)
        except Exception as error:  # the sender rules' own error: the seeds' code 97
            raise SendRefusedError(codes.INVALID_SENDER, str(error)) from error
        if request.kind == MARKETING and request.sender and not _has_stop_mention(messages):
            raise SendRefusedError(codes.STOP_MENTION_REQUIRED, codes.MEANINGS[102])
        quote = self.quoting.quote(request.customer_id, messages)
        refused = [_refusal(r.raw, r.reason, r.detail) for r in quote.refused]
        lines = self._allowed_lines(request, quote, refused, now,
                                    bool(options["duplicate_check_24h"])
                                    and request.repeat_of is None)
        if not lines:
            raise SendRefusedError(*_nobody_left(refused))
        quota = options.get("daily_quota")
        if isinstance(quota, int) and not request.test:
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            if self.history.count_since(request.customer_id, today) + len(lines) > quota:
                raise SendRefusedError(codes.QUOTA_EXCEEDED,
                                       f"the daily quota of {quota} messages is reached")
        rows = [[line.e164, line.destination.country, line.destination.operator,
                 line.segments, line.price, line.wholesale_cost,
                 "" if line.text == request.text else line.text] for line in lines]
        settings = {
            "sender": sender, "kind": request.kind, "text": request.text,
            "scheduled_at": request.scheduled_at, "validity_s": request.validity_s,
            "flash": request.flash, "test": request.test, "reference": request.reference,
            "channel": request.channel, "unit": self.tenancy.platform(recent=True).unit,
            "delivery_policy": str(options.get("delivery_policy", AT_MOST_ONCE)),
            "encoding_policy": str(options["non_gsm_policy"]),
            "proof_required": (len(rows) > _int_option(options, "proof_threshold")
                               and request.repeat_of is None),
            "created_at": now,
            "throttle": request.throttle.as_dict() if request.throttle else None,
            "recurrence": request.recurrence.as_dict() if request.recurrence else None,
            "timezone": customer.timezone,
            "first_at": request.first_at or request.scheduled_at,
            "repeat_of": str(request.repeat_of) if request.repeat_of else "",
            "callback_url": request.callback_url or str(options.get("status_callback_url", "")),
            "notify_email": request.notify_email,
        }
        campaign = Campaign.submit(campaign_id, request.customer_id, customer.reseller_id,
                                   settings, rows)
        recorded = self._record(campaign, request.customer_id)
        if recorded is campaign and not request.test:
            self.history.remember(request.customer_id, [(line.e164, line.text) for line in lines])
        notes: list[str] = []
        proof_number = str(options.get("proof_number") or "")
        if recorded.status == AWAITING_APPROVAL and proof_number and recorded is campaign:
            notes.append(self._send_proof(recorded, proof_number))
        if request.kind == MARKETING:  # said at submit: who waits for a sending window
            leaves = request.scheduled_at or now
            for country in sorted({line.destination.country for line in lines}):
                note = self.windows.window_note(country, leaves)
                if note:
                    notes.append(note)
        return _result_of(recorded, now, refused, quote.duplicates, notes)

    def cancel(self, customer_id: UUID, campaign_id: UUID) -> None:
        """Cancel a send that has not started; its holds are released in the same save."""

        def run(work: Work) -> None:
            campaign = self._campaign(work, customer_id, campaign_id)
            try:
                campaign.cancel("cancelled by the customer")
            except CampaignError as error:
                raise SendRefusedError(codes.DEFERRED_NOT_CANCELLED, str(error)) from error
            campaign.close()
            for hold in hold_ids(campaign.id):
                work.void(hold)
            work.collect(campaign)

        self.ledger.run(run)

    def _send_proof(self, campaign: Campaign, number: str) -> str:
        """The first message of a large send, to the customer's own mobile: the campaign
        waits for approval until the customer has seen it."""
        row = campaign.rows[0]
        text = row[6] or str(campaign.settings["text"])
        try:
            self.submit(SendRequest(
                campaign.customer_id, text=text, numbers=[number],
                sender=str(campaign.settings["sender"]), reference=f"{campaign.id}:proof",
                repeat_of=campaign.id, channel="proof"))
        except SendRefusedError as refused:
            return f"the proof could not be sent to {number}: {refused.detail}"
        return f"a proof was sent to {number}: approve the campaign to send it"

    def copy(self, customer_id: UUID, campaign_id: UUID, scheduled_at: datetime | None = None,
             reference: str = "") -> SubmitResult:
        """The same recipients and texts again, as a new campaign (a copy of a scheduled send,
        or a past one sent again), checked and paid for like any other."""
        source = self.ledger.run(lambda work: self._campaign(work, customer_id, campaign_id))
        return self.submit(_again(source, scheduled_at, reference, source.id))

    def repeat(self, campaign: Campaign) -> SubmitResult | None:
        """Submit the next occurrence of a recurring campaign (None once it has ended)."""
        recurrence = campaign.settings.get("recurrence")
        scheduled = campaign.scheduled_at
        if not recurrence or scheduled is None:
            return None
        rule = Recurrence.from_dict(recurrence)
        first: datetime = campaign.settings.get("first_at") or scheduled
        following = rule.next_after(first, str(campaign.settings["timezone"]), scheduled)
        if following is None:
            return None
        request = _again(campaign, following, f"{campaign.id}:next", campaign.id)
        return self.submit(replace(request, recurrence=rule, first_at=first))

    def reschedule(self, customer_id: UUID, campaign_id: UUID,
                   scheduled_at: datetime | None) -> None:
        """Edit the time of a send that has not started."""

        def run(work: Work) -> None:
            campaign = self._campaign(work, customer_id, campaign_id)
            try:
                campaign.reschedule(scheduled_at)
            except CampaignError as error:
                raise SendRefusedError(codes.DEFERRED_NOT_CANCELLED, str(error)) from error
            work.collect(campaign)

        self.ledger.run(run)

    def approve(self, customer_id: UUID, campaign_id: UUID) -> None:
        """The customer saw the proof: the large send may leave."""

        def run(work: Work) -> None:
            campaign = self._campaign(work, customer_id, campaign_id)
            campaign.approve()
            work.collect(campaign)

        self.ledger.run(run)

    # Steps --------------------------------------------------------------------------------

    def _check_access(self, request: SendRequest, options: dict[str, Any],
                      active: bool) -> None:
        if not active:
            raise SendRefusedError(codes.BAD_CREDENTIALS, "the account is suspended")
        allowed = options.get("ip_allow_list") or []
        if allowed and request.client_ip is not None and not _ip_allowed(
                request.client_ip, allowed):
            raise SendRefusedError(codes.IP_NOT_ALLOWED, f"{request.client_ip} is not allowed")
        if request.kind not in KINDS:
            raise SendRefusedError(codes.EMPTY_MESSAGE, f"kind is one of {', '.join(KINDS)}")

    @staticmethod
    def _messages(request: SendRequest) -> list[tuple[str, str]]:
        if request.rows:
            return [(number, text) for number, text in request.rows]
        if not request.text.strip():
            raise SendRefusedError(codes.EMPTY_MESSAGE, codes.MEANINGS[codes.EMPTY_MESSAGE])
        numbers = [n for n in request.numbers if n.strip()]
        if not numbers:
            raise SendRefusedError(codes.EMPTY_NUMBERS, codes.MEANINGS[codes.EMPTY_NUMBERS])
        return [(number, request.text) for number in numbers]

    def _allowed_lines(self, request: SendRequest, quote: Quote,
                       refused: list[RecipientRefusal], now: datetime,
                       check_duplicates: bool) -> list[Any]:
        lines = quote.lines
        blocked = self.blocks.blocked(request.customer_id, [line.e164 for line in lines])
        if blocked:
            refused.extend(_refusal(line.e164, "blacklisted", blocked[line.e164])
                           for line in lines if line.e164 in blocked)
            lines = [line for line in lines if line.e164 not in blocked]
        if check_duplicates and not request.test:
            seen = self.history.sent_since(request.customer_id, now - DUPLICATE_WINDOW,
                                           [(line.e164, line.text) for line in lines])
            if seen:
                refused.extend(_refusal(line.e164, "duplicate_24h", codes.MEANINGS[91])
                               for line in lines if (line.e164, line.text) in seen)
                lines = [line for line in lines if (line.e164, line.text) not in seen]
        return lines

    def _record(self, campaign: Campaign, customer_id: UUID) -> Campaign:
        """The campaign and its two linked holds, in one save (a retry finds it recorded).

        Through the writer, the save is a group commit with the campaigns of other threads.
        """
        customer_leg, reseller_leg = hold_ids(campaign.id)
        unit = str(campaign.settings["unit"])
        customer_wallet = self.tenancy.wallet_of(customer_id, recent=True)
        orders = [] if campaign.settings["test"] else [
            TransferOrder(customer_leg, customer_wallet,
                          account_id_for(campaign.reseller_id, REVENUE, unit),
                          campaign.totals["price"], pending=True, kind="send",
                          reference=str(campaign.id)),
            TransferOrder(reseller_leg, account_id_for(campaign.reseller_id, WALLET, unit),
                          account_id_for(PLATFORM_ID, REVENUE, unit),
                          campaign.totals["wholesale"], pending=True, kind="send",
                          reference=str(campaign.id)),
        ]
        encode = self.ledger.mapper.to_stored_event
        command = RecordCampaign(
            campaign.id, tuple(encode(event) for event in campaign.collect_events()),
            tuple(orders), look_up=bool(campaign.settings["reference"]))
        try:
            existing = self._run(command)
        except LinkedTransferError as error:
            if isinstance(error.cause, InsufficientFundsError):
                who = "the account" if error.index == 0 else "the reseller's account"
                raise SendRefusedError(codes.INSUFFICIENT_CREDIT,
                                       f"{who} cannot pay for this send: {error.cause}") from error
            raise
        return campaign if existing is None else existing

    def _run(self, command: RecordCampaign) -> Campaign | None:
        """Through the writer if there is one; here if it is stopped or went away (the
        command may have been recorded before it did: here it is looked up first)."""
        writer = self.writer
        if writer is not None and writer.running:
            try:
                return writer.run(command)
            except WriterStoppedError:
                pass
        return self.ledger.run(command)

    @staticmethod
    def _campaign(work: Work, customer_id: UUID, campaign_id: UUID) -> Campaign:
        campaign = work.find(campaign_id, Campaign)
        if campaign is None or campaign.customer_id != customer_id:
            raise SendRefusedError(codes.DEFERRED_NOT_CANCELLED, f"no campaign {campaign_id}")
        return campaign


def _again(campaign: Campaign, scheduled_at: datetime | None, reference: str,
           repeat_of: UUID) -> SendRequest:
    settings = campaign.settings
    text = str(settings["text"])
    return SendRequest(
        campaign.customer_id, text=text,
        rows=[(row[0], row[6] or text) for row in campaign.rows],
        sender=str(settings["sender"]), kind=str(settings["kind"]), scheduled_at=scheduled_at,
        validity_s=settings.get("validity_s"), flash=bool(settings["flash"]),
        reference=reference, channel=str(settings["channel"]),
        throttle=Throttle.from_dict(settings["throttle"]) if settings.get("throttle") else None,
        repeat_of=repeat_of, callback_url=str(settings.get("callback_url") or ""),
        notify_email=str(settings.get("notify_email") or ""),
    )


def _result_of(campaign: Campaign, now: datetime,
               refused: Sequence[RecipientRefusal] = (), duplicates: Sequence[str] = (),
               notes: Sequence[str] = ()) -> SubmitResult:
    scheduled = campaign.scheduled_at
    code = (codes.TEST_OK if campaign.settings["test"]
            else codes.DEFERRED if scheduled is not None and scheduled > now else codes.SENT)
    return SubmitResult(
        code=code, campaign_id=campaign.id, status=campaign.status,
        recipients=campaign.totals["recipients"], segments=campaign.totals["segments"],
        price=campaign.totals["price"], refused=tuple(refused), duplicates=tuple(duplicates),
        notes=tuple(notes),
    )


def _ip_allowed(address: str, allowed: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _has_stop_mention(messages: Sequence[tuple[str, str]]) -> bool:
    return all(STOP_MENTION.search(text) for _, text in messages)


def _int_option(options: dict[str, Any], name: str) -> int:
    value = options[name]
    if not isinstance(value, int):
        raise TypeError(f"option {name} should be an integer, is {value!r}")
    return value


_CODE_OF_REASON = {OVERSEAS_NOT_ALLOWED: codes.OVERSEAS_NOT_ALLOWED,
                   "blacklisted": codes.BLACKLISTED, "duplicate_24h": codes.DUPLICATE_24H,
                   "empty_message": codes.EMPTY_MESSAGE}


def _refusal(number: str, reason: str, detail: str) -> RecipientRefusal:
    return RecipientRefusal(number, _CODE_OF_REASON.get(reason, codes.INVALID_NUMBER), reason,
                            detail)


def _nobody_left(refused: Sequence[RecipientRefusal]) -> tuple[int, str]:
    """The request's code when every recipient was refused: theirs if they share one."""
    found = {r.code for r in refused}
    code = found.pop() if len(found) == 1 else codes.INVALID_NUMBER
    return code, f"no recipient left: {'; '.join(f'{r.number}: {r.detail}' for r in refused[:5])}"
