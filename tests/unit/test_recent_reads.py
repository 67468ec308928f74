"""Recent reads: the send path's look-ups, kept a second, forgotten by this process's saves."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event

from portevoix.recent_reads import RecentReads


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Changed")
    def change(self, text: str) -> None:
        self.text = text


class Notes(RecentReads, Application[UUID]):
    is_snapshotting_enabled = False


@pytest.fixture
def notes() -> Any:
    app = Notes(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                     "AGGREGATE_CACHE_MAXSIZE": "100"})
    yield app
    app.close()


def save_elsewhere(app: Notes, note_id: UUID, text: str) -> None:
    """A change by another process: recorded in the store, not through ``app.save``."""
    note = app.repository.get(note_id)
    note.change(text)
    app.events.put(note.collect_events())


def test_a_recent_read_is_answered_from_memory_until_it_is_a_second_old(notes: Notes) -> None:
    note = Note("first")
    notes.save(note)
    assert notes.recent(note.id).text == "first"

    save_elsewhere(notes, note.id, "second")
    kept = notes.recent(note.id).text
    notes.recent_max_age_s = 0.0
    fresh = notes.recent(note.id).text

    assert (kept, fresh) == ("first", "second")


def test_a_save_by_this_process_is_seen_at_once(notes: Notes) -> None:
    note = Note("first")
    notes.save(note)
    notes.recent(note.id)

    changed = notes.repository.get(note.id)
    changed.change("second")
    notes.save(changed)

    assert notes.recent(note.id).text == "second"


def test_a_missing_aggregate_is_missing_from_memory_too_until_this_process_saves_it(
        notes: Notes) -> None:
    note = Note("new")
    with pytest.raises(AggregateNotFoundError):
        notes.recent(note.id)

    notes.save(note)

    assert notes.recent(note.id).text == "new"
