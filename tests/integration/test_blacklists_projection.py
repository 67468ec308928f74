"""The opt-outs and blocks table, and the lists' snapshots, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from portevoix.platform.blacklists import (
    BLOCK_LIST_ID,
    IMPORT,
    MANUAL,
    OPTED_OUT,
    PLATFORM_BLOCK,
    START_REPLY,
    STOP_REPLY,
    Blacklists,
    OptOutList,
    opt_out_list_id_for,
)
from portevoix.projections.blacklists import BlacklistEntries, blacklist_entries
from portevoix.projections.tracking import ProjectionRunner
from portevoix.storage import Storage

ANA, BOB, CLEO = "+33612345601", "+33612345602", "+33612345603"


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+3361{n:07d}" for n in range(start, start + count)]


class Stores:
    """The blacklists application and its projection on one database URL."""

    def __init__(self, url: str) -> None:
        self.storage = Storage(url)
        with self.storage.schema_lock():
            self.lists = Blacklists(env=self.storage.event_store_env("blacklists"))
            self.runner = ProjectionRunner(self.lists, BlacklistEntries(),
                                           self.storage.projection_engine())
            self.runner.create_tables()

    def reopened(self) -> Blacklists:
        """A second application on the same store, with nothing cached."""
        return Blacklists(env=self.storage.event_store_env("blacklists"))

    def rows(self) -> list[tuple[Any, ...]]:
        columns = blacklist_entries.c
        with self.runner.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(
                select(columns.customer_id, columns.e164, columns.source, columns.reason)
                .order_by(columns.list_id, columns.e164))]

    def close(self) -> None:
        self.lists.close()
        self.runner.engine.dispose()


@pytest.fixture
def stores(database_url: str) -> Iterator[Stores]:
    stores = Stores(database_url)
    yield stores
    stores.close()


def by_number(rows: list[tuple[Any, ...]], customer: UUID | None) -> dict[str, tuple[str, str]]:
    return {e164: (source, reason) for owner, e164, source, reason in rows if owner == customer}


def test_table_lists_opt_outs_with_their_source_and_blocks_with_their_reason(
    stores: Stores,
) -> None:
    customer, other = uuid4(), uuid4()
    stores.lists.opt_out(customer, ANA, STOP_REPLY)
    stores.lists.opt_out(customer, BOB, MANUAL)
    stores.lists.opt_out(customer, CLEO, IMPORT)
    stores.lists.opt_out(other, ANA, MANUAL)
    stores.lists.block(BOB, "fraud complaint")

    stores.runner.catch_up()

    rows = stores.rows()
    assert by_number(rows, customer) == {
        ANA: (STOP_REPLY, ""), BOB: (MANUAL, ""), CLEO: (IMPORT, "")}
    assert by_number(rows, other) == {ANA: (MANUAL, "")}
    assert by_number(rows, None) == {BOB: (PLATFORM_BLOCK, "fraud complaint")}


def test_lifted_opt_outs_and_blocks_leave_the_table(stores: Stores) -> None:
    customer = uuid4()
    stores.lists.opt_out(customer, ANA, STOP_REPLY)
    stores.lists.opt_out(customer, BOB, MANUAL)
    stores.lists.block(CLEO, "abuse")
    stores.runner.catch_up()

    stores.lists.opt_in(customer, ANA, START_REPLY)
    stores.lists.opt_in(customer, BOB, MANUAL)
    stores.lists.unblock(CLEO)
    stores.runner.catch_up()

    assert stores.rows() == []


def test_stop_reply_from_an_imported_number_replaces_its_row(stores: Stores) -> None:
    customer = uuid4()
    stores.lists.opt_out_many(customer, [ANA, BOB], IMPORT)
    stores.runner.catch_up()

    stores.lists.opt_out(customer, ANA, STOP_REPLY)
    stores.runner.catch_up()

    assert by_number(stores.rows(), customer) == {ANA: (STOP_REPLY, ""), BOB: (IMPORT, "")}


def test_import_in_batches_projects_every_number_and_rebuilds_the_same(stores: Stores) -> None:
    customer = uuid4()
    stores.lists.opt_out_many(customer, numbers(2_500), IMPORT)
    stores.lists.block_many(numbers(1_200, start=10_000), "spam trap")
    stores.lists.opt_out(customer, ANA, STOP_REPLY)
    stores.runner.catch_up()
    before = stores.rows()

    stores.runner.rebuild()

    assert len(before) == 2_500 + 1_200 + 1
    assert stores.rows() == before


def test_lists_reload_from_snapshots_on_this_store(stores: Stores) -> None:
    customer = uuid4()
    stores.lists.opt_out_many(customer, numbers(1_500), IMPORT)
    stores.lists.opt_out(customer, ANA, STOP_REPLY)
    stores.lists.block(BOB, "abuse")
    stores.lists.take_snapshot(opt_out_list_id_for(customer))
    stores.lists.take_snapshot(BLOCK_LIST_ID)
    stores.lists.opt_out(customer, CLEO, MANUAL)  # after the snapshot

    reopened = stores.reopened()
    try:
        opt_outs: OptOutList = reopened.repository.get(opt_out_list_id_for(customer))
        found = reopened.blocked(customer, [ANA, BOB, CLEO, "+33699999999"])
    finally:
        reopened.close()

    assert stores.lists.snapshots is not None
    assert [s.originator_version for s in stores.lists.snapshots.get(opt_outs.id)] == [4]
    assert (len(opt_outs.numbers), opt_outs.stopped) == (1_502, {ANA})
    assert found == {ANA: OPTED_OUT, BOB: PLATFORM_BLOCK, CLEO: OPTED_OUT}
