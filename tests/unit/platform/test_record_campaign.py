"""The command that records a campaign with its holds: it crosses to the writer's process
as bytes and tuples and comes out equal; its campaign is recorded as the events the caller
encoded; a second command for the same campaign in the same group commit finds it."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from uuid import UUID, uuid4

from portevoix.ledger.services import ISSUANCE, REVENUE, WALLET, Ledger
from portevoix.ledger.transfers import TransferOrder
from portevoix.ledger.writer import LedgerWriter
from portevoix.platform.campaigns import Campaign
from portevoix.platform.recording import RecordCampaign

SETTINGS = {"sender": "Mairie", "kind": "transactional", "text": "Bonjour",
            "scheduled_at": None, "validity_s": None, "flash": False, "test": False,
            "reference": "r-1", "channel": "api", "unit": "SMS",
            "delivery_policy": "at_most_once", "encoding_policy": "refuse",
            "proof_required": False, "created_at": datetime(2026, 12, 3, tzinfo=UTC),
            "throttle": None, "recurrence": None, "timezone": "Europe/Paris", "first_at": None,
            "repeat_of": "", "callback_url": "", "notify_email": ""}


def _command(ledger: Ledger, wallet: UUID, revenue: UUID) -> RecordCampaign:
    campaign = Campaign.submit(uuid4(), uuid4(), uuid4(), SETTINGS,
                               [["+33612345678", "FR", "orange", 1, 1_000, 800, ""]])
    hold = TransferOrder(uuid4(), wallet, revenue, 1_000, pending=True, kind="send")
    encode = ledger.mapper.to_stored_event
    return RecordCampaign(campaign.id, tuple(encode(e) for e in campaign.collect_events()),
                          (hold,), look_up=True)


def test_the_command_pickles_to_an_equal_command() -> None:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    command = _command(ledger, uuid4(), uuid4())

    assert pickle.loads(pickle.dumps(command)) == command
    assert len(pickle.dumps(command)) < 2 * sum(len(e.state) for e in command.events) + 400


def test_the_same_campaign_twice_in_one_group_commit_is_recorded_once() -> None:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    platform = uuid4()
    ledger.open_account(platform, ISSUANCE, "SMS", 0, None)
    revenue = ledger.open_account(platform, REVENUE, "SMS", 0, None)
    wallet = ledger.open_account(uuid4(), WALLET, "SMS", 0)
    ledger.grant(uuid4(), platform, wallet, 5_000)
    command = _command(ledger, wallet, revenue)
    writer = LedgerWriter(ledger)

    first, again = writer._commit([command, command])  # one batch, as the writer runs it

    assert first is None
    assert isinstance(again, Campaign) and again.id == command.campaign_id
    assert again.settings["reference"] == "r-1" and again.totals["price"] == 1_000
    stored = ledger.repository.get(command.campaign_id)
    assert stored.version == again.version == len(command.events)
    assert ledger.account(wallet).available == 4_000  # held once
