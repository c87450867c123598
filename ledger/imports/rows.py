"""What a statement is read into, shared by the CSV and OFX readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

_LARGEST = Decimal("1000000000000")  # BankTransaction.amount holds 12 digits before the point
_CENT = Decimal("0.01")
DESCRIPTION_LENGTH, COUNTERPARTY_LENGTH = 300, 200


class StatementError(ValueError):
    """The file cannot be read as a statement; the message says why, for the owner."""


@dataclass(frozen=True)
class Entry:
    """One transaction of a statement, as it will be stored."""

    row: int
    booked_on: date
    amount: Decimal
    description: str
    counterparty: str = ""
    fitid: str = ""  # the bank's own id of the transaction (OFX), when it gives one


def amount_problem(amount: Decimal) -> str | None:
    """Why ``amount`` cannot be stored, or None."""
    if amount != amount.quantize(_CENT):
        return "has more than two decimals"
    if abs(amount) >= _LARGEST:
        return "is too large"
    return None
