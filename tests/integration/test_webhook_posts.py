"""Webhooks over real sockets: a receiver on the loopback is out of reach unless allowed,
by address or by a name that resolves to it; redirects are answers, not followed."""

from __future__ import annotations

import pytest
from callback_receiver import a_receiver

from portevoix.platform.webhook_posts import ForbiddenTargetError, WebhookPoster


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_a_loopback_receiver_is_refused_by_default_and_receives_nothing(host: str) -> None:
    with a_receiver() as receiver, pytest.raises(ForbiddenTargetError,
                                                  match="not a public address"):
        WebhookPoster()(receiver.url.replace("127.0.0.1", host), b"{}", {}, 2)

    assert receiver.received() == []


def test_the_ipv6_loopback_and_the_metadata_address_are_refused_before_any_connection(
        ) -> None:
    for url in ("http://[::1]:9/hook", "http://169.254.169.254/latest/meta-data/",
                "https://[::ffff:127.0.0.1]:9/hook", "http://0.0.0.0:9/"):
        with pytest.raises(ForbiddenTargetError):
            WebhookPoster()(url, b"{}", {}, 2)


def test_allowed_private_networks_are_posted_to_and_the_status_returned() -> None:
    with a_receiver(default=202) as receiver:
        status = WebhookPoster(private_allowed=True)(receiver.url.replace(
            "127.0.0.1", "localhost"), b'{"a": 1}', {"Content-Type": "application/json"}, 2)

    assert (status, [post.body for post in receiver.received()]) == (202, [b'{"a": 1}'])


def test_a_redirect_is_the_answer_and_is_not_followed() -> None:
    with a_receiver(default=302, location="/elsewhere") as receiver:
        status = WebhookPoster(private_allowed=True)(receiver.url, b"{}", {}, 2)

    assert (status, len(receiver.received())) == (302, 1)


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        WebhookPoster()("file:///etc/passwd", b"{}", {}, 2)
