"""Sends accepted per second over HTTP: ``/http.php`` and the JSON API under gunicorn.

The platform runs as production does: gunicorn (gthread workers) on 127.0.0.1 serving
``portevoix.web:create_app()`` on PostgreSQL (127.0.0.1:5432, database ``test``, a fresh
schema), each worker's group commits in a process of its own (PORTEVOIX_WRITER_PROCESS=1),
the projections left to a projector process (not started: the figures are the web tier's).
wrk (Debian's ``wrk``) drives it for ``--seconds`` per interface from a second process:
single-recipient sends, a new number each request, from ``--customers`` customers
of one reseller (so every send also holds the reseller's wallet), each with its API key.

A send counts when its answer says it was recorded (``80`` from http.php, 201 from the JSON
API); afterwards the campaigns in the event store are counted, so an accepted send that was
not durably recorded would show (``lost=``). Latencies are wrk's (p50, p99), in ms. Medians
of ``--rounds`` rounds; the last line holds them as ``name=value`` pairs.

    .venv/bin/python bench/http_api.py [--seconds 20] [--rounds 3] [--workers 2]
        [--worker-class gthread|gevent] [--threads 8]

Two workers of 8 threads, each taking 16 of wrk's 32 connections, measured best here; both
send through the one ledger writer process of the store. ``--worker-class gevent`` measures
greenlet workers (each taking its 16 connections) on the same machine, for a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from ledger import postgres_url

from portevoix.platform.prices import SMS, PriceEntry
from portevoix.services import build_services
from portevoix.settings import Settings
from portevoix.tenants.parties import PLATFORM_ID

JAN = datetime(2026, 1, 1, tzinfo=UTC)
VENV_BIN = Path(sys.executable).parent
ERROR_LOG = Path(tempfile.gettempdir()) / "portevoix-bench-gunicorn.log"  # errors, if any

# wrk's script: one request shape per interface, a fresh number each request (a thread's
# id keeps its numbers apart from the other threads'), the customers' keys in turn. It
# counts the answers that say the send was recorded.
WRK_SCRIPT = textwrap.dedent("""
    local keys = {KEYS}
    local interface = "{INTERFACE}"
    local threads = {}
    counter = 0
    base = 0
    accepted = 0
    refused = 0

    function setup(thread)
      thread:set("id", #threads)
      table.insert(threads, thread)
    end

    function init(args)
      base = {BASE} + id * 1000000
    end

    request = function()
      counter = counter + 1
      local key = keys[(counter % #keys) + 1]
      local number = string.format("+336%08d", (base + counter) % 100000000)
      if interface == "http_php" then
        local path = "/http.php?email=" .. key.login .. "&cleAPI=" .. key.secret
          .. "&numero=%2B" .. string.sub(number, 2)
          .. "&message=Votre%20code%20est%20" .. counter
        return wrk.format("GET", path)
      end
      local body = '{"numbers": ["' .. number .. '"], "text": "Votre code est ' .. counter .. '"}'
      return wrk.format("POST", "/api/v1/messages",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key.secret},
        body)
    end

    response = function(status, headers, body)
      if (interface == "http_php" and body == "80") or (interface == "json" and status == 201) then
        accepted = accepted + 1
      else
        refused = refused + 1
        if refused < 4 then io.stderr:write("refused: " .. status .. " " .. body .. "\\n") end
      end
    end

    done = function(summary, latency, requests)
      local e = summary.errors
      if e.connect + e.read + e.write + e.status + e.timeout > 0 then
        io.stderr:write(string.format("wrk errors: connect=%d read=%d write=%d status=%d "
          .. "timeout=%d\\n", e.connect, e.read, e.write, e.status, e.timeout))
      end
      local a, r = 0, 0
      for _, thread in ipairs(threads) do
        a = a + thread:get("accepted")
        r = r + thread:get("refused")
      end
      io.write(string.format("RESULT accepted=%d refused=%d p50_us=%d p99_us=%d errors=%d\\n",
        a, r, latency:percentile(50), latency:percentile(99),
        summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout))
    end
""")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, customers: int) -> list[dict[str, str]]:
    """A reseller with ``customers`` funded customers, price lists, and an API key each."""
    services = build_services(Settings(database_url=url, secret_key="bench"))
    tenancy, book, ledger = services.tenancy, services.price_book, services.ledger
    tenancy.create_platform()
    reseller = tenancy.create_reseller("bench", "Bench", "bench@example.com")
    tenancy.update_branding(reseller, default_sender="Bench")
    book.assign(reseller, book.publish(PLATFORM_ID, "w", [PriceEntry("FR", "", SMS, 800)], JAN))
    retail = book.publish(reseller, "r", [PriceEntry("FR", "", SMS, 1000)], JAN)
    ledger.grant(uuid4(), PLATFORM_ID, tenancy.wallet_of(reseller), 10**12)
    keys = []
    for index in range(customers):
        email = f"load{index}@example.com"
        customer = tenancy.create_customer(reseller, f"load{index}", f"Load {index}", email)
        book.assign(customer, retail)
        ledger.grant(uuid4(), reseller, tenancy.wallet_of(customer), 10**11)
        user = tenancy.create_user(customer, email, "Load", "owner", "bench-password")
        _, secret = tenancy.create_api_key(customer, user, "bench", ["send", "read"])
        keys.append({"login": email, "secret": secret})
    services.catch_up()
    services.close()
    return keys


@contextmanager
def gunicorn(url: str, port: int, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    env = os.environ | {"PORTEVOIX_DATABASE_URL": url, "PORTEVOIX_SECRET_KEY": "bench",
                        "PORTEVOIX_FOLLOW_PROJECTIONS": "0", "PORTEVOIX_WRITER_PROCESS": "1"}
    # Each worker takes its share of the load generator's connections: a worker accepts
    # every connection it may, and the first to wake would take them all.
    share = -(-args.connections // args.workers)
    kind = ["--worker-class", args.worker_class, "--worker-connections", str(share)]
    if args.worker_class == "gthread":
        kind += ["--threads", str(args.threads)]
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), *kind,
         "--config", "python:portevoix.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning",
         "--error-logfile", str(ERROR_LOG), "portevoix.web:create_app()"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def drive(port: int, interface: str, keys: list[dict[str, str]], seconds: int,
          connections: int, base: int) -> dict[str, int]:
    script = WRK_SCRIPT.replace("{INTERFACE}", interface).replace("{BASE}", str(base))
    lua_keys = ", ".join(f'{{login = "{k["login"]}", secret = "{k["secret"]}"}}' for k in keys)
    script = script.replace("{KEYS}", "{" + lua_keys + "}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        output = subprocess.run(
            ["wrk", "--threads", "2", "--connections", str(connections), "--duration",
             f"{seconds}s", "--timeout", "10s", "--script", file.name,
             f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=False)
        if output.returncode:
            raise RuntimeError(f"wrk failed: {output.stderr or output.stdout}")
        output_text = output.stdout
    finally:
        os.unlink(file.name)
    if output.stderr.strip():
        print(output.stderr.strip()[:600], file=sys.stderr)
    line = next(line for line in output_text.splitlines() if line.startswith("RESULT"))
    return {name: int(value) for name, value in
            (pair.split("=") for pair in line.split()[1:])}


def recorded_campaigns(url: str) -> int:
    """Campaigns in the event store (their ``Submitted`` events)."""
    import psycopg

    schema = url.rpartition("schema=")[2]
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test") as conn:
        found = conn.execute(f"SELECT count(*) FROM {schema}.ledger_events WHERE topic = %s",
                             ("portevoix.platform:Campaign.Submitted",)).fetchone()
    return int(found[0]) if found else 0


def one_round(args: argparse.Namespace, round_number: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with postgres_url() as url:
        keys = prepare(url, args.customers)
        port = free_port()
        with gunicorn(url, port, args):
            for offset, interface in enumerate(("http_php", "json")):
                base = (round_number * 4 + offset * 2) * 2_000_000  # numbers never repeat
                drive(port, interface, keys, 2, args.connections, base + 2_000_000)  # warm
                before = recorded_campaigns(url)
                result = drive(port, interface, keys, args.seconds, args.connections, base)
                durable = recorded_campaigns(url) - before
                figures[f"{interface}_sends_per_s"] = result["accepted"] / args.seconds
                figures[f"{interface}_p50_ms"] = result["p50_us"] / 1000
                figures[f"{interface}_p99_ms"] = result["p99_us"] / 1000
                figures[f"{interface}_refused"] = result["refused"] + result["errors"]
                figures[f"{interface}_lost"] = max(0, result["accepted"] - durable)
                mine = {k: round(v, 1) for k, v in figures.items() if k.startswith(interface)}
                print(f"round {round_number + 1} {interface}: {json.dumps(mine)}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=("gthread", "gevent"), default="gthread")
    parser.add_argument("--threads", type=int, default=8, help="gthread workers' threads")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--customers", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/http_api.py needs wrk: apt-get install wrk")
    rounds = [one_round(args, number) for number in range(args.rounds)]
    names = ["http_php_sends_per_s", "http_php_p50_ms", "http_php_p99_ms", "json_sends_per_s",
             "json_p50_ms", "json_p99_ms", "http_php_lost", "json_lost", "http_php_refused",
             "json_refused"]
    medians = {name: statistics.median(r[name] for r in rounds) for name in names}
    print(" ".join(f"{name}={value:.0f}" if "per_s" in name or "lost" in name
                   or "refused" in name else f"{name}={value:.1f}"
                   for name, value in medians.items()))


if __name__ == "__main__":
    main()
