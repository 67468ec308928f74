"""A 10,000-recipient personalised campaign through the real SMSC simulator: reserved,
dispatched, receipted and settled to the unit."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from send_world import RETAIL_FR, WHOLESALE_FR, a_world
from sqlalchemy import func, select

from portevoix.platform.sending import SendRequest
from portevoix.projections.outbox import messages

pytestmark = pytest.mark.timeout(300)


def test_ten_thousand_personalised_messages_are_settled_to_the_unit(postgres_url: str) -> None:
    rng = random.Random(5)
    numbers = [f"+3361{n:07d}" for n in range(9_697)]
    undeliverable = set(rng.sample(numbers, 200))  # 2 %
    invalid = [f"06{n:03d}" for n in range(500)]  # 5 %: too short
    duplicates = numbers[:3]
    rows = [(n.replace("+3361", "+3378") if n in undeliverable else n,
             f"Bonjour {'Zoé' if i % 7 else 'Jean-Baptiste-Marie'}, votre dossier n°{i} est "
             "prêt." + (" Merci." * (i % 30)))
            for i, n in enumerate(numbers)]
    rows += [(number, "ignored: a duplicate") for number in duplicates]
    rows += [(number, "Bonjour") for number in invalid]
    rng.shuffle(rows)

    with a_world(postgres_url, rules=("^3378=undeliverable",)) as world:
        world.fund(50_000_000)
        before = world.available()
        reseller_before = world.available(world.reseller)
        result = world.services.sending.submit(SendRequest(world.customer, rows=rows))
        waiting = result.status
        world.services.sending.approve(world.customer, result.campaign_id)  # the proof seen
        world.dispatch_until_done([result.campaign_id])
        world.services.catch_up()
        campaign = world.services.ledger.repository.get(result.campaign_id)
        with world.services.engine.connect() as conn:
            statuses = {status: count for status, count in conn.execute(
                select(messages.c.status, func.count())
                .where(messages.c.campaign_id == result.campaign_id)
                .group_by(messages.c.status))}
        record = Counter(entry.destination_addr for entry in world.smsc.record)
        after, reseller_after = world.available(), world.available(world.reseller)

    segments = sum(row[3] for row in campaign.rows)
    assert waiting == "awaiting_approval"  # above the proof threshold
    assert result.recipients == 9_697
    assert len(result.refused) == 500
    assert len(result.duplicates) == 3
    assert before - after == segments * RETAIL_FR == campaign.charged_price
    assert reseller_before - reseller_after == segments * WHOLESALE_FR
    assert statuses == {"received": 9_697 - 200, "failed": 200}
    assert {number: count for number, count in record.items()} == {
        row[0].lstrip("+"): row[3] for row in campaign.rows}  # each segment sent once
