"""gunicorn settings for the web workers: ``gunicorn -c python:portevoix.gunicorn_conf ...``.

A worker builds everything it keeps (services, applications, caches) before it serves, and
each request then allocates many short-lived objects. The cyclic garbage collector would
walk those long-lived objects again and again: they are frozen out of its reach once the
worker is ready, and young collections run every 20,000 allocations instead of 700 (about
a tenth of a busy worker's time, measured with bench/http_api.py).

The worker class is the command line's: ``-k gthread --threads 8`` (the README's command),
or ``-k gevent``. A send's request mostly waits (for its group commit, its batch of duplicate
look-ups); with threads every wake-up competes for the worker's GIL, with gevent requests
are greenlets taking turns in one thread. Everything a worker waits on cooperates once gevent
has patched the standard library: psycopg (3.1.14 and later), the ledger writer's socket
(``ledger/frames.py``), the locks, queues and sleeps of the batches. Measured with
``bench/http_api.py --worker-class gthread|gevent`` in the same sittings, gevent accepted
1.1 to 1.5 times the sends per second and its usual p99 was lower; but in 6 of 24 short
runs its p99 jumped to 0.4 to 5 s, for a cause not yet found (no call blocked the hub for
0.8 s: gevent's monitor saw none). Until it is found, threads are the default.
"""

from __future__ import annotations

import gc
from typing import Any

YOUNG_COLLECTION_EVERY = 20_000


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)
