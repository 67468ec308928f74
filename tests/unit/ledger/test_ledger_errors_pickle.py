"""A refusal crosses to and from the ledger writer's process as it is: same kind, message
and attributes (a linked refusal keeps its leg and cause)."""

from __future__ import annotations

import inspect
import pickle
from uuid import uuid4

import pytest

from portevoix.ledger import errors
from portevoix.ledger.errors import InsufficientFundsError, LedgerError, LinkedTransferError

SAMPLE_ARGUMENTS = {"account_id": uuid4(), "transfer_id": uuid4(), "settlement_id": uuid4(),
                    "amount": 7, "available": 3, "floor": -5, "balance": 2, "pending": 1,
                    "remaining": 4, "status": "posted", "action": "close", "debit_unit": "SMS",
                    "credit_unit": "EUR", "timeout_s": 0, "quantity": 1, "minimum": 10,
                    "reason": "no tier", "method": "barter", "known": ("card", "cheque"),
                    "purchase_id": uuid4()}
REFUSALS = [kind for _, kind in inspect.getmembers(errors, inspect.isclass)
            if issubclass(kind, LedgerError) and kind not in (LedgerError, LinkedTransferError)]


@pytest.mark.parametrize("kind", REFUSALS, ids=lambda kind: kind.__name__)
def test_every_refusal_survives_pickling(kind: type[LedgerError]) -> None:
    names = list(inspect.signature(kind.__init__).parameters)[1:]
    refusal = kind(*[SAMPLE_ARGUMENTS[name] for name in names])

    copy = pickle.loads(pickle.dumps(refusal))

    assert type(copy) is kind
    assert str(copy) == str(refusal)
    assert copy.__dict__ == refusal.__dict__


def test_a_linked_refusal_keeps_its_leg_and_cause() -> None:
    cause = InsufficientFundsError(uuid4(), 1_000, 200, 0)
    copy = pickle.loads(pickle.dumps(LinkedTransferError(1, cause)))

    assert isinstance(copy, LinkedTransferError) and copy.index == 1
    assert isinstance(copy.cause, InsufficientFundsError)
    assert (copy.cause.amount, copy.cause.available, copy.cause.floor) == (1_000, 200, 0)
    assert str(copy) == f"linked transfer #1 failed, none recorded: {cause}"
