"""A customer's status-callback endpoint: a real HTTP server on 127.0.0.1 that records what
it receives and answers as told; a URL where nothing listens; a clock tests move by hand."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from portevoix.platform.forwarding import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


@dataclass(frozen=True)
class Post:
    headers: dict[str, str]
    body: bytes

    def events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.body)["events"]
        return found

    def verifies(self, secret: str) -> bool:
        return verify(secret, self.headers[TIMESTAMP_HEADER], self.body,
                      self.headers[SIGNATURE_HEADER])


@dataclass
class Receiver:
    """Answers ``answers`` in turn, then ``default``, each after ``delay_s``."""

    answers: list[int] = field(default_factory=list)
    default: int = 204
    delay_s: float = 0.0
    url: str = ""
    posts: list[Post] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, post: Post) -> int:
        with self.lock:
            self.posts.append(post)
            return self.answers.pop(0) if self.answers else self.default

    def received(self) -> list[Post]:
        with self.lock:
            return list(self.posts)

    def events(self) -> list[dict[str, Any]]:
        """Every event received, in the order received."""
        return [event for post in self.received() for event in post.events()]

    def wait_for(self, count: int, timeout_s: float = 15) -> list[Post]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.received()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.received())} callbacks received, expected {count}")


@contextlib.contextmanager
def a_receiver(*answers: int, default: int = 204, delay_s: float = 0.0,
               location: str = "") -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; ``location`` is sent as the Location header (a redirect)."""
    receiver = Receiver(list(answers), default, delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.answer(Post(dict(self.headers.items()), body))
            time.sleep(receiver.delay_s)
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
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/sms/status"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def a_dead_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/sms/status"


class Clock:
    """The time the delivery job sees; moved by the test, never slept."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
