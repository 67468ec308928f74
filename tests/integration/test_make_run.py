"""What ``make run`` does, over a real socket: seed the demo, serve, answer with balances."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PORTEVOIX = Path(sys.executable).with_name("portevoix")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_then_serve_answers_with_the_demo_balances(tmp_path: Path) -> None:
    env = {**os.environ, "PORTEVOIX_DATABASE_URL": f"sqlite:///{tmp_path}/var/portevoix.db"}
    seeded = subprocess.run([PORTEVOIX, "demo"], env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    port = free_port()
    server = subprocess.Popen([PORTEVOIX, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = None
        deadline = time.monotonic() + 30
        while status is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    status = json.load(reply)
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert "admin@portevoix.example" in seeded.stdout
    assert status is not None, "the server never answered"
    wallets = {a["owner"]: a["balance"] for a in status["accounts"] if a["purpose"] == "wallet"}
    assert wallets["Mairie de Villeneuve"] == "5250.000"
    assert wallets["SMS Plus"] == "399750.000"
