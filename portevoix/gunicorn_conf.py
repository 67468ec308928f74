"""gunicorn settings for the web workers: ``gunicorn -c python:portevoix.gunicorn_conf ...``.

gevent workers. A send's request spends most of its time waiting: for its group commit in
the ledger writer, for its batch of duplicate look-ups. With a thread per request (gthread),
every wake-up competes for the worker's GIL with the threads busy parsing and quoting; with
gevent, requests are greenlets taking turns in one thread, and a wait is a switch. Measured
with ``bench/http_api.py --worker-class gthread`` and then ``gevent`` in the same sitting,
single-recipient sends through ``/http.php``: 354 and 267/s with threads, 669 and 591/s with
greenlets, for less CPU a send (4.0 to 4.7 ms against 2.8 to 3.0). Everything the worker waits on
cooperates once gevent has patched the standard library: psycopg (3.1.14 and later), the
ledger writer's socket (``ledger/frames.py``), the locks, queues and sleeps of the batches.
``worker_connections`` bounds the requests a worker serves at once (and so the store
connections it may open at once); ``-k gthread`` on the command line still works.

A worker builds everything it keeps (services, applications, caches) before it serves, and
each request then allocates many short-lived objects. The cyclic garbage collector would
walk those long-lived objects again and again: they are frozen out of its reach once the
worker is ready, and young collections run every 20,000 allocations instead of 700 (about
a tenth of a busy worker's time, measured with bench/http_api.py).
"""

from __future__ import annotations

import gc
from typing import Any

worker_class = "gevent"
worker_connections = 64
YOUNG_COLLECTION_EVERY = 20_000


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)
