"""Marketing sends wait for the recipient's sending window; transactional ones do not.
The clock is injected: the platform believes it is Sunday 22 November 2026, then Monday."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from send_world import RETAIL_FR, a_world

from portevoix.platform.sending import SendRequest

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")
SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=PARIS).astimezone(UTC)
MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS).astimezone(UTC)


def test_a_marketing_send_on_sunday_leaves_at_monday_eight(database_url: str) -> None:
    now = [SUNDAY_NOON]
    with a_world(database_url, clock=lambda: now[0]) as world:
        world.fund(10 * RETAIL_FR)
        sending = world.services.sending
        marketing = sending.submit(SendRequest(
            world.customer, text="Promo -20% ce lundi", numbers=["0612345678"],
            kind="marketing"))
        transactional = sending.submit(SendRequest(
            world.customer, text="Votre code: 1234", numbers=["0698765432"]))
        sent_at: dict[str, datetime] = {}
        for moment in (SUNDAY_NOON, MONDAY_8 - timedelta(minutes=1), MONDAY_8):
            now[0] = moment
            world.dispatch_until_done([transactional.campaign_id], timeout_s=20)
            for entry in world.smsc.record:
                sent_at.setdefault(entry.destination_addr, moment)
        world.dispatch_until_done([marketing.campaign_id], timeout_s=20)

    assert marketing.notes == (
        "outside the sending window in FR (Sunday): queued to Monday 2026-11-23 08:00 "
        "Europe/Paris",)
    assert transactional.notes == ()
    assert sent_at == {"33698765432": SUNDAY_NOON, "33612345678": MONDAY_8}
