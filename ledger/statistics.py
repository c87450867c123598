"""The ledger's anonymous daily counts (PUR-2): invoices created, bank transactions booked.

Counted across companies by ``ledger_statistic`` (``ledger/statistics.sql``): the tables force
row-level security, and the function returns three numbers, never a row. Transactions count by
booking date as known when the day is stored; one imported later with an earlier date is not
added to a stored day (stored days are frozen).
"""

from __future__ import annotations

from datetime import date

from privacy import statistics


@statistics.collector("invoices", label="Invoices created", kind=statistics.FLOW)
def _invoices(first: date, end: date) -> statistics.Figure:
    return statistics.from_function("ledger_statistic", "invoices", first, end)


@statistics.collector("transactions", label="Bank transactions booked", kind=statistics.FLOW)
def _transactions(first: date, end: date) -> statistics.Figure:
    return statistics.from_function("ledger_statistic", "transactions", first, end)
