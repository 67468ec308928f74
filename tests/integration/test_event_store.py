"""Our PostgreSQL recorder: a save is one COPY in one transaction; a version recorded twice
is refused as the library refuses it (IntegrityError), records nothing of its save, and
leaves the connection as it found it."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from portevoix.event_store import CopyingPostgresApplicationRecorder
from portevoix.ledger.services import Ledger
from portevoix.storage import Storage


def test_a_version_recorded_twice_is_refused_and_nothing_of_its_save_is_kept(
        postgres_url: str) -> None:
    ledger = Ledger(env=Storage(postgres_url).event_store_env("ledger"))
    recorder = ledger.recorder
    assert isinstance(recorder, CopyingPostgresApplicationRecorder)
    first, second = uuid4(), uuid4()
    recorder.insert_events([StoredEvent(first, 1, "t", b"{}")])

    with pytest.raises(IntegrityError):
        recorder.insert_events([StoredEvent(second, 1, "t", b"{}"),
                                StoredEvent(first, 1, "t", b"{}")])

    assert recorder.select_events(second) == []  # the whole save was rolled back
    recorder.insert_events([StoredEvent(second, 1, "t", b"{}")])  # the connection is fine
    assert [e.originator_version for e in recorder.select_events(second)] == [1]
    with recorder.datastore.get_connection() as conn:
        assert conn.info.transaction_status.name == "IDLE"
    ledger.close()
