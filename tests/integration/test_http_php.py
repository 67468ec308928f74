"""``/http.php`` driven as the seeds' clients drive it: HTTP over a real socket, every code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode
from urllib.request import Request, urlopen
from uuid import UUID, uuid5

import pytest
from send_world import RETAIL_FR, World, a_world
from werkzeug.serving import make_server

from portevoix.platform.campaigns import CANCELLED
from portevoix.platform.channels.http_php import TRUST_FORWARDED_FOR
from portevoix.web import create_app

pytestmark = pytest.mark.timeout(300)
LOGIN, PASSWORD = "envoi@mairie.example", "correct horse battery"
TEXT = "Votre rendez-vous est confirmé."
FUTURE = "123004122034"  # 12:30 on 4 December 2034


@dataclass
class Client:
    world: World
    base: str
    api_key: str

    def call(self, method: str = "GET", encoding: str = "utf-8",
             headers: dict[str, str] | None = None, **params: str) -> tuple[str, str]:
        """The body and content type of one request to /http.php."""
        query = urlencode(params, encoding=encoding)
        if method == "GET":
            request = Request(f"{self.base}/http.php?{query}", headers=headers or {})
        else:
            request = Request(f"{self.base}/http.php", data=query.encode("ascii"), headers={
                "Content-Type": f"application/x-www-form-urlencoded; charset={encoding}",
                **(headers or {})})
        with urlopen(request, timeout=30) as response:
            assert response.status == 200
            return response.read().decode(), response.headers["Content-Type"]

    def code(self, **params: str) -> int:
        fields = {"user": LOGIN, "pass": PASSWORD, "numero": "0612345678", "message": TEXT}
        fields.update(params)
        return int(self.call(**{k: v for k, v in fields.items() if v is not None})[0])


@contextmanager
def served(world: World, **config: object) -> Iterator[str]:
    app = create_app(services=world.services, follow=False)
    app.config.update(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def with_user(world: World) -> str:
    tenancy = world.services.tenancy
    user_id = tenancy.create_user(world.customer, LOGIN, "Envoi", "owner", PASSWORD)
    return tenancy.create_api_key(world.customer, user_id, "site", ["send"])[1]


@pytest.fixture
def unfunded(database_url: str) -> Iterator[Client]:
    with a_world(database_url) as world:
        key = with_user(world)
        with served(world) as base:
            yield Client(world, base, key)


@pytest.fixture
def client(unfunded: Client) -> Client:
    unfunded.world.fund(100 * RETAIL_FR)
    return unfunded


def test_a_send_answers_80_alone_as_plain_text(client: Client) -> None:
    body, content_type = client.call(user=LOGIN, numero="0612345678", message=TEXT,
                                     **{"pass": PASSWORD})

    assert (body, content_type.split(";")[0]) == ("80", "text/plain")


def test_an_api_key_in_clean_api_with_the_email_parameter_sends(client: Client) -> None:
    assert client.code(user=None, email=LOGIN, cleAPI=client.api_key, **{"pass": None}) == 80


def test_a_post_form_sends_like_a_get(client: Client) -> None:
    body, _ = client.call("POST", user=LOGIN, cleAPI=client.api_key, numero="0612345678",
                          message=TEXT)

    assert body == "80"


@pytest.mark.parametrize(("params", "code"), [
    ({"diff": FUTURE}, 81),
    ({"pass": "wrong password"}, 82),
    ({"cleAPI": "pvx_notakeyatall", "pass": None}, 82),
    ({"numero": "0612"}, 84),
    ({"diff": "99"}, 85),
    ({"diff": "123032122034"}, 85),
    ({"numero": "liste_clients1"}, 86),
    ({"user": ""}, 87),
    ({"pass": ""}, 88),
    ({"numero": ""}, 89),
    ({"message": ""}, 90),
    ({"test": "1"}, 92),
    ({"numero": "0696123456"}, 93),
    ({"sender": "NotMine"}, 97),
    ({"sender": "SMSPlus", "kind": "marketing"}, 102),
])
def test_each_refusal_or_outcome_has_its_code(client: Client, params: dict[str, str],
                                              code: int) -> None:
    assert client.code(**params) == code


def test_an_unfunded_account_answers_83(unfunded: Client) -> None:
    assert unfunded.code() == 83


def test_the_same_text_to_the_same_number_within_24_hours_answers_91(client: Client) -> None:
    first = client.code()

    assert (first, client.code()) == (80, 91)


def test_a_deferred_send_is_cancelled_by_its_time_with_s_94(client: Client) -> None:
    funds = client.world.available()
    client.code(diff=FUTURE, refaccuse="rdv-42")

    code = client.code(diff=FUTURE + "s")

    campaign = client.world.services.ledger.repository.get(_campaign_id(client.world, "rdv-42"))
    assert (code, campaign.status, client.world.available()) == (94, CANCELLED, funds)


def test_cancelling_when_nothing_is_deferred_at_that_time_answers_95(client: Client) -> None:
    client.code(diff=FUTURE)

    assert client.code(diff="123105122034s") == 95


def test_an_address_outside_the_allow_list_answers_96(client: Client) -> None:
    client.world.services.tenancy.change_options(client.world.customer,
                                                 ip_allow_list=["192.0.2.0/24"])

    assert client.code() == 96


def test_a_blacklisted_number_answers_101(client: Client) -> None:
    client.world.services.blacklists.opt_out(client.world.customer, "+33612345678", "manual")

    assert client.code() == 101


def test_beyond_the_daily_quota_answers_103(client: Client) -> None:
    client.world.services.tenancy.change_options(client.world.customer, daily_quota=1)

    assert client.code(numero="0612345678-0612345679") == 103


def test_a_multi_number_request_with_some_refused_answers_the_request_code(
        client: Client) -> None:
    client.world.services.blacklists.opt_out(client.world.customer, "+33612345678", "manual")

    code = client.code(numero="0612345678-0612-0611111111", refaccuse="multi")

    campaign = client.world.services.ledger.repository.get(_campaign_id(client.world, "multi"))
    assert (code, campaign.totals["recipients"]) == (80, 1)


@pytest.mark.parametrize(("method", "encoding", "declared"), [
    ("GET", "utf-8", None), ("GET", "iso-8859-1", "ISO-8859-1"),
    ("POST", "iso-8859-1", None), ("GET", "iso-8859-1", None),
])
def test_the_message_is_decoded_in_the_declared_charset(
        client: Client, method: str, encoding: str, declared: str | None) -> None:
    text = "Rendez-vous à 14 h, été"
    params = {"user": LOGIN, "cleAPI": client.api_key, "numero": "0612345678",
              "message": text, "refaccuse": "cs", **({"charset": declared} if declared else {})}

    body, _ = client.call(method, encoding, **params)

    campaign = client.world.services.ledger.repository.get(_campaign_id(client.world, "cs"))
    assert (body, campaign.settings["text"]) == ("80", text)


def test_email_rep_is_where_the_campaign_notifies_and_the_reference_is_refaccuse(
        client: Client) -> None:
    client.code(refaccuse="r1", email_rep="compta@mairie.example")

    campaign = client.world.services.ledger.repository.get(_campaign_id(client.world, "r1"))
    assert campaign.settings["reference"] == "r1"
    assert campaign.settings["notify_email"] == "compta@mairie.example"


def test_x_forwarded_for_counts_only_when_the_proxy_is_trusted(unfunded: Client) -> None:
    world = unfunded.world
    world.fund(10 * RETAIL_FR)
    world.services.tenancy.change_options(world.customer, ip_allow_list=["192.0.2.0/24"])
    forwarded = {"X-Forwarded-For": "192.0.2.7, 10.0.0.1"}
    params = {"user": LOGIN, "pass": PASSWORD, "numero": "0612345678", "message": TEXT}

    untrusted = unfunded.call(headers=forwarded, **params)[0]
    with served(world, **{TRUST_FORWARDED_FOR: True}) as base:
        trusted = Client(world, base, unfunded.api_key).call(headers=forwarded, **params)[0]

    assert (untrusted, trusted) == ("96", "80")


def _campaign_id(world: World, reference: str) -> UUID:
    return uuid5(world.customer, f"campaign:{reference}")


def test_credentials_that_do_not_make_a_customer_sender_answer_82(client: Client) -> None:
    """Another customer's key with our login, a key without ``send``, a reseller's user."""
    world, tenancy = client.world, client.world.services.tenancy
    other = tenancy.create_customer(world.reseller, "ecole", "École", "sms@ecole.example")
    other_user = tenancy.create_user(other, "e@ecole.example", "E", "owner", PASSWORD)
    other_key = tenancy.create_api_key(other, other_user, "k", ["send"])[1]
    reader = tenancy.create_api_key(world.customer, tenancy.create_user(
        world.customer, "r@mairie.example", "R", "owner", PASSWORD), "r", ["read"])[1]
    tenancy.create_user(world.reseller, "boss@smsplus.example", "Boss", "owner", PASSWORD)

    codes = [client.code(cleAPI=other_key, **{"pass": None}),
             client.code(user="r@mairie.example", cleAPI=reader, **{"pass": None}),
             client.code(user="boss@smsplus.example")]

    assert codes == [82, 82, 82]
