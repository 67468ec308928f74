"""Recent reads: the send path's look-ups, kept until the log shows them changed (by any
process), and forgotten at once by this process's saves."""

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


def test_a_recent_read_is_answered_from_memory_until_the_log_shows_a_change(
        notes: Notes) -> None:
    note, other = Note("first"), Note("other")
    notes.save(note)
    notes.save(other)
    assert notes.recent(note.id).text == "first"
    assert notes.recent(other.id).text == "other"

    save_elsewhere(notes, note.id, "second")
    reads = _count_reads(notes)
    notes.recent_check_every_s = 3600.0
    kept = notes.recent(note.id).text  # the log is not looked at again yet
    notes.recent_check_every_s = 0.0
    fresh = notes.recent(note.id).text
    unchanged = notes.recent(other.id).text

    assert (kept, fresh, unchanged) == ("first", "second", "other")
    assert reads == [note.id]  # the unchanged one was answered from memory


def test_a_change_seen_in_the_log_while_a_read_ran_is_not_missed(notes: Notes) -> None:
    """The read got the old state; meanwhile a look at the log forgot the aggregate. The
    old state must not then be kept."""
    note = Note("first")
    notes.save(note)
    notes.recent_check_every_s = 0.0
    notes.recent(note.id)  # the log looked at once
    notes.save(Note("unrelated"))  # not through recent: nothing is forgotten yet
    read = notes.repository.get

    def read_then_change_elsewhere(aggregate_id: UUID, **kwargs: Any) -> Any:
        old = read(aggregate_id, **kwargs)
        notes.repository.get = read  # type: ignore[method-assign]
        save_elsewhere(notes, aggregate_id, "second")
        notes._forget_changed()  # another thread looks at the log meanwhile
        return old

    notes._recent.clear()
    notes.repository.get = read_then_change_elsewhere  # type: ignore[method-assign]
    assert notes.recent(note.id).text == "first"
    notes.recent_check_every_s = 3600.0

    assert notes.recent(note.id).text == "second"


def _count_reads(notes: Notes) -> list[UUID]:
    reads: list[UUID] = []
    read = notes.repository.get

    def counted(aggregate_id: UUID, **kwargs: Any) -> Any:
        reads.append(aggregate_id)
        return read(aggregate_id, **kwargs)

    notes.repository.get = counted  # type: ignore[method-assign]
    return reads


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
