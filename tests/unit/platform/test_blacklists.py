"""Opt-outs and platform blocks: who a send must skip, and how lists change."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import resolve_topic

from portevoix.platform.blacklists import (
    BLOCK_LIST_ID,
    IMPORT,
    MANUAL,
    OPTED_OUT,
    PLATFORM_BLOCK,
    START_REPLY,
    STOP_REPLY,
    Blacklists,
    BlockList,
    InvalidBlockReasonError,
    InvalidE164Error,
    OptedOutByStopError,
    OptOutList,
    UnknownSourceError,
    opt_out_list_id_for,
)

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
ANA, BOB, CLEO = "+33612345601", "+33612345602", "+33612345603"


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+3361{n:07d}" for n in range(start, start + count)]


@pytest.fixture
def lists() -> Blacklists:
    return Blacklists(env=POPO)


@pytest.fixture
def customer() -> UUID:
    return uuid4()


def recorded(lists: Blacklists) -> list[Any]:
    return [lists.mapper.to_domain_event(n)
            for n in lists.recorder.select_notifications(start=1, limit=10**6)]


# Who is blocked ------------------------------------------------------------------------


def test_stop_reply_opts_the_number_out_of_that_customers_sends_only(
    lists: Blacklists, customer: UUID,
) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)

    assert lists.blocked(customer, [ANA, BOB]) == {ANA: OPTED_OUT}
    assert lists.blocked(uuid4(), [ANA, BOB]) == {}


def test_platform_block_applies_to_every_customer(lists: Blacklists, customer: UUID) -> None:
    lists.block(BOB, "fraud complaint")

    assert lists.blocked(customer, [ANA, BOB]) == {BOB: PLATFORM_BLOCK}
    assert lists.blocked(uuid4(), [BOB]) == {BOB: PLATFORM_BLOCK}


def test_platform_block_is_reported_before_an_opt_out(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)

    lists.block(ANA, "court order")

    assert lists.blocked(customer, [ANA]) == {ANA: PLATFORM_BLOCK}


def test_platform_block_wins_over_an_opt_in(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)
    lists.block(ANA, "court order")

    lists.opt_in(customer, ANA, START_REPLY)

    assert lists.blocked(customer, [ANA]) == {ANA: PLATFORM_BLOCK}


def test_unblocked_number_is_still_opted_out_where_it_was(
    lists: Blacklists, customer: UUID,
) -> None:
    lists.opt_out(customer, ANA, MANUAL)
    lists.block(ANA, "spam trap")

    assert lists.unblock(ANA) is True

    assert lists.blocked(customer, [ANA]) == {ANA: OPTED_OUT}
    assert lists.blocked(uuid4(), [ANA]) == {}


def test_nothing_is_blocked_before_any_list_exists(lists: Blacklists, customer: UUID) -> None:
    assert lists.blocked(customer, numbers(3)) == {}
    assert recorded(lists) == []


def test_blocked_loads_each_list_once_whatever_the_number_of_recipients(
    lists: Blacklists, customer: UUID, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lists.opt_out_many(customer, numbers(3_000), IMPORT)
    lists.block_many(numbers(10, start=5_000), "abuse")
    loads: list[UUID] = []
    get = lists.repository.get

    def counting_get(aggregate_id: UUID, **kwargs: Any) -> Any:
        loads.append(aggregate_id)
        return get(aggregate_id, **kwargs)

    monkeypatch.setattr(lists.repository, "get", counting_get)

    found = lists.blocked(customer, numbers(10_000))

    assert sorted(loads) == sorted([BLOCK_LIST_ID, opt_out_list_id_for(customer)])
    assert len(found) == 3_010
    assert list(found.values()).count(PLATFORM_BLOCK) == 10


# STOP wins -------------------------------------------------------------------------------


def test_customer_cannot_lift_a_stop_opt_out(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)
    before = len(recorded(lists))

    with pytest.raises(OptedOutByStopError) as refused:
        lists.opt_in(customer, ANA, MANUAL)

    assert (refused.value.customer_id, refused.value.numbers) == (customer, [ANA])
    assert len(recorded(lists)) == before
    assert lists.blocked(customer, [ANA]) == {ANA: OPTED_OUT}


def test_start_reply_lifts_a_stop_opt_out(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)

    assert lists.opt_in(customer, ANA, START_REPLY) is True

    assert lists.blocked(customer, [ANA]) == {}


def test_stop_reply_from_a_listed_number_makes_it_the_persons_choice(
    lists: Blacklists, customer: UUID,
) -> None:
    lists.opt_out(customer, ANA, IMPORT)

    assert lists.opt_out(customer, ANA, STOP_REPLY) is True

    with pytest.raises(OptedOutByStopError):
        lists.opt_in(customer, ANA, MANUAL)


def test_start_reply_does_not_lift_what_the_customer_listed(
    lists: Blacklists, customer: UUID,
) -> None:
    lists.opt_out(customer, ANA, MANUAL)

    assert lists.opt_in(customer, ANA, START_REPLY) is False

    assert lists.blocked(customer, [ANA]) == {ANA: OPTED_OUT}


def test_customer_lifts_what_it_listed(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, MANUAL)

    assert lists.opt_in(customer, ANA, MANUAL) is True

    assert lists.blocked(customer, [ANA]) == {}


# Idempotence, batches, refusals ----------------------------------------------------------


@pytest.mark.parametrize("source", [STOP_REPLY, MANUAL, IMPORT])
def test_adding_a_present_number_records_nothing(
    lists: Blacklists, customer: UUID, source: str,
) -> None:
    lists.opt_out(customer, ANA, source)
    before = len(recorded(lists))

    assert lists.opt_out(customer, ANA, source) is False

    assert len(recorded(lists)) == before


def test_manual_listing_of_a_stop_opt_out_records_nothing(
    lists: Blacklists, customer: UUID,
) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)
    before = len(recorded(lists))

    assert lists.opt_out(customer, ANA, MANUAL) is False

    assert len(recorded(lists)) == before


def test_blocking_a_blocked_number_records_nothing(lists: Blacklists) -> None:
    lists.block(ANA, "abuse")
    before = len(recorded(lists))

    assert lists.block(ANA, "another reason") is False

    assert len(recorded(lists)) == before


def test_removing_an_absent_number_records_nothing(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, MANUAL)
    before = len(recorded(lists))

    assert lists.opt_in(customer, BOB, MANUAL) is False
    assert lists.unblock(BOB) is False

    assert len(recorded(lists)) == before


def test_import_of_100000_numbers_is_100_events(lists: Blacklists, customer: UUID) -> None:
    imported = numbers(100_000)

    added = lists.opt_out_many(customer, [*imported, *imported[:500]], IMPORT)

    events = recorded(lists)
    batches = [e for e in events if isinstance(e, OptOutList.OptedOut)]
    assert added == 100_000
    assert len(batches) == 100
    assert {len(e.numbers) for e in batches} == {1_000}
    assert len(events) == 101  # and the list's creation
    assert len(lists.blocked(customer, imported)) == 100_000


def test_import_records_only_the_new_numbers(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out_many(customer, numbers(1_500), IMPORT)

    added = lists.opt_out_many(customer, numbers(1_500, start=1_000), IMPORT)

    last = recorded(lists)[-1]
    assert added == 1_000
    assert last.numbers == numbers(1_000, start=1_500)


@pytest.mark.parametrize("bad", ["0612345678", "33612345678", "+33 6 12 34 56 01", "+0612",
                                 "+3361234560123456"])
def test_numbers_must_be_e164(lists: Blacklists, customer: UUID, bad: str) -> None:
    with pytest.raises(InvalidE164Error) as refused:
        lists.opt_out_many(customer, [ANA, bad], IMPORT)

    assert refused.value.numbers == [bad]
    assert recorded(lists) == []


def test_unknown_opt_out_source_is_refused(lists: Blacklists, customer: UUID) -> None:
    with pytest.raises(UnknownSourceError) as refused:
        lists.opt_out(customer, ANA, START_REPLY)

    assert refused.value.allowed == (STOP_REPLY, MANUAL, IMPORT)
    assert recorded(lists) == []


def test_unknown_opt_in_source_is_refused_even_before_any_opt_out(
    lists: Blacklists, customer: UUID,
) -> None:
    with pytest.raises(UnknownSourceError) as refused:
        lists.opt_in(customer, ANA, IMPORT)

    assert refused.value.allowed == (START_REPLY, MANUAL)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_block_needs_a_short_reason(lists: Blacklists, reason: str) -> None:
    with pytest.raises(InvalidBlockReasonError):
        lists.block(ANA, reason)

    assert recorded(lists) == []


# Replay and snapshots --------------------------------------------------------------------


class EveryThirdEvent(Blacklists):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {OptOutList: 3, BlockList: 3}


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def snapshot_versions(lists: Blacklists, aggregate_id: UUID) -> list[int]:
    assert lists.snapshots is not None
    return [s.originator_version for s in lists.snapshots.get(aggregate_id)]


def full_replay(lists: Blacklists, aggregate_id: UUID) -> Any:
    """The aggregate folded from all its events, ignoring any snapshot."""
    aggregate = None
    event: Any
    for event in lists.events.get(aggregate_id):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_replay_equals_live_state_including_snapshots(customer: UUID) -> None:
    lists = EveryThirdEvent(env=POPO)
    live_opt_outs = OptOutList(customer_id=customer)
    live_opt_outs.add_many(numbers(2_500), IMPORT)  # versions 2 to 4
    live_opt_outs.add_many([ANA, BOB], STOP_REPLY)
    live_opt_outs.remove_many([ANA], START_REPLY)
    live_opt_outs.remove_many(numbers(10), MANUAL)
    live_opt_outs.add_many([CLEO], MANUAL)
    live_block_list = BlockList()
    live_block_list.add_many(numbers(1_200), "abuse")
    live_block_list.remove_many(numbers(5))
    live_block_list.add_many([ANA], "court order")
    lists.save(live_opt_outs, live_block_list)

    for live in (live_opt_outs, live_block_list):
        reloaded: Any = lists.repository.get(live.id)
        assert state_of(reloaded) == state_of(live)
        assert state_of(full_replay(lists, live.id)) == state_of(live)
    assert snapshot_versions(lists, live_opt_outs.id) == [3, 6]
    assert snapshot_versions(lists, live_block_list.id) == [3]
    assert live_opt_outs.stopped == {BOB}
    assert len(live_opt_outs.numbers) == 2_500 - 10 + 2


def test_snapshot_is_taken_every_interval_through_the_service(customer: UUID) -> None:
    lists = EveryThirdEvent(env=POPO)

    for number in numbers(7):
        lists.opt_out(customer, number, STOP_REPLY)  # versions 2 to 8

    list_id = opt_out_list_id_for(customer)
    assert snapshot_versions(lists, list_id) == [3, 6]
    assert lists.blocked(customer, numbers(8)) == dict.fromkeys(numbers(7), OPTED_OUT)


def test_cached_list_is_copied_for_commands_and_shared_for_look_ups(customer: UUID) -> None:
    lists = Blacklists(env=POPO | {"AGGREGATE_CACHE_MAXSIZE": "10"})
    lists.opt_out_many(customer, numbers(2_000), IMPORT)
    list_id = opt_out_list_id_for(customer)
    cached: OptOutList = lists.repository.get(list_id, deepcopy_from_cache=False)

    copy: OptOutList = lists.repository.get(list_id)
    copy.add_many([ANA], MANUAL)

    assert copy.numbers is not cached.numbers and copy.stopped is not cached.stopped
    assert ANA not in cached.numbers
    assert state_of(lists.repository.get(list_id)) == state_of(cached)
    assert lists.blocked(customer, [ANA, *numbers(2)]) == dict.fromkeys(numbers(2), OPTED_OUT)


EVENT_TOPICS = {
    "portevoix.platform:OptOutList.Opened",
    "portevoix.platform:OptOutList.OptedOut",
    "portevoix.platform:OptOutList.OptedIn",
    "portevoix.platform:BlockList.Opened",
    "portevoix.platform:BlockList.Blocked",
    "portevoix.platform:BlockList.Unblocked",
}


def test_every_event_is_stored_under_its_pinned_topic(lists: Blacklists, customer: UUID) -> None:
    lists.opt_out(customer, ANA, STOP_REPLY)
    lists.opt_in(customer, ANA, START_REPLY)
    lists.block(BOB, "abuse")
    lists.unblock(BOB)

    topics = {n.topic for n in lists.recorder.select_notifications(start=1, limit=100)}

    assert topics == EVENT_TOPICS
    for topic in EVENT_TOPICS:
        assert resolve_topic(topic).__qualname__ == topic.split(":")[1]


@pytest.mark.parametrize("aggregate", [OptOutList, BlockList], ids=lambda c: c.__name__)
def test_aggregates_keep_pinned_topics(aggregate: type) -> None:
    name = aggregate.__name__

    assert resolve_topic(f"portevoix.platform:{name}") is aggregate
    assert resolve_topic(f"portevoix.platform:{name}.Created") is aggregate.Created
