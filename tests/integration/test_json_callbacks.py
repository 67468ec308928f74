"""Status callbacks through ``/api/v1`` over a real socket, on SQLite and PostgreSQL: a send
naming a ``callback_url`` (or an account with ``status_callback_url``) dispatched through
the SMSC simulator is called back, in order and signed, on an HTTP server on 127.0.0.1; the
delivery log, the secret, retries, and another customer kept out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import pytest
from callback_receiver import Receiver, a_receiver
from json_client import Api, keys_of, served
from send_world import RETAIL_FR, World, a_world

from portevoix.platform.callbacks import callback_secret

pytestmark = pytest.mark.timeout(300)
SECRET = "test-platform-secret"
NUMBER = "+33612345678"


@dataclass
class Platform:
    api: Api
    other: Api  # another customer of the same reseller

    @property
    def world(self) -> World:
        return self.api.world

    def deliver(self) -> None:
        """One round of the callback job, waiting for its posts."""
        self.world.services.deliver_callbacks(wait=True)

    def send(self, url: str, **fields: object) -> str:
        status, sent, _ = self.api.send(callback_url=url, **fields)
        assert status == 201, sent
        campaign_id: str = sent["campaign_id"]
        return campaign_id

    def log(self, query: str = "", key: str = "read") -> list[dict[str, Any]]:
        status, page, _ = self.api.call("GET", f"/callbacks{query}", key=key)
        assert status == 200, page
        found: list[dict[str, Any]] = page["data"]
        return found


def platform_of(world: World, base: str) -> Platform:
    tenancy = world.services.tenancy
    other = tenancy.create_customer(world.reseller, "ecole", "École", "sms@ecole.example")
    return Platform(Api(world, base, keys_of(world)),
                    Api(world, base, keys_of(world, other, "api@ecole.example")))


@pytest.fixture
def platform(request: pytest.FixtureRequest, database_url: str) -> Iterator[Platform]:
    rules = getattr(request, "param", ())
    with a_world(database_url, rules=rules, secret_key=SECRET) as world:
        world.fund(100 * RETAIL_FR)
        with served(world) as base:
            yield platform_of(world, base)


@pytest.mark.parametrize(("platform", "final"), [
    ((), "received"),
    (("^33612345678=undeliverable",), "failed"),
], indirect=["platform"])
def test_a_send_with_a_callback_url_is_called_back_in_order_and_signed(
        platform: Platform, final: str) -> None:
    _, secret, _ = platform.api.call("GET", "/callbacks/secret", key="send")
    with a_receiver() as receiver:
        campaign_id = platform.send(receiver.url, reference="rdv-42")
        platform.deliver()
        platform.world.dispatch_until_done([UUID(campaign_id)])

        platform.deliver()

    posts = receiver.received()
    events = receiver.events()
    assert len(posts) == 2
    assert all(post.verifies(secret["secret"]) for post in posts)
    assert [e["status"] for e in events] == ["scheduled", "sending", "sent", final]
    assert {(e["campaign_id"], e["number"], e["reference"]) for e in events} == {
        (campaign_id, NUMBER, "rdv-42")}
    assert events[-1]["stat"] == ("DELIVRD" if final == "received" else "UNDELIV")
    assert [d["state"] for d in platform.log()] == ["delivered", "delivered"]


def test_the_account_option_is_used_when_a_send_names_no_url(platform: Platform) -> None:
    with a_receiver() as receiver:
        platform.world.services.tenancy.change_options(
            platform.world.customer, status_callback_url=receiver.url)
        campaign_id = platform.send("")

        platform.deliver()

    assert [(e["campaign_id"], e["status"]) for e in receiver.events()] == [
        (campaign_id, "scheduled")]


def test_a_send_naming_a_url_is_called_back_there_rather_than_at_the_accounts(
        platform: Platform) -> None:
    with a_receiver() as account, a_receiver() as named:
        platform.world.services.tenancy.change_options(
            platform.world.customer, status_callback_url=account.url)
        platform.send(named.url)

        platform.deliver()

    assert (len(account.received()), len(named.received())) == (0, 1)


def test_a_send_without_a_callback_url_is_not_called_back(platform: Platform) -> None:
    platform.send("")

    platform.deliver()

    assert platform.log() == []


@pytest.mark.parametrize("url", [
    "ftp://crm.example.com/status",
    "crm.example.com/status",
    "/status",
    "https://",
    "https://crm.example.com/a b",
    "https://crm.example.com/" + "x" * 477,
    42,
])
def test_a_malformed_callback_url_is_400_and_sends_nothing(platform: Platform,
                                                            url: object) -> None:
    status, body, _ = platform.api.send(callback_url=url)

    assert (status, body["error"]["code"]) == (400, "invalid_request")
    assert "callback_url" in body["error"]["fields"]
    assert platform.api.call("GET", "/campaigns")[1]["data"] == []


def deliveries_to_two_endpoints(platform: Platform, ok: Receiver,
                                refusing: Receiver) -> tuple[str, str]:
    delivered = platform.send(ok.url)
    failed = platform.send(refusing.url, numbers=["0612345679"])
    platform.deliver()
    return delivered, failed


def test_the_log_lists_deliveries_with_their_attempts_and_filters_them(
        platform: Platform) -> None:
    with a_receiver() as ok, a_receiver(default=404) as refusing:
        delivered, failed = deliveries_to_two_endpoints(platform, ok, refusing)

    every = platform.log()
    [refused] = platform.log("?state=failed")
    [of_campaign] = platform.log(f"?campaign_id={delivered}")
    [of_message] = platform.log(f"?message_id={UUID(failed).hex}.0")
    _, first, _ = platform.api.call("GET", "/callbacks?limit=1", key="read")
    _, second, _ = platform.api.call("GET", f"/callbacks?limit=1&after={quote(first['after'])}",
                                     key="read")
    status, one, _ = platform.api.call("GET", f"/callbacks/{of_campaign['callback_id']}",
                                       key="read")

    assert [(d["url"], d["state"]) for d in every] == [(refusing.url, "failed"),
                                                       (ok.url, "delivered")]
    assert [(a["http_status"], a["error"]) for a in refused["attempts"]] == [(404, "")]
    assert refused["next_attempt_at"] is None and refused["finished_at"] is not None
    assert (of_campaign["url"], of_message["url"]) == (ok.url, refusing.url)
    assert [d["callback_id"] for d in first["data"] + second["data"]] == [
        d["callback_id"] for d in every] and second["after"] is None
    assert status == 200
    assert [(e["campaign_id"], e["status"]) for e in one["payload"]["events"]] == [
        (delivered, "scheduled")]


def test_a_failed_delivery_is_retried_through_the_api(platform: Platform) -> None:
    with a_receiver(404) as receiver:
        platform.send(receiver.url)
        platform.deliver()
        [failed] = platform.log()
        path = f"/callbacks/{failed['callback_id']}/retry"
        forbidden, _, _ = platform.api.call("POST", path, key="read")

        status, retried, _ = platform.api.call("POST", path, key="send")
        platform.deliver()
        again, refused, _ = platform.api.call("POST", path, key="send")

    [done] = platform.log()
    assert (failed["state"], forbidden) == ("failed", 403)
    assert (status, retried["state"], retried["tries"]) == (200, "pending", 0)
    assert (done["state"], [a["http_status"] for a in done["attempts"]]) == (
        "delivered", [404, 204])
    assert (again, refused["error"]["code"]) == (409, "not_retryable")
    assert len(receiver.received()) == 2


def test_another_customer_can_neither_list_read_nor_retry_the_deliveries(
        platform: Platform) -> None:
    with a_receiver(default=404) as receiver:
        platform.send(receiver.url)
        platform.deliver()
    [failed] = platform.log()
    callback_id = failed["callback_id"]

    listed = platform.other.call("GET", "/callbacks", key="read")
    read = platform.other.call("GET", f"/callbacks/{callback_id}", key="read")
    retried = platform.other.call("POST", f"/callbacks/{callback_id}/retry", key="send")
    unknown = platform.api.call("POST", f"/callbacks/{uuid4()}/retry", key="send")

    assert (listed[0], listed[1]["data"]) == (200, [])
    assert (read[0], retried[0], unknown[0]) == (404, 404, 404)
    assert [d["state"] for d in platform.log()] == ["failed"]


def test_the_secret_is_each_customers_own_and_needs_the_send_scope(
        platform: Platform) -> None:
    forbidden, _, _ = platform.api.call("GET", "/callbacks/secret", key="read")
    status, mine, headers = platform.api.call("GET", "/callbacks/secret", key="send")
    _, theirs, _ = platform.other.call("GET", "/callbacks/secret", key="send")

    assert (forbidden, status) == (403, 200)
    assert mine["secret"] == callback_secret(SECRET, platform.world.customer)
    assert theirs["secret"] != mine["secret"]
    assert (mine["signature_header"], mine["timestamp_header"]) == (
        "X-Portevoix-Signature", "X-Portevoix-Timestamp")
    assert headers["Cache-Control"] == "no-store"


def test_without_a_platform_secret_the_secret_is_409(database_url: str) -> None:
    with a_world(database_url) as world, served(world) as base:
        api = Api(world, base, keys_of(world))

        status, body, _ = api.call("GET", "/callbacks/secret", key="send")

    assert (status, body["error"]["code"]) == (409, "callbacks_unavailable")
