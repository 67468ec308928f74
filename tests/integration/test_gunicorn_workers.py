"""The web tier as production runs it: gunicorn with ``portevoix.gunicorn_conf`` (thread
workers, or gevent's), the ledger writer process, PostgreSQL. Concurrent clients over real
sockets each get their code, every send is recorded once and paid for, and nothing is left
running."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from send_world import RETAIL_FR, a_world

from portevoix.services import build_services
from portevoix.settings import Settings

pytestmark = pytest.mark.timeout(180)
LOGIN, PASSWORD = "envoi@mairie.example", "correct horse battery"
CLIENTS, SENDS_EACH = 12, 5
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(url: str, log: Path, worker_class: str) -> Iterator[int]:
    """Two workers of the production settings on 127.0.0.1, until stopped (SIGTERM)."""
    kind = ["--worker-class", worker_class, "--worker-connections", "16"]
    if worker_class == "gthread":
        kind += ["--threads", "8"]
    port = free_port()
    env = os.environ | {"PORTEVOIX_DATABASE_URL": url, "PORTEVOIX_SECRET_KEY": "test",
                        "PORTEVOIX_FOLLOW_PROJECTIONS": "0", "PORTEVOIX_WRITER_PROCESS": "1"}
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--config", "python:portevoix.gunicorn_conf",
         *kind, "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "info",
         "--error-logfile", str(log), "portevoix.web:create_app()"], env=env)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def send_over_one_connection(port: int, client: int) -> list[str]:
    """``SENDS_EACH`` sends on one kept-alive connection; the bodies answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    bodies = []
    for index in range(SENDS_EACH):
        query = urlencode({"user": LOGIN, "pass": PASSWORD, "numero": f"06{client:04d}{index:04d}",
                           "message": f"Code {client}-{index}"})
        connection.request("GET", f"/http.php?{query}")
        bodies.append(connection.getresponse().read().decode())
    connection.close()
    return bodies


def writers_of(url: str) -> list[int]:
    """The pids of the ledger writer processes serving ``url``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and b"portevoix.ledger.writer_process" in
                    (entry / "cmdline").read_bytes()
                    and _environ(entry).get("PORTEVOIX_WRITER_DATABASE_URL") == url):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or another user's
    return found


def _environ(entry: Path) -> dict[str, str]:
    pairs = (item.partition(b"=") for item in (entry / "environ").read_bytes().split(b"\0"))
    return {key.decode(errors="replace"): value.decode(errors="replace")
            for key, _, value in pairs if key}


@pytest.mark.parametrize("worker_class", ["gthread", "gevent"])
def test_concurrent_sends_through_the_workers_are_each_recorded_once(
        postgres_url: str, tmp_path: Path, worker_class: str) -> None:
    with a_world(postgres_url) as world:
        world.services.tenancy.create_user(world.customer, LOGIN, "Envoi", "owner", PASSWORD)
        world.fund(100 * RETAIL_FR)
        wallet = world.services.tenancy.wallet_of(world.customer)
    log = tmp_path / "gunicorn.log"

    with gunicorn(postgres_url, log, worker_class) as port, ThreadPoolExecutor(CLIENTS) as pool:
        answers = [body for bodies in pool.map(lambda client: send_over_one_connection(
            port, client), range(CLIENTS)) for body in bodies]
        writers = writers_of(postgres_url)

    assert answers == ["80"] * CLIENTS * SENDS_EACH
    schema = postgres_url.rpartition("schema=")[2]
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test") as conn:
        [(submitted,)] = conn.execute(
            f"SELECT count(*) FROM {schema}.ledger_events WHERE topic = %s",
            ("portevoix.platform:Campaign.Submitted",)).fetchall()
    assert submitted == CLIENTS * SENDS_EACH
    services = build_services(Settings(database_url=postgres_url))  # read afresh
    available = services.ledger.account(wallet).available
    services.close()
    assert available == (100 - CLIENTS * SENDS_EACH) * RETAIL_FR
    text = log.read_text()
    assert f"Using worker: {worker_class}" in text and "Traceback" not in text
    assert len(writers) == 1  # one writer for both workers
    deadline = time.monotonic() + 30  # it ends once no worker is left (IDLE_EXIT_S)
    while writers_of(postgres_url) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert writers_of(postgres_url) == []
