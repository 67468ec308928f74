"""URL2SMS driven as a real client: HTTP over a socket, every status code of 004 §7."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode
from urllib.request import urlopen
from uuid import UUID

import pytest
from send_world import RETAIL_FR, World, a_world
from werkzeug.serving import make_server

from portevoix.platform.sending import SendRequest, SubmitResult
from portevoix.web import create_app

pytestmark = pytest.mark.timeout(300)
TEXT = "Votre colis arrive demain."


@dataclass
class Client:
    world: World
    base: str
    key: str

    def send(self, **params: str | None) -> tuple[int, str, str]:
        """Status, message and campaign id of one request (the key, a number and a text
        unless given)."""
        fields = {"key": self.key, "mobile": "33612345678", "sms": TEXT, **params}
        query = urlencode({k: v for k, v in fields.items() if v is not None})
        with urlopen(f"{self.base}/url2sms?{query}", timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("application/xml")
            raw = response.read()
        assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?><response>')
        root = ET.fromstring(raw)
        return (int(root.findtext("status") or 0), root.findtext("message") or "",
                root.findtext("campaign_id") or "")

    def status(self, **params: str | None) -> int:
        return self.send(**params)[0]


@contextmanager
def served(world: World) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(services=world.services, follow=False),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def unfunded(database_url: str) -> Iterator[Client]:
    with a_world(database_url) as world:
        tenancy = world.services.tenancy
        user_id = tenancy.create_user(world.customer, "api@mairie.example", "API", "owner",
                                      "correct horse battery")
        key = tenancy.create_api_key(world.customer, user_id, "site", ["send"])[1]
        with served(world) as base:
            yield Client(world, base, key)


@pytest.fixture
def client(unfunded: Client) -> Client:
    unfunded.world.fund(100 * RETAIL_FR)
    return unfunded


def the_platform_fails(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenario: the send pipeline breaks in a way no refusal covers (a store gone away)."""

    def broken(request: SendRequest) -> SubmitResult:
        raise ConnectionError("the event store went away")

    monkeypatch.setattr(world.services.sending, "submit", broken)


def test_a_send_answers_200_ok_with_its_campaign(client: Client) -> None:
    status, message, campaign_id = client.send(mobile="33612345678,+33612345679",
                                               sender="SMSPlus")

    assert (status, message) == (200, "OK")
    campaign = client.world.services.ledger.repository.get(UUID(campaign_id))
    assert campaign.totals["recipients"] == 2


def test_some_numbers_refused_still_answer_200_for_those_sent(client: Client) -> None:
    status, _, campaign_id = client.send(mobile="33612345678-0612")

    campaign = client.world.services.ledger.repository.get(UUID(campaign_id))
    assert (status, campaign.totals["recipients"]) == (200, 1)


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"key": None}, 400, "absence d'id"),
    ({"key": "pvx_notakeyatall"}, 401, "id non autorisé"),
    ({"sms": ""}, 430, "contenu manquant"),
    ({"mobile": ""}, 431, "destination manquante"),
    ({"mobile": "clients"}, 431, "destination manquante"),
    ({"mobile": "0612"}, 441, "destination non autorisée"),
    ({"mobile": "596696123456"}, 441, "destination non autorisée"),
    ({"sender": "NotMine"}, 442, "sender non autorisée"),
])
def test_each_refusal_has_its_status_and_the_seeds_message(
        client: Client, params: dict[str, str | None], status: int, message: str) -> None:
    assert client.send(**params)[:2] == (status, message)


def test_an_unfunded_account_answers_402(unfunded: Client) -> None:
    assert unfunded.status() == 402


def test_a_revoked_key_answers_401(client: Client) -> None:
    tenancy = client.world.services.tenancy
    user_id = tenancy.create_user(client.world.customer, "b@mairie.example", "B", "owner",
                                  "correct horse battery")
    key_id, secret = tenancy.create_api_key(client.world.customer, user_id, "old", ["send"])
    tenancy.revoke_api_key(key_id)

    assert client.status(key=secret) == 401


def test_an_address_outside_the_allow_list_answers_401(client: Client) -> None:
    client.world.services.tenancy.change_options(client.world.customer,
                                                 ip_allow_list=["192.0.2.0/24"])

    assert client.status() == 401


def test_beyond_the_daily_quota_answers_420(client: Client) -> None:
    client.world.services.tenancy.change_options(client.world.customer, daily_quota=1)

    assert client.status(mobile="33612345678,33612345679") == 420


def test_a_text_too_long_for_the_account_answers_440(client: Client) -> None:
    client.world.services.tenancy.change_options(client.world.customer, long_sms=False)

    assert client.status(sms="x" * 200) == 440


def test_a_blacklisted_number_answers_441(client: Client) -> None:
    client.world.services.blacklists.opt_out(client.world.customer, "+33612345678", "manual")

    assert client.status() == 441


def test_an_unexpected_failure_answers_500(client: Client,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    the_platform_fails(client.world, monkeypatch)

    assert client.send()[:2] == (500, "erreur interne")
