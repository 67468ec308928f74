"""What the ledger refuses, with the values a person needs to act on the refusal."""

from __future__ import annotations

from typing import Any
from uuid import UUID


class LedgerError(Exception):
    """Base of every refusal by the ledger; a refused command records nothing.

    A refusal crosses a process boundary as it is (the ledger writer's process answers with
    it): pickling keeps its message and attributes without calling ``__init__`` again,
    whose parameters differ from one refusal to the next.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(kind: type[LedgerError], args: tuple[Any, ...],
             attributes: dict[str, Any]) -> LedgerError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(attributes)
    return error


class InvalidAmountError(LedgerError):
    def __init__(self, amount: int) -> None:
        super().__init__(f"amount must be a positive integer, got {amount!r}")
        self.amount = amount


class AccountNotFoundError(LedgerError):
    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"no account {account_id}")
        self.account_id = account_id


class AccountExistsError(LedgerError):
    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"account {account_id} is already open with other attributes")
        self.account_id = account_id


class AccountClosedError(LedgerError):
    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"account {account_id} is closed")
        self.account_id = account_id


class AccountNotEmptyError(LedgerError):
    def __init__(self, account_id: UUID, balance: int, pending: int) -> None:
        super().__init__(
            f"account {account_id} cannot close with balance {balance} and {pending} pending"
        )
        self.account_id, self.balance, self.pending = account_id, balance, pending


class SystemAccountError(LedgerError):
    def __init__(self, account_id: UUID, action: str) -> None:
        super().__init__(f"account {account_id} is a system account: cannot {action}")
        self.account_id, self.action = account_id, action


class UnitMismatchError(LedgerError):
    def __init__(self, debit_unit: str, credit_unit: str) -> None:
        super().__init__(f"cannot move {debit_unit} into an account kept in {credit_unit}")
        self.debit_unit, self.credit_unit = debit_unit, credit_unit


class SameAccountError(LedgerError):
    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"a transfer needs two accounts; both sides are {account_id}")
        self.account_id = account_id


class InsufficientFundsError(LedgerError):
    def __init__(self, account_id: UUID, amount: int, available: int, floor: int) -> None:
        super().__init__(
            f"account {account_id} cannot pay {amount}: {available} available, floor {floor}"
        )
        self.account_id, self.amount = account_id, amount
        self.available, self.floor = available, floor


class InvalidFloorError(LedgerError):
    def __init__(self, account_id: UUID, floor: int, available: int) -> None:
        super().__init__(
            f"floor {floor} of account {account_id} would be above its {available} available"
        )
        self.account_id, self.floor, self.available = account_id, floor, available


class TransferNotFoundError(LedgerError):
    def __init__(self, transfer_id: UUID) -> None:
        super().__init__(f"no transfer {transfer_id}")
        self.transfer_id = transfer_id


class TransferIdReusedError(LedgerError):
    def __init__(self, transfer_id: UUID) -> None:
        super().__init__(f"transfer id {transfer_id} was already used for another transfer")
        self.transfer_id = transfer_id


class TransferNotPendingError(LedgerError):
    def __init__(self, transfer_id: UUID, status: str) -> None:
        super().__init__(f"transfer {transfer_id} is {status}, not pending")
        self.transfer_id, self.status = transfer_id, status


class PostExceedsPendingError(LedgerError):
    def __init__(self, transfer_id: UUID, amount: int, remaining: int) -> None:
        super().__init__(
            f"cannot post {amount} of transfer {transfer_id}: only {remaining} still reserved"
        )
        self.transfer_id, self.amount, self.remaining = transfer_id, amount, remaining


class SettlementIdReusedError(LedgerError):
    def __init__(self, transfer_id: UUID, settlement_id: UUID) -> None:
        super().__init__(
            f"settlement {settlement_id} of transfer {transfer_id} was recorded with another amount"
        )
        self.transfer_id, self.settlement_id = transfer_id, settlement_id


class SettlementIdRequiredError(LedgerError):
    def __init__(self, transfer_id: UUID) -> None:
        super().__init__(
            f"a partial post of transfer {transfer_id} needs a settlement id, so that a retry "
            "cannot post it twice"
        )
        self.transfer_id = transfer_id


class InvalidTimeoutError(LedgerError):
    def __init__(self, timeout_s: int | None) -> None:
        super().__init__(f"a timeout must be a positive number of seconds on a pending transfer, "
                         f"got {timeout_s!r}")
        self.timeout_s = timeout_s


class LinkedTransferError(LedgerError):
    """One leg of a linked group failed, so none of the group was recorded."""

    def __init__(self, index: int, cause: LedgerError) -> None:
        super().__init__(f"linked transfer #{index} failed, none recorded: {cause}")
        self.index, self.cause = index, cause


class QuantityBelowTiersError(LedgerError):
    def __init__(self, quantity: int, minimum: int) -> None:
        super().__init__(f"a pack holds at least {minimum} units, got {quantity}")
        self.quantity, self.minimum = quantity, minimum


class InvalidTariffError(LedgerError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid tariff: {reason}")
        self.reason = reason


class UnknownPaymentMethodError(LedgerError):
    def __init__(self, method: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown payment method {method!r}; use one of {', '.join(known)}")
        self.method, self.known = method, known


class PurchaseNotFoundError(LedgerError):
    def __init__(self, purchase_id: UUID) -> None:
        super().__init__(f"no purchase {purchase_id}")
        self.purchase_id = purchase_id


class PurchaseNotAwaitingPaymentError(LedgerError):
    def __init__(self, purchase_id: UUID, status: str) -> None:
        super().__init__(f"purchase {purchase_id} is {status}, not awaiting payment")
        self.purchase_id, self.status = purchase_id, status
