"""The fair queue: customers share each take round robin, then their campaigns share their
part; a unit send is never stuck behind someone else's 100,000-message campaign."""

from __future__ import annotations

import pytest

from portevoix.platform.fairness import FairQueue


def test_a_unit_send_leaves_in_the_first_take_behind_a_100000_message_campaign():
    queue = FairQueue()
    queue.push("big-customer", "spring-sale", 100_000)
    queue.push("small-customer", "appointment", 1)

    taken = dict(queue.take(100))

    assert taken == {"spring-sale": 99, "appointment": 1}


def test_two_customers_with_large_backlogs_split_a_take_evenly():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 10_000)
    queue.push("b", "b-1", 10_000)

    taken = dict(queue.take(100))

    assert taken == {"a-1": 50, "b-1": 50}


def test_a_customer_with_more_campaigns_gets_no_more_than_its_share():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 10_000)
    queue.push("a", "a-2", 10_000)
    queue.push("b", "b-1", 10_000)

    taken = dict(queue.take(100))

    assert taken == {"a-1": 25, "a-2": 25, "b-1": 50}


def test_what_one_customer_cannot_use_goes_to_the_others():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 1000)
    queue.push("b", "b-1", 3)

    taken = dict(queue.take(100))

    assert taken == {"a-1": 97, "b-1": 3}
    assert len(queue) == 903


def test_what_one_campaign_cannot_use_goes_to_the_customers_other_campaigns():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 2)
    queue.push("a", "a-2", 1000)

    taken = dict(queue.take(10))

    assert taken == {"a-1": 2, "a-2": 8}


def test_each_campaign_appears_once_in_a_take_in_the_order_first_served():
    queue = FairQueue(quantum=5)
    queue.push("a", "a-1", 100)
    queue.push("b", "b-1", 100)

    taken = queue.take(40)

    assert taken == [("a-1", 20), ("b-1", 20)]


def test_a_budget_smaller_than_the_customers_serves_them_in_turn_across_takes():
    queue = FairQueue()
    for customer in ("a", "b", "c"):
        queue.push(customer, f"{customer}-1", 10)

    takes = [queue.take(1) for _ in range(4)]

    assert takes == [[("a-1", 1)], [("b-1", 1)], [("c-1", 1)], [("a-1", 1)]]


def test_a_take_interrupted_mid_turn_resumes_that_turn_without_a_new_quantum():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 100)
    queue.push("b", "b-1", 100)

    first, second = queue.take(15), queue.take(20)

    # The quantum is capped at 15 // 2 = 7: a 7, b 7, then a starts a second turn with 7 and
    # spends 1. The next take finishes a's turn (6, not a fresh 10), b gets 10, a 4 more.
    assert (dict(first), dict(second)) == ({"a-1": 8, "b-1": 7}, {"a-1": 10, "b-1": 10})


def test_a_budget_beyond_the_backlog_empties_the_queue():
    queue = FairQueue()
    queue.push("a", "a-1", 7)
    queue.push("b", "b-1", 5)

    taken = dict(queue.take(1000))

    assert taken == {"a-1": 7, "b-1": 5}
    assert len(queue) == 0
    assert queue.take(1000) == []


def test_pushing_more_to_a_campaign_adds_to_it():
    queue = FairQueue()
    queue.push("a", "a-1", 3)
    queue.push("a", "a-1", 4)

    assert (len(queue), queue.pending("a-1")) == (7, 7)
    assert queue.take(100) == [("a-1", 7)]


def test_done_drops_what_a_campaign_still_had_waiting():
    queue = FairQueue()
    queue.push("a", "a-1", 50)
    queue.push("b", "b-1", 50)

    dropped = queue.done("a-1")

    assert dropped == 50
    assert (len(queue), queue.pending("a-1")) == (50, 0)
    assert queue.take(100) == [("b-1", 50)]


def test_done_on_an_unknown_or_finished_campaign_drops_nothing():
    queue = FairQueue()
    queue.push("a", "a-1", 2)
    queue.take(10)

    assert (queue.done("a-1"), queue.done("never-pushed")) == (0, 0)


def test_done_on_the_customer_being_served_passes_the_turn():
    queue = FairQueue(quantum=10)
    queue.push("a", "a-1", 100)
    queue.push("b", "b-1", 100)
    queue.take(5)  # a is mid-turn

    queue.done("a-1")

    assert queue.take(10) == [("b-1", 10)]


def test_pushing_nothing_changes_nothing():
    queue = FairQueue()
    queue.push("a", "a-1", 0)

    assert (len(queue), queue.take(10)) == (0, [])


def test_a_campaign_belongs_to_one_customer():
    queue = FairQueue()
    queue.push("a", "shared-id", 5)

    with pytest.raises(ValueError, match="belongs to customer a"):
        queue.push("b", "shared-id", 5)
    assert len(queue) == 5


@pytest.mark.parametrize("count", [-1, True, 1.5])
def test_a_negative_or_non_int_count_is_refused(count):
    with pytest.raises(ValueError, match="count"):
        FairQueue().push("a", "a-1", count)


@pytest.mark.parametrize("budget", [-1, True, 10.0])
def test_a_negative_or_non_int_budget_is_refused(budget):
    queue = FairQueue()
    queue.push("a", "a-1", 5)

    with pytest.raises(ValueError, match="budget"):
        queue.take(budget)
    assert len(queue) == 5


@pytest.mark.parametrize("quantum", [0, -5, True])
def test_a_quantum_below_one_is_refused(quantum):
    with pytest.raises(ValueError, match="quantum"):
        FairQueue(quantum=quantum)


def test_a_take_of_zero_hands_out_nothing():
    queue = FairQueue()
    queue.push("a", "a-1", 5)

    assert (queue.take(0), len(queue)) == ([], 5)
