"""Webhooks over real sockets: a receiver on the loopback is out of reach unless allowed,
by address or by a name that resolves to it; redirects are answers, not followed."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from portevoix.platform.webhook_posts import ForbiddenTargetError, WebhookPoster


@contextlib.contextmanager
def a_server(status: int = 204, location: str = "") -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 answering ``status`` to every POST; yields its port and
    the paths it was posted to."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_a_loopback_receiver_is_refused_by_default_and_receives_nothing(host: str) -> None:
    with a_server() as (port, paths), pytest.raises(ForbiddenTargetError,
                                                     match="not a public address"):
        WebhookPoster()(f"http://{host}:{port}/hook", b"{}", {}, 2)

    assert paths == []


def test_the_ipv6_loopback_and_the_metadata_address_are_refused_before_any_connection(
        ) -> None:
    for url in ("http://[::1]:9/hook", "http://169.254.169.254/latest/meta-data/",
                "https://[::ffff:127.0.0.1]:9/hook", "http://0.0.0.0:9/"):
        with pytest.raises(ForbiddenTargetError):
            WebhookPoster()(url, b"{}", {}, 2)


def test_allowed_private_networks_are_posted_to_and_the_status_returned() -> None:
    with a_server(status=202) as (port, paths):
        status = WebhookPoster(private_allowed=True)(f"http://localhost:{port}/hook", b"{}",
                                                     {"Content-Type": "application/json"}, 2)

    assert (status, paths) == (202, ["/hook"])


def test_a_redirect_is_the_answer_and_is_not_followed() -> None:
    with a_server(status=302, location="/elsewhere") as (port, paths):
        status = WebhookPoster(private_allowed=True)(f"http://127.0.0.1:{port}/hook", b"{}",
                                                     {}, 2)

    assert (status, paths) == (302, ["/hook"])


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        WebhookPoster()("file:///etc/passwd", b"{}", {}, 2)
