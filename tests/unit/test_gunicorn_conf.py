"""The web workers' gunicorn settings: once a worker is ready, what it built is frozen out of
the cyclic collector's reach and young collections run less often."""

from __future__ import annotations

import gc

from portevoix import gunicorn_conf


def test_a_ready_worker_freezes_what_it_built_and_collects_less_often() -> None:
    threshold = gc.get_threshold()
    try:
        gunicorn_conf.post_worker_init(worker=None)

        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (gunicorn_conf.YOUNG_COLLECTION_EVERY, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
