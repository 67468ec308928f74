"""Amounts as people write them, and back: ``"12.5"`` SMS at scale 3 is ``12500``.

Parsing is exact (``Decimal``, at the edge only): an amount with more decimals than the unit
keeps is refused, never rounded.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, Rounded

from portevoix.ledger.errors import LedgerError

MAX_MAGNITUDE = 40  # digits either side of the point; a larger amount is a typing error


class AmountFormatError(LedgerError):
    def __init__(self, text: str, scale: int) -> None:
        super().__init__(f"{text!r} is not an amount with at most {scale} decimals")
        self.text, self.scale = text, scale


def parse_amount(text: str, scale: int) -> int:
    """``text`` (``"12"``, ``"12.5"``, ``"-3.25"``) in ``10**-scale`` units, exactly.

    Amounts beyond 10^±40 are refused before any arithmetic; within that range the
    computation runs in a context wide enough to be exact, and any rounding is an error.
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise AmountFormatError(text, scale) from None
    if not value.is_finite() or (value and abs(value.adjusted()) > MAX_MAGNITUDE):
        raise AmountFormatError(text, scale)
    exact = Context(prec=4 * MAX_MAGNITUDE, traps=[Inexact, Rounded, Overflow])
    try:
        units = value.scaleb(scale, context=exact)
    except (Inexact, Rounded, Overflow):
        raise AmountFormatError(text, scale) from None
    if units != units.to_integral_value():
        raise AmountFormatError(text, scale)
    return int(units)


def format_amount(amount: int, scale: int) -> str:
    """``amount`` units of ``10**-scale`` as a decimal string (``12500``, 3 → ``"12.500"``)."""
    if scale == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**scale)
    return f"{sign}{whole}.{fraction:0{scale}d}"
