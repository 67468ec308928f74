"""The fair queue's invariants on arbitrary backlogs: every customer with work gets its share
of every take, and nothing is handed out twice, lost or invented."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from portevoix.platform.fairness import FairQueue

CUSTOMERS = [f"customer-{n}" for n in range(6)]

# A backlog: per customer, the sizes of its campaigns.
backlogs = st.lists(
    st.lists(st.integers(1, 3000), min_size=1, max_size=4), min_size=1, max_size=len(CUSTOMERS)
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.sampled_from(CUSTOMERS), st.integers(0, 5),
                  st.integers(0, 500)),
        st.tuples(st.just("take"), st.integers(0, 300)),
        st.tuples(st.just("done"), st.sampled_from(CUSTOMERS), st.integers(0, 5)),
    ),
    max_size=60,
)


def campaign(customer: str, number: int) -> str:
    return f"{customer}/campaign-{number}"


@settings(max_examples=300)
@given(backlogs, st.lists(st.integers(1, 500), min_size=1, max_size=20),
       st.integers(1, 50))
def test_every_customer_with_enough_work_gets_its_share_of_every_take(sizes, budgets, quantum):
    queue = FairQueue(quantum=quantum)
    waiting: Counter[str] = Counter()
    owner: dict[str, str] = {}
    for customer, campaigns in zip(CUSTOMERS, sizes, strict=False):
        for number, size in enumerate(campaigns):
            queue.push(customer, campaign(customer, number), size)
            owner[campaign(customer, number)] = customer
            waiting[customer] += size

    for budget in budgets:
        active = [customer for customer, count in waiting.items() if count]
        if not active:
            break
        share = budget // len(active)

        got: Counter[str] = Counter()
        for campaign_id, n in queue.take(budget):
            got[owner[campaign_id]] += n

        assert sum(got.values()) == min(budget, sum(waiting.values()))
        for customer in active:
            if waiting[customer] >= share + quantum:
                assert got[customer] >= share - quantum, (customer, dict(got), budget)
        waiting -= got


@settings(max_examples=300)
@given(operations)
def test_every_pushed_message_is_handed_out_once_or_dropped_by_done(steps):
    queue = FairQueue(quantum=7)
    pushed: Counter[str] = Counter()
    handed: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    owner: dict[str, str] = {}

    def take(budget: int) -> None:
        taken = queue.take(budget)
        campaign_ids = [campaign_id for campaign_id, _ in taken]
        assert len(campaign_ids) == len(set(campaign_ids))
        assert all(n >= 1 for _, n in taken)
        waiting = len(queue) + sum(n for _, n in taken)
        assert sum(n for _, n in taken) == min(budget, waiting)
        handed.update(dict(taken))

    for step in steps:
        if step[0] == "push":
            _, customer, number, count = step
            campaign_id = campaign(customer, number)
            queue.push(customer, campaign_id, count)
            pushed[campaign_id] += count
            owner[campaign_id] = customer
        elif step[0] == "take":
            take(step[1])
        else:
            _, customer, number = step
            dropped[campaign(customer, number)] += queue.done(campaign(customer, number))
        assert len(queue) == sum(pushed.values()) - sum(handed.values()) - sum(dropped.values())
    take(len(queue))

    assert len(queue) == 0
    assert handed + dropped == pushed
