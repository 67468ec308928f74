"""The routing application: the platform operator configures routes; senders look them up."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from portevoix.platform.routes import ROUTE_TABLE_ID, RouteSpec, RouteTable


class Routing(Application[UUID]):
    name = "routing"

    def table(self) -> RouteTable:
        try:
            table: RouteTable = self.repository.get(ROUTE_TABLE_ID)
        except AggregateNotFoundError:
            return RouteTable()
        return table

    def configure(self, spec: RouteSpec) -> None:
        table = self.table()
        table.configure(spec)
        self.save(table)

    def enable(self, name: str, enabled: bool = True) -> None:
        table = self.table()
        table.enable(name, enabled)
        self.save(table)

    def candidates(self, country: str, operator: str) -> list[RouteSpec]:
        return self.table().candidates(country, operator)
