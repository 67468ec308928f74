"""A client of ``/api/v1`` over a real socket: the app served on 127.0.0.1, API keys of
each scope for the world's customer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen
from uuid import UUID

from send_world import World
from werkzeug.serving import make_server

from portevoix.web import create_app

LOGIN, PASSWORD = "api@mairie.example", "correct horse battery"
TEXT = "Votre rendez-vous est confirmé."


@dataclass
class Api:
    world: World
    base: str
    keys: dict[str, str]

    def call(self, method: str, path: str, body: object = None, key: str | None = "all",
             headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, Any, dict[str, str]]:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {self.keys.get(key, key)}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            sent["Content-Type"] = "application/json"
        request = Request(f"{self.base}/api/v1{path}", data=data, method=method, headers=sent)
        try:
            with urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except HTTPError as error:
            return error.code, json.loads(error.read()), dict(error.headers)

    def send(self, headers: dict[str, str] | None = None,
             **fields: object) -> tuple[int, Any, dict[str, str]]:
        return self.call("POST", "/messages", {"numbers": ["0612345678"], "text": TEXT,
                                               **fields}, headers=headers)


@contextmanager
def served(world: World) -> Iterator[str]:
    app = create_app(services=world.services, follow=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def keys_of(world: World, customer: UUID | None = None, login: str = LOGIN) -> dict[str, str]:
    """A key of each scope ("all" has every one) for ``customer`` (the world's by default)."""
    tenancy, customer = world.services.tenancy, customer or world.customer
    user_id = tenancy.create_user(customer, login, "API", "owner", PASSWORD)
    scopes = {"all": ["send", "read", "balance", "contacts"], "send": ["send"],
              "read": ["read"], "balance": ["balance"], "contacts": ["contacts"]}
    return {name: tenancy.create_api_key(customer, user_id, name, granted)[1]
            for name, granted in scopes.items()}
