"""Price lists as rows: the seeds' "Packs SMS" page, by country, operator and keyword.

One row per entry of each version, with the period it is in force (``valid_until`` is set
when a later version supersedes it), so "the prices today" and "the prices on 1 March" are one
query each. Country names in French and English are kept for the keyword search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from babel import Locale
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    or_,
    select,
    update,
)

from portevoix.platform.operators import operators_by_prefix
from portevoix.platform.prices import PriceAssignment, PriceList
from portevoix.projections.tracking import EventHandlers, Projection

metadata = MetaData()

entries = Table(
    "price_list_entries",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("price_list_id", Uuid, nullable=False),
    Column("owner_id", Uuid, nullable=False),
    Column("list_name", String(200), nullable=False),
    Column("level", String(10), nullable=False),
    Column("unit", String(12), nullable=False),
    Column("scale", Integer, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True)),
    Column("country", String(2), nullable=False),
    Column("operator", String(40), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("search_text", String(300), nullable=False),
    Index("ix_price_entries_list_country", "price_list_id", "country", "valid_from"),
)

assignments = Table(
    "price_assignments",
    metadata,
    Column("assignment_id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False, unique=True),
    Column("price_list_id", Uuid, nullable=False, index=True),
)

_FRENCH, _ENGLISH = Locale("fr"), Locale("en")


def _search_text(country: str, operator: str) -> str:
    names = (_FRENCH.territories.get(country, ""), _ENGLISH.territories.get(country, ""))
    return " ".join((country, *names, operator)).lower()


@dataclass(frozen=True)
class PriceRow:
    country: str
    country_name: str
    operator: str
    kind: str
    price: int
    unit: str
    scale: int
    valid_from: datetime


handles = EventHandlers()


def _insert_version(conn: Connection, event: Any, price_list: dict[str, Any]) -> None:
    rows = [{
        **price_list, "valid_from": event.effective_from, "valid_until": None,
        "country": row["country"], "operator": row["operator"], "kind": row["kind"],
        "price": row["price"], "search_text": _search_text(row["country"], row["operator"]),
    } for row in event.entries]
    conn.execute(insert(entries), rows)


@handles
def published(event: PriceList.Published, conn: Connection) -> None:
    _insert_version(conn, event, {
        "price_list_id": event.originator_id, "owner_id": event.owner_id,
        "list_name": event.name, "level": event.level, "unit": event.unit,
        "scale": event.scale,
    })


@handles
def revised(event: PriceList.Revised, conn: Connection) -> None:
    current = conn.execute(
        select(entries.c.owner_id, entries.c.list_name, entries.c.level, entries.c.unit,
               entries.c.scale)
        .where(entries.c.price_list_id == event.originator_id).limit(1)
    ).one()
    conn.execute(
        update(entries)
        .where(entries.c.price_list_id == event.originator_id, entries.c.valid_until.is_(None))
        .values(valid_until=event.effective_from)
    )
    _insert_version(conn, event, {"price_list_id": event.originator_id, **current._asdict()})


@handles
def assigned(event: PriceAssignment.Assigned, conn: Connection) -> None:
    conn.execute(insert(assignments).values(assignment_id=event.originator_id,
                                            tenant_id=event.tenant_id,
                                            price_list_id=event.price_list_id))


@handles
def reassigned(event: PriceAssignment.Reassigned, conn: Connection) -> None:
    conn.execute(update(assignments).where(assignments.c.assignment_id == event.originator_id)
                 .values(price_list_id=event.price_list_id))


class PriceLists(Projection):
    """``price_list_entries`` and ``price_assignments``."""

    name = "price_lists"
    metadata = metadata

    def apply_page(self, events: Sequence[Any], conn: Connection) -> None:
        handles.apply(events, conn)


def prices(
    engine: Engine, price_list_id: UUID, at: datetime, *, country: str | None = None,
    operator_prefix: str | None = None, keyword: str | None = None, locale: str = "fr",
) -> list[PriceRow]:
    """The list's prices in force at ``at``: by country; by an operator prefix (the number
    prefix a person types, "+216 20": the prices of the operators allocated numbers there,
    and the country's default entry, which prices them too); by a keyword in the country's
    name (French or English) or code, or the operator's key."""
    query = select(entries).where(
        entries.c.price_list_id == price_list_id, entries.c.valid_from <= at,
        or_(entries.c.valid_until.is_(None), entries.c.valid_until > at),
    )
    if country:
        query = query.where(entries.c.country == country.upper())
    if operator_prefix is not None:
        regions, operators = operators_by_prefix("".join(filter(str.isdigit, operator_prefix)))
        query = query.where(entries.c.country.in_(regions),
                            or_(entries.c.operator.in_(operators), entries.c.operator == ""))
    if keyword:
        query = query.where(entries.c.search_text.contains(keyword.strip().lower(),
                                                           autoescape=True))
    names = Locale(locale).territories
    with engine.connect() as conn:
        return [
            PriceRow(row.country, names.get(row.country, row.country), row.operator, row.kind,
                     row.price, row.unit, row.scale, row.valid_from)
            for row in conn.execute(query.order_by(entries.c.country, entries.c.operator,
                                                   entries.c.kind))
        ]
