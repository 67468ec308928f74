"""The status page: what the platform holds, as JSON, until the portals exist."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from portevoix.ledger.amounts import format_amount
from portevoix.projections.statements import balance_rows
from portevoix.services import Services

bp = Blueprint("status", __name__)


def services() -> Services:
    found: Services = current_app.extensions["portevoix"]
    return found


@bp.get("/")
def status() -> ResponseReturnValue:
    """Balances of every account, from the balances projection."""
    rows = balance_rows(services().engine)
    accounts: list[dict[str, Any]] = [{
        "account_id": str(r.account_id), "owner": r.owner_name, "owner_kind": r.owner_kind,
        "purpose": r.purpose, "unit": r.unit, "balance": format_amount(r.balance, r.scale),
        "available": format_amount(r.available, r.scale),
        "pending_out": format_amount(r.pending_out, r.scale),
        "pending_in": format_amount(r.pending_in, r.scale),
    } for r in rows]
    return jsonify({"service": "portevoix", "accounts": accounts})


@bp.get("/healthz")
def health() -> ResponseReturnValue:
    runners = services().runners
    return jsonify({"status": "ok",
                    "projections": {r.projection.name: r.position() for r in runners}})
