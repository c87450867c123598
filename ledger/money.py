"""Money and currencies, shown one way everywhere (issue 14): Babel's CLDR data, never a hand-made table.

A currency is an ISO 4217 code that Babel knows; an amount shows with its currency's own
number of decimals, grouping and symbol, e.g. ``$3,841.49``, ``-¥1,250,000``, ``BHD 1.250``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from babel.numbers import format_currency, get_currency_name, list_currencies

LOCALE = "en_US"


@cache
def currency_choices() -> tuple[tuple[str, str], ...]:
    return tuple((code, f"{code} · {get_currency_name(code, locale=LOCALE)}") for code in sorted(list_currencies()))


def format_money(amount: Decimal | int | None, currency: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=LOCALE)
